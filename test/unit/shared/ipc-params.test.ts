import { describe, expect, it } from 'vitest';
import { arrayOf, isAbsolutePath, isFiniteNumber, isString, objectOf, recordOf, taggedUnion } from '../../../src/shared/ipc/params';
import { validateDocument, validateLayout } from '../../../src/shared';

describe('request parameter checks', () => {
  it('accepts absolute paths on every platform and refuses relative ones', () => {
    for (const ok of ['/a', '~', '~/a', 'C:\\a', 'c:/a', '\\\\server\\share']) expect(isAbsolutePath(ok, 'path')).toBeNull();
    expect(isAbsolutePath('a/b', 'path')).toBe('expects "path" to be an absolute path (or start with ~/), got "a/b"');
    expect(isAbsolutePath('/a\0b', 'path')).toBe('expects "path" to be a path without NUL characters');
    expect(isAbsolutePath('/' + 'a'.repeat(5000), 'path')).toMatch(/at most 4096/);
  });

  it('names the failing field by its full path', () => {
    const check = objectOf({ a: arrayOf(objectOf({ b: recordOf(isFiniteNumber) })), c: [isString, 'optional'] });
    expect(check({ a: [{ b: { x: 1 } }, { b: { y: Infinity } }] }, '')).toBe('expects "a[1].b.y" to be a finite number');
    expect(check({ a: [], d: 1 }, '')).toBe('does not accept "d"');
    expect(check({}, '')).toBe('needs "a"');
    expect(check({ a: [], c: undefined }, '')).toBeNull();
    expect(check([], '')).toBe('expects an object');
  });

  it('picks the variant of a tagged union by its tag', () => {
    const check = taggedUnion('kind', { a: objectOf({ kind: isString, x: isString }) });
    expect(check({ kind: 'a', x: 'y' }, 'o')).toBeNull();
    expect(check({ kind: 'b' }, 'o')).toBe('expects "o.kind" to be one of "a"');
    expect(check({ kind: 'a' }, 'o')).toBe('needs "o.x"');
  });

  it('checks layouts and whole documents read back from disk', () => {
    expect(validateLayout({ version: 1, graphs: {} })).toBeNull();
    expect(validateLayout({ version: 2, graphs: {} })).toBe('expects "layout.version" to be 1');
    expect(validateDocument({ id: 'x', title: '', origin: { kind: 'example', exampleId: 'e' }, property: {} })).toBeNull();
    expect(validateDocument({ id: 'untitled:1', title: 'Untitled', origin: { kind: 'untitled' }, property: {} })).toBeNull();
    expect(validateDocument({ id: 'x', title: '', origin: { kind: 'graph', file: 'rel.json' }, property: {} })).toMatch(
      /"document.origin.file" to be an absolute path/,
    );
  });
});
