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
import { newWireMsg, type AudioFields, type MsgType, type TypeTree, type WireLoc, type WireMsg } from '../core/wire';
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

/** A frame's INT64 timestamp into `w.ts`, and `w.tsExact` when a number cannot hold it. */
function timestamp(vr: ValueReader, w: WireMsg): void {
  if (vr.tag('timestamp') !== TenType.INT64) throw FALLBACK;
  const v = vr.number(TenType.INT64);
  if (typeof v === 'number') {
    w.ts = v;
    return;
  }
  w.ts = Number(v);
  if (!Number.isSafeInteger(w.ts)) w.tsExact = v;
}

/**
 * A frame's buffer, left where it is (`WireMsg.arena`): the bytes read are never written, and
 * a view is made only when an extension reads the buffer or it is sent on.
 */
function buf(r: Reader, w: WireMsg): void {
  const at = r.skipBin('buf');
  w.arena = r.dv;
  w.arenaAt = at;
  w.arenaLen = r.pos - at;
}

const parts = ['', '', ''];

/** A reader over `b`, for `decodeWireBody` (one serves every frame of a batch). */
export function wireBodyReader(b: Uint8Array): ValueReader {
  return new ValueReader(new Reader(b));
}

/**
 * Decodes one frame body at `[at, at+n)` of the reader's bytes (the ext header already skipped)
 * into a runtime message; null when it is not one of the types this path covers, or does not
 * decode here. Buffers stay in the reader's bytes (`WireMsg.arena`).
 */
export function decodeWireBody(vr: ValueReader, at: number, n: number, locs: LocResolver): WireMsg | null {
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
    const w = newWireMsg(type, name);
    if (vr.tag('a location') !== TenType.OBJECT) return null;
    let start = r.pos;
    let src = locs.srcMemo.take(r);
    if (src === undefined) {
      readLocParts(vr, parts);
      src = locs.src(parts[0]!, parts[1]!, parts[2]!);
      locs.srcMemo.keep(r, start, src);
    }
    w.src = src;
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
    w.dests = dests;
    if (vr.tag('properties') !== TenType.OBJECT) return null;
    w.props = vr.payload(TenType.OBJECT, r.pos, 0) as Record<string, unknown>;
    const types = vr.shadow;
    if (types !== undefined) w.propTypes = types as TypeTree;
    switch (type) {
      case 'cmd':
        w.cmdId = str(vr);
        w.seqId = str(vr);
        break;
      case 'cmd_result':
        w.cmdId = str(vr);
        w.seqId = str(vr);
        w.origType = TYPE_OF_CODE[num(vr, TenType.INT32)] ?? 'cmd';
        w.status = num(vr, TenType.INT32);
        if (vr.tag('is_final') !== TenType.BOOL) return null;
        w.isFinal = vr.bool();
        w.isCompleted = w.isFinal;
        break;
      case 'data':
        if (vr.tag('buf') !== TenType.BUF) return null;
        buf(r, w);
        break;
      case 'video_frame': {
        const pixelFmt = num(vr, TenType.INT32);
        timestamp(vr, w);
        const width = num(vr, TenType.INT32);
        const height = num(vr, TenType.INT32);
        if (vr.tag('buf') !== TenType.BUF) return null;
        buf(r, w);
        w.video = { width, height, pixelFmt, eof: false };
        break;
      }
      case 'audio_frame': {
        timestamp(vr, w);
        const a: AudioFields = {
          sampleRate: num(vr, TenType.INT32),
          bytesPerSample: num(vr, TenType.INT32),
          samplesPerChannel: num(vr, TenType.INT32),
          channels: num(vr, TenType.INT32),
          channelLayout: 0,
          dataFmt: num(vr, TenType.INT32),
          lineSize: 0,
          eof: false,
        };
        if (vr.tag('buf') !== TenType.BUF) return null;
        buf(r, w);
        a.lineSize = num(vr, TenType.INT32);
        w.audio = a;
        break;
      }
      default:
        return null;
    }
    return r.pos === r.end ? w : null;
  } catch {
    return null;
  }
}
