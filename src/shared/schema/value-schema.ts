/**
 * TEN's value-schema dialect (manifest `api.property`, message `property`, `result.property`):
 * parsing, compilation to ajv validators, and compatibility between connected ports.
 *
 * TEN validates by "adjust then check": numbers are converted to the declared type with a range
 * check, any integer satisfies any integer type (within range), integers and floats satisfy float
 * types, everything else must match exactly. ajv's own `type`/`coerceTypes` cannot express that,
 * so numeric and binary types are checked by a custom `tenType` keyword with TEN's wording.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { stringifyJson } from '../json/text';

/** The types of TEN's value-schema dialect. */
export type TenValueType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'string'
  | 'buf'
  | 'ptr'
  | 'array'
  | 'object';

/** Every type name of the dialect, in TEN's order. */
export const TEN_VALUE_TYPES: readonly TenValueType[] = [
  'bool',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'float32',
  'float64',
  'string',
  'buf',
  'ptr',
  'array',
  'object',
];

/** A parsed TEN value schema (unknown keys such as `description` are dropped). */
export type TenValueSchema =
  | { type: Exclude<TenValueType, 'array' | 'object'> }
  | { type: 'array'; items: TenValueSchema }
  | { type: 'object'; properties: Record<string, TenValueSchema>; required?: string[] };

/** A parsed schema, or TEN's text for why it is not one. */
export type SchemaParseResult = { ok: true; schema: TenValueSchema } | { ok: false; error: string };

/** Exact bounds of TEN's integer types (an int64/uint64 beyond 2^53 is a `bigint`, see json/located.ts). */
export const INTEGER_RANGES: Partial<Record<TenValueType, readonly [bigint, bigint]>> = {
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  int32: [-2147483648n, 2147483647n],
  int64: [-9223372036854775808n, 9223372036854775807n],
  uint8: [0n, 255n],
  uint16: [0n, 65535n],
  uint32: [0n, 4294967295n],
  uint64: [0n, 18446744073709551615n],
};

/** The same bounds as doubles, for `number` values (no bigint arithmetic on the message path). */
const NUMBER_RANGES: Record<string, readonly [number, number]> = Object.fromEntries(
  Object.entries(INTEGER_RANGES).map(([t, [lo, hi]]) => [t, [Number(lo), Number(hi)]]),
);

/** The integers a float64 holds exactly (TEN refuses to convert an int64 beyond them). */
const FLOAT64_EXACT = 2n ** 53n;

const FLOAT32_MAX = 3.4028234663852886e38;

function inRange(v: bigint, t: 'int64' | 'uint64'): boolean {
  const [lo, hi] = INTEGER_RANGES[t]!;
  return v >= lo && v <= hi;
}

function isIntegerType(t: TenValueType): boolean {
  // A switch, not `t in INTEGER_RANGES`: a keyed `in` on the message path goes megamorphic.
  switch (t) {
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'uint64':
      return true;
    default:
      return false;
  }
}
function isFloatType(t: TenValueType): boolean {
  return t === 'float32' || t === 'float64';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses a TEN value schema from JSON. `path` prefixes error texts (`.foo`, `[items]`).
 * Rejects what TEN's `create_schema_from_json` rejects: non-objects, a missing or unknown
 * `type`, `array` without `items`, `object` with malformed `properties`/`required`.
 */
export function parseValueSchema(json: unknown, path = ''): SchemaParseResult {
  const at = path ? `${path}: ` : '';
  if (!isRecord(json)) return { ok: false, error: `${at}Invalid schema json.` };
  const type = json.type;
  if (typeof type !== 'string' || !TEN_VALUE_TYPES.includes(type as TenValueType)) {
    return { ok: false, error: `${at}Invalid schema json, unknown type: ${stringifyJson(type)}.` };
  }
  const t = type as TenValueType;
  if (t === 'array') {
    if (json.items === undefined) return { ok: false, error: `${at}the 'items' of an array schema is required.` };
    const items = parseValueSchema(json.items, `${path}[items]`);
    return items.ok ? { ok: true, schema: { type: 'array', items: items.schema } } : items;
  }
  if (t === 'object') {
    const properties: Record<string, TenValueSchema> = {};
    if (json.properties !== undefined) {
      if (!isRecord(json.properties)) return { ok: false, error: `${at}the 'properties' must be an object.` };
      for (const [k, v] of Object.entries(json.properties)) {
        const p = parseValueSchema(v, `${path}.${k}`);
        if (!p.ok) return p;
        properties[k] = p.schema;
      }
    }
    const schema: TenValueSchema = { type: 'object', properties };
    if (json.required !== undefined) {
      if (!Array.isArray(json.required) || !json.required.every((r) => typeof r === 'string')) {
        return { ok: false, error: `${at}the 'required' must be an array of strings.` };
      }
      schema.required = [...json.required];
    }
    return { ok: true, schema };
  }
  return { ok: true, schema: { type: t } };
}

/**
 * The schema of a message or of a property block as written in a manifest:
 * `{properties?, required?}` becomes an object schema.
 */
export function propertyBlockToSchema(block: unknown, path = ''): SchemaParseResult {
  if (block === undefined) return { ok: true, schema: { type: 'object', properties: {} } };
  if (!isRecord(block)) return { ok: false, error: `${path ? path + ': ' : ''}Invalid schema json.` };
  return parseValueSchema({ type: 'object', properties: block.properties ?? {}, required: block.required }, path);
}

/**
 * TEN's name for the type of a runtime value, as TEN's JSON reader types a literal: integers are
 * int64, integers above int64's maximum uint64, beyond uint64 float64, other numbers float64.
 */
export function tenTypeOfValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'bigint') return inRange(v, 'int64') ? 'int64' : inRange(v, 'uint64') ? 'uint64' : 'float64';
  if (v instanceof Uint8Array || v instanceof ArrayBuffer) return 'buf';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return 'ptr';
}

