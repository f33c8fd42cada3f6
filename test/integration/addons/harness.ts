/**
 * Runs built-in addons in real graphs through the runtime (real worker threads), collecting the
 * runtime events, and always closes the app, so no test leaves a worker behind.
 */
import { createServer } from 'node:net';
import { BroadcastChannel } from 'node:worker_threads';
import { App, type RuntimeEvent } from '../../../src/runtime';
import { BUILTIN_ADDONS_DIR } from '../../../src/runtime/addons';
import type { TenGraph } from '../../../src/shared/graph/types';

export interface RunningGraph {
  app: App;
  graphId: string;
  events: RuntimeEvent[];
  /** Resolves with the first event matching `pred` (already seen or future); rejects after `ms`. */
  waitFor(pred: (e: RuntimeEvent) => boolean, what: string, ms?: number): Promise<RuntimeEvent>;
  close(): Promise<void>;
}

/** Every graph started by a test file, so `closeAll` can clean up after failures too. */
const open = new Set<App>();

export async function startGraph(
  graph: TenGraph,
  opts: { stopTimeoutMs?: number; violationPolicy?: 'fail' | 'report' | 'abort' } = {},
): Promise<RunningGraph> {
  const events: RuntimeEvent[] = [];
  const waiters: { pred: (e: RuntimeEvent) => boolean; resolve: (e: RuntimeEvent) => void }[] = [];
  const app = new App({
    addonDirs: [BUILTIN_ADDONS_DIR],
    stopTimeoutMs: opts.stopTimeoutMs ?? 3000,
    violationPolicy: opts.violationPolicy ?? 'fail',
    onEvent: (e) => {
      events.push(e);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.pred(e)) waiters.splice(i, 1)[0]!.resolve(e);
      }
    },
  });
  open.add(app);
  const graphId = await app.startGraph({ graph, name: 'test_graph' });
  return {
    app,
    graphId,
    events,
    waitFor(pred, what, ms = 15_000) {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const tail = events.slice(-15).map((e) => JSON.stringify(e)).join('\n');
          reject(new Error(`Timed out after ${ms} ms waiting for ${what}. Last events:\n${tail}`));
        }, ms);
        waiters.push({
          pred,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
    async close() {
      open.delete(app);
      await app.close();
    },
  };
}

/** Closes whatever a failed test left running. */
export async function closeAll(): Promise<void> {
  await Promise.all([...open].map((app) => app.close()));
  open.clear();
}

/** Listens on a worker_threads BroadcastChannel for the first message matching `pred`. */
export function listen<T>(channelName: string, pred: (m: T) => boolean, ms = 15_000): { message: Promise<T>; close(): void } {
  const channel = new BroadcastChannel(channelName);
  let timer: NodeJS.Timeout | undefined;
  const message = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`No matching message on channel ${channelName} within ${ms} ms.`)), ms);
    channel.onmessage = (event) => {
      const data = (event as { data: T }).data;
      if (pred(data)) {
        clearTimeout(timer);
        resolve(data);
      }
    };
  });
  return {
    message,
    close() {
      clearTimeout(timer);
      channel.close();
    },
  };
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('No TCP port available.');
  return address.port;
}

/** Unique channel names per test, so parallel or repeated runs never cross-talk. */
export function channelName(test: string): string {
  return `ten-addon-test-${test}-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

/** A one-group-per-node graph from a compact list of nodes and data/cmd/frame edges. */
export function graphOf(
  nodes: { name: string; addon: string; group?: string; property?: Record<string, unknown> }[],
  edges: { from: string; kind: 'cmd' | 'data' | 'audio_frame' | 'video_frame'; name: string; to: string[] }[],
): TenGraph {
  const connections = new Map<string, Record<string, unknown>>();
  for (const edge of edges) {
    const conn = connections.get(edge.from) ?? { extension: edge.from };
    connections.set(edge.from, conn);
    const flows = (conn[edge.kind] as unknown[] | undefined) ?? [];
    conn[edge.kind] = flows;
    flows.push({ name: edge.name, dest: edge.to.map((extension) => ({ extension })) });
  }
  return {
    nodes: nodes.map((n) => ({
      type: 'extension',
      name: n.name,
      addon: n.addon,
      extension_group: n.group ?? `${n.name}_group`,
      ...(n.property ? { property: n.property } : {}),
    })),
    connections: [...connections.values()],
  };
}
