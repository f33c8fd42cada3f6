/**
 * TEN values on the wire (every type, int64/uint64 exact, types kept across a round trip) and
 * the decoder's located errors for what TEN aborts on: garbage, a wrong tag, a NULL, an empty
 * frame, half a message, a frame past the size limit.
 */
import { describe, expect, it } from 'vitest';
import { FrameDecoder, TenMsg, Writer, decodeAll, encodeFrame, encodeMsg, tenLoc, type ProtocolError } from '../../../../src/runtime/protocol';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

function roundTrip(m: TenMsg): TenMsg {
  const b = encodeMsg(m);
  if (!Buffer.isBuffer(b)) throw new Error(b.message);
  const { msgs, error } = decodeAll(b);
  expect(error).toBeNull();
  expect(msgs).toHaveLength(1);
  expect(hex(encodeMsg(msgs[0]) as Buffer)).toBe(hex(b));
  return msgs[0];
}

/** A cmd body with one property whose TEN value bytes are `valueHex`. */
function cmdWithProp(valueHex: string): Buffer {
  const body = bytes('01 0da3636d64 0da168 1000 0f00 1001 a176' + valueHex + '0da0 0da0');
  const head = body.length < 256 ? Buffer.from([0xc7, body.length, 0x01]) : Buffer.from([0xc8, body.length >> 8, body.length & 0xff, 0x01]);
  return Buffer.concat([head, body]);
}

function decodeError(b: Uint8Array): ProtocolError {
  const { error } = decodeAll(b);
  expect(error).not.toBeNull();
  return error!;
}

