// Buf properties on the Python link: split out of the JSON properties on the way out, put back as
// ArrayBuffers of their own on the way in (the frame's memory is not kept).
import { describe, expect, it } from 'vitest';
import { putBufProps, splitBufProps } from '../../../src/runtime/core/py_bufprops';

const bytes = (...v: number[]) => new Uint8Array(v).buffer;

describe('buf properties on the Python link', () => {
  it('leaves properties without buf values as they are', () => {
    expect(splitBufProps({})).toBeNull();
    expect(splitBufProps({ a: { b: [1, 'x', null, { c: true }] } })).toBeNull();
  });

  it('splits them out by path, in order, and puts them back exactly', () => {
    const props = { all: bytes(0, 255, 7), a: { b: ['text', bytes(9)] }, empty: new ArrayBuffer(0), n: 1 };
    const split = splitBufProps(props)!;
    expect(split.props).toEqual({ all: null, a: { b: ['text', null] }, empty: null, n: 1 });
    expect(split.paths).toEqual([[['all'], 3], [['a', 'b', 1], 1], [['empty'], 0]]);
    expect(split.bufs.map((b) => [...b])).toEqual([[0, 255, 7], [9]]);
    // The original keeps its values.
    expect(props.all.byteLength).toBe(3);

    // As received: the bytes lie in a Node Buffer that holds the whole frame.
    const frame = Buffer.from([1, 2, 0, 255, 7, 9, 3]);
    let off = 2;
    const take = (n: number) => {
      if (!n) return null;
      const v = frame.subarray(off, off + n);
      off += n;
      return v;
    };
    const back = JSON.parse(JSON.stringify(split.props)) as Record<string, unknown>;
    putBufProps(back, split.paths, take);
    expect(off).toBe(6);
    const all = back.all as ArrayBuffer;
    expect(all).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(all)]).toEqual([0, 255, 7]);
    expect(all.byteLength).toBe(3);
    expect([...new Uint8Array((back.a as { b: ArrayBuffer[] }).b[1]!)]).toEqual([9]);
    expect((back.empty as ArrayBuffer).byteLength).toBe(0);
  });
});
