/* eslint-disable @typescript-eslint/no-explicit-any -- log `fields` keep TEN's declared type, so code typed against TEN compiles here. */
import { fileURLToPath } from 'node:url';
import { BroadcastChannel } from 'node:worker_threads';
import { findAppBaseDir } from './base_dir';
import { TenError, TenErrorCode } from './error';
import { LogLevel } from './log_level';
import { DefaultLogOption, type LogOption } from './log_option';
import { AudioFrame, Cmd, CmdResult, Data, VideoFrame, wrapWire } from './msg';
import type { SendOptions } from './send_options';
import { logFields, type Value } from './value';
import type { WireMsg } from '../core/wire';
import type { RuntimeEvent } from '../core/protocol';
import { parseJsonText } from '../../shared/json/text';
import type { ToProxy, ToTester } from '../tester/protocol';


type Pending = { kind: 'cmd'; onResult: (r: CmdResult | undefined, e: TenError | undefined) => void } | { kind: 'msg'; done: (e: TenError | undefined) => void };

/** The tester's handle while a test runs (TEN `TenEnvTester`). */
export class TenEnvTester {
  /** @internal */
  private readonly t: ExtensionTester;

  /** @internal */
  constructor(tester: ExtensionTester) {
    this.t = tester;
  }

  /** Sends a cmd to the extension under test; resolves with its (final) result. */
  async sendCmd(cmd: Cmd): Promise<[CmdResult | undefined, TenError | undefined]> {
    return new Promise((resolve) => {
      cmd._sent = true;
      this.t._send(cmd._w, { kind: 'cmd', onResult: (r, e) => (e || !r || r.isFinal() ? resolve([r, e]) : undefined) });
    });
  }

  /** Sends data to the extension under test; resolves with the routing error, if any. */
  async sendData(data: Data, _options?: SendOptions): Promise<TenError | undefined> {
    return this.sendOther(data._w);
  }

  async sendVideoFrame(videoFrame: VideoFrame, _options?: SendOptions): Promise<TenError | undefined> {
    return this.sendOther(videoFrame._w);
  }

  async sendAudioFrame(audioFrame: AudioFrame, _options?: SendOptions): Promise<TenError | undefined> {
    return this.sendOther(audioFrame._w);
  }

  /** Answers a cmd the extension under test sent to the tester. */
  async returnResult(cmdResult: CmdResult, _options?: SendOptions): Promise<TenError | undefined> {
    return this.t._return(cmdResult);
  }

  /** Ends the test; `run()` resolves with `result` (undefined = success). */
  stopTest(result: TenError | undefined = undefined): TenError | undefined {
    this.t._stop(result);
    return undefined;
  }

  logDebug(message: string, category: string | undefined = undefined, fields: Value | Record<string, any> | undefined = undefined, option: LogOption = DefaultLogOption): TenError | undefined {
    return this.log(LogLevel.DEBUG, message, category, fields, option);
  }

  logInfo(message: string, category: string | undefined = undefined, fields: Value | Record<string, any> | undefined = undefined, option: LogOption = DefaultLogOption): TenError | undefined {
    return this.log(LogLevel.INFO, message, category, fields, option);
  }

  logWarn(message: string, category: string | undefined = undefined, fields: Value | Record<string, any> | undefined = undefined, option: LogOption = DefaultLogOption): TenError | undefined {
    return this.log(LogLevel.WARN, message, category, fields, option);
  }

  logError(message: string, category: string | undefined = undefined, fields: Value | Record<string, any> | undefined = undefined, option: LogOption = DefaultLogOption): TenError | undefined {
    return this.log(LogLevel.ERROR, message, category, fields, option);
  }

  /** Logs as the tester, with the test app's log level (see `ExtensionTester`). */
  log(
    level: LogLevel,
    message: string,
    category: string | undefined = undefined,
    fields: Value | Record<string, any> | undefined = undefined,
    _option: LogOption = DefaultLogOption,
  ): TenError | undefined {
    const [plain, err] = logFields(fields);
    if (err) return err;
    this.t._log(level, message, category, plain);
    return undefined;
  }

  private sendOther(w: WireMsg): Promise<TenError | undefined> {
    return new Promise((resolve) => this.t._send(w, { kind: 'msg', done: resolve }));
  }
}

/**
 * Runs one extension standalone (TEN `ExtensionTester`): a graph of the extension under test and
 * a proxy for this tester, on real worker threads. Override the callbacks, call
 * `setTestModeSingle(addon, propertyJson)`, then `await run()`; it resolves when a callback
 * calls `tenEnvTester.stopTest(error?)`, or with TEN's Timeout error (`Test timeout.`) after
 * `setTimeout(usec)`, 3 minutes unless set (0: none).
 */
