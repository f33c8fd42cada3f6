// `ten-studio run` as a user runs it: a child process, its exit code and its --events file.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './cli';
import { spawnSync } from 'node:child_process';
import { attachDebugger, type DapSession } from '../../fixtures/dap';

const tmp = mkdtempSync(join(tmpdir(), 'ten-cli-run-it-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function readEvents(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('ten-studio run', () => {
  it('runs hello-pipeline for the duration and exits 0 with JSON-lines events', async () => {
    const file = join(tmp, 'hello.jsonl');
    const { code, stdout, stderr } = await cli(['run', 'resources/examples/hello-pipeline', '--duration', '1', '--events', file]);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain('Run ended cleanly (duration)');
    const events = readEvents(file);
    const types = new Set(events.map((e) => e.type));
    for (const t of ['graph', 'lifecycle', 'log', 'app_closed', 'run_end']) expect(types, t).toContain(t);
    expect(events.some((e) => e.type === 'lifecycle' && e.extension === 'stats' && e.phase === 'on_start_done')).toBe(true);
    expect(events.some((e) => e.type === 'graph' && e.state === 'stopped')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'run_end', reason: 'duration', exit_code: 0, failures: [] });
  });

  it('runs the Python and TypeScript example: Python nodes start, answer, log with their file:line, and leave no process', async () => {
    const file = join(tmp, 'python.jsonl');
    const { code, stdout, stderr } = await cli(['run', 'resources/examples/python-and-typescript', '--duration', '2', '--events', file], 90_000);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const events = readEvents(file);
    for (const name of ['greeter', 'meter', 'relay']) {
      expect(events.some((e) => e.type === 'lifecycle' && e.extension === name && e.phase === 'on_deinit_done'), name).toBe(true);
    }
    const ready = events.find((e) => e.type === 'log' && e.extension === 'greeter' && String(e.message).includes('greeter ready'));
    expect(ready).toMatchObject({ loc: { file: expect.stringMatching(/greeter_python\/extension\.py$/), line: expect.any(Number), func: 'on_init' } });
    expect(events.some((e) => e.type === 'log' && e.extension === 'stats' && /data 'level' [1-9]/.test(String(e.message)))).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'run_end', exit_code: 0, failures: [] });
  });

  it.skipIf(spawnSync('python3', ['-c', 'import debugpy']).status !== 0)(
    '--python-debug=PORT: the Python process waits for a debugger on PORT, says where, and the run goes on once one attached',
    async () => {
      let attaching: Promise<DapSession> | null = null;
      const { code, stdout, stderr } = await cli(['run', 'resources/examples/python-and-typescript', '--duration', '1', '--python-debug=5795'], 90_000, (out) => {
        if (!attaching && out.includes('waiting for a client to attach')) attaching = attachDebugger('127.0.0.1', 5795);
      });
      expect(code, `${stdout}\n${stderr}`).toBe(0);
      expect(stdout).toMatch(/Group 'python': Python debugger \(debugpy [\d.]+\) listening on 127\.0\.0\.1:5795 \(pid \d+\); waiting for a client to attach\./);
      expect(stdout).toMatch(/Group 'python': Python debugger attached on 127\.0\.0\.1:5795/);
      (await attaching!).close();
    },
  );

  it('runs the gateway-and-media example cleanly', async () => {
    const { code, stdout, stderr } = await cli(['run', 'resources/examples/gateway-and-media', '--duration', '1']);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/gateway: http_gateway: listening on http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('exits non-zero when a violation occurs under the fail policy or an extension throws', async () => {
    const file = join(tmp, 'rogue.jsonl');
    const { code, stderr } = await cli(['run', 'resources/examples/misbehaving-demo', '--duration', '4', '--events', file]);
    expect(code).toBe(1);
    expect(stderr).toContain('VIOLATION');
    expect(stderr).toContain('thrower threw in on_data');
    expect(readEvents(file).some((e) => e.type === 'violation')).toBe(true);
    expect(readEvents(file).some((e) => e.type === 'error')).toBe(true);
  });

  it('still exits 0 when violations are only reported', async () => {
    const appDir = join(tmp, 'mutating-app');
    rmSync(appDir, { recursive: true, force: true });
    mkdirSync(appDir);
    const graph = {
      nodes: [
        { type: 'extension', name: 'ticker', addon: 'data_generator', property: { interval_ms: 20 } },
        { type: 'extension', name: 'rogue', addon: 'misbehaving', extension_group: 'rogue_group', property: { mode: 'mutate_after_send', every_n: 5 } },
        { type: 'extension', name: 'stats', addon: 'counter_sink' },
      ],
      connections: [
        { extension: 'ticker', data: [{ name: 'tick', dest: [{ extension: 'rogue' }] }] },
        { extension: 'rogue', data: [{ name: 'tick', dest: [{ extension: 'stats' }] }] },
      ],
    };
    writeFileSync(join(appDir, 'property.json'), JSON.stringify({ ten: { predefined_graphs: [{ name: 'mutating', auto_start: true, graph }] } }));
    const { code, stdout, stderr } = await cli(['run', appDir, '--duration', '1', '--violation-policy', 'report']);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stderr).toContain('VIOLATION');
  });

  it('stops the graph in order on SIGINT and exits 0', async () => {
    const file = join(tmp, 'sigint.jsonl');
    let signalled = false;
    const { code, stdout, stderr } = await cli(['run', 'resources/examples/hello-pipeline', '--events', file], 45_000, (out, child) => {
      if (!signalled && out.includes('ticker on_start_done')) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain('Run ended cleanly (interrupt)');
    const events = readEvents(file);
    expect(events.some((e) => e.type === 'lifecycle' && e.extension === 'ticker' && e.phase === 'on_deinit_done')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'run_end', reason: 'interrupt', exit_code: 0 });
  });

  it('exits when an extension closes the app (ten:close_app)', async () => {
    const port = await freePort();
    const appDir = join(tmp, 'closing-app');
    const property = {
      ten: {
        predefined_graphs: [
          {
            name: 'closable',
            auto_start: true,
            graph: {
              nodes: [{ type: 'extension', name: 'gateway', addon: 'http_gateway', property: { port, allow_close_app: true } }],
            },
          },
        ],
      },
    };
    rmSync(appDir, { recursive: true, force: true });
    mkdirSync(appDir);
    writeFileSync(join(appDir, 'property.json'), JSON.stringify(property));
    let posted = false;
    const { code, stdout, stderr } = await cli(['run', appDir], 45_000, (out) => {
      if (!posted && out.includes('gateway on_start_done')) {
        posted = true;
        void fetch(`http://127.0.0.1:${port}/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ten: { type: 'close_app' } }),
          signal: AbortSignal.timeout(10_000),
        }).catch(() => undefined);
      }
    });
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/Run ended cleanly \((app_closed|graphs_stopped)\)/);
  });

  it("loads the app's own TypeScript packages, which win over a built-in of the same name", async () => {
    const appDir = join(tmp, 'own-packages');
    const pkg = join(appDir, 'ten_packages', 'extension', 'forwarder');
    rmSync(appDir, { recursive: true, force: true });
    mkdirSync(join(pkg, 'src'), { recursive: true });
    writeFileSync(join(pkg, 'manifest.json'), JSON.stringify({ type: 'extension', name: 'forwarder', version: '1.0.0', api: {} }));
    writeFileSync(
      join(pkg, 'src', 'index.ts'),
      [
        'import { Addon, Extension, RegisterAddonAsExtension, TenEnv } from "ten-runtime-nodejs";',
        'class Mine extends Extension {',
        '  async onStart(tenEnv: TenEnv): Promise<void> {',
        '    tenEnv.logInfo("the app\'s own forwarder");',
        '  }',
        '}',
        '@RegisterAddonAsExtension("forwarder")',
        'export class MineAddon extends Addon {',
        '  async onCreateInstance(_tenEnv: TenEnv, name: string): Promise<Extension> {',
        '    return new Mine(name);',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const graph = { nodes: [{ type: 'extension', name: 'relay', addon: 'forwarder' }] };
    writeFileSync(join(appDir, 'property.json'), JSON.stringify({ ten: { predefined_graphs: [{ name: 'own', auto_start: true, graph }] } }));
    const { code, stdout, stderr } = await cli(['run', appDir, '--duration', '0.5']);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain("relay: the app's own forwarder");
  });

  it('exits 1 when the graph fails to start (invalid property)', async () => {
    const appDir = join(tmp, 'failing-start');
    rmSync(appDir, { recursive: true, force: true });
    mkdirSync(appDir);
    const graphs = [{ name: 'bad_property', graph: { nodes: [{ type: 'extension', name: 'ticker', addon: 'data_generator', property: { interval_ms: 'fast' } }] } }];
    writeFileSync(join(appDir, 'property.json'), JSON.stringify({ ten: { predefined_graphs: graphs } }));
    const { code, stdout, stderr } = await cli(['run', appDir, '--graph', 'bad_property', '--duration', '5']);
    expect(code, `${stdout}\n${stderr}`).toBe(1);
    expect(stderr).toContain('graph bad_property failed to start');
    expect(stderr).toContain("Extension 'ticker' has invalid properties");
  });

  it('refuses to start anything, saying per node which cannot run here and why, unless it has a stand-in', async () => {
    const appDir = join(tmp, 'blocked');
    rmSync(appDir, { recursive: true, force: true });
    // A Python package without Python code (as TEN's voice-assistant ships main_python).
    const python = join(appDir, 'ten_packages', 'extension', 'main_python');
    mkdirSync(python, { recursive: true });
    writeFileSync(join(python, 'manifest.json'), JSON.stringify({ type: 'extension', name: 'main_python', version: '0.1.0', dependencies: [{ type: 'system', name: 'ten_runtime_python', version: '0.11' }] }));
    const node = (name: string, addon: string) => ({ type: 'extension', name, addon });
    const graph = { nodes: [node('main', 'main_python'), node('ghost', 'no_such_addon'), node('ticker', 'data_generator')] };
    writeFileSync(join(appDir, 'property.json'), JSON.stringify({ ten: { predefined_graphs: [{ name: 'g', auto_start: true, graph }] } }));
    const events = join(appDir, 'events.jsonl');

    const refused = await cli(['run', appDir, '--duration', '5', '--events', events]);
    expect(refused.code, `${refused.stdout}\n${refused.stderr}`).toBe(1);
    expect(refused.stderr).toContain(
      "Run refused: 2 of the graph's 3 extension nodes cannot run here:\n" +
        '- main (main_python): it has no Python code to register its addon (addon.py or __init__.py)\n' +
        "- ghost (no_such_addon): not installed: neither a package of this app (ten_packages/extension) nor one of the studio's built-in addons\n" +
        'Nothing was started.',
    );
    // Before anything starts: no graph, no extension, not even the third node that could run.
    expect(refused.stdout).not.toMatch(/starting|created/);
    const end = readEvents(events);
    expect(end).toEqual([
      expect.objectContaining({ type: 'run_end', reason: 'start_failed', exit_code: 1, failures: [expect.stringContaining('main (main_python) cannot run here'), expect.stringContaining('ghost (no_such_addon) cannot run here')] }),
    ]);

    // A stand-in for one leaves the other to refuse the run; stand-ins for both let it run.
    const one = await cli(['run', appDir, '--duration', '5', '--stand-in', 'main=interface']);
    expect(one.code, `${one.stdout}\n${one.stderr}`).toBe(1);
    expect(one.stderr).toContain("Run refused: 1 of the graph's 3 extension nodes cannot run here:\n- ghost (no_such_addon)");
    const both = await cli(['run', appDir, '--duration', '0.5', '--stand-in', 'main=interface,ghost=interface']);
    expect(both.code, `${both.stdout}\n${both.stderr}`).toBe(0);
    expect(both.stdout).toContain('Stand-in: ghost (no_such_addon) runs as interface stand-in');
  });

  it('exits 2 with a clear message for an unknown graph', async () => {
    const { code, stderr } = await cli(['run', 'resources/examples/hello-pipeline', '--graph', 'nope']);
    expect(code).toBe(2);
    expect(stderr).toContain('has no predefined graph "nope" (graphs: hello_pipeline)');
  });
});

/** A port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('No TCP port available.');
  return address.port;
}
