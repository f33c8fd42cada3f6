/**
 * What a message from another app keeps when an extension of ours sends it on: the TEN types of
 * its properties (an INT32, a FLOAT32, a UINT8, a positive INT64: TEN's, not our inference) and a
 * frame timestamp beyond ±2^53, exactly. Decoded on either path (the group's direct decoder, the
 * host's general one), carried through every hop inside the runtime (a fan-out copy, a
 * shared-memory ring, a port batch, a structured clone) and encoded for another app on either
 * path, the frame is the bytes it came as. A property the extension changed keeps its type while
 * the value fits it; a fresh message is typed by inference; setTimestamp drops the exact value.
 */
import { describe, expect, it } from 'vitest';
import { cloneWire, decodePeer, newWireMsg, packedOf, PeerEncoder, PeerIndex, type SharedLoc, type WireLoc, type WireMsg } from '../../../../src/runtime/core/wire';
import { RingDecoder, RingEncoder } from '../../../../src/runtime/core/ring_codec';
import { decodeAll, encodeFrame, tenLoc, TenMsg, TenType, Writer, type TypeTree } from '../../../../src/runtime/protocol';
import { fromTen, toTen } from '../../../../src/runtime/protocol/bridge';
import { decodeInboundFrames } from '../../../../src/runtime/protocol/group_links';
import { encodeWireFrame } from '../../../../src/runtime/protocol/wire_encode';
import { Data, VideoFrame, wrapWire, type AudioFrame } from '../../../../src/runtime/api/msg';

const A = 'msgpack://127.0.0.1:8001/';
const B = 'msgpack://127.0.0.1:8002/';
const G = '4f1d0c2e-9a7b-4c3d-8e5f-6a7b8c9d0e1f';
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

const receivers = new Map<string, SharedLoc>();
/** This graph's shared locations (app B), as the group's router keeps them. */
function locOf(ext: string): SharedLoc {
  let l = receivers.get(ext);
  if (!l) {
    const loc = Object.freeze({ app: B, graph: G, ext }) as WireLoc;
    receivers.set(ext, (l = { loc, dests: Object.freeze([loc]) as unknown as WireLoc[] }));
  }
  return l;
}

/** Properties as a TEN app sends them: types our inference would not give. */
const PROPS = (): { props: Record<string, unknown>; types: TypeTree } => ({
  props: { i32: -2147483648, f32: 0.5, u8: 7, i64: INT64_MAX, i64small: 5, d: 2, nested: { a: [1, -1, 3.25], s: 'x' }, plain: 9, neg: -3 },
  types: { i32: TenType.INT32, f32: TenType.FLOAT32, u8: TenType.UINT8, i64: TenType.INT64, i64small: TenType.INT64, d: TenType.FLOAT64, nested: { a: { 0: TenType.INT16, 1: TenType.INT8, 2: TenType.FLOAT32 } } },
});

/** A TEN message from app A's `sender` to app B's `receiver`, and its frame bytes. */
function fromA(type: 'cmd' | 'data' | 'audio_frame' | 'video_frame', ts: bigint | number = 0): { m: TenMsg; bytes: Uint8Array } {
  const m = new TenMsg(type, `t_${type}`);
  m.src = tenLoc(A, G, 'sender');
  m.dests = [tenLoc(B, G, 'receiver')];
  const { props, types } = PROPS();
  m.props = props;
  m.propTypes = types;
  if (type === 'cmd') {
    m.cmdId = 'c1';
    m.seqId = 's1';
  }
  if (type !== 'cmd') m.buf = new Uint8Array([1, 2, 3, 4]);
  if (type === 'audio_frame') {
    m.timestamp = ts;
    m.sampleRate = 16000;
    m.bytesPerSample = 2;
    m.samplesPerChannel = 1;
    m.channels = 2;
    m.dataFmt = 1;
    m.lineSize = 4;
  }
  if (type === 'video_frame') {
    m.timestamp = ts;
    m.pixelFmt = 2;
    m.width = 1;
    m.height = 1;
  }
  const w = new Writer(256);
  expect(encodeFrame(w, m)).toBeNull();
  return { m, bytes: w.bytes().slice() };
}

