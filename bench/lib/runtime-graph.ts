/**
 * Runs benchmark graphs on the real runtime: built-in addons plus the bench-only extensions in
 * bench/extensions, results read from a worker_threads BroadcastChannel (counter_sink's
 * `stats_channel`, bench_cmd_driver's `channel`), never from the message path itself.
 */
import { fileURLToPath } from 'node:url';
import { BroadcastChannel } from 'node:worker_threads';
import { App, type AppOptions, type RuntimeEvent } from '../../src/runtime';
import { BUILTIN_ADDONS_DIR } from '../../src/runtime/addons';
import type { TenGraph, TenNode } from '../../src/shared/graph/types';

const BENCH_EXTENSIONS_DIR = fileURLToPath(new URL('../extensions', import.meta.url));

export interface BenchNode {
  name: string;
  addon: string;
  group: string;
  property?: Record<string, unknown>;
  /** The app it runs in (graphs across apps); every node of such a graph names one. */
  app?: string;
}

export interface BenchEdge {
  from: string;
  kind: 'cmd' | 'data' | 'audio_frame' | 'video_frame';
  name: string;
  to: string[];
}

export function graphOf(nodes: BenchNode[], edges: BenchEdge[]): TenGraph {
  const appOf = new Map(nodes.map((n) => [n.name, n.app]));
  const withApp = (name: string): Record<string, unknown> => {
    const app = appOf.get(name);
    return app ? { app, extension: name } : { extension: name };
  };
  const connections = new Map<string, Record<string, unknown>>();
  for (const edge of edges) {
    const conn = connections.get(edge.from) ?? withApp(edge.from);
    connections.set(edge.from, conn);
    const flows = (conn[edge.kind] as unknown[] | undefined) ?? [];
    conn[edge.kind] = flows;
    flows.push({ name: edge.name, dest: edge.to.map(withApp) });
  }
  const tenNodes: TenNode[] = nodes.map((n) => ({
    type: 'extension',
    name: n.name,
    addon: n.addon,
    extension_group: n.group,
    ...(n.app ? { app: n.app } : {}),
    ...(n.property ? { property: n.property } : {}),
  }));
  return { nodes: tenNodes, connections: [...connections.values()] };
}

/** An App with the built-in and bench addons; failures in the graph abort the benchmark. */
export function benchApp(opts: Partial<AppOptions> = {}): { app: App; events: RuntimeEvent[]; failures: () => string[] } {
  const events: RuntimeEvent[] = [];
  const app = new App({
    ...opts,
    addonDirs: [BUILTIN_ADDONS_DIR, BENCH_EXTENSIONS_DIR],
    onEvent: (e) => {
      if (e.type !== 'lifecycle' && e.type !== 'log') events.push(e);
    },
  });
  const failures = () =>
    events
      .filter((e) => e.type === 'error' || e.type === 'violation' || e.type === 'worker_terminated')
      .map((e) => JSON.stringify(e).slice(0, 400));
  return { app, events, failures };
}

/** Collects messages from a BroadcastChannel; `next(pred)` resolves with the next match. */
export class ChannelReader<T> {
  private readonly channel: BroadcastChannel;
  private readonly backlog: T[] = [];
  private waiter: { pred: (m: T) => boolean; resolve: (m: T) => void } | undefined;

  constructor(name: string) {
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (event) => {
      const data = (event as { data: T }).data;
      const w = this.waiter;
      if (w && w.pred(data)) {
        this.waiter = undefined;
        w.resolve(data);
      } else {
        this.backlog.push(data);
      }
    };
  }

  next(pred: (m: T) => boolean, ms: number, what: string): Promise<T> {
    const i = this.backlog.findIndex(pred);
    if (i !== -1) return Promise.resolve(this.backlog.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`Benchmark timed out after ${ms} ms waiting for ${what}.`));
      }, ms);
      this.waiter = {
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
    });
  }

  /** Posts to every other listener of the channel (a BroadcastChannel never hears itself). */
  post(message: unknown): void {
    this.channel.postMessage(message);
  }

  close(): void {
    this.channel.close();
  }
}

/** Wall-clock ms with sub-ms precision; comparable with counter_sink's timestamps in workers. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function uniqueChannel(suite: string): string {
  return `ten-bench-${suite}-${process.pid}`;
}
