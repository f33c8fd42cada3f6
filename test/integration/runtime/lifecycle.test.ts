// §5 lifecycle: gating until on_init_done, manual triggers, stop failing pending paths, path
// timeouts, close_app, ten_env after close, handles left open after close, exceptions, the stop
// timeout, owner violations.
import { afterEach, describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { BUILTIN_ADDONS_DIR } from '../../../src/runtime/addons';
import type { TenExtensionNode } from '../../../src/shared/graph/types';
import { Harness, flow, graph, probe } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.closeAndCheckLeaks();
  h = undefined;
});

describe('lifecycle', () => {
  it('holds messages that arrive before on_init_done and delivers them right after it', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [probe('fast', 'g', { actions: [{ op: 'sendCmd', name: 'early' }] }), probe('slow', 'g', { initWaitFor: 'fast:early' })],
        [flow('fast', 'cmd', 'early', ['slow'])],
      ),
    );
    const [r] = await h.report('fast', 'result');
    expect(r.result).toMatchObject({ status: 0, from: 'slow' });
    const slow = h.of('slow').map((x) => (x.kind === 'phase' ? `phase:${x.phase}` : x.kind));
    expect(slow.indexOf('phase:init')).toBeLessThan(slow.indexOf('cmd'));
    // Delivered before on_start is even posted: on_cmd may run before on_start.
    expect(slow.indexOf('cmd')).toBeLessThan(slow.indexOf('phase:start'));
  });

  it('manual_trigger_life_cycle holds on_start until a ten:trigger_life_cycle cmd', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph([
        probe('ctl', 'g', {
          actions: [{ op: 'sleep', ms: 20 }, { op: 'checkStarted', names: ['held'] }, { op: 'trigger', stage: 'start', dests: [{ extensionName: 'held' }] }, { op: 'checkStarted', names: ['held'] }],
        }),
        probe('held', 'g', {}, { ten: { manual_trigger_life_cycle: [{ stage: 'start' }] } }),
      ]),
    );
    const checks = await h.report('ctl', 'started_check', 2);
    expect(checks.map((c) => c.started)).toEqual([[false], [true]]);
    expect((await h.report('ctl', 'result'))[0].result).toMatchObject({ status: 0 });
    await h.until(() => h!.phases('held').includes('on_start_done'), 'held started');
  });

  it('sync_stop_before_deinit: no extension deinits before every extension has stopped', async () => {
    h = new Harness();
    const id = await h.app.startGraph(graph([probe('slow', 'g1', { stopDelayMs: 150 }), probe('quick', 'g2')]), { syncStopBeforeDeinit: true });
    await h.until(() => h!.phases('slow').includes('on_start_done') && h!.phases('quick').includes('on_start_done'), 'both started');
    await h.app.stopGraph(id);
    const order = h.events.flatMap((e) => (e.type === 'lifecycle' ? [`${e.extension}:${e.phase}`] : []));
    expect(order.indexOf('quick:on_deinit')).toBeGreaterThan(order.indexOf('slow:on_stop_done'));
  });

  it('stopping fails pending OUT paths with error results', async () => {
    h = new Harness();
    const id = await h.app.startGraph(
      graph([probe('a', 'g1', { actions: [{ op: 'sendCmd', name: 'q' }] }), probe('b', 'g2', { reply: { q: 'none' } })], [flow('a', 'cmd', 'q', ['b'])]),
    );
    await h.report('b', 'cmd');
    await h.app.stopGraph(id);
    const [r] = await h.report('a', 'result');
    expect(r.result).toMatchObject({ status: 1, final: true, completed: true });
    expect(r.error).toBeNull();
  });

  it('fails an OUT path with "Path timeout." after ten.path_timeout', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [probe('a', 'g1', { actions: [{ op: 'sendCmd', name: 'q' }] }, { ten: { path_timeout: 100_000, path_check_interval: 20_000 } }), probe('b', 'g2', { reply: { q: 'none' } })],
        [flow('a', 'cmd', 'q', ['b'])],
      ),
    );
    const [r] = await h.report('a', 'result');
    expect(r.result).toEqual({ status: 1, detail: 'Path timeout.', from: '', final: true, completed: true });
  });

  it('ten:close_app closes the app and every thread', async () => {
    h = new Harness();
    await h.app.startGraph(graph([probe('a', 'g1', { actions: [{ op: 'closeApp' }] }), probe('b', 'g2')]));
    await h.app.closed;
    expect(h.events.some((e) => e.type === 'app_closed')).toBe(true);
    // TEN sends no result for close_app: the sender closes with the app.
    expect(h.reports.filter((r) => r.ext === 'a' && r.kind === 'result' && (r as { result?: { status?: number } }).result?.status === 0)).toEqual([]);
    expect(h.app.live()).toEqual({ engines: 0, threads: 0, extensions: 0, paths: 0, timers: 0, handles: 0, connections: 0, remotes: 0, sockets: 0, processes: 0 });
  });

  it('after on_deinit_done every ten_env call returns TenIsClosed and is reported', async () => {
    h = new Harness();
    const id = await h.app.startGraph(graph([probe('a', 'g1', { useAfterClose: true })]));
    await h.until(() => h!.phases('a').includes('on_start_done'), 'a started');
    const stopped = h.app.stopGraph(id);
    const [r] = await h.report('a', 'after_close');
    await stopped;
    const closed = { code: 6, message: 'ten_env is closed.' };
    expect(r).toMatchObject({ log: closed, send: closed, get: closed, cmd: closed, result: null });
    // Its timer ended after the group closed: the thread ended by itself, nothing to report.
    await h.until(() => h!.violations().some((v) => v.object === 'TenEnv(a)'), 'the violation of the closed TenEnv');
    expect(h.events.filter((e) => e.type === 'worker_terminated')).toEqual([]);
  });
});