/** The frame the group's direct encoder writes for `w`. */
function directBytes(w: WireMsg): number[] {
  const out = new Writer(256);
  expect(encodeWireFrame(out, w)).toBeNull();
  return [...out.bytes()];
}

/** The frame the host's general encoder writes for `w` (as net.ts sends a local message on). */
function generalBytes(w: WireMsg): number[] {
  const out = new Writer(256);
  const buf = packedOf(w) ?? (w.buf !== null ? new Uint8Array(w.buf) : null);
  expect(encodeFrame(out, toTen(w, buf))).toBeNull();
  return [...out.bytes()];
}

/** Decoded as a group decodes frames from app A (the direct decoder). */
function directDecode(bytes: Uint8Array): WireMsg {
  const b = bytes.slice().buffer;
  const [w] = decodeInboundFrames(b, b.byteLength, A, G, locOf);
  return w!;
}

/** Decoded as the host decodes them (the general decoder, then `fromTen`). */
function generalDecode(bytes: Uint8Array): WireMsg {
  const m = decodeAll(bytes).msgs[0]!;
  return fromTen(m, m.buf);
}

/** Through a shared-memory ring between two groups and back. */
function viaRing(w: WireMsg): WireMsg {
  const index = new PeerIndex(['receiver', 'next'], locOf);
  const bytes = new Uint8Array(new SharedArrayBuffer(1 << 14));
  const enc = new RingEncoder(bytes, index, B, G);
  const end = enc.encode(w, 0, bytes.length);
  expect(end).toBeGreaterThan(0);
  const dec = new RingDecoder(index, B, G, locOf);
  dec.use(bytes.slice(0, end));
  return dec.decode(0, end);
}

/** Through a port batch between two groups (structured clone included). */
function viaPort(w: WireMsg): WireMsg {
  const index = new PeerIndex(['receiver', 'next'], locOf);
  const enc = new PeerEncoder(index);
  enc.encode(w);
  const batch = enc.take()!;
  return decodePeer(structuredClone(batch.values, { transfer: batch.transfer }), index, locOf)[0]!;
}

const TYPES = ['cmd', 'data', 'audio_frame', 'video_frame'] as const;

