/**
 * The inspector's form over a TEN property schema: which input each property gets, and the
 * immediate check of what the user typed. The full check (ajv) runs on the host; this one only
 * needs to be right about types, integer ranges and placeholders, so it works without eval.
 */
import { INTEGER_RANGES, parseJsonText, stringifyJson, type TenValueSchema } from '../../shared';

/** `${env:VAR}` or `${env:VAR|default}`: TEN resolves these when the app starts. */
export const ENV_PLACEHOLDER = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*(\|[^}]*)?\}$/;

export type FieldInput = 'number' | 'bool' | 'string' | 'json';

/** Which input a schema type gets. */
export function inputFor(schema: TenValueSchema | undefined): FieldInput {
  if (!schema) return 'json';
  if (schema.type in INTEGER_RANGES || schema.type === 'float32' || schema.type === 'float64') return 'number';
  if (schema.type === 'bool') return 'bool';
  if (schema.type === 'string') return 'string';
  return 'json';
}

/** A short description of the accepted values, shown as the input's hint. */
export function describeType(schema: TenValueSchema | undefined): string {
  if (!schema) return 'any JSON value (not in the schema)';
  const range = INTEGER_RANGES[schema.type];
  if (range) return `${schema.type}, ${range[0]} … ${range[1]}`;
  if (schema.type === 'array') return `array of ${schema.items.type}`;
  return schema.type;
}

/**
 * What a field's text means: a value to set, no value (remove the key), or an error. An error may
 * carry the typed value it would be (a number out of range), so that what is stored is what the
 * user typed and the host's check reports the same problem.
 */
export type FieldParse = { ok: true; value: unknown } | { ok: false; error: string; value?: unknown };

/** The value of a field's text; an empty text removes the property. */
export function parseField(schema: TenValueSchema | undefined, text: string): FieldParse {
  const raw = text.trim();
  if (raw === '') return { ok: true, value: undefined };
  if (ENV_PLACEHOLDER.test(raw)) return { ok: true, value: raw };
  const input = inputFor(schema);
  if (input === 'string') return { ok: true, value: text };
  if (input === 'bool') {
    if (raw === 'true' || raw === 'false') return { ok: true, value: raw === 'true' };
    return { ok: false, error: 'expects true or false (or an ${env:VAR|default} placeholder)' };
  }
  if (input === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n)) return { ok: false, error: `expects a number (${describeType(schema)}) or an \${env:VAR|default} placeholder` };
    const range = schema ? INTEGER_RANGES[schema.type] : undefined;
    if (range) {
      if (!Number.isInteger(n)) return { ok: false, error: `expects an integer (${schema!.type})`, value: n };
      // Digits typed beyond 2^53 are kept exactly, as the file parser keeps them.
      const exact = /^-?\d+$/.test(raw) ? BigInt(raw) : BigInt(n);
      const value = Number.isSafeInteger(n) ? n : exact;
      if (exact < range[0] || exact > range[1]) return { ok: false, error: `out of range of ${schema!.type} (${range[0]} … ${range[1]})`, value };
      return { ok: true, value };
    }
    // Integer digits beyond 2^53 are kept exactly here too (TEN types such a literal by its size).
    const value = /^-?\d+$/.test(raw) && !Number.isSafeInteger(n) ? BigInt(raw) : n;
    if (schema?.type === 'float32' && Math.abs(n) > 3.4028234663852886e38) return { ok: false, error: 'out of range of float32', value };
    return { ok: true, value };
  }
  try {
    const value: unknown = parseJsonText(raw);
    if (schema?.type === 'array' && !Array.isArray(value)) return { ok: false, error: 'expects a JSON array' };
    if (schema?.type === 'object' && (typeof value !== 'object' || value === null || Array.isArray(value))) return { ok: false, error: 'expects a JSON object' };
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: `not valid JSON: ${(err as Error).message}` };
  }
}

/** The text a field shows for a stored value. */
export function fieldText(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return stringifyJson(value) ?? '';
}

/** The raw JSON mode's text for a node's properties (integers beyond 2^53 with all their digits). */
export function propertyObjectText(property: Record<string, unknown>): string {
  return stringifyJson(property, 2) as string;
}

/** Parses the raw JSON mode's text: it must be a JSON object. */
export function parsePropertyObject(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  try {
    const value: unknown = parseJsonText(text.trim() === '' ? '{}' : text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'The properties must be a JSON object.' };
    return { ok: true, value: value as Record<string, unknown> };
  } catch (err) {
    return { ok: false, error: `Not valid JSON: ${(err as Error).message}` };
  }
}