describe('after on_deinit_done (as TEN: the graph stops at the last on_deinit_done, threads end when the app closes)', () => {
  it('a group whose extensions closed cleanly ends its thread without a report', async () => {
    h = new Harness();
    const id = await h.app.startGraph(graph([probe('a', 'g1', { actions: [{ op: 'sendCmd', name: 'q' }] }), probe('b', 'g2')], [flow('a', 'cmd', 'q', ['b'])]));
    await h.report('a', 'result');
    await h.app.stopGraph(id);
    expect(h.phases('a')).toContain('on_deinit_done');
  });

  it("a timer left running fires after on_deinit_done while the app lives, and every ten_env call fails with TenIsClosed (TEN's call_api_after_closing_nodejs)", async () => {
    h = new Harness();
    const id = await h.app.startGraph(graph([probe('a', 'g1', { lateTimerMs: 1000 })]));
    await h.until(() => h!.phases('a').includes('on_start_done'), 'a started');
    await h.app.stopGraph(id);
    expect(h.events.some((e) => e.type === 'graph' && e.graphId === id && e.state === 'stopped')).toBe(true);
    const [r] = await h.report('a', 'late_timer');
    const closed = { code: 6, message: 'ten_env is closed.' };
    const errors = r.errors as Record<string, unknown>;
    expect(Object.keys(errors)).toHaveLength(13);
    for (const [call, e] of Object.entries(errors)) expect([call, e]).toEqual([call, closed]);
    // The timer was the thread's last handle: it ended by itself, nothing is reported at close.
    await h.closeAndCheckLeaks();
    h = undefined;
  });

  it('an interval never cleared: the graph still stops at the last on_deinit_done; the app reports the Timeout and ends the thread when it closes', async () => {
    // The stop timeout is long: the stop must not wait for the thread.
    h = new Harness({ stopTimeoutMs: 30_000 });
    const id = await h.app.startGraph(graph([probe('leaky', 'g1', { leaveInterval: 'idle' }), probe('fine', 'g2')]));
    await h.until(() => h!.phases('leaky').includes('on_start_done'), 'leaky started');
    await h.app.stopGraph(id);
    expect(h.phases('leaky')).toContain('on_deinit_done');
    expect(h.events.filter((e) => e.type === 'worker_terminated')).toEqual([]);
    // Kept alive by the interval, the thread lives on with the app.
    expect(h.app.live().threads).toBeGreaterThanOrEqual(1);
    // The leftover handle is a leak the live counts keep.
    await h.closeAndCheckLeaks({ handles: 1 });
    expect(h.events.filter((e) => e.type === 'worker_terminated')).toEqual([
      expect.objectContaining({
        group: 'g1',
        graphId: id,
        handles: { Timeout: 1 },
        reason: expect.stringContaining("Extension group 'g1' closed all its extensions, but its thread was kept alive by 1 Timeout after on_deinit_done; terminated when the app closed."),
      }),
    ]);
    h = undefined;
  });

  it('a thread that has nothing left but is slow to exit is not reported when the app closes', async () => {
    // Once its loop has emptied, a thread can take seconds to exit (it waits for V8's background
    // tasks; sixty threads on two loaded cores) and answers nothing meanwhile: it was reported as
    // a callback stuck after on_deinit_done. The probe blocks its thread there for 2 s.
    h = new Harness({ stopTimeoutMs: 30_000 });
    const id = await h.app.startGraph(graph([probe('slow', 'g1', { slowExitMs: 2000 })]));
    await h.until(() => h!.phases('slow').includes('on_start_done'), 'slow started');
    await h.app.stopGraph(id);
    await h.report('slow', 'exiting_slowly');
    await h.app.close();
    expect(h.events.filter((e) => e.type === 'worker_terminated')).toEqual([]);
  });

  it('many groups of built-in forwarders closed under load: the app closing reports no leak', async () => {
    // Load: threads spinning in this process while the graph stops and the app closes, as on a
    // shared machine, where threads take seconds to close their channels and to end.
    const burners = Array.from({ length: 4 }, () => new Worker('for (;;);', { eval: true }));
    try {
      h = new Harness({ addonDirs: [BUILTIN_ADDONS_DIR], spareThreads: 0, stopTimeoutMs: 30_000 });
      const n = 40;
      const nodes: TenExtensionNode[] = [{ type: 'extension', name: 'gen', addon: 'data_generator', extension_group: 'src', property: { interval_ms: 5, burst: 5 } }];
      for (let i = 0; i < n; i++) nodes.push({ type: 'extension', name: `f${i}`, addon: 'forwarder', extension_group: `g${i}` });
      const id = await h.app.startGraph(graph(nodes, [flow('gen', 'data', 'tick', nodes.slice(1).map((x) => x.name))]));
      await h.until(() => nodes.every((x) => h!.phases(x.name).includes('on_start_done')), 'every forwarder started', 60_000);
      await h.app.stopGraph(id);
      await h.app.close();
      expect(h.events.filter((e) => e.type === 'worker_terminated')).toEqual([]);
      expect(h.app.live()).toMatchObject({ threads: 0, handles: 0 });
    } finally {
      await Promise.all(burners.map((b) => b.terminate()));
    }
  }, 120_000);

  it('a leftover timer using the closed ten_env is reported while the app lives', async () => {
    h = new Harness({ stopTimeoutMs: 30_000 });
    const id = await h.app.startGraph(graph([probe('leaky', 'g1', { leaveInterval: 'use_env' })]));
    await h.until(() => h!.phases('leaky').includes('on_start_done'), 'leaky started');
    await h.app.stopGraph(id);
    await h.until(() => h!.violations().length > 0, 'a violation from the leftover timer');
    const v = h.violations();
    expect(v[0]).toMatchObject({ object: 'TenEnv(leaky)', policy: 'fail' });
    expect(v[0].reason).toContain('after ten_env was closed');
    await h.closeAndCheckLeaks({ handles: 1 });
    const reported = h.events.findIndex((e) => e.type === 'worker_terminated' && e.handles?.Timeout === 1);
    expect(reported).toBeGreaterThan(h.events.indexOf(v[0]));
    h = undefined;
  });

  it('a leftover callback that never returns: the graph stops, and the app ends the thread when it closes, saying the extensions had closed', async () => {
    h = new Harness({ stopTimeoutMs: 30_000 });
    const id = await h.app.startGraph(graph([probe('stuck', 'g1', { leaveInterval: 'busy' })]));
    await h.until(() => h!.phases('stuck').includes('on_start_done'), 'stuck started');
    await h.app.stopGraph(id);
    await h.report('stuck', 'spinning');
    await h.closeAndCheckLeaks({ handles: 1 });
    expect(h.events.filter((e) => e.type === 'worker_terminated')).toEqual([
      expect.objectContaining({
        group: 'g1',
        reason: "Extension group 'g1' closed all its extensions, but its thread did not answer when the app closed (a callback still running after on_deinit_done?); terminated.",
      }),
    ]);
    h = undefined;
  });

  it('close_app while a graph is starting ends cleanly: the start fails with a clear error and no thread is reported as crashed', async () => {
    h = new Harness();
    const failed = h.app.startGraph(graph([probe('a', 'g1'), probe('b', 'g2')])).then(
      () => null,
      (e: unknown) => (e as Error).message,
    );
    // The app closes once the graph's engine exists and its threads are being created.
    await h.until(() => h!.events.some((e) => e.type === 'graph' && e.state === 'starting'), 'the graph starting');
    await h.app.close();
    // Its groups may still be being created (then named) or created already.
    expect(await failed).toMatch(/^The app is closing: the graph was stopped while it started(: extension '[ab]' \(group 'g[12]'\)(, extension '[ab]' \(group 'g[12]'\))? (was|were) still being created)?\.$/);
    expect(h.events.filter((e) => e.type === 'worker_terminated')).toEqual([]);
    expect(h.errors()).toEqual([]);
    await h.closeAndCheckLeaks();
    h = undefined;
  });
});

