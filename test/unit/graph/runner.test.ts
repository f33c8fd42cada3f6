import { describe, expect, it } from 'vitest';
import { memoryFiles, runConformance } from '../../../src/shared';

/** A conformance directory of our own, in the corpus format, exercising operations the corpus uses rarely. */
const dir = memoryFiles({
  '/c/cases.json': JSON.stringify([
    { id: 'value_ok', operation: 'schema_validate_value', input: 'manifest.json', expect: 'valid', error_contains: null },
    { id: 'value_bad', operation: 'schema_validate_value', input: 'manifest.json', expect: 'invalid', error_contains: 'out of range of int8' },
    { id: 'compat_bad', operation: 'schema_compatibility', input: 'schema1.json', expect: 'invalid', error_contains: 'type is incompatible, source is [string], but target is [int8]' },
    { id: 'lock', operation: 'schema_validate_manifest_lock', input: 'manifest-lock.json', expect: 'invalid', error_contains: 'is a required property' },
    { id: 'unknown_op', operation: 'frobnicate', input: 'x.json', expect: 'valid', error_contains: null },
    { id: 'broken_json', operation: 'parse_property', input: 'property.json', expect: 'invalid', error_contains: 'trailing comma' },
  ]),
  '/c/cases/value_ok/manifest.json': JSON.stringify({ api: { property: { properties: { n: { type: 'int8' } }, required: ['n'] } } }),
  '/c/cases/value_ok/property_value.json': '{"n": 5}',
  '/c/cases/value_bad/manifest.json': JSON.stringify({ api: { property: { properties: { n: { type: 'int8' } } } } }),
  '/c/cases/value_bad/property_value.json': '{"n": 1232}',
  '/c/cases/compat_bad/schema1.json': JSON.stringify({ type: 'object', properties: { a: { type: 'string' } } }),
  '/c/cases/compat_bad/schema2.json': JSON.stringify({ type: 'object', properties: { a: { type: 'int8' } } }),
  '/c/cases/lock/manifest-lock.json': JSON.stringify({ version: 1 }),
  '/c/cases/unknown_op/x.json': '{}',
  '/c/cases/broken_json/property.json': '{"ten": {"predefined_graphs": [],}}',
});

describe('the conformance runner on any directory in the corpus format', () => {
  it('runs every operation and reports unknown ones as failures', async () => {
    const results = await runConformance('/c', dir);
    if (typeof results === 'string') throw new Error(results);
    expect(results.map((r) => [r.id, r.passed])).toEqual([
      ['value_ok', true],
      ['value_bad', true],
      ['compat_bad', true],
      ['lock', true],
      ['unknown_op', false],
      ['broken_json', true],
    ]);
    expect(results[4]!.reason).toContain("unknown operation 'frobnicate'");
    expect(results[5]!.run.diagnostics[0]).toMatchObject({ code: 'E001', line: 1, column: 34 });
  });

  it('says why a directory cannot be run', async () => {
    expect(await runConformance('/nowhere', dir)).toBe('Cannot read /nowhere/cases.json');
  });
});
