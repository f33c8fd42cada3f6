/**
 * Memory bounds of extension groups (ours). One runaway extension (a Buffer kept per message, a
 * loop allocating) would otherwise grow the whole process until the kernel kills it (exit 137,
 * no message) with every other run in it. What Node lets us bound and see:
 *
 * - The V8 heap of a group: bounded by the worker's `resourceLimits.maxOldGenerationSizeMb`
 *   (`groupMemoryLimitMb`); V8 ends a thread that reaches it, even inside a synchronous loop,
 *   and the engine reports it (`ERR_WORKER_OUT_OF_MEMORY`).
 * - Buffers (external memory) are not bounded by V8. Each group measures its own isolate's heap
 *   and external memory (worker/memory.ts) and posts it when it moved by 16 MiB; the engine
 *   terminates a group holding more than `groupMemoryLimitMb`, naming it.
 * - A group allocating in a synchronous loop cannot post anything. The process-wide guard
 *   below reads the process's resident memory every 250 ms; past `processMemoryLimitMb` (or
 *   when the system is nearly out of memory) it terminates one group: a group that was busy
 *   the whole last interval (event-loop utilization seen from the host, which a stuck thread
 *   cannot hide) and has not reported since, else the group reporting the most if it holds a
 *   quarter of the process or more; with no such group it waits for the next interval rather
 *   than end an innocent one.
 *
 * Limits: a group's measure counts what its isolate holds, so a buffer transferred to another
 * group counts there, and a SharedArrayBuffer counts in every group that holds it; memory held
 * by native addons outside V8 is seen only in the process's resident size. The guard acts on
 * the process as a whole: it keeps the studio alive, it does not apportion blame exactly.
 */
import { readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';

const MB = 1024 * 1024;
const EVERY_MS = 250;
/** Event-loop utilization over one interval above which a thread counts as stuck (busy and silent). */
const BUSY = 0.9;
/** Below this share of free system memory the process is at risk whatever its own limit. */
const SYSTEM_LOW = 0.03;
/** A group reporting less than this, or less than this share of the process, is not taken for the cause. */
const LARGE = 64 * MB;
const SHARE = 0.25;
/** After ending a group, how long the guard waits for its memory to be freed before it acts again. */
const QUIET_MS = 1000;

/** The memory this process may use: physical memory, or less when a cgroup limits it. */
export function memoryBudget(): number {
  let budget = totalmem();
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  if (constrained && constrained > 0 && constrained < budget) budget = constrained;
  try {
    const max = readFileSync('/sys/fs/cgroup/memory.max', 'utf8').trim();
    if (/^\d+$/.test(max) && Number(max) < budget) budget = Number(max);
  } catch {
    // No cgroup v2 limit readable: physical memory it is.
  }
  return budget;
}

/** Default limit of one group's heap plus buffers: a quarter of the budget, 256 MiB to 4 GiB. */
export function defaultGroupLimitMb(): number {
  return Math.round(Math.min(4096, Math.max(256, memoryBudget() / 4 / MB)));
}

/** Default limit of the whole process's resident memory: 80% of the budget. */
export function defaultProcessLimitMb(): number {
  return Math.round((memoryBudget() * 0.8) / MB);
}

/** A group thread the guard may end, as its engine sees it. */
export interface GuardedGroup {
  readonly label: string;
  /** What the group last reported holding (bytes), and when. */
  readonly heldBytes: number;
  readonly reportedAt: number;
  /** Event-loop utilization of the thread since the previous call. */
  utilization(): number;
  /** Ends the group, with the reason the engine reports. */
  terminate(reason: string): void;
}

interface Member {
  limitBytes: number;
  groups: () => Iterable<GuardedGroup>;
}

/** The process-wide guard: one timer for every App of the process, running while any group runs. */
class MemoryGuard {
  private readonly members = new Set<Member>();
  private timer: NodeJS.Timeout | null = null;
  private lastRss = 0;
  private lastAt = 0;
  private quietUntil = 0;

  add(m: Member): () => void {
    this.members.add(m);
    if (!this.timer) {
      this.lastRss = process.memoryUsage.rss();
      this.lastAt = Date.now();
      this.timer = setInterval(() => this.check(), EVERY_MS);
      this.timer.unref();
    }
    return () => {
      this.members.delete(m);
      if (this.members.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  private check(): void {
    const now = Date.now();
    const rss = process.memoryUsage.rss();
    const since = this.lastAt;
    const grewBy = rss - this.lastRss;
    this.lastRss = rss;
    this.lastAt = now;
    let limit = Infinity;
    const all: GuardedGroup[] = [];
    for (const m of this.members) {
      limit = Math.min(limit, m.limitBytes);
      for (const g of m.groups()) all.push(g);
    }
    // Read every interval, so that "busy" always means the last one.
    const busy = new Map(all.map((g) => [g, g.utilization()]));
    // A group just ended frees its memory a moment later: no second victim for that moment.
    if (now < this.quietUntil) return;
    const over = rss > limit;
    const systemLow = freemem() < totalmem() * SYSTEM_LOW;
    if (!over && !systemLow) return;
    // A thread busy the whole interval that has not reported since: it may be allocating in a
    // loop and cannot say so. Otherwise the group that reports holding the most, if that is a
    // real share of the process (else nothing is known yet: the next interval tells more).
    // (A thread that never reported is still booting, busy for a good reason.)
    const silent = all.filter((g) => busy.get(g)! >= BUSY && g.reportedAt > 0 && g.reportedAt < since).sort((a, b) => busy.get(b)! - busy.get(a)!)[0];
    const biggest = [...all].sort((a, b) => b.heldBytes - a.heldBytes)[0];
    const victim = silent ?? (biggest && biggest.heldBytes >= Math.max(LARGE, rss * SHARE) ? biggest : undefined);
    if (!victim) return;
    const why = over
      ? `the process holds ${Math.round(rss / MB)} MB (limit ${Math.round(limit / MB)} MB)`
      : `the system is nearly out of memory (${Math.round(freemem() / MB)} MB free)`;
    const what =
      victim === silent
        ? `this group was busy the whole last ${EVERY_MS} ms without reporting while the process grew by ${Math.max(0, Math.round(grewBy / MB))} MB (a loop allocating?)`
        : `this group holds ${Math.round(victim.heldBytes / MB)} MB of heap and buffers, the most of any group`;
    this.quietUntil = now + QUIET_MS;
    victim.terminate(`${victim.label} was terminated to keep the process alive: ${why}, and ${what}.`);
  }
}

export const memoryGuard = new MemoryGuard();
