/**
 * One TEN message as TEN's msgpack protocol carries it (`../shared/docs/ten-protocol.md` §1.2–1.5):
 * the ext body is the msg_type as a msgpack uint, then every field of that type as a TEN value,
 * in the order of TEN's field tables, with no names and no count.
 *
 * `TenMsg` holds every field of every type (one object shape for all). Values keep what the
 * runtime can keep: property values as runtime values plus a `TypeTree` of the types that
 * differ from the inferred ones, locations with "set" distinguished from "set to ''", so a
 * received message encodes back to the same bytes.
 */
import type { MsgType } from '../core/wire';
import { BytesMemo, DecodeFail, Writer, type Reader } from './msgpack';
import { EncodeFail, TenType, ValueReader, tagName, within, writeNumber, writeObject, writeValue, type TypeTree } from './value';

/** A location; `null` = not set (TEN leaves the key out), `''` = set to the empty string. */
export interface TenLoc {
  app: string | null;
  graph: string | null;
  extension: string | null;
}

export function tenLoc(app: string | null = null, graph: string | null = null, extension: string | null = null): TenLoc {
  return { app, graph, extension };
}

/** TEN's `TEN_MSG_TYPE_*` numbers. */
export const MSG_TYPE_CODE: Readonly<Record<MsgType, number>> = {
  cmd: 1,
  cmd_result: 2,
  close_app: 3,
  start_graph: 4,
  stop_graph: 5,
  trigger_life_cycle: 6,
  timer: 7,
  timeout: 8,
  data: 9,
  video_frame: 10,
  audio_frame: 11,
};

const TYPE_OF_CODE: readonly (MsgType | undefined)[] = [
  undefined,
  'cmd',
  'cmd_result',
  'close_app',
  'start_graph',
  'stop_graph',
  'trigger_life_cycle',
  'timer',
  'timeout',
  'data',
  'video_frame',
  'audio_frame',
];

/** The `type` field's text per type (TEN's `msg_info`): a cmd_result is `result`. */
export const TYPE_STRING: Readonly<Record<MsgType, string>> = {
  cmd: 'cmd',
  cmd_result: 'result',
  close_app: 'close_app',
  start_graph: 'start_graph',
  stop_graph: 'stop_graph',
  trigger_life_cycle: 'trigger_life_cycle',
  timer: 'timer',
  timeout: 'timeout',
  data: 'data',
  video_frame: 'video_frame',
  audio_frame: 'audio_frame',
};

/** Names that TEN reserves for one type each; a received name among them sets the type. */
export const UNIQUE_NAME_TYPE: ReadonlyMap<string, MsgType> = new Map<string, MsgType>([
  ['ten:start_graph', 'start_graph'],
  ['ten:stop_graph', 'stop_graph'],
  ['ten:close_app', 'close_app'],
  ['ten:result', 'cmd_result'],
  ['ten:timeout', 'timeout'],
  ['ten:timer', 'timer'],
  ['ten:trigger_life_cycle', 'trigger_life_cycle'],
]);

/** TEN's status codes. */
export const STATUS_OK = 0;
export const STATUS_ERROR = 1;

export class TenMsg {
  type: MsgType;
  name: string;
  src: TenLoc = tenLoc();
  dests: TenLoc[] = [];
  props: Record<string, unknown> = {};
  /** Types of property values that differ from the inferred ones (see value.ts). */
  propTypes: TypeTree | null = null;
  cmdId = '';
  seqId = '';
  /** cmd_result: the original cmd's TEN msg_type number, status code and finality. */
  origType = MSG_TYPE_CODE.cmd;
  status = STATUS_OK;
  isFinal = true;
  /** start_graph */
  longRunningMode = false;
  syncStopBeforeDeinit = false;
  nodes: unknown[] = [];
  connections: unknown[] = [];
  /** Types inside nodes and connections that differ from the inferred ones. */
  graphTypes: { nodes?: TypeTree; connections?: TypeTree } | null = null;
  predefinedGraph = '';
  graphJson = '';
  /** stop_graph */
  graphId = '';
  /** trigger_life_cycle */
  stage = '';
  /** timer and timeout */
  timerId = 0;
  timeoutUs: number | bigint = 0;
  times = 0;
  /** data, video_frame, audio_frame: a view into the received bytes when decoded (no copy). */
  buf: Uint8Array | null = null;
  timestamp: number | bigint = 0;
  /** video_frame */
  pixelFmt = 0;
  width = 0;
  height = 0;
  /** audio_frame */
  sampleRate = 0;
  bytesPerSample = 0;
  samplesPerChannel = 0;
  channels = 0;
  dataFmt = 0;
  lineSize = 0;
  /**
   * The whole frame (ext header and body) this message was decoded from, a view of the received
   * bytes; null for a message built here, and set to null by anything that changes the message
   * (then the bytes no longer say what it is).
   */
  raw: Uint8Array | null = null;

