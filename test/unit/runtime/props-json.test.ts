// toJson (the runtime's *ToJson): JSON text of property values, where a buffer (TEN `buf`) is not
// JSON and is left out wherever it sits, integers beyond 2^53 keep their digits, and anything
// else is written as JSON.stringify writes it. Plain values take JSON.stringify alone; these
// cases hold whichever way a value is written.
import { describe, expect, it } from 'vitest';
import { toJson } from '../../../src/runtime/core/props';

describe('toJson', () => {
  it('writes plain values as JSON.stringify does', () => {
    const v = { seq: 7, s: 'x"y', f: 1.5, b: true, n: null, a: [1, 'two', { three: 3 }], o: { p: { q: [] } } };
    expect(toJson(v)).toBe(JSON.stringify(v));
    expect(toJson('text')).toBe('"text"');
    expect(toJson(3)).toBe('3');
  });

  it('leaves out buffers at any depth: a key is dropped, an array element becomes null', () => {
    const buf = new ArrayBuffer(4);
    expect(toJson({ a: 1, buf })).toBe('{"a":1}');
    expect(toJson({ a: { b: { c: buf, d: 2 } } })).toBe('{"a":{"b":{"d":2}}}');
    expect(toJson({ list: [1, buf, 3] })).toBe('{"list":[1,null,3]}');
    expect(toJson([[buf]])).toBe('[[null]]');
    expect(toJson(buf)).toBe('');
  });

  it('keeps integers beyond 2^53 exact, beside buffers too', () => {
    expect(toJson({ big: 12345678901234567890n })).toBe('{"big":12345678901234567890}');
    expect(toJson({ big: [18446744073709551615n], buf: new ArrayBuffer(1) })).toBe('{"big":[18446744073709551615]}');
  });

  it('writes values that are not plain objects as JSON.stringify does (toJSON, typed arrays)', () => {
    const d = new Date(0);
    expect(toJson({ d })).toBe(JSON.stringify({ d }));
    expect(toJson({ u: new Uint8Array([1, 2]) })).toBe(JSON.stringify({ u: new Uint8Array([1, 2]) }));
  });

  it('writes a deep value whole and still drops a buffer at its bottom', () => {
    let v: Record<string, unknown> = { buf: new ArrayBuffer(1), x: 1 };
    for (let i = 0; i < 200; i++) v = { v };
    expect(toJson(v)).toBe(`${'{"v":'.repeat(200)}{"x":1}${'}'.repeat(200)}`);
  });
});
