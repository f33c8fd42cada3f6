/**
 * Files that are not files, and saves that must not change what the user did not edit — through
 * the real browser-mode server and real files: FIFOs, devices and oversized files are refused
 * before reading; bytes that are not UTF-8 are reported on open and never saved over; a read-only
 * file or another user's file is not replaced by the rename-based save; recovery copies are
 * private. Where ownership matters the server runs as a second local user (`nobody`, via setpriv).
 */
import { execFileSync } from 'node:child_process';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../../src/host';
import { startServer, type RunningServer } from '../../../src/main/server';
import type { GraphDocument, OpenedDocument, SavedDocument } from '../../../src/shared';
import { NOBODY, secondUserUnavailable, startServerProcess, type ServerProcess } from './serverProcess';
import { connect, errorOf, resultOf, type TestClient } from './wsClient';

let root: string;
let server: RunningServer;
let host: Host;
let client: TestClient;

const HELLO = resolve('resources/examples/hello-pipeline/property.json');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ten-studio-hardening-'));
  // Others must be able to reach the files of the second-user tests.
  await chmod(root, 0o755);
  await mkdir(join(root, 'renderer'));
  await writeFile(join(root, 'renderer', 'index.html'), '<!doctype html><title>studio</title>');
  host = new Host({ resourcesDir: resolve('resources'), version: '0.0.0-test', dataDir: join(root, 'data') });
  server = await startServer({ host, rendererDir: join(root, 'renderer'), port: 0 });
  client = await connect(server);
});

afterAll(async () => {
  client.close();
  await server.close();
  await host.dispose();
  await rm(root, { recursive: true, force: true });
});

/** A fresh folder of this test with a copy of the Hello pipeline's property.json. */
async function helloCopy(name: string): Promise<{ dir: string; file: string }> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'property.json');
  await cp(HELLO, file);
  return { dir, file };
}

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

/** An edited copy of a document: one more top-level field. */
function edited(doc: GraphDocument): GraphDocument {
  return { ...doc, property: { ...doc.property, edited_by_test: true } };
}

