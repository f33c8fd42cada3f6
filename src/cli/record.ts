/**
 * `ten-studio run … --record FILE`: keeps the run's telemetry history (events, 10 Hz metrics) the
 * same way the studio's host does, and writes it as a recording the studio opens and
 * `ten-studio trace` converts.
 */
import { randomUUID } from 'node:crypto';
import { basename, dirname } from 'node:path';
import type { App, RuntimeEvent, TraceConfig } from '../runtime';
import { RunTelemetry, writeJsonFile } from '../host/runs';
import type { Recording, RunGraph, RunInfo } from '../shared';
import type { TalkEvent } from '../shared/talk/talk';
import { UsageError } from './args';

/**
 * `--trace EDGES [--trace-sample N]`: EDGES is `all` or a comma list of `src>dest`, `src>` (from
 * src) and `>dest` (into dest). Returns null when `--trace` is absent.
 */
export function parseTraceOptions(edges: string | true | undefined, sample: string | true | undefined): TraceConfig | null {
  if (edges === undefined) {
    if (sample !== undefined) throw new UsageError('--trace-sample needs --trace EDGES.');
    return null;
  }
  if (typeof edges !== 'string' || edges.trim() === '') throw new UsageError('--trace needs edges: all, or src>dest, src>, >dest separated by commas.');
  let sampleEvery = 1;
  if (sample !== undefined) {
    sampleEvery = typeof sample === 'string' && /^\d+$/.test(sample) ? Number(sample) : NaN;
    if (!(sampleEvery >= 1 && sampleEvery <= 1_000_000)) throw new UsageError('--trace-sample must be an integer from 1 to 1000000.');
  }
  if (edges.trim() === 'all') return { edges: [{}], sampleEvery };
  const list = edges.split(',').map((part) => {
    const m = /^\s*([^>\s]*)\s*>\s*([^>\s]*)\s*$/.exec(part);
    if (!m || (m[1] === '' && m[2] === '')) throw new UsageError(`--trace: "${part}" is not src>dest, src> or >dest.`);
    return { ...(m[1] ? { src: m[1] } : {}), ...(m[2] ? { dest: m[2] } : {}) };
  });
  return { edges: list, sampleEvery };
}

export class CliRecorder {
  private readonly telemetry: RunTelemetry;
  private readonly info: RunInfo;

  constructor(
    private readonly app: App,
    propertyPath: string,
    private readonly trace: TraceConfig | null = null,
  ) {
    const runId = randomUUID();
    this.telemetry = new RunTelemetry(app, runId, null);
    this.info = {
      runId,
      documentId: `property:${propertyPath}`,
      title: basename(dirname(propertyPath)),
      state: 'running',
      graphs: [],
      startedAt: Date.now(),
      tracing: trace,
    };
    app.onEvent((e) => this.onEvent(e));
    this.telemetry.startSampling();
  }

  /** A talk event of the run (kept for the recording, with its turns). */
  addTalk(ev: TalkEvent): void {
    this.telemetry.addTalk(ev);
  }

  /** A last sample while the graphs still run (call before closing the app). */
  async lastSample(): Promise<void> {
    await this.telemetry.sampleOnce();
  }

  /** Stops recording and writes the file (replacing it); returns its size in bytes. */
  async save(file: string, ok: boolean, failures: string[]): Promise<number> {
    this.telemetry.stop();
    const t = this.telemetry;
    const rec: Recording = {
      format: 'ten-studio-recording',
      version: 1,
      run: { ...this.info, state: ok ? 'stopped' : 'failed', stoppedAt: Date.now(), ...(failures.length ? { error: failures.join('\n') } : {}) },
      savedAt: Date.now(),
      events: t.history(),
      metrics: t.metricsHistory(),
      traces: t.traces.toArray(),
      dropped: { ...t.dropped },
      ...(t.talk.size ? { talk: t.talk.toArray() } : {}),
    };
    return (await writeJsonFile(file, rec, true)).bytes;
  }

  private onEvent(e: RuntimeEvent): void {
    if (e.type !== 'graph') return;
    const g: RunGraph | undefined = this.info.graphs.find((x) => x.graphId === e.graphId);
    if (g) g.state = e.state;
    else this.info.graphs.push({ graphId: e.graphId, name: e.name, state: e.state });
    if (e.state === 'started' && this.trace) this.app.setTrace(e.graphId, this.trace);
  }
}
