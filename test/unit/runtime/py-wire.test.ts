// The frames between a group thread and its Python process.
import { describe, expect, it } from 'vitest';
import { CH_GROUP, CH_SESSION, encodeFrame, FrameReader, type PyFrame } from '../../../src/runtime/core/py_wire';

function bytes(parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

describe('py_wire frames', () => {
  it('round-trip records and the binary section; integers beyond 2^53 stay exact', () => {
    const frame = bytes(encodeFrame(CH_GROUP, [[4, 0, 'd', { big: 18446744073709551615n, s: 'é' }, 3]], [new Uint8Array([1, 2, 3])]));
    const got: PyFrame[] = [];
    new FrameReader().push(frame, (f) => got.push(f));
    expect(got).toHaveLength(1);
    expect(got[0].channel).toBe(CH_GROUP);
    expect(got[0].records).toEqual([[4, 0, 'd', { big: 18446744073709551615n, s: 'é' }, 3]]);
    expect([...got[0].bins]).toEqual([1, 2, 3]);
  });

  it('reassembles frames split anywhere across chunks, in order', () => {
    const a = bytes(encodeFrame(CH_GROUP, [[1, 'a']], [new Uint8Array(100).fill(9)]));
    const b = bytes(encodeFrame(CH_SESSION, [[2, 'b']], []));
    const all = Buffer.concat([a, b]);
    for (let cut = 1; cut < all.length; cut += 7) {
      const got: PyFrame[] = [];
      const r = new FrameReader();
      r.push(all.subarray(0, cut), (f) => got.push(f));
      r.push(all.subarray(cut), (f) => got.push(f));
      expect(got.map((f) => [f.channel, f.records, f.bins.length])).toEqual([
        [CH_GROUP, [[1, 'a']], 100],
        [CH_SESSION, [[2, 'b']], 0],
      ]);
    }
  });
});
