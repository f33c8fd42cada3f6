// Cmd ids (TEN's `cmd_id`): UUID-shaped (version 4, RFC 4122 variant) as TEN's are, unique within
// a thread and across threads, and never reused when the counter behind them carries over a digit.
import { describe, expect, it } from 'vitest';
import { CmdIds } from '../../../src/runtime/core/ids';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('cmd ids', () => {
  it('are version-4 UUIDs, all different', () => {
    const ids = new CmdIds();
    const seen = new Set<string>();
    const misshapen: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const id = ids.next();
      if (!UUID_V4.test(id)) misshapen.push(id);
      seen.add(id);
    }
    expect(misshapen).toEqual([]);
    expect(seen.size).toBe(100_000);
  });

  it('keep their shape and stay unique when the counter carries over a digit or wraps', () => {
    const ids = new CmdIds(0xfff_fffe);
    const a = [ids.next(), ids.next(), ids.next(), ids.next()];
    for (const id of a) expect(id).toMatch(UUID_V4);
    expect(new Set(a).size).toBe(4);
    expect(a[0].endsWith('ffffffe')).toBe(true);
    // Past 2^28 the counter cannot go on in its 7 hex digits: a fresh random prefix keeps ids unique.
    expect(a[2].slice(0, 29)).not.toBe(a[0].slice(0, 29));
    expect(a[2].endsWith('0000000')).toBe(true);
  });

  it('differ between generators (each thread draws its own random prefix)', () => {
    const [a, b] = [new CmdIds(), new CmdIds()];
    expect(a.next().slice(0, 29)).not.toBe(b.next().slice(0, 29));
  });
});
