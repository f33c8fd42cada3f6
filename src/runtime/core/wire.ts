/**
 * The wire form of a message: a plain, structured-clonable object. API classes wrap one of
 * these; crossing threads writes it into a shared-memory ring (core/ring_codec.ts) or moves it
 * with `postMessage` (its frame buffer in the transfer list).
 */

/** TEN message types; the built-in cmds have their own types (TEN `TEN_MSG_TYPE_CMD_*`). */
export type MsgType =
  | 'cmd'
  | 'cmd_result'
  | 'data'
  | 'audio_frame'
  | 'video_frame'
  | 'start_graph'
  | 'stop_graph'
  | 'close_app'
  | 'timer'
  | 'timeout'
  | 'trigger_life_cycle';

/** Graph connection kinds; every cmd type routes as `cmd`. */
export type RouteKind = 'cmd' | 'data' | 'audio_frame' | 'video_frame';

/** Location inside the runtime: app URI, graph id, extension name (empty = unset). */
export interface WireLoc {
  app: string;
  graph: string;
  ext: string;
}

export interface AudioFields {
  sampleRate: number;
  bytesPerSample: number;
  samplesPerChannel: number;
  channels: number;
  channelLayout: number;
  dataFmt: number;
  lineSize: number;
  eof: boolean;
}

export interface VideoFields {
  width: number;
  height: number;
  pixelFmt: number;
  eof: boolean;
}

/**
 * TEN types of property values that differ from the ones inferred from the values (a tag for a
 * number, a tree for an array, keyed by index, or an object): protocol/value.ts. Never mutated
 * once made, so copies of a message share it.
 */
export interface TypeTree {
  [key: string]: number | TypeTree;
}

export interface WireMsg {
  type: MsgType;
  name: string;
  src: WireLoc;
  dests: WireLoc[];
  props: Record<string, unknown>;
  /**
   * The types the properties arrived with from another app, where they differ from the inferred
   * ones (null: none do, or the message was made here): written back when the message is sent
   * to another app, each while its value still fits it (protocol/value.ts `writeValue`).
   */
  propTypes: TypeTree | null;
  /** Milliseconds since epoch (frames: user timestamp, set separately). */
  ts: number;
  /**
   * A frame's timestamp as it arrived, when it is an INT64 beyond ±2^53 (`ts` is then its
   * nearest number), else null: sent on exactly. The API's `setTimestamp` clears it.
   */
  tsExact: bigint | null;
  cmdId: string;
  parentCmdId: string;
  seqId: string;
  /** cmd_result only. */
  status: number;
  isFinal: boolean;
  isCompleted: boolean;
  /** cmd_result: the original cmd's name and type. */
  origName: string;
  origType: MsgType;
  buf: ArrayBuffer | null;
  /**
   * A small buffer received from another group and not read yet (then `buf` is null): a view
   * into the buffer its batch arrived in, which nothing ever writes. `wireBuf` turns it into
   * the message's own ArrayBuffer on first access, so an extension that only forwards the
   * message never pays for one.
   */
  packed: Uint8Array | null;
  /**
   * A buffer received and not read yet (then `buf` and `packed` are null): `arenaLen` bytes at
   * `arenaAt` of what it arrived in, which nothing ever writes (this is a DataView over it): the
   * reader's copy of a shared-memory ring, or the bytes of TEN frames from another app
   * (protocol/wire_decode.ts). A forwarder's send copies them on into
   * the next ring with no view made (core/ring_codec.ts); `packedOf` and `wireBuf` make one on
   * first need. Never structured-cloned: whatever posts a message reads its buffer first.
   */
  arena: DataView | null;
  arenaAt: number;
  arenaLen: number;
  audio: AudioFields | null;
  video: VideoFields | null;
}

export const BUILTIN_CMD_NAMES: Readonly<Record<string, MsgType>> = {
  'ten:start_graph': 'start_graph',
  'ten:stop_graph': 'stop_graph',
  'ten:close_app': 'close_app',
  'ten:timer': 'timer',
  'ten:timeout': 'timeout',
  'ten:trigger_life_cycle': 'trigger_life_cycle',
};

export function emptyLoc(): WireLoc {
  return { app: '', graph: '', ext: '' };
}

