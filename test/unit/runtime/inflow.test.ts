// The flow control of what the host forwards to a group (core/inflow.ts, app/inflow.ts): both
// sides over one shared array, the group's runloop played by a queue of tasks run on demand.
import { describe, expect, it } from 'vitest';
import { FLOW_POSTED, FLOW_TAKEN, InflowAck, type InboundSource } from '../../../src/runtime/core/inflow';
import { GroupInflow } from '../../../src/runtime/app/inflow';
import { DEFAULT_LIMITS } from '../../../src/runtime/protocol/transport';

class Source implements InboundSource {
  holds = 0;
  dropped_ = 0;
  closed: string | null = null;
  constructor(readonly pausable: boolean, readonly label = '#1 (x, peer y)') {}
  hold(): void {
    this.holds++;
  }
  release(): void {
    this.holds--;
  }
  dropped(n: number): void {
    this.dropped_ += n;
  }
  overflow(text: string): void {
    this.closed = text;
  }
}

/** A group: its runloop's tasks run when the test says, its `inflow` posts reach the host at once. */
function setup(limits: Partial<typeof DEFAULT_LIMITS> = {}) {
  const host = new GroupInflow({ ...DEFAULT_LIMITS, inboundPauseMsgs: 100, ...limits }, "extension group 'g' of graph 'x' (1)");
  const tasks: (() => void)[] = [];
  const loop = { postTaskTail: (t: () => void) => (tasks.push(t), true) };
  const group = new InflowAck(new Int32Array(host.sab), loop, () => host.drained());
  /** The host posts `n` messages (`data` of them data) from `src`; the group queues them. */
  const post = (src: InboundSource, n: number, data = 0, bytes = 0): void => {
    host.add(src, n, data, bytes);
    group.add(n, bytes);
  };
  /** The group's runloop runs what is queued (the messages, then the ack task). */
  const run = (): void => {
    while (tasks.length > 0) tasks.shift()!();
  };
  return { host, group, post, run, tasks };
}

describe('inbound flow control', () => {
  it('holds a pausable source past the mark and releases it once the group is down to half', () => {
    const { host, post, run } = setup();
    const s = new Source(true);
    post(s, 60);
    expect(s.holds).toBe(0);
    post(s, 60);
    expect([s.holds, host.backlogMsgs, host.sample().pausedReaders]).toEqual([1, 120, 1]);
    // Further posts from it (the rest of a read) do not hold it twice.
    post(s, 10);
    expect(s.holds).toBe(1);
    run();
    expect([s.holds, host.backlogMsgs, host.sample().highWater]).toEqual([0, 0, 130]);
    expect(s.closed).toBeNull();
  });

  it('acknowledges per batch with one task at a time', () => {
    const { host, post, run, tasks } = setup();
    const s = new Source(true);
    post(s, 10);
    post(s, 10);
    post(s, 10);
    expect(tasks).toHaveLength(1);
    // The first ack records the batch it was queued behind, then queues one for the rest.
    tasks.shift()!();
    expect(host.backlogMsgs).toBe(20);
    expect(tasks).toHaveLength(1);
    run();
    expect(host.backlogMsgs).toBe(0);
  });

  it('holds nothing for a batch the group took before the host counted it', () => {
    const { host, group, run } = setup();
    const s = new Source(true);
    // The group queues and takes the batch before the host counted it as posted.
    group.add(150, 0);
    run();
    host.add(s, 150, 0, 0);
    expect(s.holds).toBe(0);
  });

  it('closes a source that cannot pause past the hard limit, and never a pausable one', () => {
    const { post } = setup({ inboundCloseMsgs: 50 });
    const moved = new Source(false, '#7 (msgpack://b/, peer 127.0.0.1:9)');
    post(moved, 50);
    expect(moved.closed).toBeNull();
    post(moved, 1);
    expect(moved.closed).toBe(
      "51 messages (0 bytes) that the connection #7 (msgpack://b/, peer 127.0.0.1:9) sent to extension group 'g' of graph 'x' (1) are not taken yet, past the limit of 50 messages or 256 MiB (transportLimits.inboundCloseMsgs, inboundCloseBytes); the connection is closed.",
    );
    const local = new Source(true);
    post(local, 500);
    expect([local.closed, local.holds]).toEqual([null, 1]);
  });

  it('pauses on bytes as on messages', () => {
    const { post, run } = setup({ inboundPauseBytes: 1000 });
    const s = new Source(true);
    post(s, 1, 1, 1500);
    expect(s.holds).toBe(1);
    run();
    expect(s.holds).toBe(0);
  });

  it('counts the data of the batches a group had not taken when its thread ended, on their sources', () => {
    const { host, post, run } = setup();
    const a = new Source(true);
    const b = new Source(true);
    post(a, 5, 3);
    run();
    post(a, 5, 2);
    post(b, 200, 150);
    expect(b.holds).toBe(1);
    host.ended();
    expect([a.dropped_, b.dropped_, b.holds]).toEqual([2, 150, 0]);
  });

  it('keeps working across the wrap of its 32-bit counts', () => {
    const { host, group, post, run } = setup();
    const c = new Int32Array(host.sab);
    // Both sides as if 2^31 - 10 messages had passed already.
    const start = 2 ** 31 - 10;
    (host as unknown as { posted: number }).posted = start | 0;
    (group as unknown as { queued: number }).queued = start | 0;
    c[FLOW_POSTED] = start | 0;
    c[FLOW_TAKEN] = start | 0;
    const s = new Source(true);
    post(s, 150);
    expect([s.holds, host.backlogMsgs]).toEqual([1, 150]);
    run();
    expect([s.holds, host.backlogMsgs]).toEqual([0, 0]);
  });
});
