// Python in the studio's runs (each run its own App): the host keeps a spare interpreter between
// runs, so the next run's Python group takes a process started before it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../../src/host';
import { startServer, type RunningServer } from '../../../src/main/server';
import { pythonProcesses } from '../../../src/runtime/app/py_procs';
import type { GraphDocument, RunInfo } from '../../../src/shared';
import { connect, resultOf, type TestClient } from './wsClient';
import { batches, waitFor } from './runStream';

let host: Host;
let server: RunningServer;
let tmp: string;
let c: TestClient;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ten-studio-pyruns-'));
  await writeFile(join(tmp, 'index.html'), '<!doctype html><title>studio</title>');
  host = new Host({ resourcesDir: resolve('resources'), version: '0.0.0-test', dataDir: join(tmp, 'data') });
  server = await startServer({ host, rendererDir: tmp, port: 0 });
  c = await connect(server);
});

afterAll(async () => {
  c.close();
  await host.dispose();
  await server.close();
  await rm(tmp, { recursive: true, force: true });
});

/** The pid of the run's Python process, as its telemetry shows it on the node. */
function pythonPid(runId: string): number | undefined {
  for (const b of batches(c.events, runId)) {
    for (const m of b.metrics) for (const g of m.graphs) for (const x of g.extensions) if (x.extension === 'greeter' && x.pythonPid) return x.pythonPid;
  }
  return undefined;
}

describe('Python runs in the studio host', () => {
  it('the next run takes the spare interpreter the host started when the last run stopped; none is left when the host ends', async () => {
    const doc = resultOf<GraphDocument>(await c.call('openExample', { id: 'python-and-typescript' }));
    const first = resultOf<RunInfo>(await c.call('startRun', { document: doc }));
    const firstPid = await waitFor("the first run's Python pid", () => pythonPid(first.runId));
    resultOf<RunInfo>(await c.call('stopRun', { runId: first.runId }));
    // The run's App is closed; the host's lease keeps a spare for the next run.
    const spare = await waitFor('a spare', () => pythonProcesses.spareProcesses()[0]);
    await spare.listening;
    expect(spare.pid).not.toBe(firstPid);
    const second = resultOf<RunInfo>(await c.call('startRun', { document: doc }));
    expect(await waitFor("the second run's Python pid", () => pythonPid(second.runId))).toBe(spare.pid);
    resultOf<RunInfo>(await c.call('stopRun', { runId: second.runId }));
    const next = await waitFor('the next spare', () => pythonProcesses.spareProcesses()[0]);
    await host.dispose();
    expect(pythonProcesses.spareProcesses()).toEqual([]);
    expect(next.exited).not.toBeNull();
  }, 120_000);
});
