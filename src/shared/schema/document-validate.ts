/**
 * Runs the structural schemas of TEN's files with ajv and words the failures the way TEN does
 * (TEN uses the Rust `jsonschema` crate: `"x" is a required property @ /api`), so that users
 * and the conformance corpus see TEN's texts.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { escapePointerToken } from '../json/located';
import { stringifyJson } from '../json/text';
import { INTERFACE_SCHEMA, MANIFEST_LOCK_SCHEMA, MANIFEST_SCHEMA, PROPERTY_SCHEMA } from './document-schemas';

/** Which TEN file a document is. */
export type TenFileKind = 'property' | 'manifest' | 'interface' | 'manifest-lock';

/** One schema violation: TEN-style message and the JSON pointer of the offending value. */
export interface SchemaViolation {
  message: string;
  pointer: string;
}

const SCHEMAS: Record<TenFileKind, Record<string, unknown>> = {
  property: PROPERTY_SCHEMA,
  manifest: MANIFEST_SCHEMA,
  interface: INTERFACE_SCHEMA,
  'manifest-lock': MANIFEST_LOCK_SCHEMA,
};

let instance: Ajv | undefined;
const compiled = new Map<TenFileKind, ValidateFunction>();

function getAjv(): Ajv {
  if (instance) return instance;
  instance = new Ajv({ allErrors: true, strict: false, verbose: true });
  // RFC 3986 shapes, checked loosely: a scheme for `uri`; no whitespace for references.
  instance.addFormat('uri', /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/);
  instance.addFormat('uri-reference', /^[^\s]*$/);
  return instance;
}

function validatorFor(kind: TenFileKind): ValidateFunction {
  let fn = compiled.get(kind);
  if (!fn) {
    fn = getAjv().compile(SCHEMAS[kind]);
    compiled.set(kind, fn);
  }
  return fn;
}

const show = (v: unknown): string => {
  const s = stringifyJson(v);
  return s === undefined ? String(v) : s;
};

/** Words one ajv error like TEN's schema library. */
function tenWording(e: ErrorObject, data: unknown): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${show(p.missingProperty)} is a required property`;
    case 'additionalProperties':
      return `Additional properties are not allowed (${show(p.additionalProperty).replace(/^"|"$/g, "'")} was unexpected)`;
    case 'minItems':
      return `${show(data)} has less than ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `${show(data)} has more than ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'minLength':
      return `${show(data)} is shorter than ${String(p.limit)} character${p.limit === 1 ? '' : 's'}`;
    case 'pattern':
      return `${show(data)} does not match ${show(p.pattern)}`;
    case 'enum':
      return `${show(data)} is not one of ${show(p.allowedValues)}`;
    case 'const':
      return `${show(p.allowedValue)} was expected`;
    case 'type':
      return `${show(data)} is not of type ${show(p.type)}`;
    case 'oneOf':
      return p.passingSchemas
        ? `${show(data)} is valid under more than one of the schemas listed in the 'oneOf' keyword`
        : `${show(data)} is not valid under any of the schemas listed in the 'oneOf' keyword`;
    case 'anyOf':
      return `${show(data)} is not valid under any of the schemas listed in the 'anyOf' keyword`;
    case 'not':
      return `${show(e.schema)} is not allowed for ${show(data)}`;
    case 'uniqueItems':
      return `${show(data)} has non-unique elements`;
    case 'minProperties':
      return `${show(data)} has less than ${String(p.limit)} propert${p.limit === 1 ? 'y' : 'ies'}`;
    case 'minimum':
      return `${show(data)} is less than the minimum of ${String(p.limit)}`;
    case 'maximum':
      return `${show(data)} is greater than the maximum of ${String(p.limit)}`;
    case 'format':
      return `${show(data)} is not a ${show(p.format)}`;
    case 'propertyNames':
      return `${show(p.propertyName)} is not a valid property name`;
    default:
      return e.message ?? e.keyword;
  }
}

/**
 * Validates `value` against the structural schema of `kind`. An empty list means valid.
 * Errors inside a failed `oneOf`/`anyOf`/`if` branch are kept after the combinator's own error,
 * since they usually name the actual mistake. Messages read `<text> @ <instance path>`.
 */
export function validateTenFile(kind: TenFileKind, value: unknown): SchemaViolation[] {
  const fn = validatorFor(kind);
  if (fn(withNumbers(value))) return [];
  const seen = new Set<string>();
  const out: SchemaViolation[] = [];
  // Combinator errors first: TEN's library reports the `oneOf` itself, not its branches.
  const all = fn.errors ?? [];
  const combinators = all.filter((e) => e.keyword === 'anyOf');
  // Type-only failures inside a failed `anyOf` just restate it ("null is not of type string").
  const errors = all
    .filter((e) => !(e.keyword === 'type' && combinators.some((c) => e.schemaPath.startsWith(c.schemaPath + '/') && e.instancePath === c.instancePath)))
    .sort((a, b) => rank(a) - rank(b));
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    // The user's value, not the schema pass's stand-in for a bigint.
    const message = `${tenWording(e, valueAt(value, e.instancePath))} @ ${e.instancePath || '/'}`;
    if (seen.has(message)) continue;
    seen.add(message);
    // An unexpected key is located at itself, so the editor can underline that very key.
    const extra = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty?: string }).additionalProperty : undefined;
    out.push({ message, pointer: extra === undefined ? e.instancePath : `${e.instancePath}/${escapePointerToken(extra)}` });
  }
  return out;
}

/**
 * ajv's `number`/`integer` types do not know `bigint` (an integer beyond 2^53, see json/located.ts):
 * the schema pass sees a copy where each is the nearest double, an integer like the literal.
 * Unchanged (not copied) when there is none.
 */
function withNumbers(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value === null || typeof value !== 'object') return value;
  let copy: unknown[] | Record<string, unknown> | undefined;
  const entries = Object.entries(value);
  for (const [k, v] of entries) {
    const w = withNumbers(v);
    if (w === v) continue;
    copy ??= Array.isArray(value) ? [...value] : Object.fromEntries(entries);
    Object.defineProperty(copy, k, { value: w, enumerable: true, writable: true, configurable: true });
  }
  return copy ?? value;
}

/** The value at a JSON pointer (ajv's `instancePath`). */
function valueAt(root: unknown, ptr: string): unknown {
  let cur = root;
  for (const token of ptr.split('/').slice(1)) {
    cur = (cur as Record<string, unknown>)[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

function rank(e: ErrorObject): number {
  return e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'not' ? 0 : 1;
}
