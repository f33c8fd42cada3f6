/**
 * TEN's msgpack wire format, byte for byte: every captured fixture of ../shared/ten-corpus/protocol
 * decodes to what the fixture says and encodes back to the same bytes, the captured sessions
 * decode chunk by chunk, and the worked examples of the spec come out exactly.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, TenMsg, TenType, decodeAll, encodeMsg, fieldNames, inferTag, tenLoc, type TypeTree } from '../../../../src/runtime/protocol';

const PROTOCOL = resolve(process.cwd(), '..', 'shared', 'ten-corpus', 'protocol');
const HAS_PROTOCOL = existsSync(PROTOCOL);

interface Typed {
  ten_type: string;
  value: unknown;
}
interface Fixture {
  file: string;
  description: string;
  hex: string;
  ext_header: string;
  ext_body_bytes: number;
  decoded: ({ field: string; ten_type?: string; encoding?: string; value: unknown; name?: string } & Record<string, unknown>)[];
}

const fixtures: Fixture[] = HAS_PROTOCOL
  ? readdirSync(PROTOCOL)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((file) => ({ file, ...JSON.parse(readFileSync(join(PROTOCOL, file), 'utf8')) }))
  : [];

const TAG_NAMES = Object.fromEntries(Object.entries(TenType).map(([k, v]) => [v, k])) as Record<number, string>;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Buffer => Buffer.from(h, 'hex');

/** A runtime value with its TEN types, in the corpus's `{ten_type, value}` form. */
function typed(v: unknown, shadow: number | TypeTree | undefined): Typed {
  const tag = typeof shadow === 'number' ? shadow : inferTag(v);
  const tree = typeof shadow === 'object' ? shadow : undefined;
  if (Array.isArray(v)) return { ten_type: 'ARRAY', value: v.map((x, i) => typed(x, tree?.[i])) };
  if (v instanceof ArrayBuffer) return { ten_type: 'BUF', value: hex(new Uint8Array(v)) };
  if (v !== null && typeof v === 'object') {
    return { ten_type: 'OBJECT', value: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typed(x, tree?.[k])])) };
  }
  return { ten_type: TAG_NAMES[tag], value: typeof v === 'bigint' ? v.toString() : v };
}

const FIELD_KEYS: Record<string, keyof TenMsg> = {
  name: 'name',
  cmd_id: 'cmdId',
  seq_id: 'seqId',
  original_cmd_type: 'origType',
  status_code: 'status',
  is_final: 'isFinal',
  long_running_mode: 'longRunningMode',
  sync_stop_before_deinit: 'syncStopBeforeDeinit',
  predefined_graph: 'predefinedGraph',
  graph_json: 'graphJson',
  graph_id: 'graphId',
  stage: 'stage',
  pixel_fmt: 'pixelFmt',
  timestamp: 'timestamp',
  width: 'width',
  height: 'height',
  sample_rate: 'sampleRate',
  bytes_per_sample: 'bytesPerSample',
  samples_per_channel: 'samplesPerChannel',
  number_of_channel: 'channels',
  data_fmt: 'dataFmt',
  line_size: 'lineSize',
};

const FIXED_TYPES: Record<string, string> = {
  name: 'STRING',
  cmd_id: 'STRING',
  seq_id: 'STRING',
  original_cmd_type: 'INT32',
  status_code: 'INT32',
  is_final: 'BOOL',
  long_running_mode: 'BOOL',
  sync_stop_before_deinit: 'BOOL',
  predefined_graph: 'STRING',
  graph_json: 'STRING',
  graph_id: 'STRING',
  stage: 'STRING',
  pixel_fmt: 'INT32',
  timestamp: 'INT64',
  width: 'INT32',
  height: 'INT32',
  sample_rate: 'INT32',
  bytes_per_sample: 'INT32',
  samples_per_channel: 'INT32',
  number_of_channel: 'INT32',
  data_fmt: 'INT32',
  line_size: 'INT32',
};

const TYPE_NAMES: Record<string, string> = { cmd_result: 'result' };

function locTyped(l: { app: string | null; graph: string | null; extension: string | null }): Typed {
  const value: Record<string, Typed> = {};
  if (l.app !== null) value.app = { ten_type: 'STRING', value: l.app };
  if (l.graph !== null) value.graph = { ten_type: 'STRING', value: l.graph };
  if (l.extension !== null) value.extension = { ten_type: 'STRING', value: l.extension };
  return { ten_type: 'OBJECT', value };
}

