// Python extensions on the studio's runtime, through real Python processes: a group's Python
// extensions run in `python -m ten_studio_py.host`, TypeScript stays the routing authority.
// Python probes (test/fixtures/python) report as `probe` log events; TypeScript probes (the
// runtime fixtures) on their BroadcastChannel; both arrive in Harness.reports.
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flow, graph, Harness, probe } from '../runtime/harness';
import type { TenExtensionNode } from '../../../src/shared/graph/types';

const PY_PACKAGES = resolve(import.meta.dirname, '../../fixtures/python/ten_packages/extension');

function py(name: string, group: string, cfg: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): TenExtensionNode {
  return { type: 'extension', name, addon: 'py_probe', extension_group: group, property: { probe: cfg, ...extra } };
}

let h: Harness;
afterEach(async () => {
  await h?.app.close();
});

function harness(opts: ConstructorParameters<typeof Harness>[0] = {}): Harness {
  h = new Harness({ addonDirs: [PY_PACKAGES], ...opts });
  return h;
}

describe('Python extensions', () => {
  it('run the whole lifecycle and answer cmds from a TypeScript extension of another group', async () => {
    harness();
    const graphId = await h.app.startGraph(
      graph(
        [py('echo', 'py', { reply: { hello: 'hi from python' } }), probe('ts', 'ts', { actions: [{ op: 'sendCmd', name: 'hello', props: { n: 1 } }] })],
        [flow('ts', 'cmd', 'hello', ['echo'])],
      ),
    );
    const [r] = await h.report('ts', 'result');
    expect(r.result).toMatchObject({ status: 0, detail: 'hi from python' });
    const [cmd] = await h.report('echo', 'cmd');
    // Its whole source (a cmd from the same graph travels without app and graph: the process fills them in).
    expect(cmd).toMatchObject({ name: 'hello', props: { n: 1 }, from: 'ts', src: [h.app.uri, graphId] });
    await h.app.close();
    expect(h.phases('echo')).toEqual(['created', 'on_configure', 'on_configure_done', 'on_init', 'on_init_done', 'on_start', 'on_start_done', 'on_stop', 'on_stop_done', 'on_deinit', 'on_deinit_done']);
    expect(h.errors()).toEqual([]);
    await h.closeAndCheckLeaks();
  });

  it('mix with TypeScript extensions in one group: data goes TS → Python → TS with buffers and frames intact', async () => {
    harness();
    await h.app.startGraph(
      graph(
        [
          probe('src', 'mixed', { actions: [{ op: 'sendData', name: 'd', props: { x: 1.5, s: 'ü' } }, { op: 'sendAudio', name: 'pcm', ms: 640 }] }),
          py('py', 'mixed', { forward: true }),
          probe('sink', 'mixed'),
        ],
        [flow('src', 'data', 'd', ['py']), flow('src', 'audio_frame', 'pcm', ['py']), flow('py', 'data', 'd', ['sink']), flow('py', 'audio_frame', 'pcm', ['sink'])],
      ),
    );
    const [d] = await h.report('sink', 'data');
    expect(d.props).toMatchObject({ x: 1.5, s: 'ü' });
    const [a] = await h.report('sink', 'audio');
    expect(a).toMatchObject({ name: 'pcm', bytes: 640, first: 7, sampleRate: 16000, samples: 1600 });
    const [seen] = await h.report('py', 'audio_frame');
    expect(seen.audio).toEqual([16000, 2, 1600, 1, 1, 0, expect.any(Number), false]);
    await h.closeAndCheckLeaks();
  });

  it('take messages from TypeScript extensions of their group without a runloop turn each, in order', async () => {
    harness();
    // 200 data and 4 cmds in one burst from a TS extension to a Python extension of its group.
    await h.app.startGraph(
      graph(
        [probe('src', 'mixed', { actions: [{ op: 'sendSeq', name: 'd', ms: 200 }] }), py('py', 'mixed', { reply: { d_mark: 'ok' } })],
        [flow('src', 'data', 'd', ['py']), flow('src', 'cmd', 'd_mark', ['py'])],
      ),
    );
    const seen = await h.report('py', 'data', 200);
    expect(seen.map((d) => (d.props as { seq: number }).seq)).toEqual([...Array(200).keys()]);
    await h.report('py', 'cmd', 4);
    const group = (await h.app.sample()).graphs[0].groups.find((g) => g.group === 'mixed')!;
    // The process is the Python extension's queue: each message went to it from the send (a
    // record in the next frame), not through a runloop task of its own. The runloop ran the
    // lifecycle, the 4 results and the probe's own tasks.
    expect(group.runloop.tasksRun).toBeLessThan(100);
    expect(h.errors()).toEqual([]);
    await h.closeAndCheckLeaks();
  });

  it('send buffers and frames between Python processes through TypeScript: bytes, audio fields, uint64 exact', async () => {
    harness();
    await h.app.startGraph(
      graph(
        [
          py('py', 'py', { actions: [{ op: 'send_data', name: 'd', buf: '00ff10', props: { s: 'é', big: 18446744073709551615n } }, { op: 'send_audio', name: 'pcm', buf: '0102030405060708' }] }),
          py('echo', 'py2', { forward: true, flip: true }),
          py('sink', 'py3'),
        ],
        [flow('py', 'data', 'd', ['echo']), flow('py', 'audio_frame', 'pcm', ['echo']), flow('echo', 'data', 'd', ['sink']), flow('echo', 'audio_frame', 'pcm', ['sink'])],
      ),
    );
    const [d] = await h.report('sink', 'data');
    // `flip` inverted the bytes in place through lock_buf (a writable view, no copy).
    expect(d).toMatchObject({ name: 'd', buf: 'ff00ef', props: { s: 'é', big: 18446744073709551615n }, from: 'echo' });
    const [a] = await h.report('sink', 'audio_frame');
    expect(a).toMatchObject({ buf: 'fefdfcfbfaf9f8f7', audio: [16000, 2, 4, 1, 1, 8, 1234567, false] });
    await h.closeAndCheckLeaks();
  });

  it('a frame timestamp beyond ±2^53 from Python reads as its nearest number in TypeScript and reaches Python again exactly through a TypeScript relay', async () => {
    harness();
    const INT64_MAX = (1n << 63n) - 1n;
    await h.app.startGraph(
      graph(
        [py('py', 'py', { actions: [{ op: 'send_audio', name: 'pcm', buf: '0102', ts: INT64_MAX }] }), { type: 'extension', name: 'relay', addon: 'relay', extension_group: 'ts' }, probe('tsprobe', 'ts2'), py('sink', 'py3')],
        [flow('py', 'audio_frame', 'pcm', ['relay', 'tsprobe']), flow('relay', 'audio_frame', 'pcm', ['sink'])],
      ),
    );
    const [seen] = await h.report('tsprobe', 'audio');
    expect(seen).toMatchObject({ name: 'pcm', ts: Number(INT64_MAX) });
    const [a] = await h.report('sink', 'audio_frame');
    expect((a.audio as unknown[])[6]).toBe(INT64_MAX);
    expect(h.errors()).toEqual([]);
    await h.closeAndCheckLeaks();
  });

  it("read their properties: package property.json, the node's property, ${env:} resolved first, uint64 exact", async () => {
    process.env.TEN_PY_PROBE_SECRET = 's3cret';
    try {
      harness();
      await h.app.startGraph(graph([py('p', 'py', { actions: [{ op: 'props' }] }, { greeting: 'from the graph' })]));
      const [p] = await h.report('p', 'props');
      expect(p).toMatchObject({ greeting: 'from the graph', secret: 's3cret', big: '18446744073709551615', errors: [null, null, null] });
      await h.closeAndCheckLeaks();
    } finally {
      delete process.env.TEN_PY_PROBE_SECRET;
    }
  });

  it('AsyncExtension: awaits cmd results (send_cmd, send_cmd_ex) and routing outcomes', async () => {
    harness();
    await h.app.startGraph(
      graph(
        [
          py('async_a', 'py', {
            actions: [
              { op: 'await_cmd', name: 'q' },
              { op: 'await_cmd_ex', name: 'stream' },
              { op: 'await_cmd', name: 'nowhere' },
              { op: 'await_data', name: 'd' },
            ],
          }),
          py('b', 'py', { reply: { q: 'answer' }, stream: 3 }),
        ],
        [flow('async_a', 'cmd', 'q', ['b']), flow('async_a', 'cmd', 'stream', ['b']), flow('async_a', 'data', 'd', ['b'])],
      ),
    );
    const awaited = await h.report('async_a', 'awaited', 2);
    expect(awaited[0]).toMatchObject({ cmd: 'q', result: { status: 0, detail: 'answer', completed: true }, error: null });
    expect(awaited[1]).toMatchObject({ cmd: 'nowhere', result: null, error: { code: 7 } });
    const ex = await h.report('async_a', 'awaited_ex', 3);
    expect(ex.map((r) => [(r.result as { props: { i: number } }).props.i, (r.result as { final: boolean }).final])).toEqual([
      [0, false],
      [1, false],
      [2, true],
    ]);
    const [sent] = await h.report('async_a', 'awaited_data');
    expect(sent.error).toBeNull();
    await h.closeAndCheckLeaks();
  });

  it('send_cmd without an answer: the cmd waits for its path timeout, as in TEN (no automatic OK)', async () => {
    harness();
    await h.app.startGraph(
      graph([probe('ts', 'ts', { actions: [{ op: 'sendCmd', name: 'ignored' }] }, { ten: { path_timeout: 300_000, path_check_interval: 50_000 } }), py('silent', 'py')], [
        flow('ts', 'cmd', 'ignored', ['silent']),
      ]),
    );
    const [r] = await h.report('ts', 'result');
    expect(r.result).toMatchObject({ status: 1, detail: 'Path timeout.' });
    await h.closeAndCheckLeaks();
  });

  it('unconnected sends: the handlers get the routing error later, the send itself returns None (TEN)', async () => {
    harness();
    await h.app.startGraph(graph([py('p', 'py', { actions: [{ op: 'send_cmd', name: 'nowhere' }, { op: 'send_data', name: 'lost', handler: true }] })]));
    const [sent] = await h.report('p', 'sent', 2);
    expect(sent.error).toBeNull();
    const [r] = await h.report('p', 'result');
    expect(r).toMatchObject({ result: null, error: { code: 7, message: "Failed to find destination of a 'cmd' message 'nowhere' from graph." } });
    const [e] = await h.report('p', 'send_error');
    expect(e.error).toMatchObject({ code: 7 });
    await h.closeAndCheckLeaks();
  });

  it('ten_env from a thread the extension started: sends go through, in order', async () => {
    harness();
    await h.app.startGraph(graph([py('p', 'py', { actions: [{ op: 'thread_send', name: 't', times: 50 }] }), probe('sink', 'ts')], [flow('p', 'data', 't', ['sink'])]));
    const got = await h.report('sink', 'data', 50);
    expect(got.map((d) => (d.props as { i: number }).i)).toEqual([...Array(50).keys()]);
    await h.closeAndCheckLeaks();
  });

  it('logs carry the Python file, line, thread and task; print() becomes a log of the extension', async () => {
    harness();
    await h.app.startGraph(graph([py('async_p', 'py', { actions: [{ op: 'print', text: 'printed by python' }] })]));
    await h.report('async_p', 'init');
    await h.until(() => h.events.some((e) => e.type === 'log' && e.message === 'printed by python'), 'the print');
    const log = h.events.find((e) => e.type === 'log' && e.message === 'init');
    expect(log).toMatchObject({ extension: 'async_p', loc: { file: expect.stringMatching(/py_probe\/extension\.py$/), line: expect.any(Number) }, thread: 'MainThread', task: 'async_p:on_init' });
    const printed = h.events.find((e) => e.type === 'log' && e.message === 'printed by python');
    expect(printed).toMatchObject({ extension: 'async_p', category: 'stdout', loc: { file: expect.stringMatching(/extension\.py$/) } });
    await h.closeAndCheckLeaks();
  });
});

