/**
 * `ten-studio app <app-dir | property.json>`: runs an app as TEN's app binary does. It listens
 * on its `ten.uri` (TEN's msgpack protocol), starts its `auto_start` graphs, serves start_graph,
 * cmds and close_app from clients and other apps, and exits on close_app, on SIGINT/SIGTERM or
 * its npm/studio parent ending (lifetime.ts), or when its last graph ends unless
 * `ten.long_running_mode` is true; SIGHUP reopens its `ten.log` files, as TEN's app does. It
 * prints what `run` prints, plus the app's connections; its `ten.log` handlers get its logs.
 */
import { createReadStream, createWriteStream, existsSync, statSync, type WriteStream } from 'node:fs';
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { parseJsonText, stringifyJson } from '../shared/json/text';
import { App, type RuntimeEvent, type TraceConfig, type ViolationPolicy } from '../runtime';
import { BUILTIN_ADDONS_DIR } from '../runtime/addons';
import { listensOn, parseMsgpackUri } from '../runtime/protocol/transport';
import { UsageError, type ParsedArgs } from './args';
import { readProperty } from './run';
import { appLogConfig, hangup, openAppLog } from './app-log';
import { onStopRequest } from './lifetime';
import { formatEvent, RunOutcome } from './run-report';

export const APP_VALUED = ['events', 'violation-policy', 'metrics-ms', 'control'];

const POLICIES: readonly ViolationPolicy[] = ['fail', 'report', 'abort'];

interface AppCliOptions {
  propertyPath: string;
  appDir: string;
  eventsFile?: string;
  policy: ViolationPolicy;
  longRunning: boolean;
  /** With --events: a sample of the app's counters every this many ms (0: none). */
  metricsMs: number;
  /** Control lines (tracing settings) to read while the app runs. */
  controlFile?: string;
}

/** The fastest sampling `--metrics-ms` takes (a sample asks every group thread for its counters). */
const MIN_METRICS_MS = 20;

function appOptions(args: ParsedArgs): AppCliOptions {
  const [target, ...extra] = args.positionals;
  if (!target) throw new UsageError('Name an app folder or its property.json: ten-studio app <app-dir | property.json>.');
  if (extra.length) throw new UsageError(`Unexpected argument "${extra[0]}".`);
  for (const key of args.options.keys()) {
    if (!APP_VALUED.includes(key) && key !== 'long-running') throw new UsageError(`Unknown option --${key}.`);
  }
  const full = resolve(target);
  if (!existsSync(full)) throw new UsageError(`${target} does not exist.`);
  const propertyPath = statSync(full).isDirectory() ? join(full, 'property.json') : full;
  if (!existsSync(propertyPath)) throw new UsageError(`${target} has no property.json.`);
  const opts: AppCliOptions = { propertyPath, appDir: dirname(propertyPath), policy: 'fail', longRunning: args.options.get('long-running') === true, metricsMs: 0 };
  const events = args.options.get('events');
  if (typeof events === 'string') {
    opts.eventsFile = resolve(events);
    if (!existsSync(dirname(opts.eventsFile))) throw new UsageError(`--events: the folder ${dirname(opts.eventsFile)} does not exist.`);
  }
  const metrics = args.options.get('metrics-ms');
  if (metrics !== undefined) {
    const ms = Number(metrics);
    if (!Number.isInteger(ms) || ms < MIN_METRICS_MS) throw new UsageError(`--metrics-ms must be a whole number of milliseconds, at least ${MIN_METRICS_MS}.`);
    if (opts.eventsFile === undefined) throw new UsageError('--metrics-ms needs --events: the samples are written there.');
    opts.metricsMs = ms;
  }
  const control = args.options.get('control');
  if (control !== undefined) {
    if (typeof control !== 'string') throw new UsageError('--control needs a file (/dev/fd/N: a descriptor the parent gave).');
    if (opts.eventsFile === undefined) throw new UsageError('--control needs --events: what it turns on (traces) is written there.');
    opts.controlFile = control;
  }
  const policy = args.options.get('violation-policy');
  if (policy !== undefined) {
    if (!POLICIES.includes(policy as ViolationPolicy)) throw new UsageError(`--violation-policy must be one of ${POLICIES.join(', ')}.`);
    opts.policy = policy as ViolationPolicy;
  }
  return opts;
}