/**
 * Stands for a value not known at edit time (an `${env:…}` placeholder): it satisfies every type,
 * so required-ness is still checked while the type waits for the environment.
 */
export const UNRESOLVED_VALUE: object = Object.freeze({ unresolved: true });

/** Checks one value against one TEN type, returning TEN's error text or `undefined`. */
function checkTenType(t: TenValueType, v: unknown): string | undefined {
  if (v === UNRESOLVED_VALUE) return undefined;
  const actual = tenTypeOfValue(v);
  if (isIntegerType(t)) {
    if (typeof v === 'bigint') {
      const [lo, hi] = INTEGER_RANGES[t]!;
      return v < lo || v > hi ? `out of range of ${t}` : undefined;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) return `unsupported conversion from \`${actual}\` to \`${t}\``;
    // A double is compared as a double: beyond 2^53 (only from exponent literals or arithmetic) that is approximate.
    const [lo, hi] = NUMBER_RANGES[t]!;
    return v < lo || v > hi ? `out of range of ${t}` : undefined;
  }
  if (isFloatType(t)) {
    if (typeof v === 'bigint') {
      // An int64/uint64 converts only while a double holds it exactly; beyond uint64 TEN's reader
      // already made the literal a float64, which is out of range only as a float32.
      if (actual !== 'float64') return v < -FLOAT64_EXACT || v > FLOAT64_EXACT ? `out of range of ${t}` : undefined;
      const magnitude = Math.abs(Number(v));
      return magnitude === Infinity || (t === 'float32' && magnitude > FLOAT32_MAX) ? `out of range of ${t}` : undefined;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) return `unsupported conversion from \`${actual}\` to \`${t}\``;
    return t === 'float32' && Math.abs(v) > FLOAT32_MAX ? `out of range of ${t}` : undefined;
  }
  switch (t) {
    case 'bool':
    case 'string':
    case 'buf':
    case 'array':
    case 'object':
      return actual === t ? undefined : `unsupported conversion from \`${actual}\` to \`${t}\``;
    case 'ptr':
      // A ptr is an opaque host handle: anything that is not plain JSON data.
      return typeof v === 'function' || typeof v === 'symbol' || (typeof v === 'object' && v !== null && !isRecord(v) && !Array.isArray(v))
        ? undefined
        : `unsupported conversion from \`${actual}\` to \`ptr\``;
    default:
      return `unsupported conversion from \`${actual}\` to \`${t}\``;
  }
}

/** The JSON Schema (plus the `tenType` keyword) that ajv compiles for a TEN value schema. */
export function toAjvSchema(schema: TenValueSchema): Record<string, unknown> {
  switch (schema.type) {
    case 'array':
      return { tenType: 'array', items: toAjvSchema(schema.items) };
    case 'object': {
      const out: Record<string, unknown> = {
        tenType: 'object',
        properties: Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, toAjvSchema(v)])),
      };
      if (schema.required?.length) out.tenRequired = schema.required;
      return out;
    }
    default:
      return { tenType: schema.type };
  }
}

