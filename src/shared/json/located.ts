/**
 * A small JSON parser that remembers where every value starts, so that errors found later
 * (schema, graph rules) can point at `line:column` in the file the user wrote. `JSON.parse`
 * gives neither positions for values nor positions for syntax errors on every engine.
 */

/** 1-based line and column plus the 0-based character offset of a value in its text. */
export interface TextPosition {
  line: number;
  column: number;
  offset: number;
}

/** A JSON syntax error with its position. */
export interface JsonSyntaxError {
  message: string;
  position: TextPosition;
}

/**
 * Parsed JSON plus the position of every value, keyed by RFC 6901 JSON pointer. An integer literal
 * (no fraction, no exponent) outside the safe integer range is a `bigint` in `value`; every other
 * number is a `number`. Write such values back with `stringifyJson` (json/text.ts), not `JSON.stringify`.
 */
export interface LocatedJson {
  value: unknown;
  /** Pointer (`""` is the root, `/ten/predefined_graphs/0`) → where that value starts. */
  positions: PositionLookup;
}

/** Where values start, by JSON pointer: a map filled while parsing, or a lookup in the text ({@link textPositions}). */
export interface PositionLookup {
  get(pointer: string): TextPosition | undefined;
}

/** Either the located document or the first syntax error. */
export type JsonParseResult = { ok: true; doc: LocatedJson } | { ok: false; error: JsonSyntaxError };

/** Escapes one reference token of a JSON pointer (RFC 6901). */
export function escapePointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Joins reference tokens into a JSON pointer. */
export function pointer(...tokens: readonly (string | number)[]): string {
  return tokens.map((t) => '/' + escapePointerToken(t)).join('');
}

/**
 * Finds the position of `ptr`, or of its nearest ancestor that has one (a missing field is
 * reported at the object that should hold it).
 */
export function locate(doc: LocatedJson | undefined, ptr: string): TextPosition | undefined {
  if (!doc) return undefined;
  let p = ptr;
  for (;;) {
    const pos = doc.positions.get(p);
    if (pos) return pos;
    if (p === '') return undefined;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

/**
 * The deepest nesting of arrays and objects the parser accepts. No TEN document comes near it
 * (a property.json is a few levels deep; nested property values a few more), and every recursive
 * walk the studio makes over a parsed value (schema checks, the exporter, structured clone into a
 * worker) is safe at this depth, where 100,000 levels would overflow the stack somewhere.
 * Deeper text is a located syntax error that names the depth.
 */
export const MAX_JSON_DEPTH = 1000;

class SyntaxFailure extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Parses JSON text strictly (RFC 8259: no comments, no trailing commas). Never throws. */
export function parseJson(text: string): JsonParseResult {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const toPosition = (offset: number): TextPosition => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo]! + 1, offset };
  };
  const positions = new Map<string, TextPosition>();
  let i = 0;
  // Skip a UTF-8 byte order mark: editors on Windows write one, and TEN's reader accepts it.
  if (text.charCodeAt(0) === 0xfeff) i = 1;

  const skipWs = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else return;
    }
  };
  const describe = (at: number): string =>
    at >= text.length ? 'end of input' : `'${text[at] === '\n' ? '\\n' : text[at]}'`;

  const parseString = (): string => {
    const start = i;
    i++;
    let out = '';
    let chunk = i;
    for (;;) {
      if (i >= text.length) throw new SyntaxFailure('unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 34) {
        out += text.slice(chunk, i);
        i++;
        return out;
      }
      if (c < 0x20) throw new SyntaxFailure('control character in string', i);
      if (c === 92) {
        out += text.slice(chunk, i);
        const e = text[i + 1];
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out += e;
            i += 2;
            break;
          case 'b':
            out += '\b';
            i += 2;
            break;
          case 'f':
            out += '\f';
            i += 2;
            break;
          case 'n':
            out += '\n';
            i += 2;
            break;
          case 'r':
            out += '\r';
            i += 2;
            break;
          case 't':
            out += '\t';
            i += 2;
            break;
          case 'u': {
            const hex = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new SyntaxFailure('invalid \\u escape', i);
            out += String.fromCharCode(parseInt(hex, 16));
            i += 6;
            break;
          }
          default:
            throw new SyntaxFailure('invalid escape in string', i);
        }
        chunk = i;
        continue;
      }
      i++;
    }
  };

  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

  const parseValue = (ptr: string, depth: number): unknown => {
    skipWs();
    positions.set(ptr, toPosition(i));
    const c = text[i];
    if ((c === '{' || c === '[') && depth >= MAX_JSON_DEPTH) {
      throw new SyntaxFailure(`nested too deeply: depth ${depth + 1} exceeds the limit of ${MAX_JSON_DEPTH}`, i);
    }
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      skipWs();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        skipWs();
        if (text[i] !== '"') {
          throw new SyntaxFailure(
            text[i] === '}' ? 'trailing comma in object' : `expected a property name, found ${describe(i)}`,
            i,
          );
        }
        const key = parseString();
        skipWs();
        if (text[i] !== ':') throw new SyntaxFailure(`expected ':' after property name, found ${describe(i)}`, i);
        i++;
        const value = parseValue(`${ptr}/${escapePointerToken(key)}`, depth + 1);
        // defineProperty, not assignment: a "__proto__" key must stay plain data.
        Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
        skipWs();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        throw new SyntaxFailure(`expected ',' or '}' in object, found ${describe(i)}`, i);
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      skipWs();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        skipWs();
        if (text[i] === ']') throw new SyntaxFailure('trailing comma in array', i);
        arr.push(parseValue(`${ptr}/${arr.length}`, depth + 1));
        skipWs();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        throw new SyntaxFailure(`expected ',' or ']' in array, found ${describe(i)}`, i);
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m) {
      i += m[0].length;
      const n = Number(m[0]);
      // An integer literal beyond 2^53 (int64/uint64 ids, nanosecond timestamps) is kept exactly.
      return Number.isSafeInteger(n) || /[.eE]/.test(m[0]) ? n : BigInt(m[0]);
    }
    throw new SyntaxFailure(`expected a value, found ${describe(i)}`, i);
  };

  try {
    const value = parseValue('', 0);
    skipWs();
    if (i < text.length) throw new SyntaxFailure(`unexpected ${describe(i)} after the JSON value`, i);
    return { ok: true, doc: { value, positions } };
  } catch (err) {
    if (err instanceof SyntaxFailure) {
      const position = toPosition(Math.min(err.offset, text.length));
      return { ok: false, error: { message: `${err.message} at line ${position.line} column ${position.column}`, position } };
    }
    if (!(err instanceof RangeError)) throw err;
    // A stack that overflows before MAX_JSON_DEPTH (a caller already deep in its own recursion)
    // is still reported as a syntax problem rather than a crash.
    const position = toPosition(Math.min(i, text.length));
    return { ok: false, error: { message: `JSON nested too deeply for the stack at line ${position.line} column ${position.column}`, position } };
  }
}