describe('files that are not files are refused before reading', () => {
  it('refuses a FIFO at once, and four of them do not starve the file operations that follow', async () => {
    const dir = join(root, 'fifos');
    await mkdir(dir);
    const fifos = [1, 2, 3, 4, 5].map((i) => join(dir, `pipe${i}.json`));
    fifos.forEach(mkfifo);
    const answers = await Promise.all(fifos.map((path) => client.call('openDocument', { path })));
    for (const [i, answer] of answers.entries()) {
      expect(errorOf(answer)).toEqual({ code: 'E_IO', message: `Cannot read ${fifos[i]}: it is a FIFO (named pipe), not a regular file.` });
    }
    // Before, each open blocked one of libuv's four pool threads for good: everything after hung.
    const { file } = await helloCopy('after-fifos');
    expect(resultOf<OpenedDocument>(await client.call('openDocument', { path: file })).document.title).toBe('after-fifos/property.json');
    expect(resultOf<unknown[]>(await client.call('listRecent')).length).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(200);
  });

  it('refuses a character device such as /dev/zero instead of reading it forever', async () => {
    const answer = await client.call('openDocument', { path: '/dev/zero' });
    expect(errorOf(answer)).toEqual({ code: 'E_IO', message: 'Cannot read /dev/zero: it is a character device, not a regular file.' });
  });

  it('refuses a file past the size limit without reading it', async () => {
    const file = join(root, 'huge.json');
    await writeFile(file, '');
    await truncate(file, 129 * 1024 * 1024); // sparse: no disk used, and never read
    const answer = await client.call('openDocument', { path: file });
    expect(errorOf(answer)).toEqual({
      code: 'E_IO',
      message: `Cannot read ${file}: it is 129.0 MB; the studio reads files up to 128.0 MB.`,
    });
  });

  it("refuses an app folder whose property.json is a FIFO, and a recording that is one", async () => {
    const dir = join(root, 'fifo-app');
    await mkdir(dir);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ type: 'app', name: 'fifo_app', version: '0.1.0' }));
    mkfifo(join(dir, 'property.json'));
    expect(errorOf(await client.call('openDocument', { path: dir })).message).toBe(
      `Cannot read ${join(dir, 'property.json')}: it is a FIFO (named pipe), not a regular file.`,
    );
    const recording = join(root, 'recording.fifo');
    mkfifo(recording);
    expect(errorOf(await client.call('openRecording', { path: recording }))).toEqual({
      code: 'E_IO',
      message: `Could not read ${recording}: it is a FIFO (named pipe), not a regular file`,
    });
  });

  it("refuses to Run an app whose package's manifest.json is a FIFO, naming it, and keeps answering", async () => {
    const dir = join(root, 'fifo-package');
    const pkg = join(dir, 'ten_packages', 'extension', 'odd');
    await mkdir(join(pkg, 'src'), { recursive: true });
    await writeFile(join(pkg, 'src', 'index.ts'), 'export {};\n');
    mkfifo(join(pkg, 'manifest.json'));
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ type: 'app', name: 'fifo_package', version: '0.1.0' }));
    const graph = { nodes: [{ type: 'extension', name: 'n', addon: 'odd' }] };
    await writeFile(join(dir, 'property.json'), JSON.stringify({ ten: { predefined_graphs: [{ name: 'main', auto_start: true, graph }] } }));
    const document = resultOf<OpenedDocument>(await client.call('openDocument', { path: dir })).document;
    expect(errorOf(await client.call('startRun', { document }))).toEqual({
      code: 'E_RUN',
      message: `Cannot read ${join(pkg, 'manifest.json')}: it is a FIFO (named pipe), not a regular file`,
    });
    expect(resultOf<{ version: string }>(await client.call('version')).version).toBe('0.0.0-test');
  });

  it('checks a graph whose import_uri names a FIFO without hanging: that graph cannot be loaded', async () => {
    const dir = join(root, 'fifo-import');
    await mkdir(dir);
    mkfifo(join(dir, 'sub.json'));
    const property = { ten: { predefined_graphs: [{ name: 'imported', auto_start: false, graph: { import_uri: './sub.json' } }] } };
    const document: GraphDocument = { id: 'property:' + join(dir, 'property.json'), title: 't', origin: { kind: 'property', file: join(dir, 'property.json') }, property };
    const { diagnostics } = resultOf<{ diagnostics: { code: string; message: string }[] }>(await client.call('validateDocument', { document }));
    expect(diagnostics).toContainEqual(expect.objectContaining({ code: 'E026', message: `Failed to read graph file from ${join(dir, 'sub.json')} (it is a FIFO (named pipe), not a regular file)` }));
  });

  it('does not save over a FIFO, nor Save As onto one', async () => {
    const dir = join(root, 'save-fifo');
    await mkdir(dir);
    const fifo = join(dir, 'property.json');
    mkfifo(fifo);
    const example = resultOf<GraphDocument>(await client.call('openExample', { id: 'hello-pipeline' }));
    const asFile: GraphDocument = { ...example, id: `property:${fifo}`, origin: { kind: 'property', file: fifo } };
    expect(errorOf(await client.call('saveDocument', { document: asFile, force: true }))).toEqual({
      code: 'E_IO',
      message: `Cannot check ${fifo}: it is a FIFO (named pipe), not a regular file.`,
    });
    expect(errorOf(await client.call('saveDocumentAs', { document: example, path: fifo, overwrite: true }))).toEqual({
      code: 'E_IO',
      message: `Cannot write ${fifo}: it is a FIFO (named pipe), not a regular file; nothing was written.`,
    });
    expect((await stat(fifo)).isFIFO()).toBe(true);
  });
});

