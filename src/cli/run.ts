/**
 * `ten-studio run <app-dir | property.json> [--graph NAME] [--duration S] [--events FILE.jsonl]
 * [--record FILE [--trace EDGES] [--trace-sample N]] [--violation-policy fail|report|abort]
 * [--start-timeout S] [--stop-timeout S]`: runs an app's graph headless, prints its runtime
 * events, and exits 0 only when the run ended cleanly. A signal ends it at any point (lifetime.ts).
 */
import { createWriteStream, existsSync, statSync, type WriteStream } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { TenAppProperty } from '../shared/graph/types';
import { parseJsonText, stringifyJson } from '../shared/json/text';
import { App, type RuntimeEvent, type ViolationPolicy } from '../runtime';
import { BUILTIN_ADDONS_DIR } from '../runtime/addons';
import { readFailure, readRegularTextSync } from '../runtime/core/regular_file';
import { UsageError, type ParsedArgs } from './args';
import { CliRecorder, parseTraceOptions } from './record';
import type { TraceConfig } from '../runtime';
import { onStopRequest } from './lifetime';
import { appLogConfig, hangup, openAppLog } from './app-log';
import { formatEvent, RunOutcome } from './run-report';
import { CliTalk, parseStandIns, planCliRun, readAudioIn, type TalkOptions } from './talk';
import { blockersLeft } from '../host/runs/standins';
import { formatBlockers } from '../host/runnable';
import { randomUUID } from 'node:crypto';

export const RUN_VALUED = ['graph', 'duration', 'events', 'record', 'trace', 'trace-sample', 'violation-policy', 'start-timeout', 'stop-timeout', 'stand-in', 'audio-in', 'audio-out', 'audio-tail'];
/** Options of `run` that take no value. */
const RUN_FLAGS = ['trace-payloads', 'python-debug'];

const POLICIES: readonly ViolationPolicy[] = ['fail', 'report', 'abort'];
/** TEN log level INFO: logs below it are not printed (they still go to `--events`). */
/** Beyond the runtime's own stop timeout, how long the CLI waits for the app to close. */
const CLOSE_GRACE_MS = 10_000;

export interface RunOptions {
  propertyPath: string;
  appDir: string;
  graph?: string;
  durationMs?: number;
  eventsFile?: string;
  /** Recording file (events + metrics) for the studio and `ten-studio trace`. */
  recordFile?: string;
  /** Message tracing while recording (`--trace`), so the recording has handler slices and flows. */
  trace?: TraceConfig;
  policy: ViolationPolicy;
  /** The runtime's limit on each extension's creation and start phases (`--start-timeout`). */
  startTimeoutMs?: number;
  /** The runtime's limit on a group's stop (`--stop-timeout`). */
  stopTimeoutMs?: number;
  /** `--stand-in`, `--audio-in`, `--audio-out`. */
  talk: TalkOptions;
  /** `--python-debug[=PORT]`: debug the Python extensions (the port of the first process, else TEN's variable or default). */
  pythonDebug?: { port?: number };
}

/** A `--<key> S` option in seconds (a positive number up to a day), as milliseconds. */
function secondsOption(args: ParsedArgs, key: string): number | undefined {
  const raw = args.options.get(key);
  if (raw === undefined) return undefined;
  const seconds = typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(seconds > 0 && seconds <= 86_400)) throw new UsageError(`--${key} must be a positive number of seconds (at most 86400).`);
  return Math.round(seconds * 1000);
}

