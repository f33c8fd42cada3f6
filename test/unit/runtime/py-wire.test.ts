// The frames between a group thread and its Python process.
import { describe, expect, it } from 'vitest';
import { BIG_PART, CH_GROUP, CH_SESSION, encodeFrame, FrameReader, type PyFrame } from '../../../src/runtime/core/py_wire';

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

  it('is one buffer (one write) unless a buffer is big; big buffers go uncopied, as parts of their own', () => {
    const small = [new Uint8Array(10).fill(1), new Uint8Array(BIG_PART - 1).fill(2)];
    const one = encodeFrame(CH_GROUP, [[4, 0, 'a', {}, 10], [4, 0, 'b', {}, BIG_PART - 1]], small);
    expect(one).toHaveLength(1);
    const big = new Uint8Array(BIG_PART).fill(3);
    const parts = encodeFrame(CH_GROUP, [[4, 0, 'a', {}, 10], [4, 0, 'c', {}, BIG_PART]], [small[0], big]);
    expect(parts).toHaveLength(3);
    expect(parts[1]).toBe(small[0]);
    expect(parts[2]).toBe(big);
    for (const [frame, sizes] of [
      [one, [10, BIG_PART - 1]],
      [parts, [10, BIG_PART]],
    ] as const) {
      const got: PyFrame[] = [];
      new FrameReader().push(bytes(frame), (f) => got.push(f));
      expect(got).toHaveLength(1);
      expect(got[0].bins.length).toBe(sizes[0] + sizes[1]);
      expect(got[0].bins[0]).toBe(1);
      expect(got[0].bins[sizes[0]]).toBe(sizes[1] === BIG_PART ? 3 : 2);
    }
    // Non-ASCII JSON: the head counts bytes, not characters.
    const text = bytes(encodeFrame(CH_GROUP, [[1, 'é€😀']], [new Uint8Array([7])]));
    const got: PyFrame[] = [];
    new FrameReader().push(text, (f) => got.push(f));
    expect(got[0].records).toEqual([[1, 'é€😀']]);
    expect([...got[0].bins]).toEqual([7]);
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