describe('saves never change what the user did not edit', () => {
  it('opens a file that is not valid UTF-8 with a located warning, and refuses to save over it', async () => {
    const { dir, file } = await helloCopy('latin1');
    const text = await readFile(file, 'utf8');
    // A Latin-1 'é' (0xe9) in a string value on line 3, column 16: not UTF-8.
    const lines = text.split('\n');
    lines[2] = lines[2]!.replace('"msgpack://', '"caf\u0000msgpack://');
    const bytes = Buffer.from(lines.join('\n'), 'utf8');
    bytes[bytes.indexOf(0)] = 0xe9;
    await writeFile(file, bytes);
    const opened = resultOf<OpenedDocument>(await client.call('openDocument', { path: file }));
    expect(opened.warnings).toEqual([
      `${file}:3:16: not valid UTF-8 (byte 0xe9 at offset ${bytes.indexOf(0xe9)}); such bytes are shown as U+FFFD (\u{FFFD}). ` +
        'Saving would replace them, so Save will not write over this file: use Save As to write a corrected copy.',
    ]);
    for (const force of [false, true]) {
      const refused = errorOf(await client.call('saveDocument', { document: edited(opened.document), force }));
      expect(refused).toEqual({
        code: 'E_IO',
        message: `Cannot save ${file}: it is not valid UTF-8 at 3:16 (byte 0xe9), and saving would replace those bytes with U+FFFD; nothing was written. Use Save As to write a corrected copy.`,
      });
    }
    expect(await readFile(file)).toEqual(bytes);
    // Save As writes a corrected copy elsewhere.
    const copy = join(dir, 'fixed.json');
    const saved = resultOf<SavedDocument>(await client.call('saveDocumentAs', { document: edited(opened.document), path: copy }));
    expect(saved.files).toEqual([copy]);
    expect(await readFile(copy, 'utf8')).toContain('"caf\u{FFFD}msgpack://');
  });

  it('refuses to replace a read-only (0444) file, whoever runs the studio', async () => {
    const { file } = await helloCopy('readonly');
    const opened = resultOf<OpenedDocument>(await client.call('openDocument', { path: file }));
    const before = await readFile(file);
    await chmod(file, 0o444);
    const refused = errorOf(await client.call('saveDocument', { document: edited(opened.document) }));
    expect(refused).toEqual({
      code: 'E_IO',
      message: `Cannot write ${file}: it is read-only (mode 0444); nothing was written. Make it writable, or save under another name.`,
    });
    expect(await readFile(file)).toEqual(before);
    expect((await stat(file)).mode & 0o777).toBe(0o444);
  });

  it('keeps the mode of the file it saves', async () => {
    const { file } = await helloCopy('mode');
    await chmod(file, 0o640);
    const opened = resultOf<OpenedDocument>(await client.call('openDocument', { path: file }));
    resultOf(await client.call('saveDocument', { document: edited(opened.document) }));
    expect((await stat(file)).mode & 0o7777).toBe(0o640);
  });

  it('makes recovery copies private: 0600 files in a 0700 folder, narrowing a folder left open before', async () => {
    const dataDir = join(root, 'data');
    const recoveryDir = join(dataDir, 'recovery');
    // A folder and a copy left readable by others (an earlier version, a loose umask).
    await mkdir(recoveryDir, { recursive: true });
    await chmod(recoveryDir, 0o755);
    await writeFile(join(recoveryDir, `${'0'.repeat(40)}.json`), '{}', { mode: 0o644 });
    await chmod(join(recoveryDir, `${'0'.repeat(40)}.json`), 0o644);
    const doc = resultOf<GraphDocument>(await client.call('openExample', { id: 'hello-pipeline' }));
    resultOf(await client.call('saveRecovery', { document: edited(doc) }));
    expect((await stat(recoveryDir)).mode & 0o777).toBe(0o700);
    for (const name of await import('node:fs/promises').then((fs) => fs.readdir(recoveryDir))) {
      expect((await stat(join(recoveryDir, name))).mode & 0o777, name).toBe(0o600);
    }
    expect((await stat(join(dataDir, 'recent.json'))).mode & 0o777).toBe(0o600);
  });

  it('creates the recovery folder 0700 in a new data folder', async () => {
    const dataDir = join(root, 'fresh-data');
    const own = new Host({ resourcesDir: resolve('resources'), version: '0.0.0-test', dataDir });
    const doc = await own.openExample('hello-pipeline');
    await own.handle('saveRecovery', { document: edited(doc) }, { transport: 'browser' });
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dataDir, 'recovery'))).mode & 0o777).toBe(0o700);
    await own.dispose();
  });
});

const noSecondUser = secondUserUnavailable();