/** Reads and checks the command line; every mistake is a `UsageError` with the fix in its text. */
export function runOptions(args: ParsedArgs): RunOptions {
  const [target, ...extra] = args.positionals;
  if (!target) throw new UsageError('Name an app folder or its property.json: ten-studio run <app-dir | property.json>.');
  if (extra.length) throw new UsageError(`Unexpected argument "${extra[0]}".`);
  for (const key of args.options.keys()) {
    if (!RUN_VALUED.includes(key) && !RUN_FLAGS.includes(key)) throw new UsageError(`Unknown option --${key}.`);
  }
  const full = resolve(target);
  if (!existsSync(full)) throw new UsageError(`${target} does not exist.`);
  const propertyPath = statSync(full).isDirectory() ? join(full, 'property.json') : full;
  if (!existsSync(propertyPath)) throw new UsageError(`${target} has no property.json.`);

  const opts: RunOptions = { propertyPath, appDir: dirname(propertyPath), policy: 'fail', talk: { standIns: parseStandIns(args.options.get('stand-in')) } };
  const audioIn = args.options.get('audio-in');
  if (audioIn !== undefined) {
    if (typeof audioIn !== 'string') throw new UsageError('--audio-in needs a WAV file.');
    opts.talk.audioIn = readAudioIn(audioIn);
  }
  const tail = args.options.get('audio-tail');
  if (tail !== undefined) {
    const seconds = typeof tail === 'string' && /^\d+(\.\d+)?$/.test(tail) ? Number(tail) : NaN;
    if (!(seconds >= 0 && seconds <= 3600)) throw new UsageError('--audio-tail must be a number of seconds from 0 to 3600.');
    if (audioIn === undefined) throw new UsageError('--audio-tail says when the talk ends after --audio-in: add --audio-in FILE.wav.');
    opts.talk.tailMs = seconds * 1000;
  }
  const audioOut = args.options.get('audio-out');
  if (audioOut !== undefined) {
    if (typeof audioOut !== 'string') throw new UsageError('--audio-out needs a file name.');
    opts.talk.audioOut = resolve(audioOut);
    if (!existsSync(dirname(opts.talk.audioOut))) throw new UsageError(`--audio-out: the folder ${dirname(opts.talk.audioOut)} does not exist.`);
  }
  const graph = args.options.get('graph');
  if (typeof graph === 'string') opts.graph = graph;
  const duration = args.options.get('duration');
  if (duration !== undefined) {
    const seconds = typeof duration === 'string' && /^\d+(\.\d+)?$/.test(duration) ? Number(duration) : NaN;
    if (!(seconds > 0 && seconds <= 31_536_000)) throw new UsageError('--duration must be a positive number of seconds.');
    opts.durationMs = seconds * 1000;
  }
  const events = args.options.get('events');
  if (typeof events === 'string') {
    opts.eventsFile = resolve(events);
    if (!existsSync(dirname(opts.eventsFile))) throw new UsageError(`--events: the folder ${dirname(opts.eventsFile)} does not exist.`);
  }
  const record = args.options.get('record');
  if (record !== undefined) {
    if (typeof record !== 'string') throw new UsageError('--record needs a file name.');
    opts.recordFile = resolve(record);
    if (!existsSync(dirname(opts.recordFile))) throw new UsageError(`--record: the folder ${dirname(opts.recordFile)} does not exist.`);
  }
  const trace = parseTraceOptions(args.options.get('trace'), args.options.get('trace-sample'));
  if (trace) {
    if (!opts.recordFile) throw new UsageError('--trace records into the recording: add --record FILE.');
    opts.trace = trace;
    if (args.options.get('trace-payloads') !== undefined) opts.trace.payloads = true;
  } else if (args.options.get('trace-payloads') !== undefined) throw new UsageError('--trace-payloads keeps what traced messages carried: add --trace EDGES.');
  const policy = args.options.get('violation-policy');
  if (policy !== undefined) {
    if (!POLICIES.includes(policy as ViolationPolicy)) throw new UsageError(`--violation-policy must be one of ${POLICIES.join(', ')}.`);
    opts.policy = policy as ViolationPolicy;
  }
  const startTimeoutMs = secondsOption(args, 'start-timeout');
  if (startTimeoutMs !== undefined) opts.startTimeoutMs = startTimeoutMs;
  const stopTimeoutMs = secondsOption(args, 'stop-timeout');
  if (stopTimeoutMs !== undefined) opts.stopTimeoutMs = stopTimeoutMs;
  const debug = args.options.get('python-debug');
  if (debug === true) opts.pythonDebug = {};
  else if (debug !== undefined) {
    const port = /^\d+$/.test(debug) ? Number(debug) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new UsageError(`--python-debug=${debug}: the port must be an integer from 1 to 65535.`);
    opts.pythonDebug = { port };
  }
  return opts;
}

