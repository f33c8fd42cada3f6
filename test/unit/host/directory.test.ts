// Folder listings for the studio's file browser: real folders, links, permissions and paging.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDirectory } from '../../../src/host/directory';
import { HOST_METHODS, HostError } from '../../../src/shared';

let root: string;
const app = { type: 'app', name: 'a', version: '0.1.0' };

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ten-studio-dir-'));
  const dir = (p: string) => mkdirSync(join(root, p), { recursive: true });
  const file = (p: string, text = '{}') => writeFileSync(join(root, p), text);
  dir('my_app');
  file('my_app/manifest.json', JSON.stringify(app));
  file('my_app/property.json');
  dir('my_ext');
  file('my_ext/manifest.json', JSON.stringify({ type: 'extension', name: 'e', version: '0.1.0' }));
  dir('no_property');
  file('no_property/manifest.json', JSON.stringify(app));
  dir('bad_manifest');
  file('bad_manifest/manifest.json', '{ not json');
  dir('plain');
  dir('.git');
  file('.env', 'X=1');
  file('property.json');
  file('graph.json');
  file('notes.txt', 'hello');
  file('file9.json');
  file('file10.json');
  symlinkSync(join(root, 'my_app'), join(root, 'link_to_app'));
  symlinkSync(join(root, 'graph.json'), join(root, 'link_to_graph.json'));
  symlinkSync(join(root, 'nowhere'), join(root, 'broken_link'));
  dir('big');
  for (let i = 0; i < 2500; i++) file(`big/f${i}.json`);
  dir('locked');
  chmodSync(join(root, 'locked'), 0o000);
});

afterAll(() => {
  chmodSync(join(root, 'locked'), 0o755);
  rmSync(root, { recursive: true, force: true });
});

async function failure(path: string): Promise<HostError> {
  return listDirectory({ path }).then(
    () => {
      throw new Error(`listing ${path} did not fail`);
    },
    (e: unknown) => e as HostError,
  );
}

