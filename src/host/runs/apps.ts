/**
 * Runs of a graph whose nodes span apps: which app the studio runs itself, which ones it starts
 * as processes of their own (`ten-studio app`, one per app), and which are remote (already
 * running, here or elsewhere: the run's engine connects to them over TEN's msgpack protocol).
 *
 * An app process gets a folder of its own with a property.json naming its URI and the document's
 * packages; its runtime events come back as JSON lines on a pipe (fd 3), and reach the run's
 * stream like the studio app's own; so do samples of its counters (`--metrics-ms`), which join
 * the run's metrics, and its trace steps while the run traces (turned on and off by control lines
 * on a second pipe, fd 4: `--control`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AppSample, RuntimeEvent, TraceRecord } from '../../runtime';
import { TenClient } from '../../runtime/protocol/client';
import { parseMsgpackUri } from '../../runtime/protocol/transport';
import type { GraphDocument, RunAppInfo, TenGraph, TenPredefinedGraph, TraceSettings } from '../../shared';
import { parseJsonText } from '../../shared';

/** Where each app of a run's graphs runs. */
export interface AppPlan {
  /** The URI the studio's own app takes (its `ten.uri`). */
  own: string;
  /** Apps the studio starts as processes. */
  processes: string[];
  /** Apps already running that the engine connects to. */
  remote: string[];
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** The apps the nodes of the run's graphs name (inline graphs; an imported one counts as one app). */
export function graphApps(document: GraphDocument, graphs: readonly string[]): string[] {
  const all = (document.property.ten?.predefined_graphs ?? []) as TenPredefinedGraph[];
  const apps = new Set<string>();
  for (const g of all) {
    if (!graphs.includes(g.name) || !('nodes' in g.graph)) continue;
    for (const n of (g.graph as TenGraph).nodes ?? []) if (typeof n.app === 'string' && n.app !== '') apps.add(n.app);
  }
  return [...apps];
}

/**
 * Who runs what: the document's own `ten.uri` when the graph names it, else the first loopback
 * app not declared remote, runs in the studio; every other loopback app not declared remote is
 * started as a process; the rest are remote. Null for a graph in one app.
 */
export function planApps(document: GraphDocument, graphs: readonly string[], remoteApps: readonly string[] = []): AppPlan | null {
  const apps = graphApps(document, graphs);
  if (apps.length < 2) return null;
  const remoteSet = new Set(remoteApps);
  const loopback = (uri: string): boolean => {
    const p = parseMsgpackUri(uri);
    return !('error' in p) && LOOPBACK.has(p.host);
  };
  const docUri = document.property.ten?.uri;
  const own = typeof docUri === 'string' && apps.includes(docUri) ? docUri : apps.find((u) => loopback(u) && !remoteSet.has(u));
  if (own === undefined) throw new Error(`None of the graph's apps (${apps.join(', ')}) can run in the studio: each is remote or not on this machine (127.0.0.1).`);
  const processes = apps.filter((u) => u !== own && loopback(u) && !remoteSet.has(u));
  const remote = apps.filter((u) => u !== own && !processes.includes(u));
  return { own, processes, remote };
}

/** The CLI entry that runs an app (`ten-studio app`). */
const CLI = fileURLToPath(new URL('../../../bin/ten-studio.mjs', import.meta.url));

/** How long an app process may take to listen. */
const LISTEN_TIMEOUT_MS = 60_000;
/** How long an app process may take to exit after close_app before it is killed. */
const EXIT_TIMEOUT_MS = 15_000;

/** One app the studio started as a process of its own. */
export class AppProcess {
  readonly info: RunAppInfo;
  private readonly child: ChildProcess;
  private readonly dir: string;
  private output = '';
  readonly exited: Promise<number | null>;

