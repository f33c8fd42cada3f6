// §3 routing: fan-out policies, isolation of copies, unconnected sends, explicit dests,
// default handlers, asynchronous same-group delivery, FIFO per path, loops, msg_conversion.
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, flow, graph, plain, probe } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.closeAndCheckLeaks();
  h = undefined;
});

const ok = (from: string) => ({ status: 0, detail: '', from, final: true, completed: true });

describe('fan-out result policies', () => {
  it('sendCmd to several destinations delivers the last OK (graph order) once all are final', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [probe('src', 'g0', { actions: [{ op: 'sendCmd', name: 'q' }] }), probe('d1', 'g1', { reply: { q: 'sleep:30' } }), probe('d2', 'g2'), probe('d3', 'g0')],
        [flow('src', 'cmd', 'q', ['d1', 'd2', 'd3'])],
      ),
    );
    const [r] = await h.report('src', 'result');
    expect(r.result).toEqual(ok('d3'));
    expect(r.error).toBeNull();
    expect(h.of('d1', 'cmd')).toHaveLength(1);
  });

  it('sendCmd delivers the first error at once and discards the rest', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [probe('src', 'g0', { actions: [{ op: 'sendCmd', name: 'q' }] }), probe('d1', 'g1', { reply: { q: 'none' } }), probe('d2', 'g2', { reply: { q: 'error' } })],
        [flow('src', 'cmd', 'q', ['d1', 'd2'])],
      ),
    );
    const [r] = await h.report('src', 'result');
    expect(r.result).toEqual({ status: 1, detail: 'error from d2', from: 'd2', final: true, completed: true });
  });

  it('sendCmdEx delivers every result; the one completing the group has isCompleted', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [probe('src', 'g0', { actions: [{ op: 'sendCmdEx', name: 'q' }] }), probe('d1', 'g1', { reply: { q: 'stream:2' } }), probe('d2', 'g0')],
        [flow('src', 'cmd', 'q', ['d1', 'd2'])],
      ),
    );
    const [r] = await h.report('src', 'results');
    const all = r.all as { result: { from: string; final: boolean; completed: boolean } }[];
    expect(all).toHaveLength(4);
    expect(all.filter((x) => x.result.completed)).toHaveLength(1);
    expect(all[all.length - 1].result.completed).toBe(true);
    expect(all.map((x) => x.result.from).sort()).toEqual(['d1', 'd1#0', 'd1#1', 'd2']);
    expect(all.filter((x) => !x.result.final).map((x) => x.result.from)).toEqual(['d1#0', 'd1#1']);
  });

  it('one destination: every result passes through and isCompleted equals isFinal', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph([probe('src', 'g0', { actions: [{ op: 'sendCmdEx', name: 'q' }] }), probe('d1', 'g1', { reply: { q: 'stream:2' } })], [flow('src', 'cmd', 'q', ['d1'])]),
    );
    const [r] = await h.report('src', 'results');
    const all = r.all as { result: { final: boolean; completed: boolean } }[];
    expect(all.map((x) => [x.result.final, x.result.completed])).toEqual([
      [false, false],
      [false, false],
      [true, true],
    ]);
  });

  it('fan-out copies are isolated: a receiver mutating its copy does not affect the others', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [
          probe('src', 'g0', { actions: [{ op: 'sendData', name: 'd', props: { v: 1 } }] }),
          probe('m1', 'g0', { mutateData: true }),
          probe('m2', 'g0', { mutateData: true }),
          probe('m3', 'g1', { mutateData: true }),
        ],
        [flow('src', 'data', 'd', ['m1', 'm2', 'm3'])],
      ),
    );
    for (const m of ['m1', 'm2', 'm3']) {
      const [d] = await h.report(m, 'data');
      expect(d.props).toMatchObject({ v: 1 });
      expect(d.props).not.toHaveProperty('mutated_by');
    }
  });
});