describe('a message from another app, sent on', () => {
  for (const type of TYPES) {
    it(`${type}: keeps its property types on every path and hop (the bytes it came as)`, () => {
      const { bytes } = fromA(type, type === 'audio_frame' ? INT64_MAX : type === 'video_frame' ? INT64_MIN : 0);
      // Sent back the way it came: same ends, so the same bytes.
      const asSent = (w: WireMsg): WireMsg => {
        w.src = Object.freeze({ app: A, graph: G, ext: 'sender' });
        w.dests = [{ app: B, graph: G, ext: 'receiver' }];
        return w;
      };
      const want = [...bytes];
      for (const decode of [directDecode, generalDecode]) {
        const w = decode(bytes);
        expect(w.propTypes).not.toBeNull();
        for (const hop of [(x: WireMsg) => x, cloneWire, viaRing, viaPort, structuredClone<WireMsg>]) {
          const x = asSent(hop(decode(bytes)));
          expect(directBytes(x), `${decode.name} → ${hop.name || 'same thread'} → direct encoder`).toEqual(want);
          expect(generalBytes(asSent(hop(decode(bytes)))), `${decode.name} → ${hop.name || 'same thread'} → general encoder`).toEqual(want);
        }
      }
    });
  }

  it('frame timestamps beyond ±2^53 are relayed exactly; the API reads the nearest number; setTimestamp drops the exact one', () => {
    for (const [type, ts] of [
      ['audio_frame', INT64_MAX],
      ['video_frame', INT64_MIN],
      ['audio_frame', INT64_MIN],
      ['video_frame', (1n << 53n) + 1n],
    ] as const) {
      const { bytes } = fromA(type, ts);
      for (const decode of [directDecode, generalDecode]) {
        const w = decode(bytes);
        expect(w.tsExact).toBe(ts);
        expect(w.ts).toBe(Number(ts));
        const f = wrapWire(w) as AudioFrame | VideoFrame;
        expect(f.getTimestamp()).toBe(Number(ts));
        const m = decodeAll(new Uint8Array(directBytes(w))).msgs[0]!;
        expect(m.timestamp).toBe(ts);
        f.setTimestamp(1234);
        expect(w.tsExact).toBeNull();
        expect(decodeAll(new Uint8Array(directBytes(w))).msgs[0]!.timestamp).toBe(1234);
        expect(decodeAll(new Uint8Array(generalBytes(w))).msgs[0]!.timestamp).toBe(1234);
      }
    }
    // A timestamp within ±2^53 needs no exact copy.
    expect(directDecode(fromA('video_frame', -(2 ** 53) + 1).bytes).tsExact).toBeNull();
  });

  it('properties typed as inferred carry no type record (nothing to keep)', () => {
    const m = new TenMsg('data', 'd');
    m.src = tenLoc(A, G, 'sender');
    m.dests = [tenLoc(B, G, 'receiver')];
    m.props = { a: 1, b: -1, c: 0.5, s: 'x', o: { x: [1, 2] } };
    m.buf = new Uint8Array(0);
    const w = new Writer(64);
    encodeFrame(w, m);
    expect(directDecode(w.bytes()).propTypes).toBeNull();
    expect(generalDecode(w.bytes()).propTypes).toBeNull();
  });

  it('a property the extension changed keeps its type while the value fits it, else it is inferred', () => {
    const { bytes } = fromA('data');
    const w = directDecode(bytes);
    const d = wrapWire(w) as Data;
    expect(d.setPropertyNumber('i32', 100)).toBeUndefined(); // still an INT32
    expect(d.setPropertyNumber('u8', 300)).toBeUndefined(); // beyond UINT8: inferred UINT64
    expect(d.setPropertyNumber('f32', 0.1)).toBeUndefined(); // not a FLOAT32 value: FLOAT64
    expect(d.setPropertyNumber('nested.a[2]', 1.5)).toBeUndefined(); // still a FLOAT32
    const out = decodeAll(new Uint8Array(directBytes(w))).msgs[0]!;
    expect(out.props).toMatchObject({ i32: 100, u8: 300, f32: 0.1, nested: { a: [1, -1, 1.5] } });
    expect(out.propTypes).toEqual({ i32: TenType.INT32, i64: TenType.INT64, i64small: TenType.INT64, d: TenType.FLOAT64, nested: { a: { 0: TenType.INT16, 1: TenType.INT8, 2: TenType.FLOAT32 } } });
  });

  it("an extension's own new message is typed by inference, as before", () => {
    const d = Data.Create('fresh');
    d.setPropertyNumber('n', 7);
    d.setPropertyNumber('neg', -7);
    d.setPropertyNumber('f', 0.5);
    d.setPropertyFromJson('o', '{"x": 2.0, "big": 9223372036854775807}');
    const w = d._w;
    expect(w.propTypes).toBeNull();
    w.src = Object.freeze({ app: A, graph: G, ext: 'sender' });
    w.dests = [{ app: B, graph: G, ext: 'receiver' }];
    const out = decodeAll(new Uint8Array(directBytes(w))).msgs[0]!;
    expect(out.props).toEqual({ n: 7, neg: -7, f: 0.5, o: { x: 2, big: INT64_MAX } });
    // 2.0 from JSON is the integer 2 (UINT64); INT64_MAX is positive (UINT64).
    expect(out.propTypes).toBeNull();
    const v = VideoFrame.Create('v');
    expect(v._w.tsExact).toBeNull();
    expect(newWireMsg('data', 'x').propTypes).toBeNull();
  });
});
