// Helpers for multi-app tests: Apps on free loopback ports in this process, real sockets between
// them, event-driven waits, and the leak check (connections, remotes and sockets included).
import { createServer } from 'node:net';
import { BroadcastChannel } from 'node:worker_threads';
import { expect } from 'vitest';
import { App, type AppOptions, type RuntimeEvent } from '../../../src/runtime';
import { FIXTURE_APP } from '../runtime/harness';

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export const uriOf = (port: number): string => `msgpack://127.0.0.1:${port}/`;

export interface TestApp {
  app: App;
  uri: string;
  events: RuntimeEvent[];
  /** Resolves when `pred` holds over the events (re-checked on every event). */
  until(pred: (events: RuntimeEvent[]) => boolean, what: string, ms?: number): Promise<void>;
}

/** An app over the fixture packages with `ten.uri` on a free port, listening. */
export async function startTestApp(opts: Omit<Partial<AppOptions>, 'property'> & { property?: Record<string, unknown>; port?: number } = {}): Promise<TestApp> {
  const port = opts.port ?? (await freePort());
  const uri = uriOf(port);
  const { property, port: _p, ...rest } = opts;
  const prop = { ...(property ?? {}), ten: { uri, ...((property?.ten as Record<string, unknown> | undefined) ?? {}) } };
  const events: RuntimeEvent[] = [];
  const waiters: { pred: (e: RuntimeEvent[]) => boolean; resolve: () => void }[] = [];
  const app = new App({ appDir: FIXTURE_APP, property: prop, dial: { retries: 5, intervalMs: 100 }, ...rest });
  app.onEvent((e) => {
    events.push(e);
    for (const w of [...waiters]) {
      if (w.pred(events)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  await app.listen();
  const until = async (pred: (e: RuntimeEvent[]) => boolean, what: string, ms = 20_000): Promise<void> => {
    if (pred(events)) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((r) => waiters.push({ pred, resolve: r })),
      new Promise<void>((_, rej) => (timer = setTimeout(() => rej(new Error(`Timed out waiting for ${what} in ${uri}`)), ms))),
    ]).finally(() => clearTimeout(timer));
  };
  return { app, uri, events, until };
}

/** Closes the apps and asserts nothing is left: no engines, threads, connections, remotes or sockets. */
export async function closeAndCheck(...apps: TestApp[]): Promise<void> {
  await Promise.all(apps.map((a) => a.app.close()));
  for (const a of apps) {
    expect(a.app.live(), a.uri).toEqual({ engines: 0, threads: 0, extensions: 0, paths: 0, timers: 0, handles: 0, connections: 0, remotes: 0, sockets: 0, processes: 0 });
  }
}

/** A mesh node (test/fixtures/runtime/app/ten_packages/extension/mesh). */
export function mesh(name: string, app: string, property: Record<string, unknown> = {}, group = name): Record<string, unknown> {
  return { type: 'extension', name, addon: 'mesh', extension_group: group, app, property };
}

/** A cmd flow `from@fromApp --name--> to@toApp`. */
export function cmdFlow(from: string, fromApp: string, name: string, to: string, toApp: string, kind: 'cmd' | 'data' = 'cmd'): Record<string, unknown> {
  return { app: fromApp, extension: from, [kind]: [{ name, dest: [{ app: toApp, extension: to }] }] };
}

export const connectionEvents = (events: RuntimeEvent[]) => events.filter((e): e is Extract<RuntimeEvent, { type: 'connection' }> => e.type === 'connection');

/**
 * What the probe extensions of this process report (test/fixtures/runtime/app/ten_packages/
 * extension/probe, BroadcastChannel 'ten-runtime-test'); `close` when done.
 */
export function probeReports(): { next(ext: string, kind: string): Promise<Record<string, unknown>>; close(): void } {
  const channel = new BroadcastChannel('ten-runtime-test');
  const reports: Record<string, unknown>[] = [];
  let arrived: (() => void) | null = null;
  channel.onmessage = (m) => {
    reports.push((m as { data: Record<string, unknown> }).data);
    arrived?.();
  };
  return {
    async next(ext, kind) {
      for (;;) {
        const r = reports.find((x) => x.ext === ext && x.kind === kind);
        if (r) return r;
        await new Promise<void>((resolve) => (arrived = resolve));
      }
    },
    close: () => channel.close(),
  };
}
