/**
 * TEN frames straight into runtime messages, for the message path of an extension group that
 * receives from another app: no `TenMsg` in between, locations resolved to the shared location
 * objects the runtime already has, and no new strings for the ones that repeat (msgpack.ts
 * interns them). Covers what flows between extensions (cmds, results, data, audio and video
 * frames); other types return null and take the general decoder (message.ts).
 *
 * It accepts nothing the general decoder (message.ts `decodeBody`) refuses: whatever it does not
 * read exactly as that one would, or does not cover, is null, and the general decoder then reads
 * the frame (and locates its error, if it has one). Its callers: a group's own socket
 * (group_socket.ts), for which this is the only decode of a frame for the group's extensions,
 * and frames the host checked and handed to a group (group_links.ts).
 */
import type { AudioFields, MsgType, TypeTree, VideoFields, WireLoc, WireMsg } from '../core/wire';
import { MSG_TYPE_CODE, TYPE_STRING, UNIQUE_NAME_TYPE } from './message';
import { BytesMemo, Reader } from './msgpack';
import { TenType, ValueReader } from './value';

const TYPE_OF_CODE: Record<number, MsgType> = Object.fromEntries(Object.entries(MSG_TYPE_CODE).map(([t, c]) => [c, t as MsgType]));

/** Where a location of a frame comes from: the sender (`src`) or the receiver (`dest`). */
export interface LocResolver {
  src(app: string, graph: string, ext: string): WireLoc;
  /**
   * The receiver's shared one-element dests; an empty array when this path does not take
   * messages for that destination (the frame then takes the general decoder's path).
   */
  dests(app: string, graph: string, ext: string): WireLoc[];
  /** The senders' and receivers' locations resolved so far (kept across batches). */
  readonly srcMemo: BytesMemo<WireLoc>;
  readonly destMemo: BytesMemo<WireLoc[]>;
}

class Fallback {}
const FALLBACK = new Fallback();

/** Reads one location OBJECT's parts (its tag already read) into `parts` [app, graph, extension]. */
function readLocParts(vr: ValueReader, parts: string[]): void {
  const r = vr.r;
  const n = r.uint('a count');
  parts[0] = '';
  parts[1] = '';
  parts[2] = '';
  for (let i = 0; i < n; i++) {
    const key = r.str('a key');
    if (vr.tag('a value') !== TenType.STRING) throw FALLBACK;
    const v = r.str('a string');
    if (key === 'app') parts[0] = v;
    else if (key === 'graph') parts[1] = v;
    else if (key === 'extension') parts[2] = v;
  }
}

function str(vr: ValueReader): string {
  if (vr.tag('a string') !== TenType.STRING) throw FALLBACK;
  return vr.r.str('a string');
}

function num(vr: ValueReader, tag: number): number {
  if (vr.tag('a number') !== tag) throw FALLBACK;
  return Number(vr.number(tag));
}

/** What `timestamp` and `buf` read, for the message built at the end of `decodeWireBody`. */
let tsRead = 0;
let tsExactRead: bigint | null = null;
let bufAt = 0;
let bufLen = 0;

/** A frame's INT64 timestamp, and its exact value when a number cannot hold it. */
function timestamp(vr: ValueReader): void {
  if (vr.tag('timestamp') !== TenType.INT64) throw FALLBACK;
  const v = vr.number(TenType.INT64);
  tsExactRead = null;
  if (typeof v === 'number') {
    tsRead = v;
    return;
  }
  tsRead = Number(v);
  if (!Number.isSafeInteger(tsRead)) tsExactRead = v;
}

/**
 * A frame's buffer, left where it is (`WireMsg.arena`): the bytes read are never written, and
 * a view is made only when an extension reads the buffer or it is sent on.
 */
function buf(vr: ValueReader): void {
  if (vr.tag('buf') !== TenType.BUF) throw FALLBACK;
  const r = vr.r;
  bufAt = r.skipBin('buf');
  bufLen = r.pos - bufAt;
}

const parts = ['', '', ''];

/** A reader over `b`, for `decodeWireBody` (one serves every frame of a batch). */
export function wireBodyReader(b: Uint8Array): ValueReader {
  return new ValueReader(new Reader(b));
}

/**
 * Decodes one frame body at `[at, at+n)` of the reader's bytes (the ext header already skipped)
 * into a runtime message; null when it is not one of the types this path covers, or does not
 * decode here. Buffers stay in the reader's bytes (`WireMsg.arena`). `now` is the time of a
 * message without a timestamp on the wire (when its chunk or batch arrived).
 */
