/**
 * The telemetry benchmarks' harness: the chain topology of suite (a) started either on a bare
 * runtime App (telemetry off) or as a run of the studio's Host behind the real browser-mode
 * WebSocket server, with a WebSocket client reading (and counting) the whole event stream.
 * Round rates come from counter_sink's reports on a BroadcastChannel, as in bench/lib/chain.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { SourceControl } from '../extensions/bench_source/src';
import type { CounterStats } from '../../src/runtime/addons/counter_sink/src';
import { Host } from '../../src/host';
import { startServer, type RunningServer } from '../../src/main/server';
import { decodeServerMessage, encodeRequest, wsProtocols, type GraphDocument, type HostEvent, type HostMethod, type RunInfo, type TenGraph } from '../../src/shared';
import { benchApp, ChannelReader, graphOf, uniqueChannel, wallNow, type BenchEdge, type BenchNode } from './runtime-graph';

const BENCH_EXTENSIONS_DIR = fileURLToPath(new URL('../extensions', import.meta.url));

export const FORWARDERS = 8;
export const PAYLOAD_BYTES = 64;

/** source → 8 forwarders → sink in one group; the source sends `count` per go. */
export function chainGraph(suite: string, reportEvery: number): { graph: TenGraph; statsName: string; controlName: string } {
  const statsName = uniqueChannel(suite);
  const controlName = `${statsName}-control`;
  const names = ['source', ...Array.from({ length: FORWARDERS }, (_, i) => `fwd_${i + 1}`), 'sink'];
  const nodes: BenchNode[] = names.map((name, i) => ({
    name,
    group: 'chain',
    addon: i === 0 ? 'bench_source' : i === names.length - 1 ? 'counter_sink' : 'forwarder',
    ...(i === 0 ? { property: { control_channel: controlName, kind: 'data', msg_name: 'm', payload_bytes: PAYLOAD_BYTES, burst: 256 } } : {}),
    ...(i === names.length - 1 ? { property: { stats_channel: statsName, report_every: reportEvery } } : {}),
  }));
  const edges: BenchEdge[] = names.slice(0, -1).map((from, i) => ({ from, kind: 'data', name: 'm', to: [names[i + 1]!] }));
  return { graph: graphOf(nodes, edges), statsName, controlName };
}

/** Rates of measured rounds, and the process's CPU time (all threads) per message in them. */
export interface ChainResult {
  rates: number[];
  cpuUsPerMsg: number;
}

/** Drives closed-loop rounds of `count` messages; returns msgs/s per measured round. */
export async function chainRounds(
  control: ChannelReader<SourceControl>,
  stats: ChannelReader<CounterStats>,
  count: number,
  warmup: number,
  measured: number,
  already = 0,
): Promise<number[]> {
  return (await chainRoundsCpu(control, stats, count, warmup, measured, already)).rates;
}

/**
 * Like `chainRounds`, plus CPU time per message: on a machine shared with other work, wall-clock
 * rates swing with the scheduler, while the CPU the process spends per message does not.
 */
export async function chainRoundsCpu(
  control: ChannelReader<SourceControl>,
  stats: ChannelReader<CounterStats>,
  count: number,
  warmup: number,
  measured: number,
  already = 0,
): Promise<ChainResult> {
  const rates: number[] = [];
  let cpu0 = process.cpuUsage();
  for (let round = 0; round < warmup + measured; round++) {
    if (round === warmup) cpu0 = process.cpuUsage();
    const goAt = wallNow();
    control.post({ go: count } satisfies SourceControl);
    const expected = already + (round + 1) * count;
    const report = await stats.next((m) => !m.final && m.total === expected, 120_000, `${expected} messages at the sink`);
    if (round >= warmup) rates.push((count / (report.last_at_ms - goAt)) * 1000);
  }
  const cpu = process.cpuUsage(cpu0);
  return { rates, cpuUsPerMsg: measured > 0 ? (cpu.user + cpu.system) / (count * measured) : 0 };
}

