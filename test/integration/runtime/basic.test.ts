// Cmd round trips within and across groups, the full lifecycle, and a clean close.
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, graph, probe } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.closeAndCheckLeaks();
  h = undefined;
});

describe('runtime basics', () => {
  it('runs a cmd across groups and in the same group, through all lifecycle phases', async () => {
    h = new Harness();
    const id = await h.app.startGraph(
      graph(
        [
          probe('a', 'g1', { actions: [{ op: 'sendCmd', name: 'hello' }, { op: 'sendCmd', name: 'local' }] }),
          probe('b', 'g2'),
          probe('c', 'g1'),
        ],
        [{ extension: 'a', cmd: [{ name: 'hello', dest: [{ extension: 'b' }] }, { name: 'local', dest: [{ extension: 'c' }] }] }],
      ),
    );
    const results = await h.report('a', 'result', 2);
    expect(results.map((r) => r.result)).toEqual([
      { status: 0, detail: '', from: 'b', final: true, completed: true },
      { status: 0, detail: '', from: 'c', final: true, completed: true },
    ]);
    await h.app.stopGraph(id);
    for (const ext of ['a', 'b', 'c']) {
      expect(h.phases(ext)).toEqual([
        'created',
        'on_configure',
        'on_configure_done',
        'on_init',
        'on_init_done',
        'on_start',
        'on_start_done',
        'on_stop',
        'on_stop_done',
        'on_deinit',
        'on_deinit_done',
      ]);
    }
    expect(h.errors()).toEqual([]);
  });

  it('a graph whose addon fails to load or is missing rejects startGraph with a readable error, leaving nothing behind', async () => {
    h = new Harness();
    await expect(h.app.startGraph(graph([probe('ok', 'g1'), { type: 'extension', name: 'bad', addon: 'broken', extension_group: 'g2' }]))).rejects.toThrow(
      /broken package: failed at import/,
    );
    await expect(h.app.startGraph(graph([{ type: 'extension', name: 'x', addon: 'nope' }]))).rejects.toThrow('The following packages are declared in nodes but not installed: [("", Extension, "nope")].');
    expect(h.app.graphs()).toEqual([]);
  });

  it("loads a package's built main when it exists (JavaScript importing ten-runtime-nodejs)", async () => {
    h = new Harness();
    await h.app.startGraph(
      graph([probe('a', 'g1', { actions: [{ op: 'sendCmd', name: 'q' }] }), { type: 'extension', name: 'pre', addon: 'prebuilt', extension_group: 'g2' }], [
        { extension: 'a', cmd: [{ name: 'q', dest: [{ extension: 'pre' }] }] },
      ]),
    );
    const [r] = await h.report('a', 'result');
    expect(r.result).toMatchObject({ status: 0, from: 'built main' });
  });
});

