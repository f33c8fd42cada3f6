/**
 * `ten-studio run` on files that are not files, as a user's app folder may hold them: a FIFO as a
 * package's manifest.json, as a graph named by import_uri, as the app's property.json, and a
 * sparse file far past the size limit. Each run ends promptly with an error naming the file and
 * saying what it is, before reading it (a FIFO's read would block until a writer came, so the run
 * would hang; `cli` kills a run that does not exit and fails the test).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './cli';

const tmp = mkdtempSync(join(tmpdir(), 'ten-cli-run-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh app folder with `property.json` (unless `property` is null). */
function app(name: string, property: unknown): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  if (property !== null) writeFileSync(join(dir, 'property.json'), JSON.stringify(property));
  return dir;
}

const graph = (g: unknown) => ({ ten: { predefined_graphs: [{ name: 'main', auto_start: true, graph: g }] } });

/** An extension package of the app whose manifest.json is made by `make` (a FIFO, a huge file). */
function packageWithManifest(dir: string, make: (file: string) => void): void {
  const pkg = join(dir, 'ten_packages', 'extension', 'odd');
  mkdirSync(join(pkg, 'src'), { recursive: true });
  writeFileSync(join(pkg, 'src', 'index.ts'), 'export {};\n');
  make(join(pkg, 'manifest.json'));
}

const mkfifo = (path: string) => execFileSync('mkfifo', [path]);
const FIFO = 'it is a FIFO (named pipe), not a regular file';

describe('ten-studio run refuses files that are not files', () => {
  it("ends with the manifest.json's path when a package's manifest is a FIFO", async () => {
    const dir = app('fifo-manifest', graph({ nodes: [{ type: 'extension', name: 'n', addon: 'odd' }] }));
    packageWithManifest(dir, mkfifo);
    const { code, stdout, stderr } = await cli(['run', dir, '--duration', '1']);
    expect(code, `${stdout}\n${stderr}`).not.toBe(0);
    expect(stderr).toContain(`Cannot read ${join(dir, 'ten_packages', 'extension', 'odd', 'manifest.json')}: ${FIFO}`);
  });

  it('says how large a manifest.json past the limit is, without reading it', async () => {
    const dir = app('huge-manifest', graph({ nodes: [{ type: 'extension', name: 'n', addon: 'odd' }] }));
    packageWithManifest(dir, (file) => {
      writeFileSync(file, '');
      truncateSync(file, 5 * 1024 ** 3); // sparse: no disk used
    });
    const { code, stdout, stderr } = await cli(['run', dir, '--duration', '1']);
    expect(code, `${stdout}\n${stderr}`).not.toBe(0);
    expect(stderr).toContain(`Cannot read ${join(dir, 'ten_packages', 'extension', 'odd', 'manifest.json')}: it is 5.0 GB; the studio reads files up to 128.0 MB`);
  });

  it("fails the graph's start, naming the file, when its import_uri is a FIFO", async () => {
    const dir = app('fifo-import', { ten: { predefined_graphs: [{ name: 'main', auto_start: true, graph: { import_uri: 'graphs/pipe.json' } }] } });
    mkdirSync(join(dir, 'graphs'));
    mkfifo(join(dir, 'graphs', 'pipe.json'));
    const { code, stdout, stderr } = await cli(['run', dir, '--duration', '1']);
    expect(code, `${stdout}\n${stderr}`).toBe(1);
    expect(stderr).toContain('graph main failed to start');
    expect(stderr).toContain(`cannot read ${join(dir, 'graphs', 'pipe.json')}: ${FIFO}`);
  });

  it("fails a subgraph's import, naming the file, when it is a FIFO", async () => {
    const dir = app('fifo-subgraph', graph({ nodes: [{ type: 'subgraph', name: 'sub', graph: { import_uri: 'sub.json' } }] }));
    mkfifo(join(dir, 'sub.json'));
    const { code, stdout, stderr } = await cli(['run', dir, '--duration', '1']);
    expect(code, `${stdout}\n${stderr}`).not.toBe(0);
    expect(stderr).toContain(`Failed to read content file from ${join(dir, 'sub.json')} (${FIFO})`);
  });

  it("refuses an app whose property.json is a FIFO, or a device, as a usage mistake naming it", async () => {
    const dir = app('fifo-property', null);
    mkfifo(join(dir, 'property.json'));
    const fifo = await cli(['run', dir, '--duration', '1']);
    expect(fifo.code, `${fifo.stdout}\n${fifo.stderr}`).toBe(2);
    expect(fifo.stderr).toContain(`cannot read ${join(dir, 'property.json')}: ${FIFO}`);

    const zero = await cli(['run', '/dev/zero', '--duration', '1']);
    expect(zero.code, `${zero.stdout}\n${zero.stderr}`).toBe(2);
    expect(zero.stderr).toContain('cannot read /dev/zero: it is a character device, not a regular file');
  });
});
