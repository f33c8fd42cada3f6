/**
 * Baselines of the Python suites, measured in the same run as the runtime:
 * - the limit of a Node ↔ Python round trip: one small frame echoed by a Python process that
 *   does nothing else, over the same kind of pipes (fds 3/4) the runtime uses;
 * - TEN's own dispatch pattern for AsyncExtensions (one `run_coroutine_threadsafe` hop per
 *   message and stage, the send posted back to the extension thread), simulated in one Python
 *   process, without any IPC.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { nowMs } from './stats';

const DIR = fileURLToPath(new URL('./python/', import.meta.url));
export const PYTHON = process.env.TEN_STUDIO_PYTHON || 'python3';

/** Round-trip times (ms) of `count` frames of `bytes` bytes, one in flight. */
export async function rawPipeRoundTrips(count: number, bytes = 64): Promise<number[]> {
  const child = spawn(PYTHON, [`${DIR}raw_echo.py`], { stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'pipe'] });
  const out = child.stdio[3] as Writable;
  const input = child.stdio[4] as Readable;
  const frame = Buffer.alloc(4 + bytes, 120);
  frame.writeUInt32LE(bytes, 0);
  const samples: number[] = [];
  let pending = 0;
  let t0 = 0;
  let next: (() => void) | null = null;
  input.on('data', (chunk: Buffer) => {
    pending -= chunk.length;
    if (pending === 0) next?.();
  });
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) => {
      next = resolve;
      pending = frame.length;
      t0 = nowMs();
      out.write(frame);
    });
    samples.push(nowMs() - t0);
  }
  out.end();
  await new Promise((r) => child.once('exit', r));
  return samples;
}

/** Messages per second of TEN's dispatch pattern through `stages` pass-through AsyncExtensions. */
export function tenDispatchRate(stages: number, count: number): number {
  const r = spawnSync(PYTHON, [`${DIR}ten_dispatch.py`, String(stages), String(count)], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`ten_dispatch.py failed: ${r.stderr}`);
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { msgs_per_s: number }).msgs_per_s;
}
