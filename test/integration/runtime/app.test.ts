// App-level behaviour: ten:timer, start_graph/stop_graph from an extension, cross-graph cmds,
// and the telemetry sample.
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, flow, graph, probe } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.closeAndCheckLeaks();
  h = undefined;
});

describe('app', () => {
  it('ten:timer answers OK and sends ten:timeout cmds back `times` times', async () => {
    h = new Harness();
    await h.app.startGraph(graph([probe('a', 'g1', { actions: [{ op: 'timer', ms: 5, times: 3 }] })]));
    expect((await h.report('a', 'result'))[0].result).toMatchObject({ status: 0 });
    const ticks = await h.report('a', 'cmd', 3);
    expect(ticks.map((t) => [t.name, t.props])).toEqual(Array(3).fill(['ten:timeout', { timer_id: 7 }]));
  });

  it('ten:timer takes ids and timeouts beyond 2^53 (bigint) as they are', async () => {
    h = new Harness();
    // Two ids a double cannot tell apart; uint64 max microseconds, TEN's "never", is clamped to
    // the longest delay a Node timer takes, so it does not fire during the test.
    const timer = (id: string, us: string) => ({ op: 'timer', json: `{"timer_id":${id},"timeout_us":${us},"times":1}` });
    await h.app.startGraph(
      graph([
        probe('a', 'g1', {
          actions: [timer('9007199254740993', '18446744073709551615'), timer('9007199254740995', '5000'), timer('9007199254740997', '5000')],
        }),
      ]),
    );
    expect((await h.report('a', 'result', 3)).map((r) => r.result)).toMatchObject(Array(3).fill({ status: 0 }));
    const ticks = await h.report('a', 'cmd', 2);
    expect(ticks.map((t) => [t.name, t.json]).sort()).toEqual([
      ['ten:timeout', '{"timer_id":9007199254740995}'],
      ['ten:timeout', '{"timer_id":9007199254740997}'],
    ]);
  });

  it('starts and stops a predefined graph from an extension, and sends a cmd into it', async () => {
    h = new Harness({
      property: {
        ten: {
          predefined_graphs: [{ name: 'other', graph: { nodes: [probe('b', 'gb')] } }],
        },
      },
    });
    await h.app.startGraph(
      graph([
        probe('a', 'g1', {
          actions: [
            { op: 'startGraph', graph: 'other' },
            { op: 'sendCmd', name: 'across', dests: [{ graphId: '$last', extensionName: 'b' }] },
            { op: 'sendCmd', name: 'lost', dests: [{ graphId: 'no-such-graph', extensionName: 'b' }] },
            { op: 'stopGraph', graph: '$last' },
            { op: 'stopGraph', graph: 'no-such-graph' },
          ],
        }),
      ]),
    );
    const rs = await h.report('a', 'result', 5);
    expect(rs[0]).toMatchObject({ name: 'ten:start_graph', result: { status: 0 } });
    expect(rs[0].graphId).toMatch(/^[0-9a-f-]{36}$/);
    expect(rs[1].result).toMatchObject({ status: 0, from: 'b' });
    expect(rs[2].result).toMatchObject({ status: 1, detail: 'Graph not found.' });
    // TEN's answer, sent once the other graph has closed.
    expect(rs[3].result).toMatchObject({ status: 0, detail: 'close engine done' });
    expect(rs[4].result).toMatchObject({ status: 1, detail: 'Failed to find the engine to be shut down.' });
    expect(h.app.graphs()).toHaveLength(1);
  });

  it('a singleton predefined graph is started on demand when a message names it; its name resolves to its graph id', async () => {
    h = new Harness({
      property: {
        ten: {
          predefined_graphs: [
            { name: 'default', singleton: true, auto_start: false, graph: { nodes: [probe('b', 'gb')] } },
            { name: 'not_singleton', auto_start: false, graph: { nodes: [probe('c', 'gc')] } },
          ],
        },
      },
    });
    const main = await h.app.startGraph(
      graph([
        probe('a', 'g1', {
          actions: [
            { op: 'sendCmd', name: 'first', dests: [{ graphId: 'default', extensionName: 'b' }] },
            { op: 'sendCmd', name: 'second', dests: [{ graphId: 'default', extensionName: 'b' }] },
            { op: 'sendCmd', name: 'nope', dests: [{ graphId: 'not_singleton', extensionName: 'c' }] },
          ],
        }),
      ]),
    );
    const rs = await h.report('a', 'result', 3);
    expect(rs[0].result).toMatchObject({ status: 0, from: 'b' });
    expect(rs[1].result).toMatchObject({ status: 0, from: 'b' });
    expect(rs[2].result).toMatchObject({ status: 1, detail: 'Graph not found.' });
    // Started once, on the first message; the second found it running.
    const started = h.events.filter((e) => e.type === 'graph' && e.state === 'started' && e.graphId !== main);
    expect(started).toEqual([expect.objectContaining({ name: 'default' })]);
    expect(h.app.graphs()).toHaveLength(2);
    expect(h.of('b', 'cmd').map((c) => c.name)).toEqual(['first', 'second']);
  });

  it("a graph started with start_graph talks to its starter through its exposed_messages (TEN's graph proxy)", async () => {
    h = new Harness();
    const inner = {
      nodes: [probe('x', 'gx', { reply: { start: 'data:from_new_graph' } })],
      exposed_messages: [
        { type: 'cmd_in', name: 'start', extension: 'x' },
        { type: 'data_out', name: 'from_new_graph', extension: 'x' },
      ],
    };
    await h.app.startGraph(
      graph([
        probe('starter', 'g1', {
          actions: [
            { op: 'startGraph', json: JSON.stringify(inner) },
            // Addressed to the graph, not to an extension: its graph proxy takes it to `x`.
            { op: 'sendCmd', name: 'start', dests: [{ graphId: '$last' }] },
          ],
        }),
      ]),
    );
    const rs = await h.report('starter', 'result', 2);
    expect(rs[0].result).toMatchObject({ status: 0 });
    expect(rs[1].result).toMatchObject({ status: 0, from: 'x' });
    // `x` sent its exposed data_out along its graph: the proxy took it to the starter.
    const [d] = await h.report('starter', 'data');
    expect(d.name).toBe('from_new_graph');
    expect(h.of('x', 'cmd')).toEqual([expect.objectContaining({ name: 'start' })]);
  });

  it('samples runloop and extension counters without touching the message path', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph([probe('a', 'g1', { actions: [{ op: 'sendCmd', name: 'q' }, { op: 'sendCmd', name: 'q' }] }), probe('b', 'g2')], [flow('a', 'cmd', 'q', ['b'])]),
    );
    await h.report('a', 'result', 2);
    const s = await h.app.sample();
    const groups = s.graphs[0].groups;
    const b = groups.flatMap((g) => g.extensions).find((x) => x.extension === 'b')!;
    expect(b.inByName).toEqual({ q: 2 });
    expect(b.msgsOut).toBe(2);
    const g2 = groups.find((g) => g.group === 'g2')!;
    expect(g2.runloop.tasksRun).toBeGreaterThan(0);
    expect(g2.runloop.drains).toBeGreaterThan(0);
  });

  it('runs a predefined graph given by import_uri (relative to the app folder)', async () => {
    h = new Harness({ property: { ten: { predefined_graphs: [{ name: 'imp', graph: { import_uri: 'graphs/imported.json' } }] } } });
    await h.app.startGraph('imp');
    const [r] = await h.report('imp_a', 'result');
    expect(r.result).toMatchObject({ status: 0, from: 'imp_b' });
  });

  it('a sample does not wait for a group stuck in a callback: it is listed as unresponsive', async () => {
    h = new Harness({ stopTimeoutMs: 300 });
    await h.app.startGraph(graph([probe('busy', 'g1', { actions: [{ op: 'spin', ms: 4000 }] }), probe('idle', 'g2')]));
    await h.report('busy', 'spinning');
    const s = await h.app.sample();
    expect(s.graphs[0].unresponsive).toEqual(['g1']);
    expect(s.graphs[0].groups.map((g) => g.group)).toEqual(['g2']);
  });
});