describe('starts that never finish (every phase has a timeout)', () => {
  it('an onCreateInstance that never resolves fails the start after the start timeout, naming the extension; no thread is left', async () => {
    h = new Harness({ startTimeoutMs: 400 });
    await expect(h.app.startGraph(graph([probe('hang_create', 'g1')]))).rejects.toThrow(
      "Extension 'hang_create' (addon 'probe', group 'g1') was not created within 400 ms: its module's top-level code or its addon's onCreateInstance never finished.",
    );
    expect(h.events.filter((e) => e.type === 'graph').map((e) => (e.type === 'graph' ? e.state : ''))).toEqual(['starting', 'start_failed']);
  });

  it('closing the app while a group is still being created ends its thread at once, and the start says what was pending', async () => {
    h = new Harness();
    const start = h.app.startGraph(graph([probe('fine', 'g1'), probe('hang_create_2', 'g2')]));
    const failed = expect(start).rejects.toThrow("The app is closing: the graph was stopped while it started: extension 'hang_create_2' (group 'g2') was still being created.");
    await h.until(() => h!.phases('fine').includes('created'), 'fine created');
    // Neither the start timeout (60 s) nor the stop timeout (5 s) is waited for.
    await h.app.close();
    await failed;
    expect(h.events.filter((e) => e.type === 'worker_terminated')).toEqual([]);
  });

  it('a start phase that never finishes fails the graph after the start timeout, naming the extension and the phase', async () => {
    // Long enough for the creation of both groups on a loaded machine; the hang is what times out.
    h = new Harness({ startTimeoutMs: 5000, stopTimeoutMs: 300 });
    const id = await h.app.startGraph(graph([probe('slow', 'g1', { hangIn: 'init' }), probe('fine', 'g2')]));
    await h.until(() => h!.events.some((e) => e.type === 'graph' && e.state === 'stopped'), 'the graph to stop');
    const message = "Extension 'slow' did not finish on_init within 5000 ms; the graph is stopped.";
    expect(h.errors()).toEqual([expect.objectContaining({ graphId: id, extension: 'slow', phase: 'on_init', message })]);
    expect(h.events.find((e) => e.type === 'graph' && e.state === 'start_failed')).toMatchObject({ detail: message });
    // The stuck group cannot stop in order: the stop timeout ends it, and says where it was.
    expect(h.events.filter((e) => e.type === 'worker_terminated')).toEqual([
      expect.objectContaining({ group: 'g1', reason: "Extension group 'g1' did not stop within 300 ms (extension 'slow' was still in on_init); its thread was terminated." }),
    ]);
    expect(h.phases('fine')).toContain('on_deinit_done');
  });

  it('a node property nested 10,000 deep fails the start naming the node', async () => {
    h = new Harness();
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 10_000; i++) deep = (deep.x = {}) as Record<string, unknown>;
    const nodes = [probe('first', 'g1'), { ...probe('deep', 'g2'), property: { nested: root } }];
    await expect(h.app.startGraph(graph(nodes))).rejects.toThrow(
      "The properties of node 'deep' (group 'g2') cannot be passed to its thread: Maximum call stack size exceeded (nested too deep?).",
    );
    // That g1's thread (running when g2's init failed) ends is seen by `ten-studio run` exiting
    // (test/integration/cli/stop.test.ts): a worker is not among a process's listed resources.
  });
});

