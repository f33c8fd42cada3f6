// §4 schemas: in-schema on receive (ERROR result with TEN's text), out-schema on send (the call
// fails, nothing is delivered), the extension's own properties at on_configure_done.
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, flow, graph, probe } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.closeAndCheckLeaks();
  h = undefined;
});

describe('schemas', () => {
  it('a cmd violating the receiver in-schema gets an ERROR result with the validation text; the handler never runs', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [
          probe('a', 'g1', {
            actions: [
              { op: 'sendCmd', name: 'strict', props: { n: 1 } },
              { op: 'sendCmd', name: 'strict', props: { n: 1232, who: 'x' } },
              { op: 'sendCmd', name: 'strict', props: { n: 5, who: 'ok' } },
            ],
          }),
          probe('b', 'g2'),
        ],
        [flow('a', 'cmd', 'strict', ['b'])],
      ),
    );
    const rs = await h.report('a', 'result', 3);
    expect(rs.map((r) => (r.result as { status: number; detail: string }).detail)).toEqual([
      "the required properties are absent: 'who'",
      '.n: out of range of int8',
      '',
    ]);
    expect(rs.map((r) => (r.result as { status: number }).status)).toEqual([1, 1, 0]);
    expect(h.of('b', 'cmd')).toHaveLength(1);
  });

  it('a send violating the sender out-schema fails at once and delivers nothing', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [probe('a', 'g1', { actions: [{ op: 'sendCmd', name: 'checked_out', props: { n: 1232 } }, { op: 'sendCmd', name: 'checked_out', props: { n: 3 } }] }), probe('b', 'g2')],
        [flow('a', 'cmd', 'checked_out', ['b'])],
      ),
    );
    const rs = await h.report('a', 'result', 2);
    expect(rs[0]).toMatchObject({ result: null, error: { code: 1, message: '.n: out of range of int8' } });
    expect(rs[1]).toMatchObject({ error: null, result: { status: 0, from: 'b' } });
    expect(h.of('b', 'cmd')).toHaveLength(1);
  });

  it('invalid extension properties fail the graph start cleanly at on_configure_done', async () => {
    h = new Harness();
    await h.app.startGraph(graph([probe('bad', 'g1', {}, { level: 1232 }), probe('good', 'g2')]));
    await h.until(() => h!.events.some((e) => e.type === 'graph' && e.state === 'stopped'), 'the graph stopped');
    expect(h.events.find((e) => e.type === 'graph' && e.state === 'start_failed')).toMatchObject({
      detail: "Extension 'bad' has invalid properties: .level: out of range of int8",
    });
    expect(h.errors()[0]).toMatchObject({ extension: 'bad', phase: 'on_configure_done' });
  });

  it('incoming data violating the in-schema is dropped with a warning; an incoming result is forced to ERROR', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [
          probe('a', 'g1', { actions: [{ op: 'sendData', name: 'typed', props: { v: 1000 } }, { op: 'sendData', name: 'typed', props: { v: 1 } }, { op: 'sendCmd', name: 'checked_result' }] }),
          probe('b', 'g2'),
        ],
        [flow('a', 'data', 'typed', ['b']), flow('a', 'cmd', 'checked_result', ['b'])],
      ),
    );
    const [r] = await h.report('a', 'result');
    // b answers with from: "b", which is not an int8 per a's cmd_out result schema.
    expect(r.result).toMatchObject({ status: 1, from: 'b' });
    expect((r.result as { detail: string }).detail).toMatch(/from/);
    const data = await h.report('b', 'data');
    expect(data.map((d) => (d.props as { v: number }).v)).toEqual([1]);
    await h.until(() => h!.events.some((e) => e.type === 'log' && e.extension === 'b' && e.message.startsWith("Dropped data 'typed'")), 'the warning');
  });
});