export class ExtensionTester {
  private addon = '';
  private propertyJson = '{}';
  /** TEN's default (TEN_EXTENSION_TESTER_DEFAULT_TIMEOUT_US): 3 minutes; `setTimeout(0)` turns it off. */
  private timeoutUs = 180_000_000;
  private printEvent: (ev: RuntimeEvent) => void = () => undefined;
  private readonly env = new TenEnvTester(this);
  private channel: BroadcastChannel | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private finish: ((e: TenError | undefined) => void) | null = null;

  async onStart(_tenEnvTester: TenEnvTester): Promise<void> {}
  async onStop(_tenEnvTester: TenEnvTester): Promise<void> {}
  async onDeinit(_tenEnvTester: TenEnvTester): Promise<void> {}
  async onCmd(_tenEnvTester: TenEnvTester, _cmd: Cmd): Promise<void> {}
  async onData(_tenEnvTester: TenEnvTester, _data: Data): Promise<void> {}
  async onAudioFrame(_tenEnvTester: TenEnvTester, _audioFrame: AudioFrame): Promise<void> {}
  async onVideoFrame(_tenEnvTester: TenEnvTester, _videoFrame: VideoFrame): Promise<void> {}

  setTestModeSingle(addonName: string, propertyJsonStr: string): TenError | undefined {
    try {
      parseJsonText(propertyJsonStr || '{}');
    } catch (e) {
      return new TenError(TenErrorCode.ErrorCodeInvalidJSON, `Invalid JSON: ${(e as Error).message}`);
    }
    this.addon = addonName;
    this.propertyJson = propertyJsonStr || '{}';
    return undefined;
  }

  setTimeout(usec: number): TenError | undefined {
    this.timeoutUs = usec;
    return undefined;
  }

  /**
   * Runs the test: a graph of the extension under test (found, as in TEN, among the packages of
   * the app base dir: `TEN_APP_BASE_DIR`, the app above the runtime, or the standalone app
   * `.ten/app` of the extension above the working directory) and a proxy for this tester.
   * Resolves with the error given to `stopTest`, a `Timeout` error, or an error saying why the
   * test graph could not run. Logs are printed at the process's log level (app/console_log.ts).
   */
  async run(): Promise<TenError | undefined> {
    if (!this.addon) return new TenError(TenErrorCode.ErrorCodeInvalidArgument, 'Call setTestModeSingle(addonName, propertyJson) before run().');
    let baseDir: string;
    try {
      baseDir = findAppBaseDir();
    } catch (e) {
      return new TenError(TenErrorCode.ErrorCodeGeneric, (e as Error).message);
    }
    // Loaded here, not at module level: worker threads import this API module too.
    const [{ App }, { TEST_EXTENSION, TESTER_PROXY }, { consoleEvents }] = await Promise.all([
      import('../app/app'),
      import('../tester/protocol'),
      import('../app/console_log'),
    ]);
    const proxyDir = fileURLToPath(new URL('../tester/proxy/', import.meta.url));
    const channelName = `ten-tester-${process.pid}-${Math.random().toString(36).slice(2)}`;
    this.printEvent = consoleEvents();
    const app = new App({ appDir: baseDir, addonDirs: [proxyDir] });
    const channel = new BroadcastChannel(channelName);
    this.channel = channel;
    const outcome = new Promise<TenError | undefined>((resolve) => (this.finish = resolve));
    let timer: NodeJS.Timeout | undefined;
    if (this.timeoutUs > 0) {
      timer = setTimeout(() => this._stop(new TenError(TenErrorCode.ErrorCodeTimeout, 'Test timeout.')), this.timeoutUs / 1000);
    }
    let extStarted = false;
    let proxyStarted = false;
    const maybeStart = (): void => {
      if (extStarted && proxyStarted) {
        extStarted = false;
        void this.onStart(this.env).catch((e: unknown) => this._stop(new TenError(TenErrorCode.ErrorCodeGeneric, `onStart threw: ${String(e)}`)));
      }
    };
    app.onEvent((ev) => {
      if (ev.type === 'lifecycle' && ev.extension === TEST_EXTENSION && ev.phase === 'on_start_done') {
        extStarted = true;
        maybeStart();
      }
      this.printEvent(ev);
      if (ev.type === 'graph' && ev.state === 'start_failed') this._stop(new TenError(TenErrorCode.ErrorCodeGeneric, ev.detail ?? 'The test graph failed to start.'));
    });
    channel.onmessage = (ev: unknown) => {
      const m = (ev as { data: ToTester }).data;
      if (m.t === 'started') {
        proxyStarted = true;
        maybeStart();
        return;
      }
      this.fromProxy(m);
    };
    const graph = {
      nodes: [
        { type: 'extension' as const, name: TEST_EXTENSION, addon: this.addon, extension_group: 'test_extension_group', property: parseJsonText(this.propertyJson) as Record<string, unknown> },
        { type: 'extension' as const, name: TESTER_PROXY, addon: TESTER_PROXY, extension_group: 'ten:tester', property: { channel: channelName } },
      ],
      connections: (['cmd', 'data', 'audio_frame', 'video_frame'] as const).flatMap((kind) => [
        { extension: TEST_EXTENSION, [kind]: [{ name: '*', dest: [{ extension: TESTER_PROXY }] }] },
        { extension: TESTER_PROXY, [kind]: [{ name: '*', dest: [{ extension: TEST_EXTENSION }] }] },
      ]),
    };
    try {
      await app.startGraph({ graph, name: 'ten:extension_tester' });
    } catch (e) {
      this._stop(new TenError(TenErrorCode.ErrorCodeGeneric, e instanceof Error ? e.message : String(e)));
    }
    const result = await outcome;
    clearTimeout(timer);
    await this.onStop(this.env).catch(() => undefined);
    await app.close();
    await this.onDeinit(this.env).catch(() => undefined);
    channel.close();
    this.channel = null;
    for (const p of this.pending.values()) {
      if (p.kind === 'cmd') p.onResult(undefined, new TenError(TenErrorCode.ErrorCodeTenIsClosed, 'The test has stopped.'));
      else p.done(new TenError(TenErrorCode.ErrorCodeTenIsClosed, 'The test has stopped.'));
    }
    this.pending.clear();
    return result;
  }

