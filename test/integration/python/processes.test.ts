// The Python processes of groups: spare interpreters (a start takes one started before it; never
// one of another environment; none left after close or after the host process ends), and
// debugging as TEN's TEN_ENABLE_PYTHON_DEBUG (a real debugpy that listens, a real client that
// attaches with debugpy's handshake, a port per process, the missing-debugpy error).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { graph, Harness } from '../runtime/harness';
import { pythonProcesses } from '../../../src/runtime/app/py_procs';
import type { RuntimeEvent } from '../../../src/runtime';
import type { TenExtensionNode } from '../../../src/shared/graph/types';
import { attachDebugger } from '../../fixtures/dap';
import { alive } from '../../fixtures/processes';

const PY_PACKAGES = resolve(import.meta.dirname, '../../fixtures/python/ten_packages/extension');
const hasDebugpy = spawnSync('python3', ['-c', 'import debugpy']).status === 0;

function py(name: string, group: string): TenExtensionNode {
  return { type: 'extension', name, addon: 'py_probe', extension_group: group, property: { probe: {} } };
}

const twoGroups = () => graph([py('a', 'ga'), py('b', 'gb')]);

let h: Harness | undefined;
afterEach(async () => {
  await h?.app.close();
  h = undefined;
});

/** The pid of each Python group's process, from a sample. */
async function groupPids(x: Harness): Promise<number[]> {
  const s = await x.app.sample();
  return s.graphs[0]!.groups.flatMap((g) => (g.python ? [g.python.pid] : [])).sort();
}

/** Resolves once the spares of the last spec are started and listening. */
async function sparesReady(n: number): Promise<number[]> {
  const spares = pythonProcesses.spareProcesses();
  expect(spares.length).toBe(n);
  await Promise.all(spares.map((p) => p.listening));
  return spares.map((p) => p.pid);
}

describe('spare Python interpreters', () => {
  it('a start takes the spare started when the last graph stopped; a new one follows the next stop; none is left after close', async () => {
    h = new Harness({ addonDirs: [PY_PACKAGES] });
    const first = await h.app.startGraph(graph([py('a', 'ga')]));
    const [firstPid] = await groupPids(h);
    await h.app.stopGraph(first);
    const [spare] = await sparesReady(1);
    expect(spare).not.toBe(firstPid);
    const second = await h.app.startGraph(graph([py('a', 'ga')]));
    // The group runs in the process started before this start: the spare.
    expect(await groupPids(h)).toEqual([spare]);
    expect(pythonProcesses.spareProcesses()).toEqual([]);
    await h.app.stopGraph(second);
    // And a new spare waits for the next start.
    const [next] = await sparesReady(1);
    expect(next).not.toBe(spare);
    expect(h.errors()).toEqual([]);
    await h.closeAndCheckLeaks();
    expect(pythonProcesses.spareProcesses()).toEqual([]);
    expect(alive(next!)).toBe(false);
    expect(alive(spare!)).toBe(false);
  });

  it('a spare started with another environment is not used, and is ended', async () => {
    h = new Harness({ addonDirs: [PY_PACKAGES] });
    await h.app.stopGraph(await h.app.startGraph(graph([py('a', 'ga')])));
    const [spare] = await sparesReady(1);
    const old = pythonProcesses.spareProcesses()[0]!;
    process.env.TEN_STUDIO_SPARE_TEST = 'other';
    try {
      const id = await h.app.startGraph(graph([py('a', 'ga')]));
      const [pid] = await groupPids(h);
      expect(pid).not.toBe(spare);
      await h.app.stopGraph(id);
      // The next spare is one of this environment; the old one ended.
      const [next] = await sparesReady(1);
      expect(next).not.toBe(spare);
      await new Promise<void>((r) => old.whenGone(r));
      await h.closeAndCheckLeaks();
      expect(alive(spare!)).toBe(false);
    } finally {
      delete process.env.TEN_STUDIO_SPARE_TEST;
    }
  });

  it('with sparePythons 0 no spare is kept', async () => {
    h = new Harness({ addonDirs: [PY_PACKAGES], sparePythons: 0 });
    await h.app.stopGraph(await h.app.startGraph(graph([py('a', 'ga')])));
    expect(pythonProcesses.spareProcesses()).toEqual([]);
    await h.closeAndCheckLeaks();
  });

  it('leaves no process when the host process ends without closing its app', async () => {
    const script = `
      import { App } from ${JSON.stringify(resolve(import.meta.dirname, '../../../src/runtime/index.ts'))};
      import { pythonProcesses } from ${JSON.stringify(resolve(import.meta.dirname, '../../../src/runtime/app/py_procs.ts'))};
      const app = new App({ addonDirs: [${JSON.stringify(PY_PACKAGES)}], sparePythons: 2 });
      const g = { graph: { nodes: [{ type: 'extension', name: 'a', addon: 'py_probe', extension_group: 'ga', property: { probe: {} } }] }, name: 't' };
      await app.stopGraph(await app.startGraph(g));
      // One of the two spares takes the group; the other waits.
      await app.startGraph(g);
      const s = await app.sample();
      const spares = pythonProcesses.spareProcesses();
      await Promise.all(spares.map((p) => p.listening));
      console.log(JSON.stringify([s.graphs[0].groups[0].python.pid, ...spares.map((p) => p.pid)]));
      process.kill(process.pid, 'SIGKILL');
    `;
    const dir = mkdtempSync(join(tmpdir(), 'ten-hostexit-'));
    const file = join(dir, 'host.mts');
    writeFileSync(file, script);
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise((r) => child.on('close', r));
    rmSync(dir, { recursive: true, force: true });
    const pids = JSON.parse(out.trim().split('\n').pop()!) as number[];
    expect(pids.length).toBe(2);
    // Both see the end of their link or stdin and exit: waited for, not timed.
    for (let i = 0; pids.some(alive) && i < 200; i++) await new Promise((r) => setTimeout(r, 50));
    expect(pids.filter(alive)).toEqual([]);
  });
});