describe.skipIf(noSecondUser !== null)(`with a second local user (${noSecondUser ?? 'nobody, via setpriv'})`, () => {
  let nobodyServer: ServerProcess;
  let nobody: TestClient;
  let shared: string;

  beforeAll(async () => {
    // A folder both users can write, as /tmp or a shared project folder is.
    shared = join(root, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o777);
    const dataDir = join(root, 'nobody-data');
    await mkdir(dataDir);
    await chown(dataDir, NOBODY.uid, NOBODY.gid);
    nobodyServer = await startServerProcess({ rendererDir: join(root, 'renderer'), dataDir, asNobody: true });
    nobody = await connect(nobodyServer);
  });

  afterAll(async () => {
    nobody?.close();
    await nobodyServer?.stop();
  });

  it("does not replace another user's file through the folder it can write, and leaves its owner", async () => {
    const file = join(shared, 'root-owned.json');
    await cp(HELLO, file);
    await chmod(file, 0o666); // even writable by everyone: replacing it would still make it nobody's
    const before = await readFile(file);
    const opened = resultOf<OpenedDocument>(await nobody.call('openDocument', { path: file }));
    const refused = errorOf(await nobody.call('saveDocument', { document: edited(opened.document) }));
    expect(refused).toEqual({
      code: 'E_IO',
      message: `Cannot write ${file}: it belongs to user 0, and saving replaces the file, which would make it yours; nothing was written. Save under another name.`,
    });
    const after = await stat(file);
    expect([after.uid, after.gid, after.mode & 0o777]).toEqual([0, 0, 0o666]);
    expect(await readFile(file)).toEqual(before);
    expect(await readdirNames(shared)).toEqual(['root-owned.json']);
  });

  it('refuses its own read-only file though the folder lets it replace the file', async () => {
    const file = join(shared, 'mine-readonly.json');
    await cp(HELLO, file);
    await chown(file, NOBODY.uid, NOBODY.gid);
    await chmod(file, 0o444);
    const opened = resultOf<OpenedDocument>(await nobody.call('openDocument', { path: file }));
    expect(errorOf(await nobody.call('saveDocument', { document: edited(opened.document) })).message).toBe(
      `Cannot write ${file}: it is read-only (mode 0444); nothing was written. Make it writable, or save under another name.`,
    );
  });

  it('saves its own file as before, keeping it its own', async () => {
    const file = join(shared, 'mine.json');
    await cp(HELLO, file);
    await chown(file, NOBODY.uid, NOBODY.gid);
    const opened = resultOf<OpenedDocument>(await nobody.call('openDocument', { path: file }));
    resultOf(await nobody.call('saveDocument', { document: edited(opened.document) }));
    const after = await stat(file);
    expect([after.uid, after.gid]).toEqual([NOBODY.uid, NOBODY.gid]);
    expect(await readFile(file, 'utf8')).toContain('"edited_by_test": true');
  });

  it("keeps the owner and group when root saves another user's file", async () => {
    const file = join(shared, 'nobody-owned.json');
    await cp(HELLO, file);
    await chown(file, NOBODY.uid, NOBODY.gid);
    await chmod(file, 0o640);
    const opened = resultOf<OpenedDocument>(await client.call('openDocument', { path: file }));
    resultOf(await client.call('saveDocument', { document: edited(opened.document) }));
    const after = await stat(file);
    expect([after.uid, after.gid, after.mode & 0o777]).toEqual([NOBODY.uid, NOBODY.gid, 0o640]);
    expect(await readFile(file, 'utf8')).toContain('"edited_by_test": true');
  });

  it("writes no recovery copy into a recovery folder that belongs to another user", async () => {
    const dataDir = join(root, 'foreign-recovery');
    await mkdir(join(dataDir, 'recovery'), { recursive: true });
    await chown(join(dataDir, 'recovery'), NOBODY.uid, NOBODY.gid);
    const own = new Host({ resourcesDir: resolve('resources'), version: '0.0.0-test', dataDir });
    const doc = await own.openExample('hello-pipeline');
    await expect(own.handle('saveRecovery', { document: edited(doc) }, { transport: 'browser' })).rejects.toMatchObject({
      code: 'E_IO',
      message: `Cannot write the recovery copy in ${dataDir}: ${join(dataDir, 'recovery')} belongs to user ${NOBODY.uid}, not to you; recovery copies are not written there`,
    });
    expect(await readdirNames(join(dataDir, 'recovery'))).toEqual([]);
    await own.dispose();
  });
});

async function readdirNames(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  return (await readdir(dir)).sort();
}
