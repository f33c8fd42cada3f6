// Every command answers --help with its own usage and refuses options it does not take, naming them.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseCommandArgs, UsageError } from '../../../src/cli/args';
import { COMMANDS, commandSpec, commandUsage, valuedOptions } from '../../../src/cli/commands';
import { main } from '../../../src/cli/index';
import { RUN_VALUED } from '../../../src/cli/run';
import { TRACE_VALUED } from '../../../src/cli/trace';
import { APP_VALUED } from '../../../src/cli/app';
import { SEND_VALUED } from '../../../src/cli/send';

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

const NAMES = ['serve', 'run', 'trace', 'validate', 'flatten', 'app', 'send', 'conformance', 'runtime-package', 'test'];

describe('ten-studio <command> --help', () => {
  it('has a spec for every command', () => {
    expect(COMMANDS.map((c) => c.name).sort()).toEqual([...NAMES].sort());
  });

  it("test --help prints its usage; arguments after the folder are the test runner's, not refused", async () => {
    expect(await main(['test', '--help'])).toBe(0);
    expect(out).toMatch(/^Usage: ten-studio test <package-dir>/);
    for (const option of commandSpec('test')!.options) expect(out).toContain(`--${option.name}`);
    out = '';
    // A folder that is no package is the usage mistake here, not the pytest option after it.
    expect(await main(['test', '/nonexistent-extension', '-k', 'x', '--maxfail=1'])).toBe(2);
    expect(err).toContain('has no manifest.json');
  });

  for (const name of NAMES) {
    it(`${name} --help and -h print its own usage and every option it takes, exit 0`, async () => {
      for (const flag of ['--help', '-h']) {
        out = '';
        // Help wins over whatever else is on the line, a missing argument included.
        expect(await main([name, flag])).toBe(0);
        expect(out).toMatch(new RegExp(`^Usage: ten-studio ${name} `));
        for (const option of commandSpec(name)!.options) expect(out).toContain(`--${option.name}`);
        expect(err).toBe('');
      }
      out = '';
      expect(await main(['help', name])).toBe(0);
      expect(out).toMatch(new RegExp(`^Usage: ten-studio ${name} `));
    });

    // test hands whatever follows the folder to the test framework (see above).
    if (name !== 'test') it(`${name} refuses an unknown option, naming it, with exit code 2`, async () => {
      expect(await main([name, 'x', '--no-such-flag'])).toBe(2);
      expect(err).toContain(`ten-studio ${name}: unknown option --no-such-flag.`);
      expect(err).toContain(`See 'ten-studio ${name} --help'.`);
      err = '';
      expect(await main([name, 'x', '-q'])).toBe(2);
      expect(err).toContain('unknown option -q.');
      expect(out).toBe('');
    });
  }

  it('run --help is its usage, not the missing-argument message', async () => {
    expect(await main(['run', '--help'])).toBe(0);
    expect(out).not.toContain('Name an app folder');
    expect(out).toContain('--violation-policy fail|report|abort');
  });

  it('the top level lists every command; no command at all is a usage mistake', async () => {
    expect(await main(['--help'])).toBe(0);
    for (const name of NAMES) expect(out).toContain(`  ${name} `);
    expect(await main([])).toBe(2);
    expect(err).toMatch(/^Usage: ten-studio <command>/);
    err = '';
    expect(await main(['frobnicate'])).toBe(2);
    expect(err).toContain('Unknown command "frobnicate".');
    err = '';
    expect(await main(['help', 'frobnicate'])).toBe(2);
    expect(err).toContain('Unknown command "frobnicate".');
    out = '';
    expect(await main(['--version'])).toBe(0);
    expect(out).toMatch(/^ten-studio \d+\.\d+\.\d+\n$/);
  });

  it('the specs agree with the options the commands read', () => {
    expect(valuedOptions(commandSpec('run')!).sort()).toEqual([...RUN_VALUED].sort());
    expect(valuedOptions(commandSpec('trace')!).sort()).toEqual([...TRACE_VALUED].sort());
    expect(valuedOptions(commandSpec('app')!).sort()).toEqual([...APP_VALUED].sort());
    expect(valuedOptions(commandSpec('send')!).sort()).toEqual([...SEND_VALUED].sort());
  });
});

describe('parseCommandArgs', () => {
  const validate = commandSpec('validate')!;
  it('takes the options of the spec in every spelling', () => {
    const a = parseCommandArgs(['app', '--graph', 'g', '--json', '--packages=a,b', '--', '--not-an-option'], validate);
    expect(a.help).toBe(false);
    if (a.help) return;
    expect(a.positionals).toEqual(['app', '--not-an-option']);
    expect(Object.fromEntries(a.options)).toEqual({ graph: 'g', json: true, packages: 'a,b' });
  });

  it('names each mistake', () => {
    expect(() => parseCommandArgs(['app', '--json=yes'], validate)).toThrow(new UsageError('--json takes no value.'));
    expect(() => parseCommandArgs(['app', '--graph'], validate)).toThrow(/--graph needs a value/);
    expect(() => parseCommandArgs(['app', '--graph='], validate)).toThrow(/--graph needs a value \(NAME\)/);
    expect(() => parseCommandArgs(['app', '--grpah', 'g'], validate)).toThrow(new UsageError('unknown option --grpah.'));
    // After `--` nothing is an option, --help included.
    expect(parseCommandArgs(['--', '--help'], validate).help).toBe(false);
  });

  it('an option with an optional value: alone it is a flag (the next word stays a positional), =VALUE gives the value', () => {
    const run = commandSpec('run')!;
    const a = parseCommandArgs(['--python-debug', 'app'], run);
    if (a.help) throw new Error('help');
    expect(a.positionals).toEqual(['app']);
    expect(a.options.get('python-debug')).toBe(true);
    const b = parseCommandArgs(['app', '--python-debug=5700'], run);
    if (b.help) throw new Error('help');
    expect(b.options.get('python-debug')).toBe('5700');
    expect(() => parseCommandArgs(['app', '--python-debug='], run)).toThrow(new UsageError('--python-debug= needs a value (PORT), or give --python-debug alone.'));
    expect(commandUsage(run)).toContain('--python-debug[=PORT]');
  });
});
