/**
 * `ten-studio run … --record FILE`: keeps the run's telemetry history (events, 10 Hz metrics) the
 * same way the studio's host does, and writes it as a recording the studio opens and
 * `ten-studio trace` converts.
 */
import { randomUUID } from 'node:crypto';
import { basename, dirname } from 'node:path';
import type { App, RuntimeEvent } from '../runtime';
import { RunTelemetry, writeJsonFile } from '../host/runs';
import type { Recording, RunGraph, RunInfo } from '../shared';

export class CliRecorder {
  private readonly telemetry: RunTelemetry;
  private readonly info: RunInfo;

  constructor(app: App, propertyPath: string) {
    const runId = randomUUID();
    this.telemetry = new RunTelemetry(app, runId, null);
    this.info = {
      runId,
      documentId: `property:${propertyPath}`,
      title: basename(dirname(propertyPath)),
      state: 'running',
      graphs: [],
      startedAt: Date.now(),
      tracing: null,
    };
    app.onEvent((e) => this.onEvent(e));
    this.telemetry.startSampling();
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
    };
    return (await writeJsonFile(file, rec, true)).bytes;
  }

  private onEvent(e: RuntimeEvent): void {
    if (e.type !== 'graph') return;
    const g: RunGraph | undefined = this.info.graphs.find((x) => x.graphId === e.graphId);
    if (g) g.state = e.state;
    else this.info.graphs.push({ graphId: e.graphId, name: e.name, state: e.state });
  }
}