/**
 * Positions in JSON `text` (which must be valid JSON) found on demand: a lookup walks from the
 * nearest pointer already found down the containers on the way to the value, skipping the values
 * before it without parsing them. For a large document with a few problems this costs a scan of
 * the text on the way to each, where parsing it with positions would record one for every value.
 */
export function textPositions(text: string): PositionLookup {
  const found = new Map<string, number>();
  let lineStarts: number[] | undefined;
  const toPosition = (offset: number): TextPosition => {
    if (!lineStarts) {
      lineStarts = [0];
      for (let k = text.indexOf('\n'); k !== -1; k = text.indexOf('\n', k + 1)) lineStarts.push(k + 1);
    }
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo]! + 1, offset };
  };
  const skipWs = (i: number): number => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else return i;
    }
  };
  /** The offset just after the string starting at `i` (a quote). */
  const stringEnd = (i: number): number => {
    for (let k = i + 1; ; ) {
      const q = text.indexOf('"', k);
      if (q === -1) return text.length;
      let slashes = 0;
      for (let b = q - 1; text.charCodeAt(b) === 92; b--) slashes++;
      if (slashes % 2 === 0) return q + 1;
      k = q + 1;
    }
  };
  /** The offset just after the value starting at `i`. */
  const valueEnd = (i: number): number => {
    const c = text.charCodeAt(i);
    if (c === 34) return stringEnd(i);
    if (c === 123 || c === 91) {
      let depth = 0;
      for (let k = i; k < text.length; k++) {
        const d = text.charCodeAt(k);
        if (d === 34) k = stringEnd(k) - 1;
        else if (d === 123 || d === 91) depth++;
        else if (d === 125 || d === 93) {
          if (--depth === 0) return k + 1;
        }
      }
      return text.length;
    }
    let k = i;
    while (k < text.length && !',]} \t\r\n'.includes(text[k]!)) k++;
    return k;
  };
  /** The start of member `token` of the container whose value starts at `at`, or -1. */
  const child = (at: number, token: string): number => {
    const open = text.charCodeAt(at);
    let i = skipWs(at + 1);
    if (open === 91) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return -1;
      for (let n = Number(token); ; n--) {
        if (text.charCodeAt(i) === 93) return -1;
        if (n === 0) return i;
        i = skipWs(valueEnd(i));
        if (text.charCodeAt(i) !== 44) return -1;
        i = skipWs(i + 1);
      }
    }
    if (open !== 123) return -1;
    for (;;) {
      if (text.charCodeAt(i) !== 34) return -1;
      const end = stringEnd(i);
      const raw = text.slice(i + 1, end - 1);
      const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end)) as string) : raw;
      const value = skipWs(skipWs(end) + 1);
      if (key === token) return value;
      i = skipWs(valueEnd(value));
      if (text.charCodeAt(i) !== 44) return -1;
      i = skipWs(i + 1);
    }
  };
  /** The offset where the value at `ptr` starts, or -1; every pointer on the way is remembered. */
  const offsetOf = (ptr: string): number => {
    const known = found.get(ptr);
    if (known !== undefined) return known;
    let at: number;
    if (ptr === '') at = skipWs(text.charCodeAt(0) === 0xfeff ? 1 : 0);
    else {
      const cut = ptr.lastIndexOf('/');
      const parent = cut === -1 ? -1 : offsetOf(ptr.slice(0, cut));
      if (parent < 0) return -1;
      at = child(parent, ptr.slice(cut + 1).replace(/~1/g, '/').replace(/~0/g, '~'));
    }
    if (at < 0 || at >= text.length) return -1;
    found.set(ptr, at);
    return at;
  };
  return {
    get: (ptr: string) => {
      const at = offsetOf(ptr);
      return at < 0 ? undefined : toPosition(at);
    },
  };
}

/** Removes `//` line comments outside strings (TEN's schema files are JSON5-ish). */
export function stripLineComments(text: string): string {
  let out = '';
  let inString = false;
  for (let k = 0; k < text.length; k++) {
    const ch = text[k]!;
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++k] ?? '';
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
      out += ch;
    } else if (ch === '/' && text[k + 1] === '/') {
      while (k < text.length && text[k] !== '\n') k++;
      out += '\n';
    } else out += ch;
  }
  return out;
}