export function decodeWireBody(vr: ValueReader, at: number, n: number, locs: LocResolver, now: number): WireMsg | null {
  const r = vr.r;
  r.pos = at;
  r.end = at + n;
  r.origin = at;
  try {
    const type = TYPE_OF_CODE[r.uint('msg_type')];
    if (type !== 'cmd' && type !== 'cmd_result' && type !== 'data' && type !== 'audio_frame' && type !== 'video_frame') return null;
    if (str(vr) !== TYPE_STRING[type]) return null;
    const name = str(vr);
    // A name TEN reserves for another type is an error the general decoder locates.
    const reserved = UNIQUE_NAME_TYPE.get(name);
    if (reserved !== undefined && reserved !== type) return null;
    if (vr.tag('a location') !== TenType.OBJECT) return null;
    let start = r.pos;
    let src = locs.srcMemo.take(r);
    if (src === undefined) {
      readLocParts(vr, parts);
      src = locs.src(parts[0]!, parts[1]!, parts[2]!);
      locs.srcMemo.keep(r, start, src);
    }
    if (vr.tag('dests') !== TenType.ARRAY) return null;
    const nd = r.uint('a count');
    if (nd !== 1) return null;
    if (vr.tag('a location') !== TenType.OBJECT) return null;
    start = r.pos;
    let dests = locs.destMemo.take(r);
    if (dests === undefined) {
      readLocParts(vr, parts);
      dests = locs.dests(parts[0]!, parts[1]!, parts[2]!);
      locs.destMemo.keep(r, start, dests);
    }
    if (dests.length === 0) return null;
    if (vr.tag('properties') !== TenType.OBJECT) return null;
    const props = vr.payload(TenType.OBJECT, r.pos, 0) as Record<string, unknown>;
    const propTypes = (vr.shadow as TypeTree | undefined) ?? null;
    let cmdId = '';
    let seqId = '';
    let origType: MsgType = 'cmd';
    let status = 0;
    let isFinal = true;
    let isCompleted = false;
    let ts = now;
    let tsExact: bigint | null = null;
    let hasBuf = false;
    let audio: AudioFields | null = null;
    let video: VideoFields | null = null;
    switch (type) {
      case 'cmd':
        cmdId = str(vr);
        seqId = str(vr);
        break;
      case 'cmd_result':
        cmdId = str(vr);
        seqId = str(vr);
        origType = TYPE_OF_CODE[num(vr, TenType.INT32)] ?? 'cmd';
        status = num(vr, TenType.INT32);
        if (vr.tag('is_final') !== TenType.BOOL) return null;
        isFinal = vr.bool();
        isCompleted = isFinal;
        break;
      case 'data':
        buf(vr);
        hasBuf = true;
        break;
      case 'video_frame': {
        const pixelFmt = num(vr, TenType.INT32);
        timestamp(vr);
        ts = tsRead;
        tsExact = tsExactRead;
        const width = num(vr, TenType.INT32);
        const height = num(vr, TenType.INT32);
        buf(vr);
        hasBuf = true;
        video = { width, height, pixelFmt, eof: false };
        break;
      }
      case 'audio_frame': {
        timestamp(vr);
        ts = tsRead;
        tsExact = tsExactRead;
        const sampleRate = num(vr, TenType.INT32);
        const bytesPerSample = num(vr, TenType.INT32);
        const samplesPerChannel = num(vr, TenType.INT32);
        const channels = num(vr, TenType.INT32);
        const dataFmt = num(vr, TenType.INT32);
        buf(vr);
        hasBuf = true;
        audio = { sampleRate, bytesPerSample, samplesPerChannel, channels, channelLayout: 0, dataFmt, lineSize: num(vr, TenType.INT32), eof: false };
        break;
      }
    }
    if (r.pos !== r.end) return null;
    // Built once with every field final, in `newWireMsg`'s order: one hidden class for all.
    return {
      type,
      name,
      src,
      dests,
      props,
      propTypes,
      ts,
      tsExact,
      cmdId,
      parentCmdId: '',
      seqId,
      status,
      isFinal,
      isCompleted,
      origName: '',
      origType,
      buf: null,
      packed: null,
      arena: hasBuf ? r.dv : null,
      arenaAt: hasBuf ? bufAt : 0,
      arenaLen: hasBuf ? bufLen : 0,
      audio,
      video,
    };
  } catch {
    return null;
  }
}