describe('Python failures', () => {
  it('an exception in a handler or a phase is an error event with the traceback; the cmd is answered, the phase goes on', async () => {
    harness();
    await h.app.startGraph(
      graph(
        [py('p', 'py', { reply: { boom: 'raise' }, throw_in: 'on_start' }), probe('ts', 'ts', { actions: [{ op: 'sendCmd', name: 'boom' }] })],
        [flow('ts', 'cmd', 'boom', ['p'])],
      ),
    );
    const [r] = await h.report('ts', 'result');
    expect(r.result).toMatchObject({ status: 1, detail: "Extension 'p' threw in on_cmd: probe p raised on boom" });
    await h.until(() => h.phases('p').includes('on_start_done'), 'on_start_done after the exception');
    // Events come from the group thread, the probe's report over its own channel: either may be first.
    await h.until(() => h.errors().length === 2, 'both error events');
    const errors = h.errors();
    expect(errors.map((e) => e.phase).sort()).toEqual(['on_cmd', 'on_start']);
    expect(errors.find((e) => e.phase === 'on_cmd')).toMatchObject({ extension: 'p', message: 'RuntimeError: probe p raised on boom', stack: expect.stringMatching(/Traceback[\s\S]*py_probe\/extension\.py", line \d+, in on_msg/) });
    await h.closeAndCheckLeaks();
  });

  it('a message used after send raises "Msg is invalidated." and is reported as a violation with the Python stack', async () => {
    harness();
    await h.app.startGraph(graph([py('p', 'py', { actions: [{ op: 'use_after_send', name: 'd' }] })]));
    const [u] = await h.report('p', 'use_after_send');
    expect(u.raised).toBe('Msg is invalidated.');
    await h.until(() => h.violations().length > 0, 'the violation');
    expect(h.violations()[0]).toMatchObject({ object: 'data(d)', reason: 'used after it was sent (Msg is invalidated.)', stack: expect.stringMatching(/extension\.py", line \d+, in start_actions/) });
    await h.closeAndCheckLeaks();
  });

  it("a message received by one extension and sent by another, and an env used from another extension's callback, are violations", async () => {
    harness();
    await h.app.startGraph(
      graph(
        [
          probe('ts', 'ts', { actions: [{ op: 'sendData', name: 'd' }] }),
          py('holder', 'py', { stash: true }),
          py('thief', 'py', { actions: [{ op: 'use_env_of', ext: 'holder' }] }),
        ],
        [flow('ts', 'data', 'd', ['holder'])],
      ),
    );
    const [used] = await h.report('thief', 'use_env_of');
    expect(used.error).toMatchObject({ code: 1, message: "The ten_env of extension 'holder' was used by extension 'thief'." });
    await h.until(() => h.violations().length > 0, 'the violation');
    expect(h.violations()[0]).toMatchObject({ object: 'TenEnv(holder)', owner: expect.stringContaining('extension holder'), caller: expect.stringContaining('extension thief'), stack: expect.stringMatching(/^ {2}File ".*py_probe\/extension\.py", line \d+, in on_start/) });
    await h.closeAndCheckLeaks();
  });

  it('an env used after on_deinit_done returns TenIsClosed and is a violation', async () => {
    harness();
    await h.app.startGraph(graph([py('p', 'py', { use_after_close: true })]));
    await h.report('p', 'init');
    await h.app.close();
    const v = h.violations().find((e) => e.object === 'TenEnv(p)');
    expect(v).toMatchObject({ reason: 'log called after ten_env was closed (on_deinit_done)', stack: expect.stringContaining('on_deinit') });
    await h.closeAndCheckLeaks();
  });

  it('a dispatch loop blocked over 250 ms is reported with the stack it is blocked in', async () => {
    harness();
    await h.app.startGraph(graph([py('p', 'py', { actions: [{ op: 'stall', ms: 3000 }] })]));
    await h.until(() => h.events.some((e) => e.type === 'log' && /was blocked for \d+ ms/.test(e.message)), 'the end of the stall');
    const v = h.violations().find((e) => e.object.startsWith('asyncio loop'));
    // Reported, never a failure of the run whatever the policy: blocking a callback is legal in TEN
    // (its cpp_app_mproc_python test sleeps in a sync on_cmd) and no call was refused.
    expect(v).toMatchObject({ reason: expect.stringMatching(/has been blocked for over \d+ ms in extension p/), stack: expect.stringMatching(/in start_actions\n\s+time\.sleep/), policy: 'report' });
    await h.closeAndCheckLeaks();
  });

  it('a dispatch loop spinning in a CPU-bound handler is reported too', async () => {
    harness();
    await h.app.startGraph(graph([py('p', 'py', { actions: [{ op: 'spin', cpu_ms: 1000 }] })]));
    await h.until(() => h.events.some((e) => e.type === 'log' && /was blocked for \d+ ms/.test(e.message)), 'the end of the stall');
    const v = h.violations().find((e) => e.object.startsWith('asyncio loop'));
    expect(v).toMatchObject({ reason: expect.stringMatching(/blocked for over \d+ ms in extension p/), stack: expect.stringContaining('in start_actions') });
    await h.closeAndCheckLeaks();
  });

  it('a Python process that dies is reported; cmds waiting on it fail with TEN\'s error; other groups go on', async () => {
    harness();
    await h.app.startGraph(
      graph(
        [
          py('doomed', 'py', { reply: { die: 'exit' } }),
          probe('ts', 'ts', { actions: [{ op: 'sendCmd', name: 'die' }, { op: 'sendCmd', name: 'die' }, { op: 'sendCmd', name: 'alive' }] }),
          py('other', 'py2', { reply: { alive: 'still here' } }),
        ],
        [flow('ts', 'cmd', 'die', ['doomed']), flow('ts', 'cmd', 'alive', ['other'])],
      ),
    );
    const results = await h.report('ts', 'result', 3);
    expect(results.map((r) => (r.result as { detail: string }).detail)).toEqual(['The destination extension has been terminated.', 'The destination extension has been terminated.', 'still here']);
    // The failed cmds' results and the engine's event travel apart (a ring between the groups, the
    // group's event batch to the host): either may come first.
    await h.until(() => h.events.some((e) => e.type === 'worker_terminated'), 'the report of the process end');
    const t = h.events.find((e) => e.type === 'worker_terminated');
    expect(t).toMatchObject({ group: 'py', reason: expect.stringMatching(/The Python process of group 'py' \(pid \d+\) exited unexpectedly \(exit code 7\)/) });
    expect(h.app.live().processes).toBe(1);
    await h.closeAndCheckLeaks();
  });

  it('a Python extension that never stops is killed at the stop timeout, and nothing is left running', async () => {
    harness({ stopTimeoutMs: 800 });
    await h.app.startGraph(graph([py('stuck', 'py', { hang_in_stop: true })]));
    await h.report('stuck', 'init');
    await h.app.close();
    expect(h.events.find((e) => e.type === 'worker_terminated')).toMatchObject({ group: 'py', reason: expect.stringContaining('did not stop within 800 ms') });
    await h.closeAndCheckLeaks();
  });

  it('threads and tasks left running after on_deinit_done are reported; threads count as leaks', async () => {
    harness();
    await h.app.startGraph(graph([py('p', 'py', { actions: [{ op: 'leak_thread' }] }), py('async_q', 'py', { actions: [{ op: 'leak_task' }] })]));
    await h.report('async_q', 'init');
    await h.app.close();
    const logs = h.events.filter((e) => e.type === 'log' && e.category === 'python:leftover').map((e) => (e as { message: string }).message);
    expect(logs.join('\n')).toMatch(/1 asyncio task\(s\) were still pending after on_deinit_done and were cancelled: leaked-task/);
    expect(logs.join('\n')).toMatch(/1 Python thread\(s\) that are not daemon threads were still running after on_deinit_done: leaked-thread/);
    await h.closeAndCheckLeaks({ handles: 1 });
  });

  it("the loop's own executor threads are no leftovers unless they still run user work", async () => {
    // TEN's websocket_server_python resolves "localhost" through the loop's executor; its idle
    // thread made every run of it fail ('runtime objects still alive after close: handles 1').
    harness();
    await h.app.startGraph(graph([py('async_idle', 'py', { actions: [{ op: 'use_executor' }] }), py('async_busy', 'py2', { actions: [{ op: 'leak_executor' }] })]));
    await h.report('async_idle', 'executor_used');
    await h.report('async_busy', 'executor_leaked');
    await h.app.close();
    const logs = h.events.filter((e) => e.type === 'log' && e.category === 'python:leftover').map((e) => (e as { message: string }).message);
    expect(logs).toEqual([expect.stringMatching(/^Group 'py2': 1 Python thread\(s\) that are not daemon threads were still running after on_deinit_done: asyncio_0\./)]);
    await h.closeAndCheckLeaks({ handles: 1 });
  });

  it('a missing interpreter is one clear error before any thread starts', async () => {
    harness({ python: '/nonexistent/python3' });
    await expect(h.app.startGraph(graph([py('p', 'py')]))).rejects.toThrow(
      "This graph has Python extensions, but the Python interpreter '/nonexistent/python3' (from the run options) cannot run: not found. Set TEN_STUDIO_PYTHON, or the app property ten_studio.python, to a Python 3.10+ interpreter.",
    );
    expect(h.app.live()).toMatchObject({ threads: 0, processes: 0 });
    await h.closeAndCheckLeaks();
  });

  it('a package that fails to import fails the start with the Python error', async () => {
    harness();
    await expect(h.app.startGraph(graph([{ type: 'extension', name: 'b', addon: 'py_broken', extension_group: 'py' }]))).rejects.toThrow(
      /Extension 'b': Could not import ten_packages\.extension\.py_broken .*ModuleNotFoundError: No module named 'a_module_nobody_has'/,
    );
    await h.closeAndCheckLeaks();
  });
});

describe('Python telemetry', () => {
  it("samples show Python's handler times, tasks and process counters", async () => {
    harness();
    await h.app.startGraph(
      graph([probe('ts', 'ts', { actions: [{ op: 'sendCmd', name: 'hello' }] }), py('p', 'py', { reply: { hello: 'x' } })], [flow('ts', 'cmd', 'hello', ['p'])]),
    );
    await h.report('ts', 'result');
    // Python reports its counters every 250 ms: sample until they include the cmd.
    const pySample = async () => (await h.app.sample()).graphs[0].groups.find((g) => g.group === 'py')!;
    let group = await pySample();
    while (group.extensions.find((x) => x.extension === 'p')!.handlerHist.every((n) => n === 0)) {
      await new Promise((r) => setTimeout(r, 50));
      group = await pySample();
    }
    expect(group.python).toMatchObject({ pid: expect.any(Number), version: expect.stringMatching(/^3\.\d+\.\d+$/), threads: expect.any(Number) });
    const p = group.extensions.find((x) => x.extension === 'p')!;
    expect(p).toMatchObject({ runtime: 'python', msgsIn: 1, msgsOut: 1 });
    expect(p.handlerHist.reduce((a, b) => a + b, 0)).toBe(1);
    await h.closeAndCheckLeaks();
  });
});