  constructor(type: MsgType, name: string) {
    this.type = type;
    this.name = name;
  }
}

// ---- field tables ---------------------------------------------------------------------------

type Kind = 'str' | 'bool' | 'num' | 'loc' | 'locs' | 'props' | 'values' | 'buf';

interface Field {
  /** TEN's field name, as errors and the corpus name it. */
  name: string;
  tag: number;
  kind: Kind;
  key: keyof TenMsg;
  /** What the decoder expects, for its errors: made once here, not per message. */
  what: string;
  payload: string;
}

const f = (name: string, tag: number, kind: Kind, key: keyof TenMsg): Field => ({
  name,
  tag,
  kind,
  key,
  what: `the ${name} field`,
  payload: `a msgpack ${kind === 'buf' ? 'bin' : 'str'} (the ${name} payload)`,
});

const HEADER: Field[] = [
  f('type', TenType.STRING, 'str', 'type'),
  f('name', TenType.STRING, 'str', 'name'),
  f('src', TenType.OBJECT, 'loc', 'src'),
  f('dest', TenType.ARRAY, 'locs', 'dests'),
  f('properties', TenType.OBJECT, 'props', 'props'),
];
const CMD: Field[] = [...HEADER, f('cmd_id', TenType.STRING, 'str', 'cmdId'), f('seq_id', TenType.STRING, 'str', 'seqId')];

const FIELDS: Readonly<Record<MsgType, readonly Field[]>> = {
  cmd: CMD,
  close_app: CMD,
  cmd_result: [...CMD, f('original_cmd_type', TenType.INT32, 'num', 'origType'), f('status_code', TenType.INT32, 'num', 'status'), f('is_final', TenType.BOOL, 'bool', 'isFinal')],
  start_graph: [
    ...CMD,
    f('long_running_mode', TenType.BOOL, 'bool', 'longRunningMode'),
    f('sync_stop_before_deinit', TenType.BOOL, 'bool', 'syncStopBeforeDeinit'),
    f('nodes', TenType.ARRAY, 'values', 'nodes'),
    f('connections', TenType.ARRAY, 'values', 'connections'),
    f('predefined_graph', TenType.STRING, 'str', 'predefinedGraph'),
    f('graph_json', TenType.STRING, 'str', 'graphJson'),
  ],
  stop_graph: [...CMD, f('graph_id', TenType.STRING, 'str', 'graphId')],
  trigger_life_cycle: [...CMD, f('stage', TenType.STRING, 'str', 'stage')],
  timer: [...CMD, f('timer_id', TenType.UINT32, 'num', 'timerId'), f('timeout_us', TenType.UINT64, 'num', 'timeoutUs'), f('times', TenType.INT32, 'num', 'times')],
  timeout: [...CMD, f('timer_id', TenType.UINT32, 'num', 'timerId')],
  data: [...HEADER, f('buf', TenType.BUF, 'buf', 'buf')],
  video_frame: [
    ...HEADER,
    f('pixel_fmt', TenType.INT32, 'num', 'pixelFmt'),
    f('timestamp', TenType.INT64, 'num', 'timestamp'),
    f('width', TenType.INT32, 'num', 'width'),
    f('height', TenType.INT32, 'num', 'height'),
    f('buf', TenType.BUF, 'buf', 'buf'),
  ],
  audio_frame: [
    ...HEADER,
    f('timestamp', TenType.INT64, 'num', 'timestamp'),
    f('sample_rate', TenType.INT32, 'num', 'sampleRate'),
    f('bytes_per_sample', TenType.INT32, 'num', 'bytesPerSample'),
    f('samples_per_channel', TenType.INT32, 'num', 'samplesPerChannel'),
    f('number_of_channel', TenType.INT32, 'num', 'channels'),
    f('data_fmt', TenType.INT32, 'num', 'dataFmt'),
    f('buf', TenType.BUF, 'buf', 'buf'),
    f('line_size', TenType.INT32, 'num', 'lineSize'),
  ],
};

/** TEN's wire field names of a type, in wire order (after `msg_type`). */
export function fieldNames(type: MsgType): string[] {
  return FIELDS[type].map((x) => x.name);
}

// ---- decoding -------------------------------------------------------------------------------

/** A decoding failure located in the message: the field and the path inside it. */
export class FieldFail {
  constructor(
    readonly fail: DecodeFail,
    readonly field: string,
  ) {}
}

/**
 * Decodes one message body `r.b[r.pos..r.end)`; throws `FieldFail`. BUF fields are views into
 * the reader's buffer.
 */
