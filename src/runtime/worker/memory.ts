/**
 * What a group thread holds, measured in the thread itself: its V8 heap (`used_heap_size`) and
 * the external memory of its isolate (`external_memory`: the backing stores of the Buffers and
 * ArrayBuffers it keeps alive, wherever they were allocated). Both are per isolate, so they are
 * the group's own; `process.memoryUsage().rss` is the whole process's and says nothing about a
 * group. The thread posts its total when it moved by a step since the last post, so the engine
 * always knows every group's holding within a step and an idle group posts nothing.
 *
 * A thread stuck in a synchronous loop cannot post: the host's guard (app/memory.ts) watches
 * the process's resident memory and each thread's event-loop utilization for that case.
 */
import { getHeapStatistics } from 'node:v8';
import type { GroupMemory } from '../core/protocol';

/**
 * How often the thread looks: every 200 ms while its holding moves, backing off to every 1.6 s
 * while it does not (a quiet group wakes for this less than once a second, not five times a
 * second; the host's guard watches the process meanwhile). Unref'd: it never keeps the thread alive.
 */
const FIRST_MS = 200;
const QUIET_MAX_MS = 1600;
/** Posts when the total moved by this much since the last post. */
const STEP_BYTES = 16 * 1024 * 1024;
/** Moves smaller than this count as quiet for the back-off. */
const QUIET_BYTES = 1024 * 1024;

export function groupMemory(): GroupMemory {
  const h = getHeapStatistics() as ReturnType<typeof getHeapStatistics> & { external_memory?: number };
  return { heapUsed: h.used_heap_size, external: h.external_memory ?? 0 };
}

/** Starts watching; `report` receives the holding at once, then whenever it moved by a step. */
export function watchMemory(report: (m: GroupMemory) => void): void {
  let last = -Infinity;
  let seen = 0;
  let every = FIRST_MS;
  const look = (): void => {
    const m = groupMemory();
    const total = m.heapUsed + m.external;
    every = Math.abs(total - seen) < QUIET_BYTES ? Math.min(QUIET_MAX_MS, every * 2) : FIRST_MS;
    seen = total;
    if (Math.abs(total - last) >= STEP_BYTES) {
      last = total;
      report(m);
    }
  };
  const tick = (): void => {
    look();
    setTimeout(tick, every).unref();
  };
  // The first look always reports: the engine then knows the thread is up and watching.
  look();
  every = FIRST_MS;
  setTimeout(tick, every).unref();
}