describe('a process that cannot start', () => {
  it('fails the start with its exit and the end of its stderr, and leaves nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ten-badpy-'));
    try {
      // An interpreter that answers the version check but cannot run our host module.
      const exe = join(dir, 'python');
      writeFileSync(exe, '#!/bin/sh\nif [ "$1" = "-c" ]; then exec python3 "$@"; fi\necho "host module missing here" >&2\nexit 7\n', { mode: 0o755 });
      h = new Harness({ addonDirs: [PY_PACKAGES], python: exe });
      await expect(h.app.startGraph(graph([py('a', 'ga')]))).rejects.toThrow(`The Python process of group 'ga' (${exe}) could not start: it exited (exit code 7)\nstderr:\nhost module missing here`);
      await h.closeAndCheckLeaks();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!hasDebugpy)('debugging Python extensions (TEN_ENABLE_PYTHON_DEBUG)', () => {
  const debugEvents = (x: Harness) =>
    x.events.filter((e): e is Extract<RuntimeEvent, { type: 'log' }> => e.type === 'log' && e.category === 'python:debug');

  it('each process listens on its own port and waits for a client; a real debugpy client attaches; the graph then runs', async () => {
    h = new Harness({ addonDirs: [PY_PACKAGES], pythonDebug: { port: 5778 } });
    const x = h;
    const started = x.app.startGraph(twoGroups());
    await x.until(() => debugEvents(x).filter((e) => (e.fields as { state: string }).state === 'listening').length === 2, 'two debuggers listening');
    const listening = debugEvents(x).map((e) => e.fields as { group: string; host: string; port: number; pid: number; state: string });
    // The configured port for the first process, the next free one for the other.
    expect(listening.map((f) => f.port).sort()).toEqual([5778, 5779]);
    expect(listening.every((f) => f.host === '127.0.0.1' && f.pid > 0)).toBe(true);
    const msg = debugEvents(x).find((e) => (e.fields as { port: number }).port === 5778)!;
    expect(msg.message).toMatch(/^Group '(ga|gb)': Python debugger \(debugpy [\d.]+\) listening on 127\.0\.0\.1:5778 \(pid \d+\); waiting for a client to attach\.$/);
    expect(msg.level).toBe(2);
    // Nothing of the groups ran before a client attached.
    expect(x.phases('a')).toEqual([]);
    const sessions = await Promise.all([attachDebugger('127.0.0.1', 5778), attachDebugger('127.0.0.1', 5779)]);
    await started;
    await x.until(() => debugEvents(x).filter((e) => (e.fields as { state: string }).state === 'attached').length === 2, 'two debuggers attached');
    expect(debugEvents(x).find((e) => (e.fields as { state: string }).state === 'attached')!.message).toMatch(/Python debugger attached on 127\.0\.0\.1:577[89] \(pid \d+\)\.$/);
    await x.until(() => x.phases('b').includes('on_start_done'), 'b started');
    // The clients stay attached, as an IDE does: the processes still end with the graph.
    await x.closeAndCheckLeaks();
    for (const s of sessions) s.close();
  });

  it('a stop while a process waits for its debugger ends the start at once, leaving nothing', async () => {
    h = new Harness({ addonDirs: [PY_PACKAGES], pythonDebug: { port: 5788 } });
    const x = h;
    const started = x.app.startGraph(graph([py('a', 'ga')]));
    started.catch(() => undefined);
    await x.until(() => debugEvents(x).length === 1, 'the debugger listening');
    const pid = (debugEvents(x)[0]!.fields as { pid: number }).pid;
    await x.app.close();
    await expect(started).rejects.toThrow(/stopped while it started/);
    expect(alive(pid)).toBe(false);
    await x.closeAndCheckLeaks();
  });

  it('TEN_PYTHON_DEBUG_PORT that is not a port fails the start with a text that says so', async () => {
    process.env.TEN_ENABLE_PYTHON_DEBUG = 'true';
    process.env.TEN_PYTHON_DEBUG_PORT = 'abc';
    try {
      h = new Harness({ addonDirs: [PY_PACKAGES] });
      await expect(h.app.startGraph(graph([py('a', 'ga')]))).rejects.toThrow("TEN_PYTHON_DEBUG_PORT is 'abc', which is not a port (1 to 65535).");
      await h.closeAndCheckLeaks();
    } finally {
      delete process.env.TEN_ENABLE_PYTHON_DEBUG;
      delete process.env.TEN_PYTHON_DEBUG_PORT;
    }
  });
});

describe('debugging without debugpy', () => {
  let venv = '';
  afterAll(() => {
    if (venv) rmSync(venv, { recursive: true, force: true });
  });

  it('fails the start before anything runs, with the pip command for that interpreter', async () => {
    venv = mkdtempSync(join(tmpdir(), 'ten-nodebugpy-'));
    const made = spawnSync('python3', ['-m', 'venv', '--without-pip', venv]);
    expect(made.status).toBe(0);
    const exe = join(venv, 'bin', 'python');
    h = new Harness({ addonDirs: [PY_PACKAGES], python: exe, pythonDebug: true });
    await expect(h.app.startGraph(graph([py('a', 'ga')]))).rejects.toThrow(
      `Python debugging is on, but debugpy is not installed for '${exe}'. Install it with: ${exe} -m pip install debugpy`,
    );
    expect(h.phases('a')).toEqual([]);
    await h.closeAndCheckLeaks();
  });
});
