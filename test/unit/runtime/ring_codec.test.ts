// The binary message form of the shared-memory rings between groups: every field of every
// message kind and every property value the runtime carries comes back exactly (bigint, -0,
// lone surrogates, buffers), what the form does not carry is refused (the channel then sends it
// by port), a record cut short by the space given is refused without leaving anything behind,
// and a record that is not one is reported instead of read.
import { describe, expect, it } from 'vitest';
import { NO_ROOM, NOT_COMPACT, RING_INLINE_BYTES, RingDecoder, RingEncoder, RingFormatError } from '../../../src/runtime/core/ring_codec';
import { newWireMsg, packedOf, PeerIndex, wireBuf, type MsgType, type SharedLoc, type WireMsg } from '../../../src/runtime/core/wire';

const APP = 'app';
const GRAPH = 'g1';
const locs = new Map<string, SharedLoc>();
function locOf(ext: string): SharedLoc {
  let l = locs.get(ext);
  if (!l) {
    const loc = Object.freeze({ app: APP, graph: GRAPH, ext });
    l = { loc, dests: Object.freeze([loc]) as unknown as SharedLoc['dests'] };
    locs.set(ext, l);
  }
  return l;
}
const index = new PeerIndex(['src', 'dst', 'other'], locOf);

function msg(type: MsgType, name = 'm', props: Record<string, unknown> = {}): WireMsg {
  const w = newWireMsg(type, name);
  w.src = locOf('src').loc;
  w.dests = locOf('dst').dests;
  w.props = props;
  return w;
}

/** One encoder/decoder pair over one buffer, as a ring's two ends; `send` encodes and decodes. */
function channel(size = 1 << 16) {
  const bytes = new Uint8Array(new SharedArrayBuffer(size));
  const enc = new RingEncoder(bytes, index, APP, GRAPH);
  const dec = new RingDecoder(index, APP, GRAPH, locOf);
  let pos = 0;
  return {
    enc,
    bytes,
    send(w: WireMsg): WireMsg {
      if (pos > size - 8192) pos = 0;
      const end = enc.encode(w, pos, size);
      expect(end, 'encoded').toBeGreaterThan(pos);
      // The reader sees a copy of the ring's bytes, as RingReader.take hands it.
      const copy = bytes.slice(0, end);
      dec.use(copy);
      const out = dec.decode(pos, end);
      pos = (end + 3) & ~3;
      return out;
    },
    encode(w: WireMsg, limit = size): number {
      return enc.encode(w, pos, pos + limit);
    },
  };
}

const plain = (w: WireMsg) => ({ ...w, src: { ...w.src }, dests: w.dests.map((d) => ({ ...d })), buf: wireBuf(w), packed: null });

