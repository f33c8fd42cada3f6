// Path tables: result policies of fan-out groups (TEN path groups) and single paths.
import { describe, expect, it } from 'vitest';
import { PathTables, type PathGroup, type ResultPolicy } from '../../../src/runtime/worker/paths';
import { newWireMsg } from '../../../src/runtime/core/wire';

function setup(policy: ResultPolicy, ids: string[]): PathTables {
  const t = new PathTables();
  const group: PathGroup | null = ids.length > 1 ? { policy, ids, remaining: ids.length, finals: new Map(), done: false } : null;
  for (const id of ids) t.out.set(id, { cmdId: id, cmdName: 'q', handler: null, upstream: '', destExt: '', destApp: '', group, sentAt: 0, expiresAt: Infinity, reported: false });
  return t;
}

function result(id: string, status: number, isFinal = true) {
  const r = newWireMsg('cmd_result', 'q');
  r.cmdId = id;
  r.status = status;
  r.isFinal = isFinal;
  r.props.from = id;
  return r;
}

describe('PathTables', () => {
  it('first-error-or-last-OK: waits for all OKs and delivers the last destination’s', () => {
    const t = setup('first_error_or_last_ok', ['a', 'b', 'c']);
    expect(t.applyResult(result('b', 0))).toBeNull();
    expect(t.applyResult(result('c', 0, false))).toBeNull();
    expect(t.applyResult(result('c', 0))).toBeNull();
    const d = t.applyResult(result('a', 0));
    expect(d?.props.from).toBe('c');
    expect(d?.isCompleted).toBe(true);
    expect(t.out.size).toBe(0);
  });

  it('first-error-or-last-OK: the first error wins and the siblings are discarded', () => {
    const t = setup('first_error_or_last_ok', ['a', 'b']);
    const d = t.applyResult(result('b', 1));
    expect(d?.isCompleted).toBe(true);
    expect(t.out.size).toBe(0);
    expect(t.applyResult(result('a', 0))).toBeNull();
  });

  it('each-OK-and-error: every result, the completing one flagged', () => {
    const t = setup('each_ok_and_error', ['a', 'b']);
    const r1 = t.applyResult(result('a', 0, false));
    const r2 = t.applyResult(result('a', 0));
    const r3 = t.applyResult(result('b', 1));
    expect([r1, r2, r3].map((d) => d?.isCompleted)).toEqual([false, false, true]);
  });

  it('single path: isCompleted follows isFinal; unknown results drop', () => {
    const t = setup('first_error_or_last_ok', ['a']);
    const d1 = t.applyResult(result('a', 0, false));
    expect(d1?.isCompleted).toBe(false);
    const d2 = t.applyResult(result('a', 0));
    expect(d2?.isCompleted).toBe(true);
    expect(t.applyResult(result('zzz', 0))).toBeNull();
  });
});