/** The chain on a bare App: no host, no sampling, no stream. */
export async function chainWithoutTelemetry(suite: string, count: number, warmup: number, measured: number): Promise<ChainResult> {
  const { graph, statsName, controlName } = chainGraph(suite, count);
  const stats = new ChannelReader<CounterStats>(statsName);
  const control = new ChannelReader<SourceControl>(controlName);
  const { app } = benchApp();
  try {
    await app.startGraph({ graph, name: suite });
    await control.next((m) => 'ready' in m, 60_000, 'the source to start');
    return await chainRoundsCpu(control, stats, count, warmup, measured);
  } finally {
    stats.close();
    control.close();
    await app.close();
  }
}

/** A WebSocket client of the browser-mode server that counts what it receives. */
export class CountingClient {
  bytes = 0;
  frames = 0;
  readonly events: HostEvent[] = [];
  keepEvents = false;
  private next = 1;
  private readonly waiting = new Map<number, (ok: boolean, value: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.bytes += data.length;
      this.frames++;
      const decoded = decodeServerMessage(data.toString());
      if (!decoded.ok) return;
      const frame = decoded.value;
      if (frame.type === 'event') {
        if (this.keepEvents) this.events.push(frame.event);
        return;
      }
      const w = this.waiting.get(frame.id);
      this.waiting.delete(frame.id);
      if (frame.ok) w?.(true, frame.result);
      else w?.(false, frame.error.message);
    });
  }

  static connect(server: RunningServer): Promise<CountingClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, wsProtocols(server.token), { headers: { origin: `http://127.0.0.1:${server.port}` } });
    return new Promise((resolveOpen, reject) => {
      ws.once('error', reject);
      ws.once('open', () => resolveOpen(new CountingClient(ws)));
    });
  }

  call<T>(method: HostMethod, params?: unknown): Promise<T> {
    return new Promise((resolveCall, reject) => {
      const id = this.next++;
      this.waiting.set(id, (ok, value) => (ok ? resolveCall(value as T) : reject(new Error(`${method}: ${String(value)}`))));
      this.ws.send(encodeRequest(id, method, params));
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** A Host (with the bench addons) behind the real server, and one connected client. */
export async function studio(): Promise<{ host: Host; server: RunningServer; client: CountingClient; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ten-bench-studio-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  const host = new Host({ resourcesDir: resolve('resources'), version: 'bench', dataDir: join(dir, 'data'), addonDirs: [BENCH_EXTENSIONS_DIR] });
  const server = await startServer({ host, rendererDir: dir, port: 0 });
  const client = await CountingClient.connect(server);
  return {
    host,
    server,
    client,
    close: async () => {
      client.close();
      await host.dispose();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A document holding one auto-start graph, as the editor would send it. */
export function documentOf(graph: TenGraph, name: string): GraphDocument {
  return {
    id: `graph:/tmp/${name}.json`,
    title: name,
    origin: { kind: 'graph', file: join(tmpdir(), `${name}.json`) },
    property: { ten: { predefined_graphs: [{ name, auto_start: true, graph }] } },
  };
}

/** The chain as a host run streamed to a WebSocket client. */
export async function chainWithTelemetry(suite: string, count: number, warmup: number, measured: number): Promise<ChainResult & { bytesPerSec: number }> {
  const { graph, statsName, controlName } = chainGraph(suite, count);
  const stats = new ChannelReader<CounterStats>(statsName);
  const control = new ChannelReader<SourceControl>(controlName);
  const s = await studio();
  try {
    const run = await s.client.call<RunInfo>('startRun', { document: documentOf(graph, suite) });
    await control.next((m) => 'ready' in m, 60_000, 'the source to start');
    const bytes0 = s.client.bytes;
    const t0 = wallNow();
    const result = await chainRoundsCpu(control, stats, count, warmup, measured);
    const bytesPerSec = ((s.client.bytes - bytes0) * 1000) / (wallNow() - t0);
    await s.client.call('stopRun', { runId: run.runId });
    return { ...result, bytesPerSec };
  } finally {
    stats.close();
    control.close();
    await s.close();
  }
}