  /**
   * Starts `ten-studio app` for `uri` with the packages of `appDir`; `onEvent` gets its runtime
   * events, `onState` its state changes; `telemetry.sample` a sample of its counters every
   * `telemetry.metricsMs`, `telemetry.trace` its trace batches (see `setTracing`).
   */
  constructor(
    uri: string,
    appDir: string | undefined,
    onEvent: (ev: RuntimeEvent) => void,
    private readonly onState: () => void,
    telemetry?: { metricsMs: number; sample: (sample: AppSample) => void; trace: (graphId: string, records: TraceRecord[], dropped: number) => void },
  ) {
    this.info = { uri, where: 'process', state: 'starting' };
    this.dir = mkdtempSync(join(tmpdir(), 'ten-studio-app-'));
    writeFileSync(join(this.dir, 'property.json'), JSON.stringify({ ten: { uri, long_running_mode: true } }, null, 2));
    const packages = appDir ? join(appDir, 'ten_packages') : undefined;
    if (packages && existsSync(packages)) symlinkSync(packages, join(this.dir, 'ten_packages'), 'dir');
    const more = telemetry ? ['--metrics-ms', String(telemetry.metricsMs), '--control', '/dev/fd/4'] : [];
    this.child = spawn(process.execPath, [CLI, 'app', this.dir, '--long-running', '--events', '/dev/fd/3', ...more], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', telemetry ? 'pipe' : 'ignore'],
      // Inside Electron, its binary runs the CLI as plain Node; the app ends with the studio
      // even when the studio is killed and can stop nothing (src/cli/lifetime.ts).
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', TEN_STUDIO_WATCH_PARENT: '1' },
    });
    this.info.pid = this.child.pid;
    const keep = (c: Buffer): void => {
      this.output = (this.output + c.toString()).slice(-8000);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    const events = this.child.stdio[3] as NodeJS.ReadableStream;
    createInterface({ input: events }).on('line', (line) => {
      let ev: unknown;
      try {
        ev = parseJsonText(line);
      } catch {
        return;
      }
      if (!ev || typeof ev !== 'object') return;
      if ('type' in ev) onEvent(ev as RuntimeEvent);
      else if (telemetry && 'sample' in ev) telemetry.sample((ev as { sample: AppSample }).sample);
      else if (telemetry && 'trace' in ev) {
        const t = (ev as { trace: { graphId: string; records: TraceRecord[]; dropped: number } }).trace;
        telemetry.trace(t.graphId, t.records, t.dropped);
      }
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        if (this.info.state === 'starting' || this.info.state === 'running') {
          this.info.state = code === 0 ? 'stopped' : 'failed';
          if (code !== 0) this.info.error = `The app exited with code ${code}: ${this.lastLines()}`;
          this.onState();
        }
        rmSync(this.dir, { recursive: true, force: true });
        resolve(code);
      }),
    );
  }

  /** Turns message tracing in the app on (`settings`) or off (null), for its running and later graphs. */
  setTracing(settings: TraceSettings | null): void {
    const control = this.child.stdio[4] as NodeJS.WritableStream | null;
    if (control && this.child.exitCode === null) control.write(`${JSON.stringify({ tracing: settings })}\n`);
  }

  private lastLines(): string {
    return this.output.trim().split('\n').slice(-6).join('\n');
  }

  /** Resolves once the app listens; rejects with its output when it exits or takes too long. */
  async listening(): Promise<void> {
    const deadline = Date.now() + LISTEN_TIMEOUT_MS;
    while (!/^Listening on /m.test(this.output)) {
      if (this.child.exitCode !== null) throw new Error(`The app ${this.info.uri} did not start: ${this.lastLines()}`);
      if (Date.now() > deadline) throw new Error(`The app ${this.info.uri} did not listen within ${LISTEN_TIMEOUT_MS / 1000} s: ${this.lastLines()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    this.info.state = 'running';
    this.onState();
  }

  /** close_app over the protocol, then a kill if it has not exited in time. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      const c = await TenClient.connect(this.info.uri);
      c.closeApp();
      await c.close();
    } catch {
      this.child.kill('SIGTERM');
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
    if (this.info.state === 'running' || this.info.state === 'starting') {
      this.info.state = 'stopped';
      this.onState();
    }
  }
}

/**
 * Stops the graph's part in an app the run did not start (a remote app): its graphs were started
 * long-running, so losing the studio's connection does not end them; a stop_graph does. Gives up
 * quietly after `ms` (the app may be gone).
 */
export async function stopRemotePart(uri: string, graphId: string, ms = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const attempt = (async () => {
    const c = await TenClient.connect(uri);
    try {
      await c.stopGraph(graphId);
    } finally {
      await c.close();
    }
  })().catch(() => undefined);
  await Promise.race([attempt, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
