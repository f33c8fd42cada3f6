/**
 * BytesMemo (protocol/msgpack.ts): the decoders' memo of locations by their bytes. Equal bytes
 * hit, bytes differing anywhere miss (it compares four bytes at a time, then the rest), and a hit
 * moves the reader past them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BytesMemo, Reader } from '../../../../src/runtime/protocol/msgpack';

/** A reader over `pad` bytes, then `bytes`, then `tail` bytes, positioned at `bytes`. */
function readerAt(bytes: Uint8Array, pad: number, tail: number): Reader {
  const b = new Uint8Array(pad + bytes.length + tail).fill(0xee);
  b.set(bytes, pad);
  const r = new Reader(b);
  r.pos = pad;
  return r;
}

function remember(memo: BytesMemo<string>, bytes: Uint8Array, v: string): void {
  const r = readerAt(bytes, 3, 0);
  r.pos = 3 + bytes.length;
  memo.keep(r, 3, v);
}

describe('BytesMemo', () => {
  it('equal bytes hit at any offset and length; a difference at any position misses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat({ max: 7 }), fc.nat(), (key, pad, where) => {
        const memo = new BytesMemo<string>();
        remember(memo, key, 'v');
        const r = readerAt(key, pad, 5);
        expect(memo.take(r)).toBe('v');
        expect(r.pos).toBe(pad + key.length);
        const other = Uint8Array.from(key);
        const i = where % key.length;
        other[i] ^= 0x01;
        const r2 = readerAt(other, pad, 5);
        expect(memo.take(r2), `a difference at byte ${i} of ${key.length}`).toBeUndefined();
        expect(r2.pos).toBe(pad);
      }),
      { numRuns: 2000 },
    );
  });

  it('bytes longer than what is left of the message miss; several keys each find their value', () => {
    const memo = new BytesMemo<string>();
    const keys = Array.from({ length: 8 }, (_, n) => Uint8Array.from({ length: 5 + n }, (_, i) => (i * 31 + n) & 0xff));
    keys.forEach((k, n) => remember(memo, k, `k${n}`));
    for (let n = 7; n >= 0; n--) expect(memo.take(readerAt(keys[n]!, 0, 0))).toBe(`k${n}`);
    const cut = readerAt(keys[3]!, 0, 0);
    cut.end -= 1;
    expect(memo.take(cut)).toBeUndefined();
  });
});
