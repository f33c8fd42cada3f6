import { describe, expect, it } from 'vitest';
import { checkSchemaCompatible, compileValueSchema, parseValueSchema, type TenValueSchema } from '../../../src/shared';
import { quickValueCheck, UNRESOLVED_VALUE } from '../../../src/shared/schema/value-schema';

const obj = (properties: Record<string, unknown>, required?: string[]) => ({ type: 'object', properties, ...(required ? { required } : {}) });

describe('TEN value schemas on ajv', () => {
  it.each([
    ['int8', 127, true],
    ['int8', 128, false],
    ['int8', -128, true],
    ['int8', 1232, false],
    ['uint8', -1, false],
    ['int16', 32767, true],
    ['uint32', 4294967295, true],
    ['uint32', 4294967296, false],
    ['int64', 2 ** 53, true],
    ['uint64', 0, true],
    ['int32', 1.5, false],
    ['float32', 1, true],
    ['float32', 1.5, true],
    ['float32', 1e39, false],
    ['float64', 1e300, true],
    ['string', 'x', true],
    ['string', 1, false],
    ['bool', true, true],
    ['bool', 0, false],
    ['buf', new Uint8Array(2), true],
    ['buf', 'x', false],
    ['array', [1], true],
    ['object', {}, true],
    ['object', [], false],
  ])('%s accepts %j: %s', (type, value, ok) => {
    const schema = type === 'array' ? { type, items: { type: 'int8' } } : type === 'object' ? { type, properties: {} } : { type };
    expect(compileValueSchema(schema)(value).ok).toBe(ok);
  });

  it.each([
    ['uint64', 18446744073709551615n, undefined],
    ['uint64', 18446744073709551616n, 'out of range of uint64'],
    ['uint64', 9007199254740993n, undefined],
    ['uint64', -9007199254740993n, 'out of range of uint64'],
    ['int64', 9223372036854775807n, undefined],
    ['int64', 9223372036854775808n, 'out of range of int64'],
    ['int64', -9223372036854775808n, undefined],
    ['int64', -9223372036854775809n, 'out of range of int64'],
    ['int32', 9007199254740993n, 'out of range of int32'],
    ['uint32', 18446744073709551615n, 'out of range of uint32'],
    ['float64', 9007199254740993n, 'out of range of float64'],
    ['float32', 18446744073709551615n, 'out of range of float32'],
    // Beyond uint64 TEN's reader makes the literal a float64: a float field takes it as it is.
    ['float64', 18446744073709551616n, undefined],
    ['float64', -9223372036854775809n, undefined],
    ['float32', 100000000000000000000n, undefined],
    ['float32', 10n ** 39n, 'out of range of float32'],
    ['string', 9007199254740993n, 'unsupported conversion from `int64` to `string`'],
    ['bool', 18446744073709551615n, 'unsupported conversion from `uint64` to `bool`'],
    ['string', 18446744073709551616n, 'unsupported conversion from `float64` to `string`'],
    ['string', -9223372036854775809n, 'unsupported conversion from `float64` to `string`'],
  ])('%s checks the exact integer %s', (type, value, error) => {
    expect(compileValueSchema(obj({ n: { type } }))({ n: value })).toEqual(error ? { ok: false, error: `.n: ${error}` } : { ok: true, value: { n: value } });
  });

  it('uses TEN texts with TEN paths', () => {
    const v = compileValueSchema(obj({ a: { type: 'array', items: obj({ n: { type: 'int8' } }) }, s: { type: 'string' } }, ['s']));
    expect(v({ s: 'x', a: [{ n: 1 }, { n: 1232 }] })).toEqual({ ok: false, error: '.a[1].n: out of range of int8' });
    expect(v({ s: 3 })).toEqual({ ok: false, error: '.s: unsupported conversion from `int64` to `string`' });
    expect(v({ a: [] })).toEqual({ ok: false, error: "the required properties are absent: 's'" });
    expect(v({ s: 'ok', extra: null })).toEqual({ ok: true, value: { s: 'ok', extra: null } });
  });

  it('rejects schemas TEN rejects', () => {
    expect(parseValueSchema([{ type: 'number' }]).ok).toBe(false);
    expect(parseValueSchema({ type: 'number' }).ok).toBe(false);
    expect(parseValueSchema({ type: 'array' }).ok).toBe(false);
    expect(compileValueSchema({ type: 'nope' })(1).ok).toBe(false);
  });

  it('checks compatibility like TEN: widening ok, narrowing types not, required ⊇', () => {
    const p = (x: unknown) => {
      const r = parseValueSchema(x);
      if (!r.ok) throw new Error(r.error);
      return r.schema;
    };
    const src = p(obj({ n: { type: 'int8' }, name: { type: 'string' } }, ['name']));
    expect(checkSchemaCompatible(src, p(obj({ n: { type: 'int16' } })))).toEqual({ ok: true });
    expect(checkSchemaCompatible(p(obj({ n: { type: 'string' } })), p(obj({ n: { type: 'int8' } })))).toEqual({
      ok: false,
      error: '.n: type is incompatible, source is [string], but target is [int8]',
    });
    expect(checkSchemaCompatible(p({ type: 'float64' }), p({ type: 'int32' })).ok).toBe(false);
    expect(checkSchemaCompatible(p({ type: 'int32' }), p({ type: 'float32' })).ok).toBe(true);
    expect(checkSchemaCompatible(p(obj({})), p(obj({}, ['x']))).ok).toBe(false);
    expect(checkSchemaCompatible(undefined, p({ type: 'bool' }))).toEqual({ ok: true });
    const arr: TenValueSchema = { type: 'array', items: { type: 'string' } };
    expect(checkSchemaCompatible(arr, { type: 'array', items: { type: 'bool' } }).ok).toBe(false);
  });
});

