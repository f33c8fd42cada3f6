// Path text and recent places of the file dialogs (the renderer has no node:path).
import { beforeEach, describe, expect, it } from 'vitest';
import { baseName, dirName, endsWithSeparator, joinPath, separatorOf } from '../../../src/renderer/documents/paths';
import { lastPlace, placesFor, rememberPlace } from '../../../src/renderer/documents/places';

describe('file dialog paths', () => {
  it('take POSIX and Windows paths apart and together', () => {
    expect(separatorOf('/home/me')).toBe('/');
    expect(separatorOf('C:\\Users\\me')).toBe('\\');
    expect(separatorOf('\\\\server\\share')).toBe('\\');
    expect(baseName('/home/me/app/')).toBe('app');
    expect(baseName('C:\\apps\\property.json')).toBe('property.json');
    expect(baseName('/')).toBe('');
    expect(dirName('/home/me/app')).toBe('/home/me');
    expect(dirName('/home')).toBe('/');
    expect(dirName('/')).toBe('/');
    expect(dirName('C:\\apps\\x.json')).toBe('C:\\apps');
    expect(dirName('C:\\apps')).toBe('C:\\');
    expect(joinPath('/home/me', 'x.json')).toBe('/home/me/x.json');
    expect(joinPath('/', 'tmp')).toBe('/tmp');
    expect(joinPath('C:\\apps', 'x.json')).toBe('C:\\apps\\x.json');
    expect(endsWithSeparator('/tmp/')).toBe(true);
    expect(endsWithSeparator('C:\\tmp\\')).toBe(true);
    expect(endsWithSeparator('/tmp')).toBe(false);
  });
});

describe('recent places', () => {
  const store = new Map<string, string>();
  beforeEach(() => {
    store.clear();
    globalThis.localStorage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    } as Storage;
  });

  it('remember the folders used, newest first, without repeats', () => {
    expect(lastPlace()).toBeNull();
    rememberPlace('/a/app', true);
    rememberPlace('/b/x.json');
    rememberPlace('/a/app/property.json');
    expect(lastPlace()).toBe('/a/app');
    expect(placesFor('~', '/doc', []).map((p) => [p.kind, p.path])).toEqual([
      ['home', '~'],
      ['document', '/doc'],
      ['recent', '/a/app'],
      ['recent', '/b'],
    ]);
  });

  it("add recent files' folders that still exist, and survive a broken store", () => {
    store.set('ten-studio.places', '{not json');
    const recent = [
      { path: '/apps/one', kind: 'app' as const, title: 'one', openedAt: 1, exists: true },
      { path: '/gone/x.json', kind: 'graph' as const, title: 'x', openedAt: 1, exists: false },
    ];
    expect(placesFor('~', null, recent).map((p) => p.path)).toEqual(['~', '/apps']);
  });
});
