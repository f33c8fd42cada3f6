/**
 * `ten-studio validate` as a user runs it, on input that used to defeat it: nesting too deep to
 * parse recursively (it said "cannot read" for an app folder), and paths that are not files.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../../src/shared';
import { cli } from './cli';

let root: string;
const DEPTH = 100_000;
/** A property.json whose one node property is nested DEPTH arrays deep, at line 3. */
const deepProperty =
  '{\n  "ten": {"predefined_graphs": [{"name": "g", "graph": {"nodes": [\n' +
  `    {"type": "extension", "name": "a", "addon": "forwarder", "property": {"v": ${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}}\n  ]}}]}\n}\n`;
/**
 * Where the bracket past the limit is: the first '[' of "v" opens level 9 (root, ten,
 * predefined_graphs, the entry, graph, nodes, the node, property), so level MAX_JSON_DEPTH + 1 is
 * MAX_JSON_DEPTH - 8 columns after it, on line 3.
 */
const firstBracket = '    {"type": "extension", "name": "a", "addon": "forwarder", "property": {"v": '.length + 1;
const at = `3:${firstBracket + MAX_JSON_DEPTH - 8}`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ten-studio-validate-'));
  await writeFile(join(root, 'deep.json'), deepProperty);
  await mkdir(join(root, 'app'));
  await writeFile(join(root, 'app', 'manifest.json'), JSON.stringify({ type: 'app', name: 'deep', version: '0.1.0' }));
  await writeFile(join(root, 'app', 'property.json'), deepProperty);
  execFileSync('mkfifo', [join(root, 'pipe.json')]);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ten-studio validate on hostile input', () => {
  it('reports nesting too deep in a file with its line, column and depth (exit 1)', async () => {
    const file = join(root, 'deep.json');
    const run = await cli(['validate', file]);
    expect(run.stdout).toBe(
      `${file}:${at} /: E001 Failed to parse JSON: nested too deeply: depth ${MAX_JSON_DEPTH + 1} exceeds the limit of ${MAX_JSON_DEPTH} at line ${at.replace(':', ' column ')}\n1 problem\n`,
    );
    expect(run.code).toBe(1);
  });

  it('reports it the same way for an app folder, where it said "cannot read"', async () => {
    const run = await cli(['validate', join(root, 'app'), '--json']);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as { valid: boolean; errors: { code: string; file: string; line: number; column: number; message: string }[] };
    expect(out.valid).toBe(false);
    expect(out.errors).toEqual([
      {
        code: 'E001',
        message: expect.stringContaining(`nested too deeply: depth ${MAX_JSON_DEPTH + 1} exceeds the limit of ${MAX_JSON_DEPTH}`),
        file: join(root, 'app', 'property.json'),
        pointer: '',
        line: 3,
        column: Number(at.split(':')[1]),
      },
    ]);
  });

  it('says why it cannot read a FIFO, at once, instead of waiting for a writer (exit 2)', async () => {
    const run = await cli(['validate', join(root, 'pipe.json')]);
    expect(run).toMatchObject({ code: 2, stdout: '', stderr: `ten-studio validate: cannot read ${join(root, 'pipe.json')}: it is a FIFO (named pipe), not a regular file\n` });
  });

  it('says why it cannot read a missing path (exit 2)', async () => {
    const run = await cli(['validate', join(root, 'missing.json')]);
    expect(run).toMatchObject({ code: 2, stderr: `ten-studio validate: cannot read ${join(root, 'missing.json')}: no such file or folder\n` });
  });
});