describe('TEN values', () => {
  it('integers at every width boundary keep their value and type', () => {
    const m = new TenMsg('cmd', 'ints');
    m.props = {
      u0: 0,
      u127: 127,
      u128: 128,
      u255: 255,
      u256: 256,
      u65535: 65535,
      u65536: 65536,
      u32max: 0xffff_ffff,
      u2p32: 0x1_0000_0000,
      safe: Number.MAX_SAFE_INTEGER,
      beyond: 9007199254740993n,
      u64max: 18446744073709551615n,
      n1: -1,
      n32: -32,
      n33: -33,
      n128: -128,
      n129: -129,
      n32768: -32768,
      n32769: -32769,
      i32min: -0x8000_0000,
      below32: -0x8000_0001,
      minSafe: Number.MIN_SAFE_INTEGER,
      i64min: -9223372036854775808n,
    };
    const back = roundTrip(m);
    expect(back.props).toEqual(m.props);
    expect(typeof back.props.beyond).toBe('bigint');
    expect(typeof back.props.safe).toBe('number');
    expect(back.propTypes).toBeNull();
  });

  it('packs integers in the smallest form, as msgpack-c does (UINT64 5 is 0a 05, INT64 -5e9 is d3…)', () => {
    const m = new TenMsg('cmd', 'h');
    m.props = { v: 5 };
    expect(hex(encodeMsg(m) as Buffer)).toContain('a1760a05');
    m.props = { v: -5_000_000_000 };
    expect(hex(encodeMsg(m) as Buffer)).toContain('a17606d3fffffffed5fa0e00');
    m.props = { v: 1.5 };
    expect(hex(encodeMsg(m) as Buffer)).toContain('a1760ccb3ff8000000000000');
    m.props = { v: true, w: false };
    expect(hex(encodeMsg(m) as Buffer)).toContain('a1760201a1770200');
  });

  it('keeps received types that the runtime value does not show (INT8, UINT16, FLOAT32, FLOAT64 2.0, INT64 5)', () => {
    for (const [valueHex, want] of [
      ['03ff', -1],
      ['03 05', 5],
      ['08 cd0100', 256],
      ['0b ca3fc00000', 1.5],
      ['0c cb4000000000000000', 2],
      ['06 05', 5],
      ['05 d2ffff0000', -65536],
      ['09 ce80000000', 0x8000_0000],
    ] as const) {
      const frame = cmdWithProp(valueHex.replace(/\s/g, ''));
      const { msgs, error } = decodeAll(frame);
      expect(error).toBeNull();
      expect(msgs[0].props.v).toBe(want);
      expect(hex(encodeMsg(msgs[0]) as Buffer)).toBe(hex(frame));
    }
  });

  it('a received type no longer fitting a changed value falls back to the inferred type', () => {
    const { msgs } = decodeAll(cmdWithProp('0305'));
    msgs[0].props.v = 300;
    const again = decodeAll(encodeMsg(msgs[0]) as Buffer).msgs[0];
    expect(again.props.v).toBe(300);
    expect(again.propTypes).toBeNull();
  });

  it('nested arrays and objects, strings of every length class, buffers, -0, NaN and infinities', () => {
    const m = new TenMsg('cmd', 'nested');
    const big = 'x'.repeat(70_000);
    m.props = {
      list: [1, 'two', [3, { four: 4 }], new Uint8Array([1, 2, 3]).buffer],
      obj: { a: { b: { c: 'd' } } },
      s31: 'a'.repeat(31),
      s32: 'a'.repeat(32),
      s255: 'é'.repeat(127),
      s256: 'a'.repeat(256),
      s65536: big,
      unicode: 'héllo ✓ 🎉',
      empty: '',
      negZero: -0,
      nan: NaN,
      inf: Infinity,
      ninf: -Infinity,
      buf: new Uint8Array(300).fill(7).buffer,
    };
    const back = roundTrip(m);
    expect(back.props.list).toEqual(m.props.list);
    expect(back.props.obj).toEqual(m.props.obj);
    expect(back.props.s65536).toBe(big);
    expect(back.props.unicode).toBe('héllo ✓ 🎉');
    expect(Number.isNaN(back.props.nan)).toBe(true);
    expect(back.props.inf).toBe(Infinity);
    expect(new Uint8Array(back.props.buf as ArrayBuffer)).toEqual(new Uint8Array(300).fill(7));
  });

  it('a __proto__ key is an own property, not a prototype', () => {
    const m = new TenMsg('cmd', 'p');
    m.props = JSON.parse('{"__proto__": {"polluted": 1}}');
    const back = roundTrip(m);
    expect(Object.getPrototypeOf(back.props)).toBe(Object.prototype);
    expect(Object.keys(back.props)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('every message type round-trips with its own fields', () => {
    const g = 'b2b0b1f4-6f0a-4c55-9a55-1b1a2b3c4d5e';
    const make = (type: TenMsg['type'], name: string): TenMsg => {
      const m = new TenMsg(type, name);
      m.src = tenLoc('msgpack://127.0.0.1:8001/', g, 'a');
      m.dests = [tenLoc('msgpack://127.0.0.1:8002/', g, 'b'), tenLoc('x', '', null)];
      m.props = { k: 'v' };
      return m;
    };
    const sg = make('start_graph', 'ten:start_graph');
    sg.longRunningMode = true;
    sg.nodes = [{ type: 'extension', name: 'a', addon: 'x', extension_group: 'g', graph: g, app: 'u', property: { n: 1 } }];
    sg.connections = [{ app: 'u', graph: g, extension_group: 'g', extension: 'a', cmd: [{ name: 'hi', dest: [{ app: 'v', graph: g, extension_group: 'h', extension: 'b' }] }] }];
    sg.predefinedGraph = 'p';
    sg.graphJson = '{}';
    const r = make('cmd_result', 'ten:result');
    r.status = 1;
    r.isFinal = false;
    r.origType = 4;
    const stop = make('stop_graph', 'ten:stop_graph');
    stop.graphId = g;
    const tl = make('trigger_life_cycle', 'ten:trigger_life_cycle');
    tl.stage = 'start';
    const timer = make('timer', 'ten:timer');
    timer.timerId = 0xffff_ffff;
    timer.timeoutUs = 18446744073709551615n;
    timer.times = -1;
    const timeout = make('timeout', 'ten:timeout');
    timeout.timerId = 7;
    const data = make('data', 'd');
    data.buf = new Uint8Array([0, 1, 2]);
    const video = make('video_frame', 'v');
    video.pixelFmt = 2;
    video.timestamp = -9223372036854775808n;
    video.width = 640;
    video.height = 480;
    video.buf = new Uint8Array(640 * 480 * 4);
    const audio = make('audio_frame', 'a');
    audio.timestamp = 1733450000123;
    audio.sampleRate = 16000;
    audio.bytesPerSample = 2;
    audio.samplesPerChannel = 160;
    audio.channels = 1;
    audio.dataFmt = 1;
    audio.lineSize = 320;
    audio.buf = new Uint8Array(320);
    for (const m of [make('cmd', 'c'), make('close_app', 'ten:close_app'), sg, r, stop, tl, timer, timeout, data, video, audio]) {
      const back = roundTrip(m);
      const { buf: _a, raw, ...rest } = back;
      const { buf: _b, raw: _r, ...want } = m;
      expect(raw).toBeInstanceOf(Uint8Array);
      expect(rest).toEqual({ ...want, propTypes: back.propTypes, graphTypes: back.graphTypes });
      expect(back.buf?.length ?? 0).toBe(m.buf?.length ?? 0);
    }
  });

  it('a BUF field is a view into the received chunk (no copy); an empty buf is fine (TEN aborts on it)', () => {
    const m = new TenMsg('data', 'd');
    m.buf = new Uint8Array(1000).fill(9);
    const chunk = encodeMsg(m) as Buffer;
    const out: TenMsg[] = [];
    expect(new FrameDecoder().feed(chunk, out)).toBeNull();
    expect(out[0].buf!.buffer).toBe(chunk.buffer);
    m.buf = new Uint8Array(0);
    expect(roundTrip(m).buf!.length).toBe(0);
  });
});

describe('encoding refuses what TEN cannot carry, saying where', () => {
  it('a JSON null in properties is an error naming its path; nothing is written', () => {
    const m = new TenMsg('cmd', 'n');
    m.props = { a: { b: [1, null] } };
    const w = new Writer(16);
    w.byte(0x42);
    const err = encodeFrame(w, m);
    expect(err).toEqual({ field: 'properties', path: '.a.b[1]', message: expect.stringContaining('The properties field at .a.b[1] cannot be sent: null has no TEN wire type') });
    expect(w.pos).toBe(1);
  });

  it('integers beyond 64 bits, functions and class instances are refused', () => {
    const m = new TenMsg('cmd', 'n');
    for (const v of [1n << 64n, -(1n << 63n) - 1n, () => 1, new Map(), Symbol('s')]) {
      m.props = { v };
      const err = encodeMsg(m);
      expect(err).not.toBeInstanceOf(Buffer);
      expect((err as { path: string }).path).toBe('.v');
    }
  });

  it('undefined entries are left out, as JSON does', () => {
    const m = new TenMsg('cmd', 'n');
    m.props = { a: 1, b: undefined };
    expect(roundTrip(m).props).toEqual({ a: 1 });
  });
});

describe('decoding errors are located, never thrown', () => {
  it('garbage bytes', () => {
    const e = decodeError(bytes('48454c4c4f'));
    expect(e).toMatchObject({ offset: 0, frame: 0, field: 'ext header', expected: 'a msgpack ext object (one TEN message)', found: 'positive fixint 72 (0x48)' });
    expect(e.message).toBe('Malformed TEN message #1 at stream byte 0 (ext header): expected a msgpack ext object (one TEN message), found positive fixint 72 (0x48).');
  });

  it('a second message with a wrong ext type, after a good one', () => {
    const good = cmdWithProp('0d a0'.replace(/\s/g, ''));
    const bad = Buffer.from(good);
    bad[2] = 0x02;
    const { msgs, error } = decodeAll(Buffer.concat([good, bad]));
    expect(msgs).toHaveLength(1);
    expect(error).toMatchObject({ offset: good.length + 2, frame: 1, frameOffset: good.length, expected: 'ext type 1 (a TEN message)', found: 'ext type 2' });
  });

  it('a nil where a type tag belongs, and a NULL tag', () => {
    expect(decodeError(cmdWithProp('c0'))).toMatchObject({ field: 'properties', path: '.v', found: 'nil (0xc0)' });
    const e = decodeError(cmdWithProp('01'));
    expect(e.path).toBe('.v');
    expect(e.found).toContain('NULL (1)');
  });

  it('a field whose tag is not its type (TEN asserts)', () => {
    const frame = cmdWithProp('0da0');
    // src is OBJECT (16); make it an ARRAY (15).
    const i = frame.indexOf(Buffer.from('1000', 'hex'));
    frame[i] = 0x0f;
    expect(decodeError(frame)).toMatchObject({ field: 'src', expected: 'OBJECT (16), the type of this field', found: 'ARRAY (15)' });
  });

  it('an empty message, an unknown msg_type, a type name that is not the msg_type, a reserved name', () => {
    expect(decodeError(bytes('c70001'))).toMatchObject({ field: 'ext header', found: 'an empty ext object' });
    expect(decodeError(bytes('d40100'))).toMatchObject({ field: 'msg_type', found: 'msg_type 0' });
    expect(decodeError(bytes('d4010c'))).toMatchObject({ field: 'msg_type', found: 'msg_type 12' });
    const wrongType = new TenMsg('data', 'x');
    const b = encodeMsg(wrongType) as Buffer;
    b[b.indexOf(Buffer.from('data'))] = 0x78;
    expect(decodeError(b)).toMatchObject({ field: 'type', found: "'xata'" });
    const reserved = new TenMsg('cmd', 'ten:start_graph');
    expect(decodeError(encodeMsg(reserved) as Buffer)).toMatchObject({ field: 'name' });
  });

  it('bytes left after the last field', () => {
    const good = cmdWithProp('0da0');
    const body = Buffer.concat([good.subarray(3), Buffer.from([0x00])]);
    const e = decodeError(Buffer.concat([Buffer.from([0xc7, body.length, 1]), body]));
    expect(e).toMatchObject({ field: 'after the last field', found: '1 more byte' });
  });

  it('a count larger than the bytes left is refused before anything is allocated', () => {
    expect(decodeError(cmdWithProp('0fce7fffffff'))).toMatchObject({ path: '.v', found: '2147483647' });
    expect(decodeError(cmdWithProp('10ce7fffffff'))).toMatchObject({ path: '.v', found: '2147483647' });
  });

  it('nesting deeper than 128 is refused without exhausting the stack', () => {
    const deep = '0f01'.repeat(200) + '0da0';
    const e = decodeError(cmdWithProp(deep));
    expect(e.expected).toContain('nested at most 128 deep');
    expect(e.path).toMatch(/^\.v(\[0\]){127}$/);
  });

  it('a value out of its type range (INT8 300)', () => {
    expect(decodeError(cmdWithProp('03cd012c'))).toMatchObject({ path: '.v', expected: 'an int in the range of INT8', found: '300' });
  });

  it('half a message, then the end of the stream', () => {
    const frame = cmdWithProp('0da0');
    const d = new FrameDecoder();
    const out: TenMsg[] = [];
    expect(d.feed(frame.subarray(0, 10), out)).toBeNull();
    expect(d.buffered).toBe(10);
    expect(d.end()).toMatchObject({ offset: 10, frameOffset: 0, field: 'stream', expected: `${frame.length - 10} more bytes of a ${frame.length}-byte message`, found: 'the end of the stream' });
    const h = new FrameDecoder();
    expect(h.feed(bytes('c8'), out)).toBeNull();
    expect(h.end()).toMatchObject({ expected: 'the rest of a message header' });
  });

  it('an empty chunk changes nothing', () => {
    const d = new FrameDecoder();
    const out: TenMsg[] = [];
    expect(d.feed(new Uint8Array(0), out)).toBeNull();
    expect(d.end()).toBeNull();
    expect(out).toHaveLength(0);
  });

  it('a frame past the size limit is refused from its header, before it is buffered', () => {
    const d = new FrameDecoder({ maxFrameBytes: 1000 });
    const out: TenMsg[] = [];
    const e = d.feed(bytes('c900100000 01'.replace(/\s/g, '')), out);
    expect(e).toMatchObject({ offset: 0, field: 'ext header', expected: 'a message of at most 1000 bytes (the frame size limit)', found: 'a message of 1048576 bytes' });
    expect(d.buffered).toBe(0);
    // The error sticks: later bytes are not read.
    expect(d.feed(cmdWithProp('0da0'), out)).toBe(e);
  });

  it('offsets count from the first byte of the stream across chunks', () => {
    const good = cmdWithProp('0da0');
    const bad = cmdWithProp('c0');
    const stream = Buffer.concat([good, good, bad]);
    const d = new FrameDecoder();
    const out: TenMsg[] = [];
    let err: ProtocolError | null = null;
    for (let i = 0; i < stream.length && !err; i += 7) err = d.feed(stream.subarray(i, i + 7), out);
    expect(out).toHaveLength(2);
    const whole = decodeAll(stream).error!;
    expect(err).toEqual(whole);
    expect(whole.frame).toBe(2);
    expect(whole.frameOffset).toBe(2 * good.length);
  });
});
