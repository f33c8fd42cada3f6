/**
 * The cmd ids of the final results among TEN frames an extension group encoded, read without
 * decoding the messages: the host passes such frames on as bytes, and only needs to know which
 * cmds of a peer they answer while it keeps cmds of that peer that are inside a group
 * (docs/protocol.md, "Robustness"). Other messages are skipped by their frame length.
 */
import { MSG_TYPE_CODE } from './message';
import { Reader } from './msgpack';
import { TenType, ValueReader } from './value';

const RESULT = MSG_TYPE_CODE.cmd_result;
const FIXEXT_LEN = [1, 2, 4, 8, 16];

/** Skips one TEN value (tag and payload). */
function skipValue(vr: ValueReader, depth: number): void {
  const r = vr.r;
  const tag = vr.tag('a value');
  switch (tag) {
    case TenType.BOOL:
      vr.bool();
      return;
    case TenType.STRING:
      r.str('a string');
      return;
    case TenType.BUF:
      r.bin('a buffer');
      return;
    case TenType.ARRAY: {
      if (depth > 128) throw new Error('nested too deep');
      const n = r.uint('a count');
      for (let i = 0; i < n; i++) skipValue(vr, depth + 1);
      return;
    }
    case TenType.OBJECT: {
      if (depth > 128) throw new Error('nested too deep');
      const n = r.uint('a count');
      for (let i = 0; i < n; i++) {
        r.str('a key');
        skipValue(vr, depth + 1);
      }
      return;
    }
    default:
      vr.number(tag);
  }
}

/**
 * Calls `each` with the cmd id of every final result in `bytes` (whole frames, one after
 * another). Stops quietly at anything it cannot read (the frames were encoded by this app).
 */
export function finalResultIds(bytes: Uint8Array, each: (cmdId: string) => void): void {
  const r = new Reader(bytes);
  const vr = new ValueReader(r);
  let at = 0;
  const end = bytes.byteLength;
  const b = r.b;
  try {
    while (at < end) {
      const h = b[at]!;
      let len: number;
      let body: number;
      if (h === 0xc7) {
        len = b[at + 1]!;
        body = at + 3;
      } else if (h === 0xc8) {
        len = r.dv.getUint16(at + 1);
        body = at + 4;
      } else if (h === 0xc9) {
        len = r.dv.getUint32(at + 1);
        body = at + 6;
      } else if (h >= 0xd4 && h <= 0xd8) {
        len = FIXEXT_LEN[h - 0xd4]!;
        body = at + 2;
      } else return;
      const next = body + len;
      if (next > end) return;
      r.pos = body;
      r.end = next;
      if (r.uint('msg_type') === RESULT) {
        // type, name, src, dest, properties, then the cmd_id, seq_id, original type, status, is_final.
        for (let i = 0; i < 5; i++) skipValue(vr, 0);
        if (vr.tag('cmd_id') !== TenType.STRING) return;
        const id = r.str('cmd_id');
        for (let i = 0; i < 3; i++) skipValue(vr, 0);
        if (vr.tag('is_final') !== TenType.BOOL) return;
        if (vr.bool()) each(id);
      }
      at = next;
      r.end = end;
    }
  } catch {
    // Not a frame this scan understands: the rest is passed on as it is, unread.
  }
}