export async function appCommand(args: ParsedArgs): Promise<number> {
  const opts = appOptions(args);
  const property = readProperty(opts.propertyPath);
  const uri = property.ten?.uri ?? '';
  if (!listensOn(uri)) {
    throw new UsageError(`${opts.propertyPath} has no ten.uri to listen on (for example "msgpack://127.0.0.1:8001/"); use ten-studio run to run a graph without one.`);
  }
  const parsed = parseMsgpackUri(uri);
  if ('error' in parsed) throw new UsageError(parsed.error);
  const logConfig = appLogConfig(property, opts.propertyPath, opts.appDir);
  const minLogLevel = logConfig.terminalLevel;
  // `/dev/fd/N` is written through the descriptor itself: a pipe a parent gave (a socket pair)
  // cannot be opened by path.
  const fd = opts.eventsFile ? /^\/dev\/fd\/(\d+)$/.exec(opts.eventsFile) : null;
  const events: WriteStream | undefined = fd ? createWriteStream('', { fd: Number(fd[1]) }) : opts.eventsFile ? createWriteStream(opts.eventsFile) : undefined;
  const outcome = new RunOutcome();
  events?.on('error', (err) => outcome.fail(`cannot write ${opts.eventsFile}: ${err.message}`));
  const t0 = Date.now();
  let reason = 'graphs_ended';
  /** Message tracing asked for over --control, applied to each graph as it starts too. */
  let tracing: TraceConfig | null = null;
  const onEvent = (e: RuntimeEvent): void => {
    if (e.type === 'log' && e.message.startsWith('close_app from ') && reason !== 'interrupt') reason = 'close_app';
    if (e.type === 'graph' && e.state === 'started' && tracing) app.setTrace(e.graphId, tracing);
    if (events && !events.writableEnded) events.write(`${stringifyJson(e)}\n`);
    outcome.observe(e);
    tenLog?.write(e);
    const line = formatEvent(e, t0, minLogLevel);
    if (line) (line.stderr ? process.stderr : process.stdout).write(`${line.text}\n`);
  };
  const tenLog = openAppLog(logConfig);
  const app = new App({
    property: opts.propertyPath,
    appDir: opts.appDir,
    addonDirs: [BUILTIN_ADDONS_DIR, join(opts.appDir, 'ten_packages', 'extension')],
    violationPolicy: opts.policy,
    // TEN's default: the app exits when its last graph ends, unless long_running_mode; its own
    // graphs end when a client that joined them leaves.
    longRunning: opts.longRunning || property.ten?.long_running_mode === true,
    longRunningGraphs: opts.longRunning,
    onEvent,
  });

  // A signal, or the parent ending (the studio that started this app as a process), closes it.
  const offStop = onStopRequest((why) => {
    reason = 'interrupt';
    process.stderr.write(`Closing the app (${why}; press Ctrl-C again to exit at once)…\n`);
    void app.close();
  }, 'Interrupted twice: exiting without waiting for the app to close.', hangup(tenLog));
  let stopSampling = (): void => {};
  try {
    try {
      await app.listen();
    } catch (e) {
      process.stderr.write(`ten-studio app: ${(e as Error).message}\n`);
      return 2;
    }
    process.stdout.write(`Listening on ${uri}\n`);
    if (events && opts.metricsMs > 0) stopSampling = sampleInto(app, events, opts.metricsMs);
    if (events && opts.controlFile) {
      const offTrace = app.onTrace((graphId, records, dropped) => {
        if (!events.writableEnded) events.write(`${stringifyJson({ trace: { graphId, records, dropped } })}\n`);
      });
      const stopControl = readControl(opts.controlFile, (t) => {
        tracing = t;
        for (const id of app.graphs()) app.setTrace(id, t);
      });
      const before = stopSampling;
      stopSampling = () => {
        before();
        stopControl();
        offTrace();
      };
    }
    try {
      await app.startAutoGraphs();
    } catch (e) {
      outcome.fail(`an auto_start graph failed to start: ${(e as Error).message.split('\n')[0]}`);
      reason = 'start_failed';
      await app.close();
    }
    await app.closed;
    const leaks = Object.entries(app.live()).filter(([, n]) => n > 0);
    if (leaks.length) outcome.fail(`runtime objects still alive after close: ${leaks.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    const code = outcome.exitCode();
    events?.write(`${JSON.stringify({ type: 'app_end', ts: Date.now(), reason, exit_code: code, failures: outcome.reasons })}\n`);
    if (code === 0) process.stdout.write(`App closed cleanly (${reason}).\n`);
    else process.stderr.write(`App closed with failures (${reason}):\n${outcome.reasons.map((r) => `  - ${r}`).join('\n')}\n`);
    return code;
  } finally {
    stopSampling();
    offStop();
    if (events && !events.writableFinished) await new Promise<void>((r) => events.end(r));
    await tenLog?.close();
  }
}

/**
 * Writes a sample of the app's counters (`App.sample()`: its graphs' groups, extensions, channels
 * and its connections) to the events stream every `ms`, as a line `{"sample": …}` next to the
 * events: the studio that started this app as a process turns them into the run's metrics. A
 * sample still in flight (a busy thread) skips the next tick rather than pile up; nothing is
 * written while the app has neither graphs nor connections. Returns the stop.
 */
function sampleInto(app: App, events: WriteStream, ms: number): () => void {
  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    app.sample().then(
      (sample) => {
        inFlight = false;
        if (events.writableEnded || (sample.graphs.length === 0 && (sample.connections?.length ?? 0) === 0)) return;
        events.write(`${stringifyJson({ sample })}\n`);
      },
      // Only a closing app fails to sample; its last events say why.
      () => (inFlight = false),
    );
  }, ms);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Reads control lines from `file` while the app runs: `{"tracing": <settings> | null}` turns
 * message tracing on (for every graph, and each graph that starts later) or off; the trace
 * batches go to the events stream as lines `{"trace": {graphId, records, dropped}}`. A line that
 * is not one of these is reported with its number and skipped. Returns the stop.
 */
function readControl(file: string, onTracing: (t: TraceConfig | null) => void): () => void {
  const fd = /^\/dev\/fd\/(\d+)$/.exec(file);
  // A descriptor the parent gave is a socket pair: read it as one, so no pool thread blocks on it.
  const input: NodeJS.ReadableStream & { destroy(): void } = fd ? new Socket({ fd: Number(fd[1]), readable: true, writable: false }) : createReadStream(file);
  input.on('error', (err: Error) => process.stderr.write(`ten-studio app: --control ${file}: ${err.message}\n`));
  let n = 0;
  createInterface({ input }).on('line', (line) => {
    n++;
    if (line.trim() === '') return;
    const bad = (why: string) => process.stderr.write(`ten-studio app: --control ${file} line ${n}: ${why}; ignored.\n`);
    let msg: unknown;
    try {
      msg = parseJsonText(line);
    } catch (e) {
      bad(`not JSON (${(e as Error).message})`);
      return;
    }
    if (typeof msg !== 'object' || msg === null || !('tracing' in msg)) return bad('expected {"tracing": {edges, sampleEvery} | null}');
    const t = (msg as { tracing: unknown }).tracing;
    const why = t === null ? null : traceConfigProblem(t);
    if (why) return bad(why);
    onTracing(t as TraceConfig | null);
  });
  if (input instanceof Socket) input.unref();
  return () => input.destroy();
}

/** What is wrong with tracing settings read from a control line (null: nothing). */
function traceConfigProblem(t: unknown): string | null {
  if (typeof t !== 'object' || t === null) return '"tracing" must be an object or null';
  const { edges, sampleEvery, payloads } = t as Record<string, unknown>;
  if (!Array.isArray(edges) || !edges.every((e) => typeof e === 'object' && e !== null && Object.values(e as object).every((v) => typeof v === 'string'))) {
    return '"tracing.edges" must be a list of {src?, dest?} with extension names';
  }
  if (!Number.isInteger(sampleEvery) || (sampleEvery as number) < 1 || (sampleEvery as number) > 1_000_000) return '"tracing.sampleEvery" must be an integer from 1 to 1000000';
  if (payloads !== undefined && typeof payloads !== 'boolean') return '"tracing.payloads" must be true or false';
  return null;
}