describe('compiled validators', () => {
  it('are shared between equal schemas and stay independent per value', () => {
    const a = compileValueSchema({ type: 'object', properties: { n: { type: 'uint8' } }, required: ['n'] });
    const b = compileValueSchema({ type: 'object', properties: { n: { type: 'uint8' } }, required: ['n'] });
    expect(a({ n: 1 }).ok).toBe(true);
    expect(b({ n: 256 })).toEqual({ ok: false, error: '.n: out of range of uint8' });
    expect(a({})).toEqual({ ok: false, error: "the required properties are absent: 'n'" });
  });
});

describe('the quick check ahead of ajv', () => {
  const int8 = { type: 'int8' };
  const nested = obj({ a: { type: 'array', items: obj({ b: { type: 'uint8' } }, ['b']) } }, ['a']);
  // Values that pass some of these schemas and fail others; every pair is checked both ways.
  const schemas: unknown[] = [
    int8,
    // Every scalar type: each has a predicate of its own (quickValueCheck).
    { type: 'int16' },
    { type: 'int32' },
    { type: 'int64' },
    { type: 'uint8' },
    { type: 'uint16' },
    { type: 'uint32' },
    { type: 'uint64' },
    { type: 'float32' },
    { type: 'float64' },
    { type: 'string' },
    { type: 'bool' },
    { type: 'buf' },
    { type: 'ptr' },
    { type: 'array', items: int8 },
    obj({}),
    obj({ n: int8 }),
    obj({ n: int8 }, ['n']),
    obj({ n: int8, s: { type: 'string' } }, ['s']),
    nested,
  ];
  const values: unknown[] = [
    0, -0, 127, 128, -129, 255, 256, 65535, 65536, -32769, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 1.5, 2 ** 53, 1e39, -3.5e38, 3.4e38, 1e300, NaN, Infinity, -Infinity,
    9223372036854775808n, 18446744073709551616n, -1n, 5n, 2n ** 60n, 'x', '', true, false, null, undefined, Symbol('s'),
    new Uint8Array(1), new ArrayBuffer(1), [], [1, 2], [1, 300], ['x'], {}, { n: 1 }, { n: 200 }, { n: undefined }, { n: 1, s: 's' },
    { s: 's' }, { s: 1 }, { n: null }, { a: [] }, { a: [{ b: 1 }] }, { a: [{ b: 256 }] }, { a: [{}] }, { a: {} }, Object.create({ n: 300 }),
    new Map(), () => 0, UNRESOLVED_VALUE, { n: UNRESOLVED_VALUE }, { a: UNRESOLVED_VALUE },
  ];
  it('accepts exactly what the full validation accepts, which still gives every error text', () => {
    for (const schema of schemas) {
      const parsed = parseValueSchema(schema);
      if (!parsed.ok) throw new Error(parsed.error);
      const quick = quickValueCheck(parsed.schema);
      const full = compileValueSchema(parsed.schema, { quick: false });
      const both = compileValueSchema(parsed.schema);
      for (const value of values) {
        const want = full(value);
        const label = `${JSON.stringify(schema)} ${String(value)}`;
        expect(quick(value), label).toBe(want.ok);
        expect(both(value), label).toEqual(want);
      }
    }
  });
});
