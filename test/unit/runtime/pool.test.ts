// Group threads do not inherit the process's module loaders (a mocha + ts-node/esm test process,
// TEN's setup, would otherwise start ts-node in every group thread) but keep its other options.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withoutPreloads } from '../../../src/runtime/app/pool';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('group thread options', () => {
  it('drop module loaders with their values, in both spellings, and keep the rest', () => {
    expect(
      withoutPreloads(['--expose-gc', '--loader', 'ts-node/esm', '--experimental-loader=x', '--import', 'tsx', '-r', 'a.cjs', '--require=b', '--inspect', '--enable-source-maps']),
    ).toEqual(['--expose-gc', '-r', 'a.cjs', '--require=b', '--inspect', '--enable-source-maps']);
  });

  it('a thread of a process started with a preload and a per-process flag starts, without the preload', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ten-pool-'));
    try {
      const script = join(dir, 'spawn.ts');
      writeFileSync(
        script,
        `import { spawnGroupThread } from ${JSON.stringify(join(ROOT, 'src/runtime/app/pool.ts'))};
const code = 'import { parentPort } from "node:worker_threads"; parentPort.postMessage(process.execArgv);';
const w = spawnGroupThread(new URL('data:text/javascript,' + encodeURIComponent(code)), { name: 't', workerData: null });
w.once('message', (argv) => { console.log(JSON.stringify(argv)); void w.terminate(); });
`,
      );
      const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8' });
      const argv = JSON.parse(out.trim()) as string[];
      expect(argv).not.toContain('--import');
      expect(argv).not.toContain('tsx');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