export function newWireMsg(type: MsgType, name: string): WireMsg {
  return {
    type,
    name,
    src: emptyLoc(),
    dests: [],
    props: {},
    propTypes: null,
    ts: Date.now(),
    tsExact: null,
    cmdId: '',
    parentCmdId: '',
    seqId: '',
    status: 0,
    isFinal: true,
    isCompleted: false,
    origName: '',
    origType: 'cmd',
    buf: null,
    packed: null,
    arena: null,
    arenaAt: 0,
    arenaLen: 0,
    audio: null,
    video: null,
  };
}

/** The message's buffer (materialized from its batch when it arrived packed). */
export function wireBuf(w: WireMsg): ArrayBuffer | null {
  const p = packedOf(w);
  if (p !== null) {
    w.buf = copyOf(p);
    w.packed = null;
  }
  return w.buf;
}

/**
 * The bytes of a buffer that arrived with the message and was not read yet (a view into the
 * batch or ring copy it came in), or null: one made here for a buffer still in its arena.
 */
export function packedOf(w: WireMsg): Uint8Array | null {
  const a = w.arena;
  if (a !== null) {
    w.packed = new Uint8Array(a.buffer, a.byteOffset + w.arenaAt, w.arenaLen);
    w.arena = null;
  }
  return w.packed;
}

/**
 * A new ArrayBuffer holding `bytes`. `ArrayBuffer#slice` measured twice as slow for a 64-byte
 * buffer (it goes through the species constructor in C++).
 */
export function copyOf(bytes: Uint8Array): ArrayBuffer {
  const b = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(b).set(bytes);
  return b;
}

/** The connection kind a message type routes under. */
export function routeKind(type: MsgType): RouteKind | null {
  switch (type) {
    case 'data':
    case 'audio_frame':
    case 'video_frame':
      return type;
    case 'cmd':
    case 'start_graph':
    case 'stop_graph':
    case 'close_app':
    case 'timer':
    case 'timeout':
    case 'trigger_life_cycle':
      return 'cmd';
    case 'cmd_result':
      return null;
  }
}

export function isCmdType(type: MsgType): boolean {
  return routeKind(type) === 'cmd';
}

/**
 * Deep copy for fan-out: properties and buffer are copied so copies are isolated. A packed
 * buffer (or arena bytes) is shared: it is never written, and each copy materializes its own
 * ArrayBuffer.
 */
export function cloneWire(m: WireMsg): WireMsg {
  return {
    ...m,
    src: { ...m.src },
    dests: m.dests.map((d) => ({ ...d })),
    props: structuredClone(m.props),
    buf: m.buf ? m.buf.slice(0) : null,
    audio: m.audio ? { ...m.audio } : null,
    video: m.video ? { ...m.video } : null,
  };
}

/**
 * Messages between the groups of one graph travel as one flat array per batch: structured clone
 * of many small keyed objects costs about four times more than of flat values. App and graph of
 * both ends are implied by the channel (same app, same graph) and restored by the receiver.
 *
 * Strings are what the clone pays most for per message (each is copied and allocated again on
 * the receiving side), so a message whose source and destination are extensions of the graph
 * starts with one number: type code, "name follows" and "TEN types follow" flags, and both
 * extensions as indexes into the graph's sorted extension names (the same table in every group).
 * The name is written only when it differs from the previous compact message of the batch; the
 * property types and exact timestamp of a message from another app (`propTypes`, `tsExact`)
 * only when it has either. Data carry 3 more values (props, ts, buf), frames 4 (plus their
 * fields), cmds and results 12 (plus ids, status, flags). Anything else (an extension outside
 * the table) uses the long form, which starts with the type string and spells every field out.
 */
const LONG = 10;

const TYPES: readonly MsgType[] = [
  'data',
  'audio_frame',
  'video_frame',
  'cmd',
  'cmd_result',
  'start_graph',
  'stop_graph',
  'close_app',
  'timer',
  'timeout',
  'trigger_life_cycle',
];
const TYPE_CODE = Object.fromEntries(TYPES.map((t, i) => [t, i])) as Record<MsgType, number>;
/** Codes below this are data and frames (no cmd fields). */
const FIRST_CMD_CODE = 3;
const NAME_FOLLOWS = 16;
const TEN_FOLLOWS = 32;
/** Header = code + flags + 64 × (src + count × dest); kept within a small integer (2^30). */
const MAX_COMPACT_EXTS = 4096;

/** A location and its one-element dests, shared by every message that uses them. */
export interface SharedLoc {
  loc: WireLoc;
  dests: WireLoc[];
}

/** The extension names of one graph as small numbers, identical in every group of the graph. */
export class PeerIndex {
  readonly names: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;
  private readonly locs: SharedLoc[];

