/**
 * The link between a group thread and the Python process hosting its Python extensions
 * (python/ten_studio_py/proto.py is the other half; keep the codes in step).
 *
 * A frame is `u32 length | u8 channel | u32 json length | JSON array of records | binary section`
 * (little endian; `length` counts everything after itself). Each record is a JSON array whose first
 * value is its code. A message's buffer is the next `blen` bytes of the binary section, in record
 * order, so buffers never pass through JSON. One frame per loop turn and direction: one
 * `JSON.parse` and one `json.loads` per batch, not per message. Integers beyond 2^53 stay exact
 * (`stringifyJson`/`parseJsonText` here, unbounded ints in Python).
 */
import { parseJsonText, stringifyJson } from '../../shared/json/text';

/** Channel of the records of a hosted extension group. */
export const CH_GROUP = 0;
/** Channel of a test session (a pytest process and the node child it started). */
export const CH_SESSION = 1;

// TypeScript → Python (group channel).
export const T_INIT = 1;
export const T_PHASE = 2;
/** [3, idx, type, name, props, blen, srcApp, srcGraph, srcExt, cmdId, seqId, frame, ts] */
export const T_MSG = 3;
/** [4, idx, name, props, blen, srcExt]: data from an extension of the same graph. */
export const T_DATA = 4;
/** [5, cbId, name, props, blen, status, final, completed, srcExt, cmdId] */
export const T_RESULT = 5;
/** [6, cbId, errCode, errMessage]: the outcome of a send (errCode 0: sent). */
export const T_SENT = 6;
export const T_EXIT = 7;
/**
 * [8, lists | null, pairs]: what the process may deliver itself (PyHost.routesRecord); null: nothing
 * (tracing or the text tap is on). Replaces the previous table.
 */
export const T_ROUTES = 8;
/**
 * [9, idx, name, props, blen, srcExt, cmdId, seqId, ts]: a cmd (type `cmd`) from an extension of
 * the same graph: T_MSG without what the process knows already (app, graph, no frame fields).
 */
export const T_CMD = 9;

// Python → TypeScript (group channel).
/** [1, {pid, python, exts: [{idx, kind, class}]}] */
export const P_READY = 1;
/** [2, message] */
export const P_CREATE_FAILED = 2;
/** [3, idx, phase, props | null] */
export const P_DONE = 3;
/** [4, idx, cbId, type, name, props, blen, dests | 0, cmdId, seqId, frame | 0, ts, isEx, noHandler] */
export const P_SEND = 4;
/** [5, idx, name, props, blen] */
export const P_DATA = 5;
/** [6, idx, cbId, cmdId, status, final, props, blen, name] */
export const P_RETURN = 6;
/** [7, idx, level, msg, category, fields, file, line, func, thread, task] */
export const P_LOG = 7;
/** [8, idx, phase, message, traceback] */
export const P_ERROR = 8;
/** [9, idx, object, reason, stack, owner, caller] */
export const P_VIOLATION = 9;
/** [10, idx, ms, stack, ended] */
export const P_STALL = 10;
/** [11, stats] */
export const P_STATS = 11;
/** [12, {tasks: [{name, where}], threads: [{name}]}] */
export const P_LEFTOVER = 12;
/** [13, [[srcIdx, name, n, [dstIdx…]]…], [[dstIdx, name, n]…]]: local sends and deliveries since the last report. */
export const P_LOCAL = 13;
/** [14, state, host, port, text]: the debugger (TEN_ENABLE_PYTHON_DEBUG) is `listening`, `attached`, or could not start (`error`). */
export const P_DEBUG = 14;

// Session channel.
export const S_HELLO = 1;
export const S_RUN = 2;
export const S_STOP_TEST = 3;
export const S_DONE = 4;
export const S_CLOSE = 5;
export const S_STARTED = 6;
/** [7, event]: a log, error or violation of the test graph, for the test process to print. */
export const S_LOG = 7;

const HEAD = 9;

/** One decoded frame: its records and the bytes of its binary section. */
export interface PyFrame {
  channel: number;
  records: unknown[][];
  bins: Uint8Array;
}

/** Buffers from this size on are written from where they are, not copied into the frame. */
export const BIG_PART = 1 << 16;

/**
 * Encodes one frame. Without a buffer of `BIG_PART` bytes or more (the usual frame) it is one
 * buffer, written with one `write`: the head, the JSON and the buffers copied in (a stream's
 * writev of several parts costs more than copying small buffers). Otherwise the head and the JSON
 * are one part and every buffer another, for one writev without copying them.
 */
export function encodeFrame(channel: number, records: unknown[], bins: readonly Uint8Array[]): Uint8Array[] {
  const text = stringifyJson(records) ?? '[]';
  const jlen = Buffer.byteLength(text, 'utf8');
  let blen = 0;
  let big = false;
  for (const b of bins) {
    blen += b.byteLength;
    if (b.byteLength >= BIG_PART) big = true;
  }
  const out = Buffer.allocUnsafe(HEAD + jlen + (big ? 0 : blen));
  out.writeUInt32LE(5 + jlen + blen, 0);
  out.writeUInt8(channel, 4);
  out.writeUInt32LE(jlen, 5);
  out.write(text, HEAD, 'utf8');
  if (big) return [out, ...bins];
  let pos = HEAD + jlen;
  for (const b of bins) {
    out.set(b, pos);
    pos += b.byteLength;
  }
  return [out];
}

/** The binary section of a frame without one (a subarray is a Buffer object of its own). */
const NO_BINS = new Uint8Array(0);

/**
 * Reassembles frames from pipe chunks. A chunk holding whole frames (the usual case) is decoded
 * in place; only a frame split across chunks is copied once.
 */
export class FrameReader {
  private pending: Buffer | null = null;
  bytesIn = 0;
  framesIn = 0;

  /** Feeds a chunk; calls `onFrame` for every complete frame, in order. */
  push(chunk: Buffer, onFrame: (f: PyFrame) => void): void {
    this.bytesIn += chunk.length;
    const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    let pos = 0;
    while (buf.length - pos >= HEAD) {
      const length = buf.readUInt32LE(pos);
      const end = pos + 4 + length;
      if (end > buf.length) break;
      const channel = buf.readUInt8(pos + 4);
      const jlen = buf.readUInt32LE(pos + 5);
      const jstart = pos + HEAD;
      const records = (jlen > 0 ? parseJsonText(buf.toString('utf8', jstart, jstart + jlen)) : []) as unknown[][];
      const bins = end > jstart + jlen ? buf.subarray(jstart + jlen, end) : NO_BINS;
      pos = end;
      this.framesIn++;
      onFrame({ channel, records, bins });
    }
    if (pos < buf.length) {
      // Keep the partial frame; copy it so the chunk it came in can be released.
      this.pending = Buffer.from(buf.subarray(pos));
    }
  }
}
