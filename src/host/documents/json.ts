/**
 * JSON reading and writing for documents. Reading uses `JSON.parse`; when it fails, a small
 * scanner finds where, because V8's messages carry no position for many errors
 * (`Unexpected token '}', "…" is not valid JSON`). Writing is 2-space JSON plus a trailing
 * newline, the form TEN's own files use, so a save of an unchanged file is byte-identical.
 */

/** A JSON syntax error with a 1-based line and column. */
export interface JsonSyntaxProblem {
  message: string;
  line: number;
  column: number;
}

export type JsonReadResult = { ok: true; value: unknown } | { ok: false; problem: JsonSyntaxProblem };

/** Parses `text` (a leading byte order mark is ignored); never throws. */
export function readJsonText(text: string): JsonReadResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (err) {
    const { offset, message } = locateSyntaxError(body);
    const { line, column } = lineColumn(body, offset);
    return { ok: false, problem: { message: message ?? (err as Error).message, line, column } };
  }
}

/** The text a document file is written as: 2-space indentation and a trailing newline. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** 1-based line and column of a 0-based offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Scans `text` as strict JSON (RFC 8259) and returns where the first error is. Only called
 * after `JSON.parse` failed, so a text it accepts falls back to offset 0 with no message.
 */
export function locateSyntaxError(text: string): { offset: number; message?: string } {
  let i = 0;
  const fail = (message: string): never => {
    throw new Stop(i, message);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const describe = () => (i >= text.length ? 'end of input' : `${JSON.stringify(text[i])}`);
  const expect = (ch: string, what: string) => {
    if (text[i] !== ch) fail(`Expected ${what} but found ${describe()}`);
    i++;
  };
  const string = () => {
    expect('"', 'a string');
    for (;;) {
      if (i >= text.length) fail('Unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('Control character in string (escape it)');
      if (c === 0x5c) {
        i++;
        const e = text[i];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('Bad \\u escape in string');
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else fail('Bad escape in string');
      } else i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || m[0] === '' || m[0] === '-') fail(`Unexpected ${describe()}`);
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 1000) fail('Nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`Expected a double-quoted property name but found ${describe()}`);
        string();
        ws();
        expect(':', '":"');
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect('}', '"," or "}"');
        return;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect(']', '"," or "]"');
        return;
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    fail(i >= text.length ? 'Unexpected end of input (the file is empty or cut short)' : `Unexpected ${describe()}`);
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail(`Unexpected ${describe()} after the end of the JSON value`);
    return { offset: 0 };
  } catch (err) {
    if (err instanceof Stop) return { offset: err.offset, message: err.message };
    throw err;
  }
}