describe('destinations', () => {
  it('an unconnected send fails with MsgNotConnected and never calls the result handler', async () => {
    h = new Harness();
    await h.app.startGraph(graph([probe('src', 'g0', { actions: [{ op: 'sendCmd', name: 'nowhere' }, { op: 'sendData', name: 'void' }] })]));
    const [r] = await h.report('src', 'result');
    expect(r.result).toBeNull();
    expect(r.error).toEqual({ code: 7, message: "Failed to find destination of a 'cmd' message 'nowhere' from graph." });
    const [s] = await h.report('src', 'sent');
    expect(s.error).toEqual({ code: 7, message: "Failed to find destination of a 'data' message 'void' from graph." });
  });

  it('explicit dests win over the graph; an unknown destination gets "Failed to find destination."', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [
          probe('src', 'g0', {
            actions: [
              { op: 'sendCmd', name: 'x', dests: [{ extensionName: 'other' }] },
              { op: 'sendCmd', name: 'x', dests: [{ extensionName: 'ghost' }] },
            ],
          }),
          probe('wired', 'g1'),
          probe('other', 'g2'),
        ],
        [flow('src', 'cmd', 'x', ['wired'])],
      ),
    );
    const rs = await h.report('src', 'result', 2);
    expect(rs[0].result).toEqual(ok('other'));
    expect(rs[1].result).toMatchObject({ status: 1, detail: 'Failed to find destination.' });
    expect(h.of('wired', 'cmd')).toHaveLength(0);
  });

  it("default handlers follow TEN's Node.js binding: no onCmd never answers, no onData drops (and says so once)", async () => {
    h = new Harness({ unansweredAfterMs: 100 });
    await h.app.startGraph(
      graph(
        [
          probe('src', 'g0', { actions: [{ op: 'sendData', name: 'd', props: { k: 'v' } }, { op: 'sendCmd', name: 'c' }] }),
          plain('p', 'g1'),
          probe('sink', 'g2'),
        ],
        [flow('src', 'cmd', 'c', ['p']), flow('src', 'data', 'd', ['p']), flow('p', 'data', 'd', ['sink'])],
      ),
    );
    // Long before the 3-minute path timeout, the unanswered cmd is reported with who waits on whom.
    const events = h.events;
    const noResult = (e: (typeof events)[number]): boolean => e.type === 'log' && e.message.includes('has had no result');
    await h.until(() => events.some(noResult), 'the unanswered-cmd warning');
    const warn = events.find(noResult) as Extract<(typeof events)[number], { type: 'log' }>;
    expect(warn).toMatchObject({ extension: 'src', level: 3 });
    expect(warn.message).toMatch(/^cmd 'c' sent to 'p' has had no result for \d+ ms/);
    const sample = await h.app.sample();
    const exts = sample.graphs[0].groups.flatMap((g) => g.extensions);
    const src = exts.find((x) => x.extension === 'src')!;
    expect(src.waiting).toEqual([expect.objectContaining({ cmd: 'c', dest: 'p' })]);
    expect(src.waiting[0].ageMs).toBeGreaterThanOrEqual(100);
    const p = exts.find((x) => x.extension === 'p')!;
    expect(p.droppedNoHandler).toBe(1);
    expect(h.events.filter((e) => e.type === 'log' && e.extension === 'p' && e.message.includes('has no onData'))).toHaveLength(1);
    expect(h.of('sink', 'data')).toHaveLength(0);
    expect(h.of('src', 'result')).toHaveLength(0);
  });

  it('no handler runs inside a send: same-group data, cmds and results run on a later runloop task', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [
          probe('src', 'g0', {
            actions: [{ op: 'waitStarted', names: ['near'] }, { op: 'sendData', name: 'near' }, { op: 'sendData', name: 'far' }, { op: 'sendCmd', name: 'q' }],
          }),
          probe('near', 'g0'),
          probe('far', 'g1'),
        ],
        [flow('src', 'data', 'near', ['near']), flow('src', 'data', 'far', ['far']), flow('src', 'cmd', 'q', ['near'])],
      ),
    );
    const sent = await h.report('src', 'sent', 2);
    expect(sent.map((s) => [s.name, s.sync])).toEqual([
      ['near', false],
      ['far', false],
    ]);
    const [r] = await h.report('src', 'result');
    expect(r).toMatchObject({ sync: false, result: ok('near') });
    await h.report('near', 'data');
    await h.report('far', 'data');
  });

  it("TEN's send_data_nodejs pattern: state set after `await sendData` is there when the same-group answer arrives", async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [
          probe('client', 'g1', { actions: [{ op: 'sendCmd', name: 'test' }] }),
          probe('main', 'g0', { reply: { test: 'pingpong' } }),
          probe('echo', 'g0', { echoData: { ping: 'pong' } }),
        ],
        [flow('client', 'cmd', 'test', ['main']), flow('main', 'data', 'ping', ['echo']), flow('echo', 'data', 'pong', ['main'])],
      ),
    );
    const [r] = await h.report('client', 'result');
    expect(r.result).toEqual(ok('main'));
    expect(h.errors()).toEqual([]);
  });

  it('per-path FIFO holds with asynchronous delivery, in one group and across groups, data and cmds interleaved', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [
          probe('src', 'g0', { actions: [{ op: 'waitStarted', names: ['near'] }, { op: 'sendSeq', name: 's', ms: 500 }] }),
          probe('near', 'g0', { expectSeq: 500 }),
          probe('far', 'g1', { expectSeq: 500 }),
        ],
        [flow('src', 'data', 's', ['near', 'far']), flow('src', 'cmd', 's_mark', ['near', 'far'])],
      ),
    );
    for (const x of ['near', 'far']) {
      const [o] = await h.report(x, 'order');
      expect(o).toMatchObject({ inOrder: true, count: 500 });
      expect(o.marks).toEqual([50, 100, 150, 200, 250, 300, 350, 400, 450]);
    }
  });

  it('a cmd looping back to an extension gets a fresh id, and results unwind the loop', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [probe('x', 'g0', { actions: [{ op: 'sendCmd', name: 'loop' }] }), probe('a', 'g1', { reply: { loop: 'loop' } }), probe('b', 'g2', { reply: { loop: 'forward' } })],
        [flow('x', 'cmd', 'loop', ['a']), flow('a', 'cmd', 'loop', ['b']), flow('b', 'cmd', 'loop', ['a'])],
      ),
    );
    const [r] = await h.report('x', 'result');
    expect(r.result).toMatchObject({ status: 0, from: 'a<b<a' });
    expect(h.of('a', 'cmd')).toHaveLength(2);
  });

  it('msg_conversion renames the message and maps properties per destination', async () => {
    h = new Harness();
    const conversion = {
      type: 'per_property',
      rules: [
        { path: 'ten.name', conversion_mode: 'fixed_value', value: 'renamed' },
        { path: 'mapped', conversion_mode: 'from_original', original_path: 'orig' },
        { path: 'fixed', conversion_mode: 'fixed_value', value: 42 },
      ],
    };
    await h.app.startGraph(
      graph(
        [probe('src', 'g0', { actions: [{ op: 'sendData', name: 'd', props: { orig: 'o' } }] }), probe('conv', 'g1'), probe('same', 'g1')],
        [flow('src', 'data', 'd', [{ extension: 'conv', msg_conversion: conversion }, 'same'])],
      ),
    );
    const [c] = await h.report('conv', 'data');
    expect(c.name).toBe('renamed');
    expect(c.props).toEqual({ mapped: 'o', fixed: 42 });
    const [s] = await h.report('same', 'data');
    expect(s.name).toBe('d');
    expect(s.props).toMatchObject({ orig: 'o' });
  });

  it('audio frame buffers move to another group without copying', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph([probe('mic', 'g1', { actions: [{ op: 'sendAudio', name: 'pcm', ms: 1 << 20 }] }), probe('asr', 'g2')], [flow('mic', 'audio_frame', 'pcm', ['asr'])]),
    );
    const [sent] = await h.report('mic', 'sent_audio');
    expect(sent).toMatchObject({ error: null, bytesLeft: 0 });
    const [got] = await h.report('asr', 'audio');
    expect(got).toMatchObject({ name: 'pcm', bytes: 1 << 20, first: 7, sampleRate: 16000, samples: 1600 });
  });

  it('names and source flows route like their flattened forms', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [
          probe('src', 'g0', { actions: [{ op: 'sendCmd', name: 'x' }, { op: 'sendCmd', name: 'y' }, { op: 'sendData', name: 'pulled' }] }),
          probe('multi', 'g1'),
          probe('puller', 'g2'),
        ],
        [
          { extension: 'src', cmd: [{ names: ['x', 'y'], dest: [{ extension: 'multi' }] }] },
          { extension: 'puller', data: [{ name: 'pulled', source: [{ extension: 'src' }] }] },
        ],
      ),
    );
    const rs = await h.report('src', 'result', 2);
    expect(rs.map((r) => (r.result as { from: string }).from)).toEqual(['multi', 'multi']);
    const [d] = await h.report('puller', 'data');
    expect(d.name).toBe('pulled');
  });

  it('msg_conversion on a cmd converts its properties out and its result back', async () => {
    h = new Harness();
    const conversion = {
      type: 'per_property',
      rules: [{ path: 'renamed_arg', conversion_mode: 'from_original', original_path: 'arg' }],
      result: { type: 'per_property', rules: [{ path: 'from', conversion_mode: 'fixed_value', value: 'converted' }] },
    };
    await h.app.startGraph(
      graph(
        [probe('src', 'g0', { actions: [{ op: 'sendCmd', name: 'q', props: { arg: 1 } }] }), probe('conv', 'g1')],
        [flow('src', 'cmd', 'q', [{ extension: 'conv', msg_conversion: conversion }])],
      ),
    );
    const [c] = await h.report('conv', 'cmd');
    expect(c.props).toEqual({ renamed_arg: 1 });
    const [r] = await h.report('src', 'result');
    expect(r.result).toMatchObject({ status: 0, from: 'converted' });
  });
});

