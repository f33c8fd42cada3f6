import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../../src/cli/args';
import { chooseGraphs, logLevelOf, runOptions, RUN_VALUED } from '../../../src/cli/run';
import { EXIT_OK, EXIT_RUN_FAILED, formatEvent, RunOutcome } from '../../../src/cli/run-report';
import type { RuntimeEvent } from '../../../src/runtime';

const tmp = mkdtempSync(join(tmpdir(), 'ten-cli-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const opts = (...argv: string[]) => runOptions(parseArgs(argv, RUN_VALUED));

describe('ten-studio run options', () => {
  it('accepts an app folder or its property.json', () => {
    const byDir = opts('resources/examples/hello-pipeline');
    expect(byDir.propertyPath).toBe(resolve('resources/examples/hello-pipeline/property.json'));
    expect(byDir.appDir).toBe(resolve('resources/examples/hello-pipeline'));
    expect(byDir.policy).toBe('fail');
    const byFile = opts('resources/examples/hello-pipeline/property.json', '--duration', '1.5', '--graph', 'g');
    expect(byFile.appDir).toBe(resolve('resources/examples/hello-pipeline'));
    expect(byFile.durationMs).toBe(1500);
    expect(byFile.graph).toBe('g');
  });

  it('explains every mistake', () => {
    expect(() => opts()).toThrow(UsageError);
    expect(() => opts('no/such/dir')).toThrow(/does not exist/);
    expect(() => opts(tmp)).toThrow(/has no property.json/);
    expect(() => opts('resources/examples/hello-pipeline', '--duration', '-1')).toThrow(/--duration/);
    expect(() => opts('resources/examples/hello-pipeline', '--duration', 'soon')).toThrow(/--duration/);
    expect(() => opts('resources/examples/hello-pipeline', '--violation-policy', 'ignore')).toThrow(/fail, report, abort/);
    expect(() => opts('resources/examples/hello-pipeline', '--verbose')).toThrow(/Unknown option --verbose/);
    expect(() => opts('resources/examples/hello-pipeline', 'extra')).toThrow(/Unexpected argument "extra"/);
    expect(() => opts('resources/examples/hello-pipeline', '--events', join(tmp, 'missing', 'e.jsonl'))).toThrow(/--events: the folder .* does not exist/);
  });

  it('--python-debug turns debugging on, with the first port when given as --python-debug=PORT', () => {
    expect(opts('resources/examples/hello-pipeline').pythonDebug).toBeUndefined();
    expect(opts('resources/examples/hello-pipeline', '--python-debug').pythonDebug).toEqual({});
    expect(opts('resources/examples/hello-pipeline', '--python-debug=5690').pythonDebug).toEqual({ port: 5690 });
    expect(() => opts('resources/examples/hello-pipeline', '--python-debug=70000')).toThrow(new UsageError('--python-debug=70000: the port must be an integer from 1 to 65535.'));
    expect(() => opts('resources/examples/hello-pipeline', '--python-debug=soon')).toThrow(/--python-debug=soon: the port must be an integer/);
  });

  it('starts the named graph, else the auto_start ones', () => {
    const property = {
      ten: {
        predefined_graphs: [
          { name: 'a', auto_start: true, graph: { nodes: [] } },
          { name: 'b', graph: { nodes: [] } },
          { name: 'c', auto_start: true, graph: { nodes: [] } },
        ],
      },
    };
    expect(chooseGraphs(property, 'property.json', undefined)).toEqual(['a', 'c']);
    expect(chooseGraphs(property, 'property.json', 'b')).toEqual(['b']);
    expect(() => chooseGraphs(property, 'property.json', 'x')).toThrow(/no predefined graph "x" \(graphs: a, b, c\)/);
    const manual = { ten: { predefined_graphs: [{ name: 'b', graph: { nodes: [] } }] } };
    expect(() => chooseGraphs(manual, 'property.json', undefined)).toThrow(/no auto_start graph; pick one with --graph NAME \(graphs: b\)/);
  });

  it("prints logs from the app's log configuration level on", () => {
    const handler = (level: string) => ({ matchers: [{ level }], formatter: { type: 'plain' }, emitter: { type: 'console' } });
    expect(logLevelOf({})).toBe(2);
    expect(logLevelOf({ ten: { log: { level: 1 } } })).toBe(1);
    expect(logLevelOf({ ten: { log: { handlers: [handler('warn')] } } })).toBe(3);
    expect(logLevelOf({ ten: { log: { handlers: [handler('error'), handler('debug')] } } })).toBe(1);
    expect(logLevelOf({ ten: { log: { handlers: [handler('off')] } } })).toBe(Infinity);
  });

  it('rejects a property.json that is not JSON before starting anything', async () => {
    const { run } = await import('../../../src/cli/run');
    const file = join(tmp, 'property.json');
    writeFileSync(file, '{ not json');
    await expect(run(parseArgs([file], RUN_VALUED))).rejects.toThrow(/is not valid JSON/);
  });
});

describe('ten-studio run report', () => {
  const t0 = 1_000_000;
  const base = { ts: t0 + 1234, graphId: 'g1' };

  it('formats each event kind on one line (plus a stack for failures)', () => {
    expect(formatEvent({ ...base, type: 'lifecycle', extension: 'ticker', phase: 'on_start_done' }, t0, 2)).toEqual({
      text: '[   1.234s] lifecycle  ticker on_start_done',
      stderr: false,
    });
    expect(formatEvent({ ...base, type: 'log', extension: 'ticker', level: 3, message: 'hm' }, t0, 2)?.text).toBe(
      '[   1.234s] log WARN  ticker: hm',
    );
    const error = formatEvent(
      { ...base, type: 'error', extension: 'rogue', phase: 'onData', message: 'boom\nmore', stack: 'Error: boom\n    at x (y.ts:1:1)' },
      t0,
      2,
    );
    expect(error?.stderr).toBe(true);
    expect(error?.text).toContain('ERROR      rogue threw in onData: boom\n      Error: boom\n      at x (y.ts:1:1)');
    const violation: RuntimeEvent = {
      ...base,
      type: 'violation',
      object: 'data(tick)',
      owner: 'rogue',
      caller: 'rogue',
      reason: 'mutation after send',
      stack: 'at z',
      policy: 'fail',
    };
    expect(formatEvent(violation, t0, 2)?.text).toContain('VIOLATION  mutation after send — object data(tick), owner rogue, caller rogue (policy fail)');
  });

  it('hides logs below the app log level only on the terminal', () => {
    expect(formatEvent({ ...base, type: 'log', extension: 'x', level: 1, message: 'debug' }, t0, 2)).toBeNull();
    expect(formatEvent({ ...base, type: 'log', extension: 'x', level: 1, message: 'debug' }, t0, 1)).not.toBeNull();
  });

  it('fails the run on start failure, exceptions, enforced violations and killed workers only', () => {
    const clean = new RunOutcome();
    clean.observe({ ...base, type: 'graph', name: 'g', state: 'started' });
    clean.observe({ ...base, type: 'log', extension: 'x', level: 4, message: 'an error log is not a failure' });
    clean.observe({ ...base, type: 'violation', object: 'o', owner: 'a', caller: 'b', reason: 'r', stack: '', policy: 'report' });
    expect(clean.exitCode()).toBe(EXIT_OK);

    const failing: RuntimeEvent[] = [
      { ...base, type: 'graph', name: 'g', state: 'start_failed', detail: 'Addon missing\nstack' },
      { ...base, type: 'error', extension: 'x', phase: 'on_start', message: 'boom', stack: '' },
      { ...base, type: 'violation', object: 'o', owner: 'a', caller: 'b', reason: 'r', stack: '', policy: 'fail' },
      { ...base, type: 'violation', object: 'o', owner: 'a', caller: 'b', reason: 'r', stack: '', policy: 'abort' },
      { ...base, type: 'worker_terminated', group: 'rogue_group', reason: 'stop timeout' },
    ];
    for (const e of failing) {
      const outcome = new RunOutcome();
      outcome.observe(e);
      expect(outcome.exitCode(), e.type).toBe(EXIT_RUN_FAILED);
      expect(outcome.reasons[0]).not.toContain('\n');
    }
  });
});

describe('ten-studio run failure summary', () => {
  it('counts repeats and caps distinct failures', () => {
    const outcome = new RunOutcome();
    for (let i = 0; i < 3; i++) outcome.fail('relay threw in on_data: boom');
    for (let i = 0; i < 30; i++) outcome.fail(`failure ${i}`);
    const reasons = outcome.reasons;
    expect(reasons[0]).toBe('relay threw in on_data: boom (×3)');
    expect(reasons).toHaveLength(21);
    expect(reasons.at(-1)).toBe('… and 11 more failures');
  });
});