describe('listDirectory', () => {
  it('lists folders first, then files, by name with numbers in order, hidden names left out and counted', async () => {
    const l = await listDirectory({ path: root });
    expect(l.path).toBe(root);
    expect(l.entries.map((e) => e.name)).toEqual([
      'bad_manifest', 'big', 'link_to_app', 'locked', 'my_app', 'my_ext', 'no_property', 'plain',
      'broken_link', 'file9.json', 'file10.json', 'graph.json', 'link_to_graph.json', 'notes.txt', 'property.json',
    ]);
    expect(l.hidden).toBe(2);
    expect(l.total).toBe(15);
    expect((await listDirectory({ path: root, showHidden: true })).entries.map((e) => e.name).slice(0, 2)).toEqual(['.git', 'bad_manifest']);
  });

  it('marks TEN app folders, other packages and property.json files', async () => {
    const l = await listDirectory({ path: root });
    const by = Object.fromEntries(l.entries.map((e) => [e.name, e]));
    expect(by.my_app).toMatchObject({ kind: 'dir', ten: 'app', path: join(root, 'my_app') });
    expect(by.my_ext).toMatchObject({ kind: 'dir', ten: 'package' });
    // An app manifest without property.json is not an app folder Open could open.
    expect(by.no_property).toMatchObject({ kind: 'dir', ten: 'package' });
    expect(by.bad_manifest!.ten).toBeUndefined();
    expect(by.plain!.ten).toBeUndefined();
    expect(by['property.json']).toMatchObject({ kind: 'file', ten: 'property', size: 2 });
    expect(by['graph.json']!.ten).toBeUndefined();
    expect((await listDirectory({ path: join(root, 'my_app') })).ten).toBe('app');
  });

  it('follows links, showing them as links, and shows a broken one as such', async () => {
    const by = Object.fromEntries((await listDirectory({ path: root })).entries.map((e) => [e.name, e]));
    expect(by.link_to_app).toMatchObject({ kind: 'dir', link: 'ok', ten: 'app', path: join(root, 'link_to_app') });
    expect(by['link_to_graph.json']).toMatchObject({ kind: 'file', link: 'ok', size: 2 });
    expect(by.broken_link).toMatchObject({ kind: 'other', link: 'broken' });
    // A linked folder lists under the link's path, not its target's.
    const inside = await listDirectory({ path: join(root, 'link_to_app') });
    expect(inside.path).toBe(join(root, 'link_to_app'));
    expect(inside.entries.map((e) => e.name)).toEqual(['manifest.json', 'property.json']);
  });

  it('pages through a large folder and filters by name', async () => {
    const dir = join(root, 'big');
    const first = await listDirectory({ path: dir, limit: 1000 });
    expect(first.total).toBe(2500);
    expect(first.entries).toHaveLength(1000);
    expect(first.entries[0]!.name).toBe('f0.json');
    const last = await listDirectory({ path: dir, offset: 2000, limit: 1000 });
    expect(last.offset).toBe(2000);
    expect(last.entries).toHaveLength(500);
    expect(last.entries.at(-1)!.name).toBe('f2499.json');
    const all = [...first.entries, ...(await listDirectory({ path: dir, offset: 1000, limit: 1000 })).entries, ...last.entries].map((e) => e.name);
    expect(new Set(all).size).toBe(2500);
    expect((await listDirectory({ path: dir })).entries).toHaveLength(500);
    const matched = await listDirectory({ path: dir, match: 'F249' });
    expect(matched.entries.map((e) => e.name)).toEqual(['f249.json', ...Array.from({ length: 10 }, (_, i) => `f249${i}.json`)]);
    expect(matched.total).toBe(11);
  });

  it('gives breadcrumbs, the parent and the home folder, and expands ~', async () => {
    const l = await listDirectory({ path: join(root, 'plain') });
    expect(l.parent).toBe(root);
    expect(l.crumbs[0]).toEqual({ name: sep, path: sep });
    expect(l.crumbs.at(-1)).toEqual({ name: 'plain', path: join(root, 'plain') });
    expect(l.crumbs.map((c) => c.path)).toContain(root);
    expect(l.home).toBe(homedir());
    expect((await listDirectory({ path: '~' })).path).toBe(homedir());
    expect((await listDirectory({ path: sep })).parent).toBeNull();
  });

  it('fails clearly: no such folder, a file, a folder it may not read', async () => {
    expect(await failure(join(root, 'nope'))).toMatchObject({ code: 'E_NOT_FOUND', message: `No such folder: ${join(root, 'nope')}.` });
    expect(await failure(join(root, 'notes.txt'))).toMatchObject({ code: 'E_NOT_DIR', message: `${join(root, 'notes.txt')} is a file, not a folder.` });
    expect(await failure(join(root, 'notes.txt', 'x'))).toMatchObject({ code: 'E_NOT_DIR' });
    if (process.getuid?.() !== 0) {
      expect(await failure(join(root, 'locked'))).toMatchObject({ code: 'E_IO', message: `Cannot list the folder ${join(root, 'locked')}: permission denied.` });
    }
  });

  it('checks its params like every method', () => {
    const check = HOST_METHODS.listDirectory.validate;
    expect(check({ path: '/x' })).toBeNull();
    expect(check({ path: 'relative' })).toMatch(/absolute path/);
    expect(check({ path: '/x', limit: 0 })).toBe('expects "limit" to be an integer from 1 to 1000');
    expect(check({ path: '/x', offset: -1 })).toMatch(/"offset" to be an integer/);
    expect(check({ path: '/x', match: 'x'.repeat(257) })).toMatch(/"match" to be a string of at most 256/);
    expect(check({ path: '/x', recursive: true })).toMatch(/does not accept "recursive"/);
    expect(HOST_METHODS.choosePath.validate({ purpose: 'delete' })).toMatch(/"purpose" to be one of/);
  });
});