describe('failures', () => {
  it('an exception in on_cmd is reported with extension, phase and stack, and the cmd gets an error', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph([probe('a', 'g1', { actions: [{ op: 'sendCmd', name: 'q' }] }), probe('b', 'g2', { throwIn: 'cmd' })], [flow('a', 'cmd', 'q', ['b'])]),
    );
    const [r] = await h.report('a', 'result');
    expect(r.result).toMatchObject({ status: 1, detail: "Extension 'b' threw in on_cmd: probe b throws in cmd" });
    await h.until(() => h!.errors().length > 0, 'the error event');
    const [e] = h.errors();
    expect(e).toMatchObject({ extension: 'b', phase: 'on_cmd', message: 'probe b throws in cmd' });
    expect(e.stack).toContain('probe');
  });

  it('an exception in a lifecycle phase is reported and the lifecycle continues; other graphs are unaffected', async () => {
    h = new Harness();
    await h.app.startGraph(graph([probe('x', 'g', { throwIn: 'start' })]));
    const other = await h.app.startGraph(
      graph([probe('p', 'g1', { actions: [{ op: 'sendCmd', name: 'q' }] }), probe('q', 'g2')], [flow('p', 'cmd', 'q', ['q'])]),
    );
    await h.until(() => h!.phases('x').includes('on_start_done'), 'x finished on_start');
    expect(h.errors()[0]).toMatchObject({ extension: 'x', phase: 'on_start' });
    expect((await h.report('p', 'result'))[0].result).toMatchObject({ status: 0 });
    await h.app.stopGraph(other);
  });

  it('terminates a group stuck in on_stop after the stop timeout and reports it', async () => {
    // Long enough for the healthy group to close under any load (it needs milliseconds): only the
    // stuck one may reach the timeout.
    h = new Harness({ stopTimeoutMs: 3000 });
    const id = await h.app.startGraph(graph([probe('stuck', 'g1', { hangInStop: true }), probe('fine', 'g2')]));
    await h.until(() => h!.phases('stuck').includes('on_start_done') && h!.phases('fine').includes('on_start_done'), 'both started');
    await h.app.stopGraph(id);
    const t = h.events.filter((e) => e.type === 'worker_terminated');
    expect(t).toEqual([expect.objectContaining({ group: 'g1', graphId: id })]);
    expect(h.phases('fine')).toContain('on_deinit_done');
  });

  it('a group thread that dies is reported; cmds waiting on it fail, the rest of the graph runs on', async () => {
    h = new Harness();
    const id = await h.app.startGraph(
      graph(
        [probe('a', 'g1', { actions: [{ op: 'sendCmd', name: 'ping' }, { op: 'sendCmd', name: 'ping' }, { op: 'sendCmd', name: 'alive' }] }), probe('victim', 'g2', { reply: { ping: 'exit' } }), probe('ok', 'g3')],
        [flow('a', 'cmd', 'ping', ['victim']), flow('a', 'cmd', 'alive', ['ok'])],
      ),
    );
    const rs = await h.report('a', 'result', 3);
    expect(rs.map((r) => (r.result as { detail: string }).detail)).toEqual([
      'The destination extension has been terminated.',
      'The destination extension has been terminated.',
      '',
    ]);
    await h.until(() => h!.events.some((e) => e.type === 'worker_terminated'), 'the report');
    expect(h.events.find((e) => e.type === 'worker_terminated')).toMatchObject({ group: 'g2', reason: "The thread of group 'g2' exited unexpectedly (exit code 3)." });
    await h.app.stopGraph(id);
  });
});