  private fromProxy(m: ToTester): void {
    switch (m.t) {
      case 'started':
      case 'stopping':
        return;
      case 'msg': {
        const msg = wrapWire(m.wire);
        const call =
          msg instanceof Cmd
            ? this.onCmd(this.env, msg)
            : msg instanceof Data
              ? this.onData(this.env, msg)
              : msg instanceof AudioFrame
                ? this.onAudioFrame(this.env, msg)
                : msg instanceof VideoFrame
                  ? this.onVideoFrame(this.env, msg)
                  : Promise.resolve();
        void call.catch((e: unknown) => this._stop(new TenError(TenErrorCode.ErrorCodeGeneric, `Tester callback threw: ${String(e)}`)));
        return;
      }
      case 'result': {
        const p = this.pending.get(m.id);
        if (!p) return;
        const err = m.error ? new TenError(m.error.code as TenErrorCode, m.error.message) : undefined;
        if (p.kind === 'msg') {
          this.pending.delete(m.id);
          p.done(err);
          return;
        }
        const r = m.wire ? (wrapWire(m.wire) as CmdResult) : undefined;
        if (err || !r || r.isCompleted()) this.pending.delete(m.id);
        p.onResult(r, err);
        return;
      }
    }
  }

  /** @internal */
  _send(w: WireMsg, p: Pending): void {
    if (!this.channel) {
      const e = new TenError(TenErrorCode.ErrorCodeTenIsClosed, 'The test is not running.');
      if (p.kind === 'cmd') p.onResult(undefined, e);
      else p.done(e);
      return;
    }
    const id = this.nextId++;
    this.pending.set(id, p);
    const m: ToProxy = { t: 'send', id, wire: w, wantResults: p.kind === 'cmd' };
    this.channel.postMessage(m);
  }

  /** @internal */
  _return(r: CmdResult): TenError | undefined {
    if (!this.channel) return new TenError(TenErrorCode.ErrorCodeTenIsClosed, 'The test is not running.');
    const m: ToProxy = { t: 'return', wire: r._w };
    r._sent = true;
    this.channel.postMessage(m);
    return undefined;
  }

  /** @internal */
  _stop(result: TenError | undefined): void {
    const f = this.finish;
    this.finish = null;
    f?.(result);
  }

  /** @internal */
  _log(level: LogLevel, message: string, category: string | undefined, fields: unknown): void {
    this.printEvent({ type: 'log', ts: Date.now(), graphId: '', extension: 'tester', level, message, category, fields });
  }
}