/** The graphs to start: the one named, else the `auto_start` ones. */
export function chooseGraphs(property: TenAppProperty, file: string, graph: string | undefined): string[] {
  const names = (property.ten?.predefined_graphs ?? []).map((g) => g.name);
  const list = names.length ? names.join(', ') : 'none';
  if (graph !== undefined) {
    if (!names.includes(graph)) throw new UsageError(`${file} has no predefined graph "${graph}" (graphs: ${list}).`);
    return [graph];
  }
  const auto = (property.ten?.predefined_graphs ?? []).filter((g) => g.auto_start).map((g) => g.name);
  if (auto.length === 0) throw new UsageError(`${file} has no auto_start graph; pick one with --graph NAME (graphs: ${list}).`);
  return auto;
}

/**
 * The app's property.json, read before anything starts: a file that cannot be read (a FIFO, a
 * device, one past 128 MiB, no permission) or is not a JSON object is a usage error naming it.
 */
export function readProperty(path: string): TenAppProperty {
  let text: string;
  try {
    text = readRegularTextSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${readFailure(e)}`);
  }
  let value: unknown;
  try {
    value = parseJsonText(text);
  } catch (e) {
    throw new UsageError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${path} must hold a JSON object.`);
  return value as TenAppProperty;
}

export { logLevelOf } from './app-log';

/** Why the run is ending. */
type EndReason = 'duration' | 'interrupt' | 'app_closed' | 'graphs_stopped' | 'start_failed' | 'audio_done';

