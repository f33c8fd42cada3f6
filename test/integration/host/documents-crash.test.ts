/**
 * Crashes while writing: a child process is SIGKILLed in the middle of an atomic save, or with
 * unsaved edits, and the files (and the recovery copy, through the real WebSocket) survive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../../src/host';
import { DocumentService, TEMP_SUFFIX } from '../../../src/host/documents';
import { startServer } from '../../../src/main/server';
import type { GraphDocument, OpenedDocument } from '../../../src/shared';
import { connect, resultOf } from './wsClient';

const WRITER = resolve('test/integration/host/fixtures/document-writer.ts');
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ten-studio-crash-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function startWriter(args: string[]): { child: ChildProcess; lines: AsyncIterator<string>; exited: Promise<NodeJS.Signals | number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | number | null>((r) => child.once('exit', (code, signal) => r(signal ?? code)));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return { child, lines, exited };
}

async function nextLine(lines: AsyncIterator<string>): Promise<string> {
  const { value, done } = await lines.next();
  return done ? '<exited>' : value;
}

async function tempFilesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith(TEMP_SUFFIX));
}

describe('atomic saves under SIGKILL', () => {
  it('leaves the old file intact when the writer is killed half-way through the new one', async () => {
    const dir = join(root, 'stream');
    await mkdir(dir);
    const target = join(dir, 'property.json');
    const old = JSON.stringify({ ten: { predefined_graphs: [] }, marker: 'old' }, null, 2) + '\n';
    await writeFile(target, old);

    const writer = startWriter(['stream', target]);
    expect(await nextLine(writer.lines)).toBe('HALF');
    const [temp] = await tempFilesIn(dir);
    expect(temp).toBeDefined();
    expect((await stat(join(dir, temp!))).size).toBeGreaterThan(32 * 64 * 1024);
    writer.child.kill('SIGKILL');
    expect(await writer.exited).toBe('SIGKILL');

    expect(await readFile(target, 'utf8')).toBe(old);
    expect(JSON.parse(await readFile(target, 'utf8'))).toMatchObject({ marker: 'old' });

    // The next open cleans up after the killed writer and says so.
    const service = new DocumentService({ dataDir: join(root, 'stream-data'), warn: () => undefined });
    const opened = await service.open(target);
    expect(opened.warnings).toEqual([`Removed ${temp}, left by a save that was interrupted; property.json itself is intact.`]);
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it('never leaves a partial property.json when a real large save is killed', async () => {
    const dir = join(root, 'save');
    await cp(resolve('resources/examples/hello-pipeline'), dir, { recursive: true });
    const target = join(dir, 'property.json');
    const old = await readFile(target, 'utf8');

    const writer = startWriter(['save', join(root, 'save-data'), dir]);
    expect(await nextLine(writer.lines)).toBe('SAVING');
    // Kill as soon as the temporary file exists: the write of ~25 MB is then under way.
    let exitedFirst = false;
    void writer.exited.then(() => (exitedFirst = true));
    while (!exitedFirst && (await tempFilesIn(dir)).length === 0) await new Promise((r) => setImmediate(r));
    writer.child.kill('SIGKILL');
    await writer.exited;

    const now = await readFile(target, 'utf8');
    const parsed = JSON.parse(now) as { ten: { predefined_graphs: { graph: { nodes: unknown[] } }[] } };
    // Either the old file, untouched, or (had the save won the race) the whole new one.
    if (now === old) expect(parsed.ten.predefined_graphs[0]!.graph.nodes).toHaveLength(5);
    else expect(parsed.ten.predefined_graphs[0]!.graph.nodes).toHaveLength(200_000);
  });
});

describe('recovery after a crash', () => {
  it('offers and restores the unsaved edits of a killed studio through the WebSocket', async () => {
    const dataDir = join(root, 'recover-data');
    const dir = join(root, 'recover-app');
    await cp(resolve('resources/examples/hello-pipeline'), dir, { recursive: true });

    const crashed = startWriter(['recover', dataDir, dir]);
    expect(await nextLine(crashed.lines)).toBe('SAVED');
    crashed.child.kill('SIGKILL');
    expect(await crashed.exited).toBe('SIGKILL');

    const rendererDir = join(root, 'renderer');
    await mkdir(rendererDir, { recursive: true });
    await writeFile(join(rendererDir, 'index.html'), '<!doctype html>');
    const server = await startServer({
      host: new Host({ resourcesDir: resolve('resources'), version: '0.0.0-test', dataDir }),
      rendererDir,
      port: 0,
    });
    const client = await connect(server);
    try {
      const opened = resultOf<OpenedDocument>(await client.call('openDocument', { path: dir }));
      expect(opened.recovery).toMatchObject({ documentId: `app:${dir}`, path: dir });
      const restored = resultOf<GraphDocument>(await client.call('restoreRecovery', { documentId: opened.document.id }));
      expect(restored.property.ten?.predefined_graphs?.[0]).toMatchObject({
        name: 'big',
        graph: { nodes: [{ name: 'n0', property: { note: 'edited in the child process' } }] },
      });
      // The recovered edits are based on the file as it was; it has not changed, so they save.
      expect(restored.base).toEqual(opened.document.base);
      resultOf(await client.call('saveDocument', { document: restored }));
      expect(JSON.parse(await readFile(join(dir, 'property.json'), 'utf8')).ten.predefined_graphs[0].name).toBe('big');
    } finally {
      client.close();
      await server.close();
    }
  });
});