  constructor(extensions: Iterable<string>, locOf: (ext: string) => SharedLoc) {
    const names = [...extensions].sort();
    this.names = names.length <= MAX_COMPACT_EXTS ? names : [];
    this.ids = new Map(this.names.map((n, i) => [n, i]));
    this.locs = this.names.map(locOf);
  }

  /** The extension's number, or -1 when it is not in the table. */
  id(ext: string): number {
    return this.ids.get(ext) ?? -1;
  }

  loc(id: number): SharedLoc {
    return this.locs[id]!;
  }
}

/**
 * Buffers up to this size are copied into their batch's one buffer, which is transferred: one
 * transfer of a 64-byte ArrayBuffer cost more than the rest of the message's clone. Larger
 * buffers are transferred themselves (they move, never copy).
 */
export const PACK_MAX_BYTES = 4096;
/**
 * First size of a batch's packed buffer, doubled as needed: a batch is often a few messages, and
 * every packed buffer is external memory that counts towards V8's GC pressure.
 */
const PACK_INITIAL_BYTES = 4096;

/** A batch ready to post: element 0 is the packed buffers' ArrayBuffer (or null). */
export interface PeerBatch {
  values: unknown[];
  transfer: ArrayBuffer[];
}

/**
 * Builds one flat peer batch. Each message's buffer slot is null, the byte count of its next
 * bytes in the batch's packed buffer, or a transferred (large) buffer.
 */
export class PeerEncoder {
  private readonly index: PeerIndex;
  private values: unknown[] = [null];
  private transfer: ArrayBuffer[] = [];
  private pack: Uint8Array | null = null;
  private used = 0;
  private lastName: string | null = null;

  constructor(index: PeerIndex) {
    this.index = index;
  }

  /** Values in the batch (a bound on its size). */
  get size(): number {
    return this.values.length;
  }

  /** Bytes copied into the batch's packed buffer. */
  get packedBytes(): number {
    return this.used;
  }

  /** The batch so far (null when empty); the next message starts a new batch. */
  take(): PeerBatch | null {
    if (this.values.length === 1) return null;
    const values = this.values;
    const transfer = this.transfer;
    if (this.pack !== null) {
      values[0] = this.pack.buffer;
      transfer.push(this.pack.buffer as ArrayBuffer);
    }
    this.values = [null];
    this.transfer = [];
    this.pack = null;
    this.used = 0;
    this.lastName = null;
    return { values, transfer };
  }

  /** Appends a message addressed inside this graph. */
  encode(w: WireMsg): void {
    const out = this.values;
    const src = this.index.id(w.src.ext);
    const dest = src === -1 ? -1 : this.index.id(w.dests[0].ext);
    if (dest === -1) {
      out.push(w.type, w.name, w.src.ext, w.dests[0].ext, w.props, w.ts, this.bufSlot(w), w.audio ?? w.video, w.propTypes, w.tsExact);
      if (!isShort(w.type)) pushCmdFields(w, out);
      return;
    }
    const code = TYPE_CODE[w.type];
    const types = w.propTypes;
    const tsExact = w.tsExact;
    const ten = types !== null || tsExact !== null;
    const head = code + 64 * (src + this.index.names.length * dest) + (ten ? TEN_FOLLOWS : 0);
    if (w.name === this.lastName) {
      out.push(head);
    } else {
      out.push(head + NAME_FOLLOWS, w.name);
      this.lastName = w.name;
    }
    if (ten) out.push(types, tsExact);
    out.push(w.props, w.ts, this.bufSlot(w));
    if (code === 0) return;
    if (code < FIRST_CMD_CODE) {
      out.push(w.audio ?? w.video);
      return;
    }
    pushCmdFields(w, out);
  }

  private bufSlot(w: WireMsg): unknown {
    const p = packedOf(w);
    if (p !== null) return this.copyIn(p);
    const b = w.buf;
    if (b === null) return null;
    if (b.byteLength <= PACK_MAX_BYTES) return this.copyIn(new Uint8Array(b));
    // A SharedArrayBuffer (given with unlockBuf) is shared by the clone, not transferred.
    if (b instanceof ArrayBuffer) this.transfer.push(b);
    return b;
  }

  private copyIn(bytes: Uint8Array): number {
    const n = bytes.length;
    let pack = this.pack;
    if (pack === null || this.used + n > pack.length) {
      const grown = new Uint8Array(Math.max(PACK_INITIAL_BYTES, 2 * (this.used + n)));
      if (pack !== null) grown.set(pack.subarray(0, this.used));
      this.pack = pack = grown;
    }
    pack.set(bytes, this.used);
    this.used += n;
    return n;
  }
}

