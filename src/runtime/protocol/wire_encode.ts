/**
 * Runtime messages straight into TEN frames, for the message path of an extension group that
 * sends to another app (the mirror of wire_decode.ts): no `TenMsg` in between, the sender's and
 * receiver's shared locations encoded once each (message.ts caches them), and a buffer written
 * from where it is, even when it is still a view into the batch it arrived in (`packed`), so
 * forwarding a message to another app never materialises its buffer. Covers what flows between
 * extensions (cmds, results, data, audio and video frames); other types go through `TenMsg`.
 *
 * The bytes are exactly those of `encodeFrame(toTen(w))`: test/unit/runtime/protocol/group-links.test.ts
 * compares the two on random messages.
 */
import { packedOf, type WireLoc, type WireMsg } from '../core/wire';
import { toTen, toTenLoc } from './bridge';
import { MSG_TYPE_CODE, writeLoc, type EncodeError } from './message';
import type { Writer } from './msgpack';
import { encodeFrame, EXT_TYPE_MSG } from './stream';
import { EncodeFail, TenType, writeNumber, writeObject } from './value';

const EMPTY = new Uint8Array(0);

function str(w: Writer, s: string): void {
  w.byte(TenType.STRING);
  w.str(s);
}

/** A numeric field of a fixed TEN type; `field` names it in the error when it is not an integer. */
function int(w: Writer, tag: number, v: number, field: string): void {
  if (!Number.isSafeInteger(v)) throw new FieldError(field, `${v} is not an integer`);
  writeNumber(w, tag, v);
}

/** A frame's timestamp: exactly as it arrived when a number could not hold it (`tsExact`). */
function timestamp(w: Writer, m: WireMsg): void {
  if (m.tsExact !== null) writeNumber(w, TenType.INT64, m.tsExact);
  else int(w, TenType.INT64, Math.trunc(m.ts), 'timestamp');
}

class FieldError {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {}
}

/**
 * The message's buffer without materialising it: its view when it arrived packed, or a view of
 * the bytes still in the copy of the ring it arrived through (`packedOf`).
 */
function bufOf(m: WireMsg): Uint8Array {
  const p = packedOf(m);
  if (p !== null) return p;
  return m.buf !== null ? new Uint8Array(m.buf) : EMPTY;
}

/**
 * The fields in front of the properties (msg_type, type, name, src, dests) of the last message
 * written whose locations are shared (frozen), by what they were written from: a stream from one
 * sender to one receiver repeats them, and they are then copied as bytes.
 */
const head = { type: '', name: '', src: null as WireLoc | null, dests: null as WireLoc[] | null, bytes: new Uint8Array(0) };

function writeHead(w: Writer, m: WireMsg): void {
  const type = m.type;
  const name = type === 'cmd_result' ? 'ten:result' : m.name;
  const src = m.src;
  const dests = m.dests;
  if (src === head.src && dests === head.dests && name === head.name && type === head.type) {
    w.raw(head.bytes);
    return;
  }
  const start = w.pos;
  w.uint(MSG_TYPE_CODE[type]);
  str(w, type === 'cmd_result' ? 'result' : type);
  str(w, name);
  writeLoc(w, toTenLoc(src));
  w.byte(TenType.ARRAY);
  w.uint(dests.length);
  for (const d of dests) writeLoc(w, toTenLoc(d));
  const n = w.pos - start;
  // Only shared locations are kept: a location of the message's own may change after it is sent.
  if (n <= 512 && Object.isFrozen(src) && Object.isFrozen(dests) && dests.every(Object.isFrozen)) {
    head.bytes = Uint8Array.from(w.b.subarray(start, w.pos));
    head.type = type;
    head.name = name;
    head.src = src;
    head.dests = dests;
  }
}

/**
 * Appends `m` as one TEN frame to `w`; on failure nothing of it stays in the writer and the error
 * says which field and value could not be sent (as `encodeFrame`'s does).
 */
export function encodeWireFrame(w: Writer, m: WireMsg): EncodeError | null {
  const type = m.type;
  if (type !== 'cmd' && type !== 'cmd_result' && type !== 'data' && type !== 'audio_frame' && type !== 'video_frame') {
    const buf = packedOf(m) ?? (m.buf !== null ? new Uint8Array(m.buf) : null);
    return encodeFrame(w, toTen(m, buf));
  }
  const start = w.pos;
  const at = w.reserveExtHeader(m.arena !== null ? m.arenaLen : m.packed !== null ? m.packed.byteLength : (m.buf?.byteLength ?? 0));
  try {
    writeHead(w, m);
    try {
      writeObject(w, m.props, m.propTypes ?? undefined);
    } catch (e) {
      if (!(e instanceof EncodeFail)) throw e;
      const path = e.path.join('');
      w.pos = start;
      return { field: 'properties', path, message: `The properties field${path ? ` at ${path}` : ''} cannot be sent: ${e.reason}.` };
    }
    switch (type) {
      case 'cmd':
        str(w, m.cmdId);
        str(w, m.seqId);
        break;
      case 'cmd_result':
        str(w, m.cmdId);
        str(w, m.seqId);
        int(w, TenType.INT32, MSG_TYPE_CODE[m.origType] ?? MSG_TYPE_CODE.cmd, 'original_cmd_type');
        int(w, TenType.INT32, m.status, 'status_code');
        w.byte(TenType.BOOL);
        w.byte(m.isFinal ? 1 : 0);
        break;
      case 'data':
        w.byte(TenType.BUF);
        w.bin(bufOf(m));
        break;
      case 'video_frame': {
        const v = m.video;
        int(w, TenType.INT32, v?.pixelFmt ?? 0, 'pixel_fmt');
        timestamp(w, m);
        int(w, TenType.INT32, v?.width ?? 0, 'width');
        int(w, TenType.INT32, v?.height ?? 0, 'height');
        w.byte(TenType.BUF);
        w.bin(bufOf(m));
        break;
      }
      case 'audio_frame': {
        const a = m.audio;
        timestamp(w, m);
        int(w, TenType.INT32, a?.sampleRate ?? 0, 'sample_rate');
        int(w, TenType.INT32, a?.bytesPerSample ?? 0, 'bytes_per_sample');
        int(w, TenType.INT32, a?.samplesPerChannel ?? 0, 'samples_per_channel');
        int(w, TenType.INT32, a?.channels ?? 0, 'number_of_channel');
        int(w, TenType.INT32, a?.dataFmt ?? 0, 'data_fmt');
        w.byte(TenType.BUF);
        w.bin(bufOf(m));
        int(w, TenType.INT32, a?.lineSize ?? 0, 'line_size');
        break;
      }
    }
  } catch (e) {
    if (!(e instanceof FieldError)) throw e;
    w.pos = start;
    return { field: e.field, path: '', message: `The ${e.field} field cannot be sent: ${e.reason}.` };
  }
  w.finishExt(at, EXT_TYPE_MSG);
  return null;
}