/** Our decoding of a message in the corpus's field list form. */
function describe_(m: TenMsg): Fixture['decoded'] {
  const out: Fixture['decoded'] = [{ field: 'msg_type', encoding: 'msgpack uint', value: fieldCode(m), name: TYPE_NAMES[m.type] ?? m.type }];
  for (const field of fieldNames(m.type)) {
    if (field === 'type') out.push({ field, ten_type: 'STRING', value: TYPE_NAMES[m.type] ?? m.type });
    else if (field === 'src') out.push({ field, ...locTyped(m.src) });
    else if (field === 'dest') out.push({ field, ten_type: 'ARRAY', value: m.dests.map(locTyped) });
    else if (field === 'properties') out.push({ field, ...typed(m.props, m.propTypes ?? undefined) });
    else if (field === 'nodes' || field === 'connections') out.push({ field, ...typed(m[field], m.graphTypes?.[field]) });
    else if (field === 'buf') out.push({ field, ten_type: 'BUF', value: hex(m.buf!) });
    else out.push({ field, ten_type: FIXED_TYPES[field], value: m[FIELD_KEYS[field]] });
  }
  return out;
}

const fieldCode = (m: TenMsg): number => ({ cmd: 1, cmd_result: 2, close_app: 3, start_graph: 4, stop_graph: 5, trigger_life_cycle: 6, timer: 7, timeout: 8, data: 9, video_frame: 10, audio_frame: 11 })[m.type];

/** The corpus's `decoded` without the keys it adds for readers (`name` on msg_type is kept). */
function corpusDecoded(f: Fixture): Fixture['decoded'] {
  return f.decoded.map((d) => {
    const { field, ten_type, encoding, value, name } = d;
    return { field, ...(encoding ? { encoding } : {}), ...(ten_type ? { ten_type } : {}), value, ...(name ? { name } : {}) };
  });
}

describe.skipIf(!HAS_PROTOCOL)('captured TEN messages round-trip bit for bit (needs ../shared/ten-corpus/protocol)', () => {
  it('has the 26 fixtures the corpus documents', () => {
    expect(fixtures).toHaveLength(26);
  });

  it.each(fixtures.map((f) => [f.file, f] as const))('%s', (_file, f) => {
    const { msgs, error } = decodeAll(bytes(f.hex));
    expect(error).toBeNull();
    expect(msgs).toHaveLength(1);
    const m = msgs[0];
    expect(describe_(m)).toEqual(corpusDecoded(f));
    const again = encodeMsg(m);
    expect(again).toBeInstanceOf(Buffer);
    expect(hex(again as Buffer)).toBe(f.hex);
    expect(f.hex.startsWith(f.ext_header)).toBe(true);
  });
});

interface Session {
  connections: { connection: string; direction: string; chunks: string[] }[];
}
const sessions: [string, Session][] = HAS_PROTOCOL
  ? readdirSync(join(PROTOCOL, 'sessions')).map((f) => [f, JSON.parse(readFileSync(join(PROTOCOL, 'sessions', f), 'utf8')) as Session])
  : [];

describe.skipIf(!HAS_PROTOCOL)('captured sessions decode as streams (needs ../shared/ten-corpus/protocol)', () => {
  const streams = sessions.flatMap(([file, s]) => s.connections.map((c) => [`${file} ${c.connection} ${c.direction}`, c.chunks] as const));

  it.each(streams)('%s: chunks as read, and one byte at a time', (_name, chunks) => {
    const whole = Buffer.concat(chunks.map(bytes));
    const asRead = new FrameDecoder();
    const msgs: TenMsg[] = [];
    for (const c of chunks) expect(asRead.feed(bytes(c), msgs)).toBeNull();
    expect(asRead.end()).toBeNull();
    expect(msgs.length).toBeGreaterThan(0);
    expect(Buffer.concat(msgs.map((m) => encodeMsg(m) as Buffer)).equals(whole)).toBe(true);

    const byByte = new FrameDecoder();
    const one: TenMsg[] = [];
    for (let i = 0; i < whole.length; i++) expect(byByte.feed(whole.subarray(i, i + 1), one)).toBeNull();
    expect(byByte.end()).toBeNull();
    expect(Buffer.concat(one.map((m) => encodeMsg(m) as Buffer)).equals(whole)).toBe(true);
  });

  it('every fixture is one of the session messages', () => {
    const all = new Set<string>();
    for (const [, s] of sessions) {
      for (const c of s.connections) {
        for (const m of decodeAll(Buffer.concat(c.chunks.map(bytes))).msgs) all.add(hex(encodeMsg(m) as Buffer));
      }
    }
    for (const f of fixtures) expect(all.has(f.hex), f.file).toBe(true);
  });
});