export function decodeBody(r: Reader): TenMsg {
  const vr = new ValueReader(r);
  const codeAt = r.pos;
  const code = r.pos < r.end && r.b[r.pos] <= 0x7f ? r.b[r.pos++] : readCode(r);
  const type = TYPE_OF_CODE[code];
  if (type === undefined) {
    throw new FieldFail(new DecodeFail(codeAt - r.origin, 'a message type from 1 (cmd) to 11 (audio_frame)', `msg_type ${code}`), 'msg_type');
  }
  const m = new TenMsg(type, '');
  for (const fd of FIELDS[type]) {
    const start = r.pos;
    try {
      const tag = vr.tag(fd.what);
      if (tag !== fd.tag) throw new DecodeFail(start - r.origin, `${tagName(fd.tag)}, the type of this field`, tagName(tag));
      readField(vr, m, fd);
    } catch (e) {
      if (e instanceof DecodeFail) throw new FieldFail(e, fd.name);
      throw e;
    }
    if (fd.key === 'type') {
      if ((m.type as string) !== TYPE_STRING[type]) {
        throw new FieldFail(new DecodeFail(start - r.origin, `'${TYPE_STRING[type]}', the type name of msg_type ${code}`, `'${m.type}'`), 'type');
      }
      m.type = type;
    } else if (fd.key === 'name') {
      const reserved = UNIQUE_NAME_TYPE.get(m.name);
      if (reserved !== undefined && reserved !== type) {
        throw new FieldFail(new DecodeFail(start - r.origin, `a name other than '${m.name}', which TEN reserves for ${TYPE_STRING[reserved]} messages`, `it in a ${TYPE_STRING[type]} message`), 'name');
      }
    }
  }
  if (r.pos !== r.end) {
    throw new FieldFail(new DecodeFail(r.pos - r.origin, `the end of the ${TYPE_STRING[type]} message`, `${r.end - r.pos} more byte${r.end - r.pos === 1 ? '' : 's'}`), 'after the last field');
  }
  return m;
}

function readCode(r: Reader): number {
  try {
    return r.uint('msg_type (a positive int)');
  } catch (e) {
    if (e instanceof DecodeFail) throw new FieldFail(e, 'msg_type');
    throw e;
  }
}

function readField(vr: ValueReader, m: TenMsg, fd: Field): void {
  const r = vr.r;
  const rec = m as unknown as Record<string, unknown>;
  switch (fd.kind) {
    case 'str':
      rec[fd.key] = r.str(fd.payload);
      return;
    case 'bool':
      rec[fd.key] = vr.bool();
      return;
    case 'num':
      rec[fd.key] = vr.number(fd.tag);
      return;
    case 'buf':
      m.buf = r.bin(fd.payload);
      return;
    case 'loc':
      m.src = readLoc(vr);
      return;
    case 'locs': {
      const n = r.uint('the dest count (a positive int)');
      if (n * 2 > r.end - r.pos) throw new DecodeFail(r.lastStart - r.origin, `a dest count that the ${r.end - r.pos} bytes left can hold`, String(n));
      const dests: TenLoc[] = new Array<TenLoc>(n);
      for (let i = 0; i < n; i++) {
        const start = r.pos;
        try {
          const tag = vr.tag('a dest');
          if (tag !== TenType.OBJECT) throw new DecodeFail(start - r.origin, 'OBJECT (16), a location', tagName(tag));
          dests[i] = readLoc(vr);
        } catch (e) {
          throw within(e, `[${i}]`);
        }
      }
      m.dests = dests;
      return;
    }
    case 'props': {
      const start = r.pos;
      m.props = vr.payload(TenType.OBJECT, start, 0) as Record<string, unknown>;
      m.propTypes = (vr.shadow as TypeTree | undefined) ?? null;
      return;
    }
    case 'values': {
      const start = r.pos;
      const v = vr.payload(TenType.ARRAY, start, 0) as unknown[];
      rec[fd.key] = v;
      if (vr.shadow !== undefined) (m.graphTypes ??= {})[fd.key as 'nodes' | 'connections'] = vr.shadow as TypeTree;
      return;
    }
  }
}

/** What the decoder expects of a location's parts, for its errors (made once). */
const LOC_WHAT = {
  app: ["the location's app", "a msgpack str (the location's app)"],
  graph: ["the location's graph", "a msgpack str (the location's graph)"],
  extension: ["the location's extension", "a msgpack str (the location's extension)"],
} as const;

/** Locations decoded lately, by their bytes (see BytesMemo): a stream repeats the same few. */
const seenLocs = new BytesMemo<TenLoc>();

/** A location OBJECT (its tag already read): `app`, `graph`, `extension` strings; other keys are ignored, as TEN does. */
function readLoc(vr: ValueReader): TenLoc {
  const r = vr.r;
  const start = r.pos;
  const seen = seenLocs.take(r);
  // A copy: the receiver may change its message's locations.
  if (seen !== undefined) return { app: seen.app, graph: seen.graph, extension: seen.extension };
  const loc = readLocEntries(vr);
  seenLocs.keep(r, start, { app: loc.app, graph: loc.graph, extension: loc.extension });
  return loc;
}

