// `ten-studio run --record` and `ten-studio trace` as a user runs them: child processes, files.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Recording } from '../../../src/shared';
import { cli } from './cli';

const tmp = mkdtempSync(join(tmpdir(), 'ten-cli-trace-it-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ten-studio run --record and ten-studio trace', () => {
  it('records a run and converts the recording to a Chrome trace with one thread per group', async () => {
    const rec = join(tmp, 'hello.recording.json');
    // ticker sends data and every tenth tick a cmd to echo: trace what leaves and reaches ticker.
    const run = await cli(['run', 'resources/examples/hello-pipeline', '--duration', '1.5', '--record', rec, '--trace', 'ticker>,>ticker']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Recorded the run to ${rec}`);
    const recording = JSON.parse(readFileSync(rec, 'utf8')) as Recording;
    expect(recording.format).toBe('ten-studio-recording');
    expect(recording.run.graphs.map((g) => g.name)).toEqual(['hello_pipeline']);
    expect(recording.events.some((e) => e.type === 'lifecycle' && e.phase === 'on_deinit_done')).toBe(true);
    expect(recording.metrics.length).toBeGreaterThan(3);
    expect(recording.run.tracing).toEqual({ edges: [{ src: 'ticker' }, { dest: 'ticker' }], sampleEvery: 1 });
    expect(recording.traces.some((s) => s.type === 'cmd_result' && s.dest === 'ticker')).toBe(true);

    const out = join(tmp, 'hello.trace.json');
    const trace = await cli(['trace', rec, '--out', out]);
    expect(trace.code, trace.stderr).toBe(0);
    const events = (JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: { ph: string; name: string; cat?: string; args?: { name?: string } }[] }).traceEvents;
    const threads = events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args?.name);
    expect(threads).toEqual(expect.arrayContaining(['group sources', 'group workers', 'group sinks']));
    expect(events.some((e) => e.ph === 'C')).toBe(true);
    expect(events.some((e) => e.ph === 'X' && e.cat === 'handler')).toBe(true);
    expect(events.some((e) => e.ph === 's')).toBe(true);
    expect(events.some((e) => e.ph === 'f')).toBe(true);
  }, 60_000);

  it('refuses a file that is not a recording, and usage mistakes', async () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{"format":"nope"}');
    const parsed = await cli(['trace', bad, '--out', join(tmp, 'x.json')]);
    expect(parsed.code).toBe(1);
    expect(parsed.stderr).toContain('is not a TEN Graph Studio recording');
    const noOut = await cli(['trace', bad]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('--out <trace.json> is required');
    const noRecord = await cli(['run', 'resources/examples/hello-pipeline', '--trace', 'all']);
    expect(noRecord.code).toBe(2);
    expect(noRecord.stderr).toContain('add --record FILE');
    const badEdge = await cli(['run', 'resources/examples/hello-pipeline', '--record', join(tmp, 'r.json'), '--trace', 'ticker']);
    expect(badEdge.code).toBe(2);
    expect(badEdge.stderr).toContain('is not src>dest');
    const noDir = await cli(['run', 'resources/examples/hello-pipeline', '--record', join(tmp, 'missing', 'r.json')]);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain('--record: the folder');
  }, 60_000);
});
