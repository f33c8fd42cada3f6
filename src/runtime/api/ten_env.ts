/* eslint-disable @typescript-eslint/no-explicit-any -- log `fields` keep TEN's declared type, so code typed against TEN compiles here. */
import { toJson } from '../core/props';
import { parseJsonArg, TenError, TenErrorCode } from './error';
import { LogLevel } from './log_level';
import { DefaultLogOption, type LogOption } from './log_option';
import type { AudioFrame, Cmd, CmdResult, Data, VideoFrame } from './msg';
import type { SendOptions } from './send_options';
import { logFields, type Value } from './value';

/** @internal Called once per delivered result (several times for `sendCmdEx` or non-final results). */
export type ResultHandler = (result: CmdResult | undefined, error: TenError | undefined) => void;

/**
 * @internal What a `TenEnv` needs from the runtime of its extension. Every method checks the
 * owner and the closed state itself and returns errors; none throws.
 */
export interface EnvBackend {
  /** `handler` null: results are dropped, or, for a received cmd sent on, returned upstream (TEN). */
  sendCmd(cmd: Cmd, handler: ResultHandler | null, isEx: boolean): TenError | undefined;
  sendMsg(msg: Data | AudioFrame | VideoFrame): TenError | undefined;
  returnResult(result: CmdResult): TenError | undefined;
  getProperty(path: string): [unknown, TenError | undefined];
  setProperty(path: string, value: unknown): TenError | undefined;
  initPropertyFromJson(json: string): TenError | undefined;
  log(level: LogLevel, message: string, category: string | undefined, fields: unknown): TenError | undefined;
}

const SENT: Promise<TenError | undefined> = Promise.resolve(undefined);

function settled(err: TenError | undefined): Promise<TenError | undefined> {
  return err === undefined ? SENT : Promise.resolve(err);
}

function wrongType(path: string, want: string): TenError {
  return new TenError(TenErrorCode.ErrorCodeInvalidType, `The property '${path}' is not of type ${want}.`);
}

/**
 * The extension's handle to the runtime, with TEN's Node.js signatures: senders return
 * `TenError | undefined`, getters `[value, TenError | undefined]`. After `on_deinit_done` every
 * call returns a `TenIsClosed` error.
 */
export class TenEnv {
  /** @internal */
  readonly _b: EnvBackend;

  /** @internal Created by the runtime, one per extension. */
  constructor(backend: EnvBackend) {
    this._b = backend;
  }

  /**
   * Sends a cmd; resolves with the first result delivered under the first-error-or-last-OK policy.
   * Not `async`: it returns its one promise, not a second one settled from it a tick later.
   */
  sendCmd(cmd: Cmd): Promise<[CmdResult | undefined, TenError | undefined]> {
    return new Promise((resolve) => {
      let done = false;
      const err = this._b.sendCmd(
        cmd,
        (result, error) => {
          if (done) return;
          done = true;
          resolve([result, error]);
        },
        false,
      );
      if (err) {
        done = true;
        resolve([undefined, err]);
      }
    });
  }

  /** Sends a cmd and yields every result; ends after the result with `isCompleted()` or an error. */
  async *sendCmdEx(cmd: Cmd): AsyncGenerator<[CmdResult | undefined, TenError | undefined], void, unknown> {
    const queue: [CmdResult | undefined, TenError | undefined][] = [];
    let wake: (() => void) | undefined;
    const err = this._b.sendCmd(
      cmd,
      (result, error) => {
        queue.push([result, error]);
        wake?.();
      },
      true,
    );
    if (err) {
      yield [undefined, err];
      return;
    }
    for (;;) {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      const item = queue.shift()!;
      yield item;
      if (item[1] !== undefined || item[0]?.isCompleted()) return;
    }
  }

  // The fire-and-forget senders are not `async`: a successful send returns one shared resolved
  // promise, so the hot path allocates no promise per message. They never throw.

  /** Sends data along the graph (or to its dests); resolves with the routing error, if any. */
  sendData(data: Data, _options?: SendOptions): Promise<TenError | undefined> {
    return settled(this._b.sendMsg(data));
  }

  sendVideoFrame(videoFrame: VideoFrame, _options?: SendOptions): Promise<TenError | undefined> {
    return settled(this._b.sendMsg(videoFrame));
  }

  sendAudioFrame(audioFrame: AudioFrame, _options?: SendOptions): Promise<TenError | undefined> {
    return settled(this._b.sendMsg(audioFrame));
  }

  /** Returns a result of a received cmd to its sender; non-final results may precede the final one. */
  returnResult(cmdResult: CmdResult, _options?: SendOptions): Promise<TenError | undefined> {
    return settled(this._b.returnResult(cmdResult));
  }

  async isPropertyExist(path: string): Promise<boolean> {
    const [v, err] = this._b.getProperty(path);
    return err === undefined && v !== undefined;
  }

  /** The extension's property at `path` as JSON ('' = all): manifest defaults, property.json, graph node. */
  async getPropertyToJson(path: string): Promise<[string, TenError | undefined]> {
    const [v, err] = this._b.getProperty(path);
    return err ? ['', err] : [toJson(v), undefined];
  }

  async setPropertyFromJson(path: string, jsonStr: string): Promise<TenError | undefined> {
    const [value, err] = parseJsonArg(jsonStr);
    return err ?? this._b.setProperty(path, value);
  }

  /**
   * A number, as in TEN's Node.js binding: an int64/uint64 beyond 2^53 (a `bigint` here) comes
   * back as the nearest double; `getPropertyToJson` gives its exact digits.
   */
  async getPropertyNumber(path: string): Promise<[number, TenError | undefined]> {
    const [v, err] = this._b.getProperty(path);
    if (err) return [0, err];
    if (typeof v === 'bigint') return [Number(v), undefined];
    return typeof v === 'number' ? [v, undefined] : [0, wrongType(path, 'number')];
  }

  async setPropertyNumber(path: string, value: number): Promise<TenError | undefined> {
    return this._b.setProperty(path, value);
  }

  async getPropertyString(path: string): Promise<[string, TenError | undefined]> {
    const [v, err] = this._b.getProperty(path);
    if (err) return ['', err];
    return typeof v === 'string' ? [v, undefined] : ['', wrongType(path, 'string')];
  }

  async setPropertyString(path: string, value: string): Promise<TenError | undefined> {
    return this._b.setProperty(path, value);
  }

  /** Deep-merges a JSON object into the extension's properties. */
  async initPropertyFromJson(jsonStr: string): Promise<TenError | undefined> {
    return this._b.initPropertyFromJson(jsonStr);
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

  /**
   * Logs with a category and structured `fields` (a `Value`, or an object converted with
   * `Value.fromNative`). `option.skip` is accepted as in TEN; log events carry no caller location.
   */
  log(
    level: LogLevel,
    message: string,
    category: string | undefined = undefined,
    fields: Value | Record<string, any> | undefined = undefined,
    _option: LogOption = DefaultLogOption,
  ): TenError | undefined {
    const [plain, err] = logFields(fields);
    return err ?? this._b.log(level, message, category, plain);
  }
}

