/**
 * Located problems. Every check in the graph model reports `Diagnostic`s: a stable code (so the
 * UI, CLI and tests can key on it), TEN's own text (so users can search TEN's docs and issues),
 * and where the problem is in the file the user wrote.
 */
import { locate, type LocatedJson } from '../json/located';

/**
 * Stable diagnostic codes. Numbers never change meaning; new checks get new numbers.
 * The text after each code is what the code stands for, not the message shown to users.
 */
export const DIAGNOSTIC_CODES = {
  E001: 'file is not valid JSON',
  E002: 'document does not match the TEN JSON schema',
  E003: 'file cannot be read',
  E004: 'document has the wrong shape for the graph model',
  E010: 'graph has no extension node',
  E011: 'duplicate node',
  E012: 'connection source is not a node',
  E013: 'connection destination is not a node',
  E014: 'referenced subgraph is not a node',
  E015: 'one source declared in several connection sections',
  E016: 'message name defined twice for one source and kind',
  E017: 'msg_conversion not allowed here',
  E018: 'selector node problem',
  E020: "empty 'app' field",
  E021: "'app' declared on some nodes only",
  E022: "'app' declared in connections while no node declares it",
  E023: "'localhost' used as app",
  E024: 'duplicate predefined graph name',
  E025: "'import_uri' with graph content",
  E026: 'import_uri cannot be resolved or loaded',
  E027: 'subgraph reference cannot be resolved through exposed messages/properties',
  E028: 'exposed message or property names a missing node',
  E029: "'app' missing in connections while the nodes declare it",
  E030: 'addon not installed',
  E031: 'incompatible message schemas between connected ports',
  E032: 'local path dependency of the app does not exist',
  E040: 'manifest field rule violated',
  E041: 'manifest interface cannot be imported',
  E050: 'invalid TEN value schema',
  E051: 'value does not match its TEN value schema',
  E052: 'incompatible TEN value schemas',
} as const;

/** One of the stable codes of {@link DIAGNOSTIC_CODES}. */
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** One problem with its location in the user's file. */
export interface Diagnostic {
  code: DiagnosticCode;
  /** TEN's wording where TEN has one. */
  message: string;
  /** The file the pointer refers to, as given to the loader (may be undefined for in-memory docs). */
  file?: string;
  /** JSON pointer into `file` (RFC 6901); `""` is the whole document. */
  pointer: string;
  /** 1-based; absent when the document has no text (built in memory). */
  line?: number;
  column?: number;
  /**
   * Where inside an imported file (a subgraph's) the problem is, when `pointer` is the place
   * that imports it: TEN's text does not say, so it is kept beside the message.
   */
  inside?: { file: string; pointer: string };
}

/** A source document: its file name and the located JSON it was parsed from. */
export interface SourceRef {
  file?: string;
  doc?: LocatedJson;
}

/** Builds a diagnostic, looking up line/column of `ptr` (or its closest ancestor) in `src`. */
export function diag(code: DiagnosticCode, message: string, src: SourceRef | undefined, ptr: string): Diagnostic {
  const pos = locate(src?.doc, ptr);
  const d: Diagnostic = { code, message, pointer: ptr };
  if (src?.file !== undefined) d.file = src.file;
  if (pos) {
    d.line = pos.line;
    d.column = pos.column;
  }
  return d;
}

/** `file:line:column pointer: CODE message`, the human one-line form used by the CLI. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.file ?? '<input>', d.line, d.column].filter((x) => x !== undefined).join(':');
  const inside = d.inside ? ` (in ${d.inside.file} at ${d.inside.pointer || '/'})` : '';
  return `${where} ${d.pointer || '/'}: ${d.code} ${d.message}${inside}`;
}