function readLocEntries(vr: ValueReader): TenLoc {
  const r = vr.r;
  const n = r.uint('a location entry count (a positive int)');
  if (n * 3 > r.end - r.pos) throw new DecodeFail(r.lastStart - r.origin, `a location entry count that the ${r.end - r.pos} bytes left can hold`, String(n));
  const loc = tenLoc();
  for (let i = 0; i < n; i++) {
    const key = r.str('a location key (a msgpack str)');
    if (key !== 'app' && key !== 'graph' && key !== 'extension') {
      try {
        vr.value(1);
      } catch (e) {
        throw within(e, `.${key}`);
      }
      continue;
    }
    const start = r.pos;
    const what = LOC_WHAT[key];
    const tag = vr.tag(what[0]);
    if (tag !== TenType.STRING) throw within(new DecodeFail(start - r.origin, 'STRING (13)', tagName(tag)), `.${key}`);
    loc[key] = r.str(what[1]);
  }
  return loc;
}

// ---- encoding -------------------------------------------------------------------------------

/** A message that cannot be written: which field, where inside it, and why. */
export interface EncodeError {
  field: string;
  path: string;
  message: string;
}

/**
 * Writes the body of `m` (msg_type and its fields). Fails on values TEN's protocol cannot carry
 * (a JSON null, a number beyond 64 bits), leaving the writer wherever it got to: callers reset it.
 */
export function encodeBody(w: Writer, m: TenMsg): EncodeError | null {
  w.byte(MSG_TYPE_CODE[m.type]);
  for (const fd of FIELDS[m.type]) {
    try {
      writeField(w, m, fd);
    } catch (e) {
      if (!(e instanceof EncodeFail)) throw e;
      const path = e.path.join('');
      return { field: fd.name, path, message: `The ${fd.name} field${path ? ` at ${path}` : ''} cannot be sent: ${e.reason}.` };
    }
  }
  return null;
}

function writeField(w: Writer, m: TenMsg, fd: Field): void {
  const rec = m as unknown as Record<string, unknown>;
  switch (fd.kind) {
    case 'str':
      w.byte(TenType.STRING);
      w.str(fd.key === 'type' ? TYPE_STRING[m.type] : (rec[fd.key] as string));
      return;
    case 'bool':
      w.byte(TenType.BOOL);
      w.byte(rec[fd.key] ? 1 : 0);
      return;
    case 'num': {
      const v = rec[fd.key] as number | bigint;
      if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new EncodeFail(`${v} is not an integer`);
      writeNumber(w, fd.tag, v);
      return;
    }
    case 'buf': {
      w.byte(TenType.BUF);
      w.bin(m.buf ?? EMPTY);
      return;
    }
    case 'loc':
      writeLoc(w, m.src);
      return;
    case 'locs':
      w.byte(TenType.ARRAY);
      w.uint(m.dests.length);
      for (const d of m.dests) writeLoc(w, d);
      return;
    case 'props':
      writeObject(w, m.props, m.propTypes ?? undefined);
      return;
    case 'values':
      writeValue(w, rec[fd.key], m.graphTypes?.[fd.key as 'nodes' | 'connections']);
      return;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * Encoded locations by object: the runtime shares one location object per extension for every
 * message it sends (bridge.ts keeps the TenLoc of a WireLoc), so each is encoded once.
 * Locations are never changed after they are shared.
 */
const encodedLocs = new WeakMap<TenLoc, Uint8Array>();
const locWriter = new Writer(256);

/** Marks `l` as shared and unchanging: its encoding is cached. */
export function shareLoc(l: TenLoc): TenLoc {
  locWriter.pos = 0;
  encodeLoc(locWriter, l);
  encodedLocs.set(l, Uint8Array.from(locWriter.bytes()));
  return Object.freeze(l);
}

/** Writes a location (the cached bytes of a shared one). */
export function writeLoc(w: Writer, l: TenLoc): void {
  const cached = encodedLocs.get(l);
  if (cached !== undefined) {
    w.raw(cached);
    return;
  }
  encodeLoc(w, l);
}

function encodeLoc(w: Writer, l: TenLoc): void {
  w.byte(TenType.OBJECT);
  w.uint((l.app !== null ? 1 : 0) + (l.graph !== null ? 1 : 0) + (l.extension !== null ? 1 : 0));
  if (l.app !== null) {
    w.str('app');
    w.byte(TenType.STRING);
    w.str(l.app);
  }
  if (l.graph !== null) {
    w.str('graph');
    w.byte(TenType.STRING);
    w.str(l.graph);
  }
  if (l.extension !== null) {
    w.str('extension');
    w.byte(TenType.STRING);
    w.str(l.extension);
  }
}
