/**
 * JSON reading and writing for documents, on the graph model's located parser (which knows
 * where every value and every syntax error is, unlike V8's `JSON.parse` messages) and its
 * exporter (TEN's key order, 2-space indentation, trailing newline: diff-friendly files).
 */
import { isUtf8 } from 'node:buffer';
import { exportJson, locate, parseJson, type ExportKind, type LocatedJson } from '../../shared';

/** A JSON syntax error with a 1-based line and column. */
export interface JsonSyntaxProblem {
  message: string;
  line: number;
  column: number;
}

export type JsonReadResult = { ok: true; value: unknown; located: LocatedJson } | { ok: false; problem: JsonSyntaxProblem };

/** Parses `text` strictly (a leading byte order mark is ignored); never throws. */
export function readJsonText(text: string): JsonReadResult {
  const parsed = parseJson(text);
  if (parsed.ok) return { ok: true, value: parsed.doc.value, located: parsed.doc };
  const { line, column } = parsed.error.position;
  // The parser appends the position to its message; callers print it as file:line:column.
  const message = parsed.error.message.replace(/ at line \d+ column \d+$/, '');
  return { ok: false, problem: { message, line, column } };
}

/**
 * The text a file is written as. `property` and `graph` put TEN's fields in TEN's order and keep
 * the user's other fields after them; `json` (studio files) keeps key order as it is.
 */
export function formatJson(value: unknown, kind: ExportKind = 'json'): string {
  return exportJson(value, kind);
}

/** Where the value at a JSON pointer starts (or its nearest located ancestor), as `line:column`. */
export function positionOf(located: LocatedJson, pointer: string): string | null {
  const at = locate(located, pointer);
  return at ? `${at.line}:${at.column}` : null;
}

/** Where bytes stop being valid UTF-8: the first bad byte, its offset and its line:column. */
export interface Utf8Problem {
  offset: number;
  byte: number;
  line: number;
  column: number;
}

/**
 * The first byte that is not valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF), or null when all of `bytes` is valid. Decoding would turn such bytes into U+FFFD, and
 * writing the text back would lose them. The column counts characters, as the parser's do.
 */
export function utf8Problem(bytes: Uint8Array): Utf8Problem | null {
  if (isUtf8(bytes)) return null;
  const n = bytes.length;
  let i = 0;
  let bad = n;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // Continuation bytes needed, and the range the first of them must be in.
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b === 0xe0) [need, lo] = [2, 0xa0];
    else if (b === 0xed) [need, hi] = [2, 0x9f];
    else if (b >= 0xe1 && b <= 0xef) need = 2;
    else if (b === 0xf0) [need, lo] = [3, 0x90];
    else if (b === 0xf4) [need, hi] = [3, 0x8f];
    else if (b >= 0xf1 && b <= 0xf3) need = 3;
    else {
      bad = i;
      break;
    }
    let ok = i + need < n;
    for (let k = 1; ok && k <= need; k++) {
      const c = bytes[i + k]!;
      ok = k === 1 ? c >= lo && c <= hi : c >= 0x80 && c <= 0xbf;
    }
    if (!ok) {
      bad = i;
      break;
    }
    i += need + 1;
  }
  if (bad >= n) return null;
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < bad; k++) {
    if (bytes[k] === 0x0a) {
      line++;
      lineStart = k + 1;
    }
  }
  const column = Buffer.from(bytes.buffer, bytes.byteOffset + lineStart, bad - lineStart).toString('utf8').length + 1;
  return { offset: bad, byte: bytes[bad]!, line, column };
}