let sharedAjv: Ajv | undefined;

/** One ajv instance for all value schemas, with TEN's keywords registered once. */
function ajv(): Ajv {
  if (sharedAjv) return sharedAjv;
  const instance = new Ajv({ allErrors: false, strict: false });
  instance.addKeyword({
    keyword: 'tenType',
    schemaType: 'string',
    errors: true,
    validate: function tenTypeKeyword(this: unknown, t: TenValueType, data: unknown): boolean {
      const msg = checkTenType(t, data);
      if (msg === undefined) return true;
      (tenTypeKeyword as unknown as { errors: Partial<ErrorObject>[] }).errors = [{ keyword: 'tenType', message: msg }];
      return false;
    },
  });
  instance.addKeyword({
    keyword: 'tenRequired',
    schemaType: 'array',
    errors: true,
    validate: function tenRequiredKeyword(this: unknown, req: string[], data: unknown): boolean {
      if (!isRecord(data)) return true;
      const absent = req.filter((k) => !(k in data));
      if (absent.length === 0) return true;
      (tenRequiredKeyword as unknown as { errors: Partial<ErrorObject>[] }).errors = [
        { keyword: 'tenRequired', message: `the required properties are absent: '${absent.join("', '")}'` },
      ];
      return false;
    },
  });
  sharedAjv = instance;
  return instance;
}

/**
 * ajv generates code per compiled schema object; equal schemas (the same message declared by many
 * addons, or compiled again after a reload) share one function instead of growing the code cache.
 */
const compiledByShape = new Map<string, ValidateFunction>();

function compiledFor(schema: TenValueSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  let fn = compiledByShape.get(key);
  if (!fn) {
    fn = ajv().compile(toAjvSchema(schema));
    compiledByShape.set(key, fn);
  }
  return fn;
}

/** Turns ajv's `/a/0/b` into TEN's `.a[0].b`. */
function tenPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((t) => (/^\d+$/.test(t) ? `[${t}]` : `.${t}`))
    .join('');
}

/** Result of validating a value: the (adjusted) value, or TEN's error text. */
export type ValueCheck = { ok: true; value: unknown } | { ok: false; error: string };

/** A compiled validator. Never throws. */
export type ValueValidator = (value: unknown) => ValueCheck;

/**
 * Compiles a TEN value schema (already parsed, or raw JSON) to a validator.
 * Errors use TEN's texts, prefixed with the TEN path of the failing value (`.a[0]: out of range of int8`).
 * Runs ajv code generation: call it on the host/runtime side, not in the renderer (CSP).
 */
export function compileValueSchema(schema: TenValueSchema | unknown, opts: { quick?: boolean } = {}): ValueValidator {
  const parsed = parseValueSchema(schema);
  if (!parsed.ok) {
    const error = parsed.error;
    return () => ({ ok: false, error });
  }
  const fn = compiledFor(parsed.schema);
  const quick = opts.quick === false ? () => false : quickValueCheck(parsed.schema);
  return (value: unknown): ValueCheck => {
    if (quick(value) || fn(value)) return { ok: true, value };
    const e = fn.errors?.[0];
    const path = e ? tenPath(e.instancePath) : '';
    const msg = e?.message ?? 'invalid value';
    return { ok: false, error: path ? `${path}: ${msg}` : msg };
  };
}

/**
 * Whether a value passes `schema`, decided without ajv: the same type checks (`checkTenType`)
 * under the rules of the form ajv compiles (`toAjvSchema`): an object's `required` keys must be
 * `in` it (a record), each declared property is checked when it is not `undefined` (a non-array
 * object), each item of an array is checked. Validators accept at once what it accepts (every
 * message with a schema is checked on its way in and out, and ajv's keyword calls cost ~0.3–0.6
 * µs each) and leave the rest to ajv, which gives TEN's error text (`compileValueSchema`).
 */