function isShort(type: MsgType): boolean {
  return type === 'data' || type === 'audio_frame' || type === 'video_frame';
}

function pushCmdFields(w: WireMsg, out: unknown[]): void {
  out.push(w.cmdId, w.parentCmdId, w.seqId, w.status, w.isFinal, w.isCompleted, w.origName, w.origType);
}

/** A decoded message, with the field order of `newWireMsg` (one object shape on the hot path). */
function wireOf(type: MsgType, name: string, from: SharedLoc, to: SharedLoc, props: unknown, types: unknown, ts: unknown, tsExact: unknown, buf: unknown, packed: Uint8Array | null, frame: unknown): WireMsg {
  return {
    type,
    name,
    src: from.loc,
    dests: to.dests,
    props: props as Record<string, unknown>,
    propTypes: types as TypeTree | null,
    ts: ts as number,
    tsExact: tsExact as bigint | null,
    cmdId: '',
    parentCmdId: '',
    seqId: '',
    status: 0,
    isFinal: true,
    isCompleted: false,
    origName: '',
    origType: 'cmd',
    buf: buf as ArrayBuffer | null,
    packed,
    arena: null,
    arenaAt: 0,
    arenaLen: 0,
    audio: type === 'audio_frame' ? (frame as AudioFields) : null,
    video: type === 'video_frame' ? (frame as VideoFields) : null,
  };
}

/** Reads the 8 cmd fields at `j` into `w`; returns the index after them. */
function readCmdFields(b: readonly unknown[], j: number, w: WireMsg): number {
  w.cmdId = b[j] as string;
  w.parentCmdId = b[j + 1] as string;
  w.seqId = b[j + 2] as string;
  w.status = b[j + 3] as number;
  w.isFinal = b[j + 4] as boolean;
  w.isCompleted = b[j + 5] as boolean;
  w.origName = b[j + 6] as string;
  w.origType = b[j + 7] as MsgType;
  return j + 8;
}

/** Decodes a flat peer batch; `locOf` gives the shared location (and dests) of an extension. */
export function decodePeer(b: readonly unknown[], index: PeerIndex, locOf: (ext: string) => SharedLoc): WireMsg[] {
  const out: WireMsg[] = [];
  const count = index.names.length;
  const bytes = b[0] instanceof ArrayBuffer ? new Uint8Array(b[0]) : null;
  let pos = 0;
  // A number in a buffer slot is that many bytes of the packed buffer, in message order.
  const packedAt = (slot: unknown): Uint8Array | null => {
    if (typeof slot !== 'number') return null;
    const view = bytes!.subarray(pos, pos + slot);
    pos += slot;
    return view;
  };
  let name = '';
  for (let i = 1; i < b.length; ) {
    const head = b[i];
    if (typeof head === 'string') {
      const type = head as MsgType;
      const slot = b[i + 6];
      const packed = packedAt(slot);
      const w = wireOf(type, b[i + 1] as string, locOf(b[i + 2] as string), locOf(b[i + 3] as string), b[i + 4], b[i + 8], b[i + 5], b[i + 9], packed === null ? slot : null, packed, b[i + 7]);
      i = isShort(type) ? i + LONG : readCmdFields(b, i + LONG, w);
      out.push(w);
      continue;
    }
    const h = head as number;
    const code = h & 15;
    const ends = h >>> 6;
    const src = ends % count;
    const dest = (ends - src) / count;
    i++;
    if ((h & NAME_FOLLOWS) !== 0) name = b[i++] as string;
    let types: unknown = null;
    let tsExact: unknown = null;
    if ((h & TEN_FOLLOWS) !== 0) {
      types = b[i];
      tsExact = b[i + 1];
      i += 2;
    }
    const type = TYPES[code]!;
    const frame = code !== 0 && code < FIRST_CMD_CODE ? b[i + 3] : null;
    const slot = b[i + 2];
    const packed = packedAt(slot);
    const w = wireOf(type, name, index.loc(src), index.loc(dest), b[i], types, b[i + 1], tsExact, packed === null ? slot : null, packed, frame);
    i += 3;
    if (code !== 0) i = code < FIRST_CMD_CODE ? i + 1 : readCmdFields(b, i, w);
    out.push(w);
  }
  return out;
}