describe('ring codec', () => {
  it('restores every field of data, frames, cmds and results', () => {
    const c = channel();
    const d = msg('data', 'tick', { seq: 1 });
    d.ts = 1712345678901.5;
    const a = msg('audio_frame', 'pcm');
    a.audio = { sampleRate: 16000, bytesPerSample: 2, samplesPerChannel: 320, channels: 1, channelLayout: 3, dataFmt: 1, lineSize: 640, eof: true };
    const v = msg('video_frame', 'cam');
    v.video = { width: 1280, height: 720, pixelFmt: 2, eof: false };
    const cmd = msg('cmd', 'hello', { a: 1 });
    cmd.cmdId = 'f2c4b6e0-5d3a-4c1e-9b7a-0e1f2a3b4c5d';
    cmd.parentCmdId = 'parent';
    cmd.seqId = '42';
    const r = msg('cmd_result', 'hello', { detail: 'done' });
    r.cmdId = 'id';
    r.status = 1;
    r.isFinal = false;
    r.isCompleted = true;
    r.origName = 'hello';
    r.origType = 'cmd';
    const t = msg('timer', 'ten:timer', { timer_id: 7 });
    t.cmdId = 'x';
    for (const w of [d, a, v, cmd, r, t]) expect(plain(c.send(w))).toEqual(plain(w));
  });

  it('keeps every property value exact: bigint int64/uint64 and beyond, -0, NaN, undefined, unicode, buffers', () => {
    const c = channel();
    const buf = new Uint8Array([1, 2, 3, 250]).buffer;
    const props = {
      i: 0,
      small: 255,
      neg: -1,
      i32: 2 ** 31 - 1,
      big: 2 ** 31,
      f: 0.1 + 0.2,
      negZero: -0,
      nan: NaN,
      inf: -Infinity,
      max: Number.MAX_SAFE_INTEGER,
      u64: 18446744073709551615n,
      i64: -9223372036854775808n,
      beyond: 2n ** 70n,
      beyondNeg: -(2n ** 70n) - 1n,
      t: true,
      f0: false,
      n: null,
      u: undefined,
      s: '',
      ascii: 'hello',
      latin1: 'naïve café ÿ',
      cjk: '中文 😀',
      lone: '\ud800x\udfff',
      long: 'x'.repeat(70_000).slice(0, 1000),
      arr: [1, 'two', [3], { four: 4 }, null],
      empty: {},
      nested: { a: { b: { c: [1n, -2n] } } },
      buf,
      'key with spaces and ключ': 1,
    };
    const out = c.send(msg('data', 'd', props)).props;
    expect(out).toEqual(props);
    expect(Object.is(out.negZero, -0)).toBe(true);
    expect(typeof out.u64).toBe('bigint');
    expect('u' in out).toBe(true);
    expect(new Uint8Array(out.buf as ArrayBuffer)).toEqual(new Uint8Array(buf));
    expect(out.buf).not.toBe(buf);
  });

  it('carries a small buffer inline (left in the bytes it came in until read); a larger one is refused', () => {
    const c = channel();
    const w = msg('data');
    w.buf = new Uint8Array(RING_INLINE_BYTES).map((_, i) => i & 255).buffer;
    const out = c.send(w);
    expect(out.buf).toBeNull();
    expect(out.packed).toBeNull();
    expect(out.arenaLen).toBe(RING_INLINE_BYTES);
    // Sent on from where it arrived (forwarded without a view or an ArrayBuffer of its own), small
    // (copied word by word) or not (one view and TypedArray#set).
    const again = c.send(out);
    expect(out.arena).not.toBeNull();
    expect([...packedOf(again)!]).toEqual([...new Uint8Array(w.buf)]);
    const small = msg('data');
    small.buf = new Uint8Array(13).map((_, i) => 200 + i).buffer;
    expect([...packedOf(c.send(c.send(small)))!]).toEqual([...new Uint8Array(small.buf)]);
    // Read: an ArrayBuffer of its own, once.
    const own = wireBuf(out)!;
    expect(new Uint8Array(own)[RING_INLINE_BYTES - 1]).toBe((RING_INLINE_BYTES - 1) & 255);
    expect(out.arena).toBeNull();
    expect(wireBuf(out)).toBe(own);

    const big = msg('data');
    big.buf = new ArrayBuffer(RING_INLINE_BYTES + 1);
    expect(RingEncoder.fits(big)).toBe(false);
    expect(c.encode(big)).toBe(NOT_COMPACT);
    const shared = msg('data');
    shared.buf = new SharedArrayBuffer(8) as unknown as ArrayBuffer;
    expect(RingEncoder.fits(shared)).toBe(false);
  });

  it('puts an inline buffer on an 8-byte boundary of the ring wherever its record starts', () => {
    // V8 copies into a SharedArrayBuffer word by word only between equally aligned places.
    const bytes = new Uint8Array(new SharedArrayBuffer(1 << 12));
    const enc = new RingEncoder(bytes, index, APP, GRAPH);
    const dec = new RingDecoder(index, APP, GRAPH, locOf);
    dec.use(bytes);
    for (let pos = 0; pos < 64; pos += 4) {
      for (const name of ['m', 'mm', 'a-longer-name']) {
        const w = msg('data', name, { seq: pos });
        w.buf = new Uint8Array(24).fill(pos).buffer;
        const end = enc.encode(w, pos, bytes.length);
        const out = dec.decode(pos, end);
        expect(out.arenaAt % 8, `record at ${pos} named ${name}`).toBe(0);
        expect([...packedOf(out)!]).toEqual(Array(24).fill(pos));
      }
    }
  });

  it('refuses what it does not carry, so the channel sends it by port', () => {
    const c = channel();
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 70; i++) deep = { deep };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const v of [new Map(), new Date(0), new Uint8Array(2), () => 1, Symbol('s'), deep, cyclic, new ArrayBuffer(RING_INLINE_BYTES + 1), new (class X {})()]) {
      expect(c.encode(msg('data', 'd', { v })), String(v)).toBe(NOT_COMPACT);
    }
    const after = msg('data', 'after', { ok: 1 });
    expect(plain(c.send(after))).toEqual(plain(after));
  });

  it('ends outside the graph are spelled out; ends inside share the graph’s location objects', () => {
    const c = channel();
    const w = msg('cmd', 'x');
    w.src = { app: 'msgpack://other:8001/', graph: 'g2', ext: 'far' };
    w.dests = [{ app: APP, graph: GRAPH, ext: 'dst' }];
    const out = c.send(w);
    expect(out.src).toEqual(w.src);
    expect(out.dests[0]).toBe(locOf('dst').loc);
    const unknown = msg('data');
    unknown.dests = [{ app: APP, graph: GRAPH, ext: 'not-in-graph' }];
    expect(c.send(unknown).dests).toEqual(unknown.dests);
  });

  it('a record that does not fit is refused and leaves no interned string behind', () => {
    const c = channel();
    const w = msg('data', 'a-name-not-seen-before', { 'a-key-not-seen-before': 1 });
    expect(c.encode(w, 20)).toBe(NO_ROOM);
    expect(c.enc.internedCount).toBe(0);
    // Sent after the refusal, the names are defined again in the record that carries them.
    expect(c.send(w).props).toEqual(w.props);
    expect(c.enc.internedCount).toBe(2);
  });

  it('more distinct keys than the intern table holds still round-trip', () => {
    const c = channel(1 << 20);
    for (let i = 0; i < 5000; i++) expect(c.send(msg('data', `n${i}`, { [`k${i}`]: i })).props).toEqual({ [`k${i}`]: i });
  });

  it('a record that is not one is reported, not read', () => {
    const dec = new RingDecoder(index, APP, GRAPH, locOf);
    const junk = new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    dec.use(junk);
    expect(() => dec.decode(0, junk.length)).toThrow(RingFormatError);
    // A valid record with a wrong length.
    const c = channel();
    const bytes = c.bytes;
    const end = c.enc.encode(msg('data', 'd', { x: 1 }), 0, 4096);
    dec.use(bytes.slice(0, end + 8));
    expect(() => dec.decode(0, end + 8)).toThrow(RingFormatError);
    // A reference to a string the reader never saw.
    const fresh = new RingDecoder(index, APP, GRAPH, locOf);
    const again = c.enc.encode(msg('data', 'd', { x: 1 }), 0, 4096);
    fresh.use(bytes.slice(0, again));
    expect(() => fresh.decode(0, again)).toThrow(/never defined/);
  });
});
