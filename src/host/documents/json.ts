/**
 * JSON reading and writing for documents, on the graph model's located parser (which knows
 * where every value and every syntax error is, unlike V8's `JSON.parse` messages) and its
 * exporter (TEN's key order, 2-space indentation, trailing newline: diff-friendly files).
 */
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
