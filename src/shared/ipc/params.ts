/**
 * Small, strict validators for request parameters. Each returns a sentence fragment naming the
 * offending field by its dotted path (`document.origin.kind`), so a transport can answer
 * `saveDocument expects "document.origin.kind" to be one of …` without knowing the shape.
 */

/** Returns an error text for a bad value at `path`, or null when the value is acceptable. */
export type Check = (value: unknown, path: string) => string | null;

const at = (path: string) => `"${path}"`;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const isString: Check = (v, p) => (typeof v === 'string' ? null : `expects ${at(p)} to be a string`);

export const isBoolean: Check = (v, p) => (typeof v === 'boolean' ? null : `expects ${at(p)} to be a boolean`);

export const isFiniteNumber: Check = (v, p) =>
  typeof v === 'number' && Number.isFinite(v) ? null : `expects ${at(p)} to be a finite number`;

export const isNonEmptyString: Check = (v, p) =>
  typeof v === 'string' && v.trim() !== '' ? null : `expects ${at(p)} to be a non-empty string`;

/** Any JSON object (not an array, not null); its contents are checked by the host's parsers. */
export const isPlainObject: Check = (v, p) => (isRecord(v) ? null : `expects ${at(p)} to be an object`);

/**
 * An absolute file-system path (POSIX `/…`, Windows `C:\…` or `\\server\…`) or one starting
 * with `~/` for the user's home. Relative paths are refused: the host has no meaningful
 * working directory for a user to be relative to.
 */
export const isAbsolutePath: Check = (v, p) => {
  if (typeof v !== 'string' || v === '') return `expects ${at(p)} to be a non-empty path`;
  if (v.includes('\0')) return `expects ${at(p)} to be a path without NUL characters`;
  if (v.length > 4096) return `expects ${at(p)} to be a path of at most 4096 characters`;
  const absolute = v.startsWith('/') || v === '~' || v.startsWith('~/') || /^[A-Za-z]:[\\/]/.test(v) || v.startsWith('\\\\');
  return absolute ? null : `expects ${at(p)} to be an absolute path (or start with ~/), got ${JSON.stringify(v)}`;
};

export function integerIn(min: number, max: number): Check {
  return (v, p) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? null : `expects ${at(p)} to be an integer from ${min} to ${max}`);
}

/** A string of at most `max` characters (empty allowed). */
export function stringUpTo(max: number): Check {
  return (v, p) => (typeof v === 'string' && v.length <= max ? null : `expects ${at(p)} to be a string of at most ${max} characters`);
}

export function oneOf(values: readonly string[]): Check {
  return (v, p) =>
    typeof v === 'string' && values.includes(v)
      ? null
      : `expects ${at(p)} to be one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
}

export function arrayOf(item: Check): Check {
  return (v, p) => {
    if (!Array.isArray(v)) return `expects ${at(p)} to be an array`;
    for (let i = 0; i < v.length; i++) {
      const problem = item(v[i], `${p}[${i}]`);
      if (problem) return problem;
    }
    return null;
  };
}

/** A record whose values all pass `value` (keys are free-form names). */
export function recordOf(value: Check): Check {
  return (v, p) => {
    if (!isRecord(v)) return `expects ${at(p)} to be an object`;
    for (const [key, item] of Object.entries(v)) {
      const problem = value(item, `${p}.${key}`);
      if (problem) return problem;
    }
    return null;
  };
}

/** Field spec for `objectOf`: a check, or `[check, 'optional']` for a field that may be absent. */
export type FieldSpec = Check | readonly [Check, 'optional'];

/**
 * An object with exactly the given fields. Unknown keys are refused unless `open` is set (used
 * where the object carries user data, such as a document, whose extra fields must survive).
 */
export function objectOf(fields: Record<string, FieldSpec>, options: { open?: boolean } = {}): Check {
  return (v, p) => {
    if (!isRecord(v)) return p ? `expects ${at(p)} to be an object` : 'expects an object';
    for (const [key, spec] of Object.entries(fields)) {
      const [check, optional] = typeof spec === 'function' ? [spec, false] : [spec[0], true];
      const path = p ? `${p}.${key}` : key;
      if (!(key in v) || v[key] === undefined) {
        if (optional) continue;
        return `needs ${at(path)}`;
      }
      const problem = check(v[key], path);
      if (problem) return problem;
    }
    if (!options.open) {
      for (const key of Object.keys(v)) {
        if (!Object.prototype.hasOwnProperty.call(fields, key)) return `does not accept ${at(p ? `${p}.${key}` : key)}`;
      }
    }
    return null;
  };
}

/** Picks the object check by the value of its discriminant field. */
export function taggedUnion(tag: string, variants: Record<string, Check>): Check {
  const tags = Object.keys(variants);
  return (v, p) => {
    if (!isRecord(v)) return `expects ${at(p)} to be an object`;
    const kind = v[tag];
    if (typeof kind !== 'string' || !Object.prototype.hasOwnProperty.call(variants, kind)) {
      return `expects ${at(`${p}.${tag}`)} to be one of ${tags.map((x) => JSON.stringify(x)).join(', ')}`;
    }
    return variants[kind]!(v, p);
  };
}
