// A group thread looks at its memory often while it moves and seldom while it does not: a quiet
// graph's threads must not wake five times a second each for nothing.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const heap = { used: 50 * 1024 * 1024, looks: 0 };
vi.mock('node:v8', () => ({
  getHeapStatistics: () => {
    heap.looks++;
    return { used_heap_size: heap.used, external_memory: 0 };
  },
}));

const { watchMemory } = await import('../../../src/runtime/worker/memory');

beforeEach(() => {
  vi.useFakeTimers();
  heap.looks = 0;
});
afterEach(() => vi.useRealTimers());

describe('watchMemory', () => {
  it('backs off while the holding is still, looks every 200 ms again when it moves, and posts only by steps', () => {
    const posts: number[] = [];
    watchMemory((m) => posts.push(m.heapUsed));
    expect(posts).toEqual([heap.used]);
    vi.advanceTimersByTime(10_000);
    // 200, 400, 800, 1600, then every 1.6 s: 9 looks in 10 s (a fixed 200 ms timer made 51).
    expect(heap.looks).toBeLessThanOrEqual(10);
    const quietLooks = heap.looks;
    // Growing by 4 MB a look: back to 200 ms at once (after the look that saw it).
    const grow = setInterval(() => (heap.used += 4 * 1024 * 1024), 200);
    vi.advanceTimersByTime(1600 + 2000);
    clearInterval(grow);
    expect(heap.looks - quietLooks).toBeGreaterThanOrEqual(10);
    // 16 MB steps were posted while it grew, not every look.
    expect(posts.length).toBeGreaterThan(1);
    expect(posts.length).toBeLessThan(heap.looks - quietLooks);
  });
});
