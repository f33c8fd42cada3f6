/**
 * IN and OUT path tables of one extension (TEN `ten_path_table_t`) and the result policies of a
 * cmd sent to several destinations (TEN path groups).
 */
import type { ResultHandler } from '../api/ten_env';
import type { WireMsg } from '../core/wire';

export type ResultPolicy = 'first_error_or_last_ok' | 'each_ok_and_error';

/** Sibling OUT paths created by one fan-out send. */
export interface PathGroup {
  policy: ResultPolicy;
  /** cmd ids in graph order. */
  ids: string[];
  remaining: number;
  /** Final OK results kept until the group completes (first-error-or-last-OK). */
  finals: Map<string, WireMsg>;
  done: boolean;
}

export interface OutPath {
  cmdId: string;
  cmdName: string;
  /** The sender's handler, given each delivered result wrapped as a `CmdResult`. */
  handler: ResultHandler | null;
  /** cmd id of the IN path this send forwards; set when a received cmd is sent on. */
  upstream: string;
  /** Destination extension ('' for the App), to fail the path when its thread ends. */
  destExt: string;
  /** Destination app ('' for this one), to fail the path when the connection to it closes. */
  destApp: string;
  /** msg_conversion `result` rules of this destination, applied to its results. */
  resultConversion?: unknown;
  group: PathGroup | null;
  /** When the cmd was sent (ms since epoch). */
  sentAt: number;
  expiresAt: number;
  /** Ours: whether the wait for this result was reported as long (see ExtRuntime.checkUnanswered). */
  reported: boolean;
}

export interface InPath {
  /** cmd id as the receiver knows it (fresh when the cmd looped back). */
  cmdId: string;
  /** cmd id as the sender knows it; results get it back. */
  senderCmdId: string;
  cmdName: string;
  srcExt: string;
  srcGraph: string;
  srcApp: string;
  expiresAt: number;
}

export class PathTables {
  readonly out = new Map<string, OutPath>();
  readonly in = new Map<string, InPath>();

  get size(): number {
    return this.out.size + this.in.size;
  }

  /**
   * Applies an arriving result to its OUT path (`path`, when the caller has looked it up) and the
   * path's group policy (TEN `ten_path_table_process_cmd_result`). Paths are removed on final
   * results. Returns the result to deliver to the path's sender, or null to drop.
   */
  applyResult(r: WireMsg, path: OutPath | undefined = this.out.get(r.cmdId)): WireMsg | null {
    if (!path) return null;
    const g = path.group;
    if (!g) {
      r.isCompleted = r.isFinal;
      if (r.isFinal) this.out.delete(r.cmdId);
      return r;
    }
    if (r.isFinal) {
      g.remaining--;
      this.out.delete(r.cmdId);
    }
    switch (g.policy) {
      case 'first_error_or_last_ok': {
        if (!r.isFinal || g.done) return null;
        if (r.status !== 0) {
          g.done = true;
          for (const id of g.ids) this.out.delete(id);
          r.isCompleted = true;
          return r;
        }
        g.finals.set(r.cmdId, r);
        if (g.remaining > 0) return null;
        g.done = true;
        const last = g.finals.get(g.ids[g.ids.length - 1]) ?? r;
        last.isCompleted = true;
        return last;
      }
      case 'each_ok_and_error':
        r.isCompleted = r.isFinal && g.remaining === 0;
        return r;
    }
  }

  /** OUT paths past their deadline; they stay in the table until their timeout result is applied. */
  takeExpiredOut(now: number): OutPath[] {
    const expired: OutPath[] = [];
    for (const p of this.out.values()) if (p.expiresAt <= now) expired.push(p);
    return expired;
  }

  dropExpiredIn(now: number): void {
    for (const [id, p] of this.in) if (p.expiresAt <= now) this.in.delete(id);
  }
}
