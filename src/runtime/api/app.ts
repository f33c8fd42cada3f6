/**
 * TEN's `App` for a program that runs an app itself (TEN's Node.js apps, and the `FakeApp` of
 * TEN's extension test setups): `run()` runs the app of the app base dir until it closes,
 * calling `onConfigure`, `onInit` and `onDeinit` around it; `close()` asks it to close.
 *
 * Under it is the runtime's App (app/app.ts), on this thread, with its graphs on worker threads.
 * As in TEN, `run()` loads `<base>/property.json`, lets `onConfigure` change it
 * (`initPropertyFromJson`), imports the addons (`AddonManager.loadAllAddons`), calls `onInit`,
 * listens on `ten.uri` (TEN's msgpack protocol), starts the `auto_start` predefined graphs, and
 * resolves after `onDeinit` once the app closed (by `close()` or a `ten:close_app` cmd). TEN's
 * default `long_running_mode` applies: an app whose last graph stopped closes.
 *
 * Logs: the app's `ten.log` level becomes the process's console log level (app/console_log.ts);
 * errors, violations and terminated threads are always printed on stderr. When `ten.log` has
 * `handlers` (as `onConfigure` leaves it), the log records go to them instead, as in TEN and
 * `ten-studio app` (app/ten_log.ts: matchers, plain/json formatters, console and file emitters),
 * and while the app runs SIGHUP reopens their files (what logrotate relies on) instead of ending
 * the process. A log configuration with problems makes `run()` reject, each problem located.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AddonManager } from './addon_manager';
import { findAppBaseDir } from './base_dir';
import { parseJsonArg, TEN_IS_CLOSED_TEXT, TenError, TenErrorCode } from './error';
import type { LogLevel } from './log_level';
import { TenEnv, type EnvBackend } from './ten_env';
import { deepMerge, getProp, setProp, type PropObject } from '../core/props';
import { readFileText } from '../core/regular_file';
import type { RuntimeEvent } from '../core/protocol';
import { configuredLogLevel } from '../../shared/graph/log-config';
import type { TenAppProperty } from '../../shared/graph/types';
import { parseJsonText } from '../../shared/json/text';

type RuntimeApp = import('../app/app').App;

/** The app's own `ten_env`: its properties and its log; messages are sent by extensions. */
class AppEnv implements EnvBackend {
  props: PropObject;
  closed = false;
  print: (ev: RuntimeEvent) => void = () => undefined;

  constructor(props: PropObject) {
    this.props = props;
  }

  private check(): TenError | undefined {
    return this.closed ? new TenError(TenErrorCode.ErrorCodeTenIsClosed, TEN_IS_CLOSED_TEXT) : undefined;
  }

  private noMessages(): TenError {
    return this.check() ?? new TenError(TenErrorCode.ErrorCodeGeneric, "The app's ten_env sends no messages: send them from an extension.");
  }

  sendCmd(): TenError | undefined {
    return this.noMessages();
  }

  sendMsg(): TenError | undefined {
    return this.noMessages();
  }

  returnResult(): TenError | undefined {
    return this.noMessages();
  }

  getProperty(path: string): [unknown, TenError | undefined] {
    const err = this.check();
    if (err) return [undefined, err];
    const v = path === '' ? this.props : getProp(this.props, path);
    return v === undefined ? [undefined, new TenError(TenErrorCode.ErrorCodeGeneric, `The property '${path}' does not exist.`)] : [v, undefined];
  }

  setProperty(path: string, value: unknown): TenError | undefined {
    return this.check() ?? (setProp(this.props, path, value) ? undefined : new TenError(TenErrorCode.ErrorCodeInvalidArgument, `Invalid property path '${path}'.`));
  }

  initPropertyFromJson(json: string): TenError | undefined {
    const err = this.check();
    if (err) return err;
    const [v, jsonErr] = parseJsonArg(json);
    if (jsonErr) return jsonErr;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return new TenError(TenErrorCode.ErrorCodeInvalidJSON, 'The JSON must be an object.');
    this.props = deepMerge(this.props, v as PropObject);
    return undefined;
  }

  log(level: LogLevel, message: string, category: string | undefined, fields: unknown): TenError | undefined {
    const err = this.check();
    if (err) return err;
    this.print({ type: 'log', ts: Date.now(), graphId: '', extension: '', level, message, category, fields });
    return undefined;
  }
}