describe('owner violations', () => {
  it('mutating a sent message fails and is reported (policy fail)', async () => {
    h = new Harness();
    await h.app.startGraph(graph([probe('a', 'g1', { actions: [{ op: 'mutateAfterSend', name: 'd' }] }), probe('b', 'g1')], [flow('a', 'data', 'd', ['b'])]));
    const [m] = await h.report('a', 'mutated');
    expect(m.error).toMatchObject({ code: 1 });
    await h.until(() => h!.violations().length > 0, 'the violation event');
    expect(h.violations()).toEqual([expect.objectContaining({ object: 'data(d)', policy: 'fail' })]);
    expect(h.violations()[0].stack).toContain('setPropertyString');
  });

  it('sending a message another extension received is a violation naming both extensions', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [probe('a', 'g1', { actions: [{ op: 'sendData', name: 'd' }] }), probe('keeper', 'g1', { stashData: true }), probe('thief', 'g1', { actions: [{ op: 'sendStash' }] }), probe('sink', 'g1')],
        [flow('a', 'data', 'd', ['keeper']), flow('thief', 'data', 'd', ['sink'])],
      ),
    );
    const [s] = await h.report('thief', 'sent_stash');
    expect(s.error).toEqual({ code: 1, message: "The data 'd' belongs to extension 'keeper'." });
    await h.until(() => h!.violations().length > 0, 'the violation event');
    expect(h.violations()[0]).toMatchObject({ object: 'data(d)', owner: expect.stringContaining('extension keeper'), caller: expect.stringContaining('extension thief') });
    expect(h.of('sink', 'data')).toHaveLength(0);
  });

  it("using another extension's ten_env inside a callback is a violation", async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [
          probe('a', 'g1', { actions: [{ op: 'waitStarted', names: ['keeper', 'user'] }, { op: 'sendData', name: 'd' }] }),
          probe('keeper', 'g1', { stashEnv: true }),
          probe('user', 'g1', { useStashedEnv: true }),
        ],
        [flow('a', 'data', 'd', ['user'])],
      ),
    );
    const [u] = await h.report('user', 'used_env');
    expect(u.error).toEqual({ code: 1, message: "The ten_env of extension 'keeper' was used by extension 'user'." });
    await h.until(() => h!.violations().length > 0, 'the violation event');
    expect(h.violations()[0]).toMatchObject({ object: 'TenEnv(keeper)', owner: expect.stringContaining('extension keeper'), caller: expect.stringContaining('extension user') });
  });

  it('policy report lets the call proceed; policy abort stops the graph', async () => {
    h = new Harness({ violationPolicy: 'report' });
    await h.app.startGraph(graph([probe('a', 'g1', { actions: [{ op: 'mutateAfterSend', name: 'd' }] }), probe('b', 'g1')], [flow('a', 'data', 'd', ['b'])]));
    expect((await h.report('a', 'mutated'))[0].error).toBeNull();
    await h.closeAndCheckLeaks();

    h = new Harness({ violationPolicy: 'abort' });
    await h.app.startGraph(graph([probe('a', 'g1', { actions: [{ op: 'mutateAfterSend', name: 'd' }] }), probe('b', 'g1')], [flow('a', 'data', 'd', ['b'])]));
    await h.until(() => h!.events.some((e) => e.type === 'graph' && e.state === 'stopped'), 'the graph stopped');
    expect(h.app.graphs()).toEqual([]);
  });
});