export async function run(args: ParsedArgs): Promise<number> {
  const opts = runOptions(args);
  const property = readProperty(opts.propertyPath);
  const graphs = chooseGraphs(property, basename(opts.propertyPath), opts.graph);
  const logConfig = appLogConfig(property, opts.propertyPath, opts.appDir);
  const minLogLevel = logConfig.terminalLevel;
  let tenLog: ReturnType<typeof openAppLog> = null;

  const events: WriteStream | undefined = opts.eventsFile ? createWriteStream(opts.eventsFile) : undefined;
  const outcome = new RunOutcome();
  events?.on('error', (err) => outcome.fail(`cannot write ${opts.eventsFile}: ${err.message}`));
  const t0 = Date.now();
  const running = new Set<string>();
  let end!: (reason: EndReason) => void;
  const ended = new Promise<EndReason>((r) => (end = r));

  const onEvent = (e: RuntimeEvent): void => {
    if (events && !events.writableEnded) events.write(`${stringifyJson(e)}\n`);
    outcome.observe(e);
    tenLog?.write(e);
    const line = formatEvent(e, t0, minLogLevel);
    if (line) (line.stderr ? process.stderr : process.stdout).write(`${line.text}\n`);
    if (e.type === 'graph') {
      if (e.state === 'started') running.add(e.graphId);
      else if (e.state === 'stopped' && running.delete(e.graphId) && running.size === 0) end('graphs_stopped');
    } else if (e.type === 'app_closed') end('app_closed');
  };

  const plan = await planCliRun({ runId: randomUUID(), propertyPath: opts.propertyPath, appDir: opts.appDir, property, graphs, talk: opts.talk });
  for (const w of plan.warnings) process.stderr.write(`${w}\n`);
  for (const s of plan.standIns) process.stdout.write(`Stand-in: ${s.node} (${s.addon}) runs as ${s.summary}.\n`);
  // Later folders win on a name clash: the app's own packages override the built-ins.
  const addonDirs = [BUILTIN_ADDONS_DIR, join(opts.appDir, 'ten_packages', 'extension')];
  // Every node that cannot run here and has no stand-in, each with its reason, before anything
  // starts (as the studio's Run refuses), rather than the runtime's first "not installed".
  const { blockers, nodes } = blockersLeft(plan, property, graphs, opts.appDir, addonDirs);
  if (blockers.length) {
    const failures = blockers.map((b) => `${b.node} (${b.addon}) cannot run here: ${b.reason}`);
    process.stderr.write(
      `Run refused: ${formatBlockers(blockers, nodes)}\n` +
        'Nothing was started. Give each a stand-in (--stand-in NODE=interface, see --help) or install its package.\n',
    );
    events?.write(`${JSON.stringify({ type: 'run_end', ts: Date.now(), reason: 'start_failed', exit_code: 1, failures })}\n`);
    await flush(events);
    return 1;
  }
  tenLog = openAppLog(logConfig);
  const app = new App({
    property: opts.propertyPath,
    appDir: opts.appDir,
    addonDirs,
    violationPolicy: opts.policy,
    onEvent,
    ...(opts.startTimeoutMs !== undefined ? { startTimeoutMs: opts.startTimeoutMs } : {}),
    ...(opts.stopTimeoutMs !== undefined ? { stopTimeoutMs: opts.stopTimeoutMs } : {}),
    ...(Object.keys(plan.replaceNodes).length ? { replaceNodes: plan.replaceNodes } : {}),
    ...(plan.transports.length ? { textTap: true } : {}),
    ...(opts.pythonDebug ? { pythonDebug: opts.pythonDebug } : {}),
  });
  const recorder = opts.recordFile ? new CliRecorder(app, opts.propertyPath, opts.trace ?? null) : undefined;
  const talk = plan.roles
    ? new CliTalk(
        app,
        plan,
        opts.talk,
        t0,
        (line) => {
          if (events && !events.writableEnded) events.write(`${stringifyJson(line)}\n`);
        },
        recorder ? (ev) => recorder.addTalk(ev) : undefined,
      )
    : undefined;

  // A signal (or the parent ending) stops the run at any point, the graphs' start included.
  const offStop = onStopRequest((why) => {
    process.stderr.write(`Stopping (${why}; press Ctrl-C again to abandon the orderly stop)…\n`);
    end('interrupt');
  }, 'Interrupted twice: exiting without waiting for the graph to stop.', hangup(tenLog));

  let timer: NodeJS.Timeout | undefined;
  try {
    const starting = (async () => {
      for (const name of graphs) {
        try {
          await app.startGraph(name);
        } catch (e) {
          // The runtime already emitted start_failed with the details; this covers errors before it.
          if (outcome.reasons.length === 0) outcome.fail(`graph ${name} failed to start: ${(e as Error).message.split('\n')[0]}`);
          end('start_failed');
          return;
        }
      }
      // The duration counts from the graphs' start: a slow start does not eat the run.
      if (opts.durationMs !== undefined) timer = setTimeout(() => end('duration'), opts.durationMs);
      if (talk && running.size > 0) {
        void talk.talk().then(
          () => end('audio_done'),
          (e: unknown) => {
            outcome.fail(`talking to the graph failed: ${(e as Error).message}`);
            end('audio_done');
          },
        );
      }
    })();
    const reason = await ended;
    clearTimeout(timer);
    talk?.stop();
    await recorder?.lastSample();
    const closed = await closeWithin(app, CLOSE_GRACE_MS + app.stopTimeoutMs);
    if (!closed) outcome.fail(`the app did not close within ${CLOSE_GRACE_MS + app.stopTimeoutMs} ms`);
    // A start the stop interrupted has failed by now; its failure belongs in the summary.
    if (closed) await starting;
    clearTimeout(timer);
    const leaks = Object.entries(app.live()).filter(([, n]) => n > 0);
    if (closed && leaks.length) outcome.fail(`runtime objects still alive after close: ${leaks.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    for (const problem of (await talk?.finish()) ?? []) outcome.fail(problem);

    if (recorder) {
      try {
        const bytes = await recorder.save(opts.recordFile!, outcome.exitCode() === 0, outcome.reasons);
        process.stdout.write(`Recorded the run to ${opts.recordFile} (${bytes} bytes).\n`);
      } catch (e) {
        outcome.fail(`cannot write the recording ${opts.recordFile}: ${(e as Error).message}`);
      }
    }
    const code = outcome.exitCode();
    const summary = { type: 'run_end', ts: Date.now(), reason, exit_code: code, failures: outcome.reasons };
    events?.write(`${JSON.stringify(summary)}\n`);
    if (code === 0) process.stdout.write(`Run ended cleanly (${reason}).\n`);
    else process.stderr.write(`Run failed (${reason}):\n${outcome.reasons.map((r) => `  - ${r}`).join('\n')}\n`);
    if (!closed) {
      await flush(events);
      await tenLog?.close();
      // Workers that ignored the stop would keep the process alive forever.
      process.exit(code);
    }
    return code;
  } finally {
    clearTimeout(timer);
    offStop();
    await flush(events);
    await tenLog?.close();
  }
}

async function closeWithin(app: App, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([app.close().then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function flush(stream: WriteStream | undefined): Promise<void> {
  if (!stream || stream.closed || stream.writableFinished) return Promise.resolve();
  return new Promise((r) => stream.end(r));
}