function readAppProperty(baseDir: string): PropObject {
  const file = join(baseDir, 'property.json');
  if (!existsSync(file)) return {};
  const text = readFileText(file);
  let v: unknown;
  try {
    v = parseJsonText(text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${file} must hold a JSON object.`);
  return v as PropObject;
}

export class App {
  private _started = false;
  private _closeRequested = false;
  private _runtime: RuntimeApp | null = null;

  /** Runs the app until it closes; rejects when it cannot start (no app base dir, bad property.json). */
  async run(): Promise<void> {
    if (this._started) throw new Error('App.run() was called twice on the same App.');
    this._started = true;
    const baseDir = findAppBaseDir();
    const env = new AppEnv(readAppProperty(baseDir));
    const tenEnv = new TenEnv(env);
    const [{ App: Runtime }, { consoleEvents, consoleLine, setConsoleLogLevel }, { parseTenLog, TenLogEmitters }] = await Promise.all([
      import('../app/app'),
      import('../app/console_log'),
      import('../app/ten_log'),
    ]);
    env.print = consoleEvents();
    // property.json's log configuration applies from onConfigure on, what onConfigure sets after it.
    const applyLogLevel = (): void => {
      const level = configuredLogLevel(env.props as TenAppProperty);
      if (level !== undefined) setConsoleLogLevel(level);
    };
    applyLogLevel();
    await this.onConfigure(tenEnv);
    applyLogLevel();
    const logConfig = parseTenLog((env.props as TenAppProperty).ten?.log, baseDir);
    if (logConfig.errors.length) throw new Error(`${join(baseDir, 'property.json')}: the log configuration is not valid:\n${logConfig.errors.map((e) => `  - ${e}`).join('\n')}`);
    for (const w of logConfig.warnings) process.stderr.write(`${join(baseDir, 'property.json')}: ${w}.\n`);
    const handlers = Array.isArray((env.props as { ten?: { log?: { handlers?: unknown } } }).ten?.log?.handlers) ? logConfig.handlers : null;
    const tenLog = handlers ? new TenLogEmitters(handlers, (problem) => process.stderr.write(`ten-runtime: ${problem}; the app goes on without it.\n`)) : null;
    const reopen = (): void => tenLog?.reopen();
    if (tenLog) {
      // Log records go to the handlers; what is never noise (errors, violations) still reaches stderr.
      env.print = (ev) => {
        tenLog.write(ev);
        const line = consoleLine(ev, Infinity);
        if (line) process.stderr.write(`${line.text}\n`);
      };
      if (tenLog.fileCount > 0) process.on('SIGHUP', reopen);
    }
    try {
      await AddonManager.getInstance().loadAllAddons();
      const property = env.props as TenAppProperty;
      // TEN's defaults, as its app binary (and `ten-studio app`): the app ends with its last graph
      // unless ten.long_running_mode, and its graphs end when a client that joined them leaves.
      const runtime = new Runtime({
        property,
        appDir: baseDir,
        longRunning: property.ten?.long_running_mode === true,
        longRunningGraphs: false,
        onEvent: (ev) => env.print(ev),
      });
      this._runtime = runtime;
      if (this._closeRequested) void runtime.close();
      try {
        await this.onInit(tenEnv);
        // Listens on ten.uri when it names one (msgpack://host:port/); an app that cannot listen
        // closes itself, as in TEN (the reason is printed as an error).
        const listening = this._closeRequested || (await runtime.listen().then(() => true, () => false));
        if (!this._closeRequested && listening) {
          // An auto_start graph that cannot start closes the app, as TEN's app binary (and
          // `ten-studio app`) does; the reason is printed.
          await runtime.startAutoGraphs().catch((e: unknown) => {
            env.print({ type: 'error', ts: Date.now(), graphId: '', extension: '', phase: 'start_graph', message: String(e), stack: e instanceof Error ? (e.stack ?? e.message) : String(e) });
            void runtime.close();
          });
        }
      } catch (e) {
        await runtime.close();
        throw e;
      }
      // The app runs until it closes, graphs or none (TEN's app thread holds the process the same
      // way): a pending promise alone would let Node exit as soon as nothing else is scheduled.
      const keepAlive = setInterval(() => undefined, 2 ** 30);
      try {
        await runtime.closed;
      } finally {
        clearInterval(keepAlive);
      }
      try {
        await this.onDeinit(tenEnv);
      } finally {
        env.closed = true;
      }
    } finally {
      process.off('SIGHUP', reopen);
      await tenLog?.close();
    }
  }

  /** Asks the running app to close (stops its graphs); `run()` resolves once it has. */
  async close(): Promise<void> {
    this._closeRequested = true;
    if (this._runtime) void this._runtime.close();
  }

  async onConfigure(_tenEnv: TenEnv): Promise<void> {}
  async onInit(_tenEnv: TenEnv): Promise<void> {}
  async onDeinit(_tenEnv: TenEnv): Promise<void> {}
}
