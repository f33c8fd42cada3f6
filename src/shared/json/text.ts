/**
 * JSON text in and out for values that may hold integers beyond 2^53. The located parser reads an
 * integer literal (no fraction, no exponent) outside `Number.MIN_SAFE_INTEGER…MAX_SAFE_INTEGER` as
 * a `bigint`, so int64/uint64 values keep every digit. These two functions keep that promise on
 * every other path that turns values into text and back (exports, the WebSocket wire, recovery
 * copies, the runtime's `*ToJson`/`*FromJson`):
 *
 * - a `bigint` is written as the same integer literal, without quotes;
 * - a `number` is always written so that it reads back as a number: an integer-valued double
 *   beyond 2^53 (which `JSON.stringify` would print as a long digit run) is written in exponent
 *   form (`1e+19`), which every JSON reader, TEN's included, takes as a float.
 *
 * Both are `JSON.stringify`/`JSON.parse` on the fast path; they take the slow path only when the
 * text or the value has a digit run long enough to be an unsafe integer outside its strings.
 */
import { parseJson } from './located';

/** A `JSON.stringify` replacer. */
export type JsonReplacer = (this: unknown, key: string, value: unknown) => unknown;

/**
 * 16 or more digits that are not a fraction and have no fraction or exponent after them: the
 * shortest text that can be an integer literal beyond 2^53 (`0.30000000000000004` is not one).
 * A string holding such digits also matches; `hasLongLiteral` then looks closer.
 */
const LONG_DIGITS = /(?<![\d.])\d{16,}(?![\d.eE])/;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isFractionOrExponent = (c: number) => c === DOT || c === 0x45 || c === 0x65;

/**
 * Whether JSON text has such a digit run outside its strings. Asked only when `LONG_DIGITS`
 * matched: a timestamp in a trace preview or a log line is no reason for the exact path, which
 * costs several times `JSON.parse`/`JSON.stringify` on a telemetry batch. A plain loop, as a
 * regular expression over strings runs out of stack on a long string full of escapes.
 */
function hasLongLiteral(text: string): boolean {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < n && text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++;
    } else if (isDigit(c)) {
      const start = i;
      while (i + 1 < n && isDigit(text.charCodeAt(i + 1))) i++;
      if (i + 1 - start >= 16 && text.charCodeAt(start - 1) !== DOT && !isFractionOrExponent(text.charCodeAt(i + 1))) return true;
    }
  }
  return false;
}

/**
 * `JSON.stringify` that writes a `bigint` as its integer literal and an unsafe-integer double in
 * exponent form (see the module comment). Same `replacer` and `indent` semantics; throws
 * `TypeError` for a circular structure as `JSON.stringify` does.
 */
export function stringifyJson(value: unknown, indent?: number, replacer?: JsonReplacer): string | undefined {
  try {
    const text = JSON.stringify(value, replacer, indent) as string | undefined;
    if (text === undefined || !LONG_DIGITS.test(text) || !hasLongLiteral(text)) return text;
  } catch (err) {
    // A bigint is a TypeError; so is a cycle, which the exact writer reports in turn.
    if (!(err instanceof TypeError)) throw err;
  }
  return exactStringify(value, indent ?? 0, replacer);
}

/**
 * `JSON.parse` that keeps integers beyond 2^53 exactly (as `bigint`). Throws `SyntaxError` for
 * text that is not JSON.
 */
export function parseJsonText(text: string): unknown {
  if (!LONG_DIGITS.test(text) || !hasLongLiteral(text)) return JSON.parse(text);
  const parsed = parseJson(text);
  if (!parsed.ok) throw new SyntaxError(parsed.error.message);
  return parsed.doc.value;
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) return 'null';
  return Number.isInteger(n) && !Number.isSafeInteger(n) ? n.toExponential() : String(n);
}

function exactStringify(root: unknown, indent: number, replacer: JsonReplacer | undefined): string | undefined {
  const step = ' '.repeat(Math.min(10, Math.max(0, Math.floor(indent))));
  const open = new Set<object>();

  const write = (holder: object, key: string, input: unknown, pad: string): string | undefined => {
    let value = input;
    if (value !== null && (typeof value === 'object' || typeof value === 'bigint')) {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') value = (toJSON as (k: string) => unknown).call(value, key);
    }
    if (replacer) value = replacer.call(holder, key, value);
    if (value instanceof Number) value = Number(value);
    else if (value instanceof String) value = String(value);
    else if (value instanceof Boolean) value = value.valueOf();
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value);
      case 'number':
        return numberText(value);
      case 'boolean':
        return String(value);
      case 'bigint':
        return value.toString();
      case 'object':
        break;
      default:
        return undefined;
    }
    if (value === null) return 'null';
    const obj = value;
    if (open.has(obj)) throw new TypeError('Converting circular structure to JSON');
    open.add(obj);
    const inner = pad + step;
    const sep = step ? `,\n${inner}` : ',';
    const wrap = (parts: string[], l: string, r: string): string =>
      parts.length === 0 ? l + r : step ? `${l}\n${inner}${parts.join(sep)}\n${pad}${r}` : l + parts.join(sep) + r;
    let out: string;
    if (Array.isArray(obj)) {
      out = wrap(
        obj.map((v, i) => write(obj, String(i), v, inner) ?? 'null'),
        '[',
        ']',
      );
    } else {
      const parts: string[] = [];
      for (const k of Object.keys(obj)) {
        const v = write(obj, k, (obj as Record<string, unknown>)[k], inner);
        if (v !== undefined) parts.push(`${JSON.stringify(k)}:${step ? ' ' : ''}${v}`);
      }
      out = wrap(parts, '{', '}');
    }
    open.delete(obj);
    return out;
  };

  return write({ '': root }, '', root, '');
}