describe('the spec worked examples (§1.7)', () => {
  it("TEN's test client's cmd 'hello' with foo=\"bar\" is 68 bytes", () => {
    const m = new TenMsg('cmd', 'hello');
    m.dests = [tenLoc('msgpack://127.0.0.1:8001/')];
    m.props = { foo: 'bar' };
    const want =
      'c74101' +
      '01' +
      '0da3636d64' +
      '0da568656c6c6f' +
      '1000' +
      '0f01' +
      '1001a3617070' +
      '0db96d73677061636b3a2f2f3132372e302e302e313a383030312f' +
      '1001a3666f6f0da3626172' +
      '0da0' +
      '0da0';
    const b = encodeMsg(m) as Buffer;
    expect(b.length).toBe(68);
    expect(hex(b)).toBe(want);
  });

  it("the 'Graph not found.' reply to a client is 197 bytes", () => {
    const u = '0f1b9a62-5d0c-4b9e-9d0f-3c1d2e4f5a6b';
    const r = new TenMsg('cmd_result', 'ten:result');
    r.src = tenLoc('msgpack://127.0.0.1:8001/', 'nonexistent');
    r.dests = [tenLoc(u)];
    r.props = { detail: 'Graph not found.' };
    r.cmdId = u;
    r.status = 1;
    const b = encodeMsg(r) as Buffer;
    expect(b.length).toBe(197);
    expect(hex(b.subarray(0, 3))).toBe('c7c201');
    expect(hex(b.subarray(b.length - 8))).toBe('0da005010501' + '0201');
  });

  it('a cmd from one app to another (ext16, 261 bytes)', () => {
    const g = '95d85a69-8c40-48ff-b8c2-530c7e2cc3cf';
    const m = new TenMsg('cmd', 'hello');
    m.src = tenLoc('msgpack://127.0.0.1:8001/', g, 'ext_a');
    m.dests = [tenLoc('msgpack://127.0.0.1:8002/', g, 'ext_b')];
    m.props = { foo: 'bar' };
    m.cmdId = '71686700-8df1-44ab-9ffb-7fa60e338adc';
    const b = encodeMsg(m) as Buffer;
    expect(b.length).toBe(261);
    expect(hex(b.subarray(0, 4))).toBe('c8010101');
  });
});

describe('locations a stream repeats', () => {
  it('decode to fresh objects each time, also with more distinct locations than the decoder remembers, and with other keys', () => {
    const A = 'msgpack://127.0.0.1:8001/';
    const B = 'msgpack://127.0.0.1:8002/';
    const msgs: TenMsg[] = [];
    // 20 receivers (more than the decoder keeps), each twice, interleaved; locations set to '' or left out too.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 20; i++) {
        const m = new TenMsg('data', `d${i}`);
        m.src = tenLoc(A, 'g', 'src');
        m.dests = [i % 5 === 0 ? tenLoc(B, '', `e${i}`) : i % 7 === 0 ? tenLoc(null, null, `e${i}`) : tenLoc(B, 'g', `e${i}`)];
        msgs.push(m);
      }
    }
    const bytes = Buffer.concat(msgs.map((m) => encodeMsg(m) as Buffer));
    const got = decodeAll(bytes).msgs;
    expect(got.map((m) => [m.src, m.dests[0]])).toEqual(msgs.map((m) => [m.src, m.dests[0]]));
    // The receiver changes its messages' locations (the remote's URI, this graph): no two share one.
    const all = got.flatMap((m) => [m.src, m.dests[0]!]);
    expect(new Set(all).size).toBe(all.length);
    got[0]!.src.app = 'changed';
    expect(got[1]!.src.app).toBe(A);
    // A location with a key TEN ignores decodes as the same location, again and again.
    const d = new TenMsg('cmd', 'c');
    d.src = tenLoc(A, 'g', 'src');
    d.dests = [tenLoc(B, 'g', 'x')];
    const one = encodeMsg(d) as Buffer;
    // The dest's entry count 3 becomes 4, with a trailing "port": "9" entry.
    const extra = Buffer.concat([Buffer.from([0xa4]), Buffer.from('port'), Buffer.from([TenType.STRING, 0xa1, 0x39])]);
    const destStart = one.indexOf(Buffer.from([TenType.ARRAY, 0x01, TenType.OBJECT, 0x03])) + 3;
    expect(destStart).toBeGreaterThan(2);
    // The dest's last entry is extension: STRING 'x'.
    const locEnd = one.indexOf(Buffer.from([TenType.STRING, 0xa1, 0x78]), destStart) + 3;
    const body = Buffer.concat([one.subarray(0, destStart), Buffer.from([0x04]), one.subarray(destStart + 1, locEnd), extra, one.subarray(locEnd)]);
    // A new ext header for the longer body (ext type 1).
    const head = body[0] === 0xc7 ? 3 : 4;
    const n = body.length - head;
    const frame = Buffer.concat([n < 256 ? Buffer.from([0xc7, n, 1]) : Buffer.from([0xc8, n >> 8, n & 255, 1]), body.subarray(head)]);
    const twice = decodeAll(Buffer.concat([frame, frame]));
    expect(twice.error).toBeNull();
    expect(twice.msgs.map((m) => m.dests[0])).toEqual([tenLoc(B, 'g', 'x'), tenLoc(B, 'g', 'x')]);
  });
});