export function quickValueCheck(schema: TenValueSchema): (value: unknown) => boolean {
  const type = schema.type;
  if (type === 'array') {
    const item = quickValueCheck(schema.items);
    return (v) => {
      if (checkTenType(type, v) !== undefined) return false;
      if (Array.isArray(v)) for (let i = 0; i < v.length; i++) if (!item(v[i])) return false;
      return true;
    };
  }
  if (type === 'object') {
    const keys = Object.keys(schema.properties);
    const checks = keys.map((k) => quickValueCheck(schema.properties[k]!));
    const required = schema.required ?? [];
    return (v) => {
      // Past the type check it is a record (TEN's object, or UNRESOLVED_VALUE): TEN's object is
      // any object that is not an array or a buffer (tenTypeOfValue).
      if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array || v instanceof ArrayBuffer) return false;
      const r = v as Record<string, unknown>;
      for (let i = 0; i < required.length; i++) if (!(required[i]! in r)) return false;
      for (let i = 0; i < keys.length; i++) {
        const x = r[keys[i]!];
        if (x !== undefined && !checks[i]!(x)) return false;
      }
      return true;
    };
  }
  return scalarCheck(type);
}

/**
 * `checkTenType(type, v) === undefined` for a scalar type, as a predicate made for that type:
 * the common values (numbers, strings, booleans) decided without the type's name being looked
 * up or the value's TEN type spelled out; the rest (bigints, placeholders) by `checkTenType`.
 */
function scalarCheck(type: TenValueType): (v: unknown) => boolean {
  const full = (v: unknown): boolean => checkTenType(type, v) === undefined;
  if (isIntegerType(type)) {
    const [lo, hi] = NUMBER_RANGES[type]!;
    return (v) => (typeof v === 'number' ? Number.isInteger(v) && v >= lo && v <= hi : typeof v === 'object' ? v === UNRESOLVED_VALUE : full(v));
  }
  if (type === 'float64') return (v) => (typeof v === 'number' ? Number.isFinite(v) : typeof v === 'object' ? v === UNRESOLVED_VALUE : full(v));
  if (type === 'float32') {
    return (v) => (typeof v === 'number' ? Number.isFinite(v) && Math.abs(v) <= FLOAT32_MAX : typeof v === 'object' ? v === UNRESOLVED_VALUE : full(v));
  }
  if (type === 'string' || type === 'bool') {
    const js = type === 'string' ? 'string' : 'boolean';
    return (v) => typeof v === js || v === UNRESOLVED_VALUE;
  }
  return full;
}

/** Result of a compatibility check between a sender's and a receiver's schema. */
export type CompatResult = { ok: true } | { ok: false; error: string };

/**
 * Whether values valid for `source` (the sending side) are accepted by `target` (the receiving
 * side), with TEN's texts. A missing schema on either side is compatible.
 */
export function checkSchemaCompatible(source: TenValueSchema | undefined, target: TenValueSchema | undefined, path = ''): CompatResult {
  if (!source || !target) return { ok: true };
  const at = path ? `${path}: ` : '';
  if (!typeCompatible(source.type, target.type)) {
    return { ok: false, error: `${at}type is incompatible, source is [${source.type}], but target is [${target.type}]` };
  }
  if (source.type === 'array' && target.type === 'array') {
    return checkSchemaCompatible(source.items, target.items, `${path}[items]`);
  }
  if (source.type === 'object' && target.type === 'object') {
    for (const [k, s] of Object.entries(source.properties)) {
      const r = checkSchemaCompatible(s, target.properties[k], `${path}.${k}`);
      if (!r.ok) return r;
    }
    const targetReq = target.required ?? [];
    if (targetReq.length > 0) {
      const sourceReq = source.required;
      if (!sourceReq) return { ok: false, error: `${at}the \`required\` in the source schema is undefined` };
      if (sourceReq.length < targetReq.length) {
        return { ok: false, error: `${at}required is incompatible, the size of the source can not be less than the target.` };
      }
      const missing = targetReq.filter((r) => !sourceReq.includes(r));
      if (missing.length) {
        return {
          ok: false,
          error: `${at}required is incompatible, the properties [${missing.join(', ')}] are defined in the source but not in the target`,
        };
      }
    }
  }
  return { ok: true };
}

/** TEN's type compatibility: `actual` values are accepted where `expected` is declared. */
export function typeCompatible(actual: TenValueType, expected: TenValueType): boolean {
  if (actual === expected) return true;
  if (isIntegerType(expected)) return isIntegerType(actual);
  if (isFloatType(expected)) return isIntegerType(actual) || isFloatType(actual);
  return false;
}
