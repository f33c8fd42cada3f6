// Engine-authorised local delivery between Python extensions of one process (docs/python.md, "The
// local path"): the TypeScript engine hands the process a route table for data and frames it
// declares eligible; everything else, and everything while tracing or the text tap is on, goes
// through the group thread. Real Python processes; no timed assertions (samples are polled until
// the counters Python reports every 250 ms arrive).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flow, graph, Harness } from '../runtime/harness';
import type { TenExtensionNode } from '../../../src/shared/graph/types';
import type { ExtensionCounters, GroupSample, TraceRecord } from '../../../src/runtime/core/protocol';

const PY_PACKAGES = resolve(import.meta.dirname, '../../fixtures/python/ten_packages/extension');

function py(name: string, group: string, cfg: Record<string, unknown> = {}): TenExtensionNode {
  return { type: 'extension', name, addon: 'py_probe', extension_group: group, property: { probe: cfg } };
}

let h: Harness;
const dirs: string[] = [];
afterEach(async () => {
  await h?.app.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function harness(opts: ConstructorParameters<typeof Harness>[0] = {}): Harness {
  h = new Harness({ addonDirs: [PY_PACKAGES], ...opts });
  return h;
}

async function pyGroup(group = 'py'): Promise<GroupSample> {
  return (await h.app.sample()).graphs[0].groups.find((g) => g.group === group)!;
}

/** Samples until `pred` holds (Python's own counters arrive every 250 ms). */
/**
 * The Python group's sample once `pred` holds; a sample taken before the group's process reported
 * its counters (under load the first samples can list the group without them) does not count.
 */
async function sampleUntil(pred: (g: GroupSample & { python: NonNullable<GroupSample['python']> }) => boolean, what: string): Promise<GroupSample> {
  for (let i = 0; i < 400; i++) {
    const g = await pyGroup();
    if (g.python !== undefined && pred(g as GroupSample & { python: NonNullable<GroupSample['python']> })) return g;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

const N = 20;
const CHAIN = graph(
  [py('src', 'py', { actions: [{ op: 'send_data', name: 'd', times: N, seq: true }] }), py('a', 'py', { forward: true }), py('b', 'py', { forward: true }), py('c', 'py')],
  [flow('src', 'data', 'd', ['a']), flow('a', 'data', 'd', ['b']), flow('b', 'data', 'd', ['c'])],
);

/** The counters a user sees per node, without what differs run to run (times, states). */
function userCounters(x: ExtensionCounters): Partial<ExtensionCounters> {
  return { extension: x.extension, msgsIn: x.msgsIn, msgsOut: x.msgsOut, inByName: x.inByName, outByName: x.outByName, outByDest: x.outByDest, pending: x.pending };
}

async function runChain(): Promise<{ counters: Partial<ExtensionCounters>[]; local: number; seq: unknown[] }> {
  await h.app.startGraph(CHAIN);
  const got = await h.report('c', 'data', N);
  const g = await sampleUntil((s) => s.extensions.find((x) => x.extension === 'c')!.msgsIn === N, 'c to count its data');
  const counters = g.extensions.map(userCounters).sort((p, q) => p.extension!.localeCompare(q.extension!));
  expect(h.errors()).toEqual([]);
  await h.closeAndCheckLeaks();
  return { counters, local: g.python!.localMsgs, seq: got.map((d) => (d.props as { i: number }).i) };
}

describe('the local path between Python extensions of one process', () => {
  it('carries data between them in order, and the counters per node and edge are those of the engine path', async () => {
    harness();
    const local = await runChain();
    // Three hops of N messages each stayed in the process.
    expect(local.local).toBe(3 * N);
    expect(local.seq).toEqual(Array.from({ length: N }, (_, i) => i));
    // The text tap (recordings of text) needs every send through the engine: no local path.
    harness({ textTap: true });
    const engine = await runChain();
    expect(engine.local).toBe(0);
    expect(engine.seq).toEqual(local.seq);
    expect(local.counters).toEqual(engine.counters);
    expect(local.counters.find((x) => x.extension === 'a')).toMatchObject({ msgsIn: N, msgsOut: N, inByName: { d: N }, outByName: { d: N }, outByDest: { b: N } });
  });

  it('keeps FIFO per path: a cmd and data to one destination arrive in send order; an explicit cmd ends the local path of that pair', async () => {
    harness();
    await h.app.startGraph(
      graph(
        [
          py('a', 'py', {
            actions: [
              { op: 'send_cmd', name: 'c1' },
              { op: 'send_data', name: 'd1' },
              { op: 'send_cmd', name: 'c2' },
              { op: 'send_data', name: 'd2' },
              // To e: data along the graph (eligible), a cmd by explicit dest, data again.
              { op: 'send_data', name: 'x' },
              { op: 'send_cmd', name: 'y', dest: 'e' },
              { op: 'send_data', name: 'x' },
            ],
          }),
          py('b', 'py', { reply: { c1: 'ok', c2: 'ok' } }),
          py('e', 'py', { reply: { y: 'ok' } }),
        ],
        [flow('a', 'cmd', 'c1', ['b']), flow('a', 'cmd', 'c2', ['b']), flow('a', 'data', 'd1', ['b']), flow('a', 'data', 'd2', ['b']), flow('a', 'data', 'x', ['e'])],
      ),
    );
    await h.report('b', 'data', 2);
    await h.report('e', 'data', 2);
    const order = (ext: string) => h.of(ext).filter((r) => r.kind === 'cmd' || r.kind === 'data').map((r) => r.name);
    expect(order('b')).toEqual(['c1', 'd1', 'c2', 'd2']);
    expect(order('e')).toEqual(['x', 'y', 'x']);
    // a → b has a cmd route: never local. a → e: the first x only.
    const g = await sampleUntil((s) => s.python.localMsgs >= 1, 'the local count');
    expect(g.python!.localMsgs).toBe(1);
    expect(h.errors()).toEqual([]);
    await h.closeAndCheckLeaks();
  });

  it('gives each destination of a flow its own copy, tells the error handler the send went, and takes sends from threads in order', async () => {
    harness();
    await h.app.startGraph(
      graph(
        [
          py('a', 'py', {
            actions: [
              { op: 'send_data', name: 'd', buf: '00ff10', props: { s: 'é' }, handler: true },
              { op: 'thread_send', name: 't', times: 5 },
            ],
          }),
          // b inverts the buffer in place (lock_buf) before c sees its copy.
          py('b', 'py', { forward: true, flip: true }),
          py('c', 'py'),
          py('sink', 'py'),
        ],
        [flow('a', 'data', 'd', ['b', 'c']), flow('b', 'data', 'd', ['sink']), flow('a', 'data', 't', ['c'])],
      ),
    );
    const [sent] = await h.report('a', 'send_error');
    expect(sent).toMatchObject({ name: 'd', error: null });
    const [flipped] = await h.report('sink', 'data');
    expect(flipped).toMatchObject({ buf: 'ff00ef', props: { s: 'é' }, from: 'b' });
    await h.report('c', 'data', 6);
    const atC = h.of('c', 'data');
    expect(atC.find((r) => r.name === 'd')).toMatchObject({ buf: '00ff10', props: { s: 'é' }, from: 'a' });
    expect(atC.filter((r) => r.name === 't').map((r) => (r.props as { i: number }).i)).toEqual([0, 1, 2, 3, 4]);
    const g = await sampleUntil((s) => s.python.localMsgs >= 8, 'the local count');
    expect(g.python!.localMsgs).toBe(8);
    expect(g.extensions.find((x) => x.extension === 'a')).toMatchObject({ msgsOut: 7, outByDest: { b: 1, c: 6 }, outByName: { d: 2, t: 5 } });
    expect(h.errors()).toEqual([]);
    await h.closeAndCheckLeaks();
  });

  it('holds local deliveries to an extension until its on_init_done, as the engine does', async () => {
    harness();
    await h.app.startGraph(
      graph([py('a', 'py', { actions: [{ op: 'send_data', name: 'd', times: 3, seq: true }] }), py('b', 'py', { init_done_after_ms: 300 })], [flow('a', 'data', 'd', ['b'])]),
    );
    await h.report('b', 'data', 3);
    const seen = h.of('b').filter((r) => r.kind === 'init_done' || r.kind === 'data').map((r) => (r.kind === 'data' ? (r.props as { i: number }).i : r.kind));
    expect(seen).toEqual(['init_done', 0, 1, 2]);
    const g = await sampleUntil((s) => s.python.localMsgs >= 3, 'the local count');
    expect(g.python!.localMsgs).toBe(3);
    expect(h.errors()).toEqual([]);
    await h.closeAndCheckLeaks();
  });

  it('is withdrawn while tracing is on (every step traced) and given back when it is off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'py-local-'));
    dirs.push(dir);
    const go = join(dir, 'go');
    harness();
    const graphId = await h.app.startGraph(
      graph(
        [py('a', 'py', { actions: [{ op: 'after_file', path: go, actions: [{ op: 'send_data', name: 'd', times: 5, seq: true }] }] }), py('b', 'py')],
        [flow('a', 'data', 'd', ['b'])],
      ),
    );
    // Every delivery from a to b is traced (trace batches are not harness events: counted here).
    let delivered = 0;
    let fiveTraced!: () => void;
    const five = new Promise<void>((r) => (fiveTraced = r));
    h.app.onTrace((_g, records: TraceRecord[]) => {
      for (const r of records) if (r.stage === 'delivered' && r.src === 'a' && r.dest === 'b' && ++delivered === 5) fiveTraced();
    });
    await sampleUntil((s) => s.python.localRoutes > 0, 'the route table');
    h.app.setTrace(graphId, { edges: [{ src: 'a' }], sampleEvery: 1 });
    await sampleUntil((s) => s.python.localRoutes === 0, 'the route table to be withdrawn');
    writeFileSync(go, '');
    await h.report('b', 'data', 5);
    await five;
    expect((await sampleUntil(() => true, "the group's Python counters")).python!.localMsgs).toBe(0);
    h.app.setTrace(graphId, null);
    await sampleUntil((s) => s.python.localRoutes > 0, 'the route table back');
    expect(h.errors()).toEqual([]);
    await h.closeAndCheckLeaks();
  });
});
