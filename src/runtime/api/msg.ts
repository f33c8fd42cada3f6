import { getProp, setProp, parsePath, toJson } from '../core/props';
import { BUILTIN_CMD_NAMES, copyOf, newWireMsg, packedOf, wireBuf, type MsgType, type WireMsg } from '../core/wire';
import { parseJsonArg, TenError, TenErrorCode } from './error';
import { runtimeHooks } from './hooks';
import { Loc } from './loc';

/** Status of a cmd result (TEN `TEN_STATUS_CODE_*`). */
export enum StatusCode {
  OK = 0,
  ERROR = 1,
}

/** TEN audio sample layouts. */
export enum AudioFrameDataFmt {
  INTERLEAVE = 1,
  NON_INTERLEAVE = 2,
}

/** TEN pixel formats. */
export enum PixelFmt {
  RGB24 = 1,
  RGBA = 2,
  BGR24 = 3,
  BGRA = 4,
  I422 = 5,
  I420 = 6,
  NV21 = 7,
  NV12 = 8,
}

function typeError(path: string, want: string): TenError {
  return new TenError(TenErrorCode.ErrorCodeInvalidType, `The property '${path}' is not of type ${want}.`);
}

function missing(path: string): TenError {
  return new TenError(TenErrorCode.ErrorCodeGeneric, `The property '${path}' does not exist.`);
}

function invalidArgument(text: string): TenError {
  return new TenError(TenErrorCode.ErrorCodeInvalidArgument, text);
}

function badPath(path: string): TenError {
  return new TenError(TenErrorCode.ErrorCodeInvalidArgument, `Invalid property path '${path}'.`);
}

/**
 * Base of every message. A message belongs to the extension that created or received it; once
 * sent it is read-only to the sender (mutations are owner violations).
 */
export class Msg {
  /** @internal The wire form; the runtime reads and moves it. */
  _w: WireMsg;
  /** @internal Set when the owner sent the message. */
  _sent = false;
  /** @internal The extension owning the message ('' until created one sends it or one receives it). */
  _owner = '';

  /** @internal Messages are made by the `Create` methods of the subclasses. */
  constructor(w: WireMsg) {
    this._w = w;
  }

  /** @internal Fails (or only reports, per policy) a mutation of a sent message. */
  protected _guard(method: string): TenError | undefined {
    if (!this._sent) return undefined;
    if (runtimeHooks().sentMutation(`${this._w.type}(${this._w.name})`, method)) return undefined;
    return new TenError(
      TenErrorCode.ErrorCodeGeneric,
      `Access object across threads: the ${this._w.type} '${this._w.name}' was sent and is read-only to its sender (${method}).`,
    );
  }

  /** The routing name. */
  getName(): string {
    return this._w.name;
  }

  /** Where the message comes from (set by the runtime when it is sent). */
  getSource(): Loc {
    const s = this._w.src;
    return new Loc({ appUri: s.app || undefined, graphId: s.graph || undefined, extensionName: s.ext || undefined });
  }

  /**
   * Explicit destinations; they win over the graph's connections. Checked as TEN checks them,
   * all before any is set: each needs an `appUri` (`""` is this app), an `extensionName` needs a
   * `graphId` (`""` is the sender's graph), and every given field must be a string. `[]` clears.
   */
  setDests(dests: Partial<Loc>[]): TenError | undefined {
    const err = this._guard('setDests');
    if (err) return err;
    if (!Array.isArray(dests)) return invalidArgument('dests parameter must be an array');
    const locs: WireMsg['dests'] = [];
    for (const d of dests) {
      for (const key of ['appUri', 'graphId', 'extensionName'] as const) {
        const v: unknown = d?.[key];
        if (v !== undefined && typeof v !== 'string') return invalidArgument(`Failed to get ${key} from Loc: expected a string, got ${v === null ? 'null' : typeof v}.`);
      }
      if (d.appUri === undefined) return invalidArgument('App URI cannot be empty.');
      if (d.extensionName !== undefined && d.graphId === undefined) return invalidArgument('Graph ID cannot be empty when extension name is provided.');
      locs.push({ app: d.appUri, graph: d.graphId ?? '', ext: d.extensionName ?? '' });
    }
    this._w.dests = locs;
    return undefined;
  }

  /** Sets the property at `path` (`a.b[0]`; '' merges into the root) from JSON text. */
  setPropertyFromJson(path: string, jsonStr: string): TenError | undefined {
    const err = this._guard('setPropertyFromJson');
    if (err) return err;
    const [value, jsonErr] = parseJsonArg(jsonStr);
    if (jsonErr) return jsonErr;
    if (path === '') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return badPath(path);
      Object.assign(this._w.props, value);
      return undefined;
    }
    return setProp(this._w.props, path, value) ? undefined : badPath(path);
  }

  /** The property at `path` as JSON text ('' = all properties). */
  getPropertyToJson(path: string): [string, TenError | undefined] {
    if (parsePath(path) === null) return ['', badPath(path)];
    const v = path === '' ? this._w.props : getProp(this._w.props, path);
    if (v === undefined) return ['', missing(path)];
    return [toJson(v), undefined];
  }

  setPropertyNumber(path: string, value: number): TenError | undefined {
    return this._set('setPropertyNumber', path, value);
  }

  /** A bigint (an int64/uint64 beyond 2^53) comes back as the nearest double, as in TEN's Node.js binding. */
  getPropertyNumber(path: string): [number, TenError | undefined] {
    const v = getProp(this._w.props, path);
    if (v === undefined) return [0, missing(path)];
    if (typeof v === 'bigint') return [Number(v), undefined];
    return typeof v === 'number' ? [v, undefined] : [0, typeError(path, 'number')];
  }

  setPropertyString(path: string, value: string): TenError | undefined {
    return this._set('setPropertyString', path, value);
  }

  getPropertyString(path: string): [string, TenError | undefined] {
    const v = getProp(this._w.props, path);
    if (v === undefined) return ['', missing(path)];
    return typeof v === 'string' ? [v, undefined] : ['', typeError(path, 'string')];
  }

  setPropertyBool(path: string, value: boolean): TenError | undefined {
    return this._set('setPropertyBool', path, value);
  }

  getPropertyBool(path: string): [boolean, TenError | undefined] {
    const v = getProp(this._w.props, path);
    if (v === undefined) return [false, missing(path)];
    return typeof v === 'boolean' ? [v, undefined] : [false, typeError(path, 'bool')];
  }

  setPropertyBuf(path: string, value: ArrayBuffer): TenError | undefined {
    return this._set('setPropertyBuf', path, value);
  }

  getPropertyBuf(path: string): [ArrayBuffer, TenError | undefined] {
    const v = getProp(this._w.props, path);
    if (v === undefined) return [new ArrayBuffer(0), missing(path)];
    return v instanceof ArrayBuffer ? [v, undefined] : [new ArrayBuffer(0), typeError(path, 'buf')];
  }

  private _set(method: string, path: string, value: unknown): TenError | undefined {
    const err = this._guard(method);
    if (err) return err;
    return setProp(this._w.props, path, value) ? undefined : badPath(path);
  }
}

/** A command; results come back through the IN/OUT path tables. */
export class Cmd extends Msg {
  /** @internal */
  protected constructor(w: WireMsg) {
    super(w);
  }

  /** Creates a cmd; the names `ten:*` of built-in cmds create the built-in kind. */
  static Create(name: string): Cmd {
    return new Cmd(newWireMsg(BUILTIN_CMD_NAMES[name] ?? 'cmd', name));
  }

  /** @internal Wraps a received wire message. */
  static _wrap(w: WireMsg): Cmd {
    return new Cmd(w);
  }
}

/** The result of a cmd; error text travels in the string property `detail`. */
export class CmdResult extends Msg {
  /** @internal */
  private constructor(w: WireMsg) {
    super(w);
  }

  /** Creates the result of `targetCmd`: copies its ids and name, routes back to its source. */
  static Create(statusCode: StatusCode, targetCmd: Cmd): CmdResult {
    const t = targetCmd._w;
    const w = newWireMsg('cmd_result', t.name);
    w.status = statusCode;
    w.cmdId = t.cmdId;
    w.seqId = t.seqId;
    w.parentCmdId = t.parentCmdId;
    w.origName = t.name;
    w.origType = t.type;
    // Locations are replaced, never mutated: the cmd's source is shared, not copied.
    w.dests = [t.src];
    return new CmdResult(w);
  }

  /** @internal Wraps a received wire message. */
  static _wrap(w: WireMsg): CmdResult {
    return new CmdResult(w);
  }

  getStatusCode(): StatusCode {
    return this._w.status === 0 ? StatusCode.OK : StatusCode.ERROR;
  }

  setFinal(isFinal: boolean): void {
    if (this._guard('setFinal') === undefined) this._w.isFinal = isFinal;
  }

  isFinal(): boolean {
    return this._w.isFinal;
  }

  isCompleted(): boolean {
    return this._w.isCompleted;
  }
}

/** Base of the messages carrying a buffer (data, audio and video frames). */
abstract class BufMsg extends Msg {
  allocBuf(size: number): void {
    if (this._guard('allocBuf') !== undefined) return;
    this._w.buf = new ArrayBuffer(size);
    this._w.packed = null;
    this._w.arena = null;
  }

  /**
   * The message's own buffer (no copy); large buffers move to the receiver's thread on send,
   * small ones (up to 4 KiB) are copied there with the rest of the message.
   */
  lockBuf(): ArrayBuffer {
    return wireBuf(this._w) ?? new ArrayBuffer(0);
  }

  unlockBuf(buf: ArrayBuffer): void {
    if (this._guard('unlockBuf') !== undefined) return;
    this._w.buf = buf;
    this._w.packed = null;
    this._w.arena = null;
  }

  /** A copy of the buffer. */
  getBuf(): ArrayBuffer {
    const p = packedOf(this._w);
    if (p !== null) return copyOf(p);
    return this._w.buf ? this._w.buf.slice(0) : new ArrayBuffer(0);
  }
}

/** A data message: properties plus an optional buffer; no result. */
export class Data extends BufMsg {
  /** @internal */
  private constructor(w: WireMsg) {
    super(w);
  }

  static Create(name: string): Data {
    return new Data(newWireMsg('data', name));
  }

  /** @internal */
  static _wrap(w: WireMsg): Data {
    return new Data(w);
  }
}

/** PCM audio: a buffer plus TEN's audio fields; the buffer moves (no copy) across threads. */
export class AudioFrame extends BufMsg {
  /** @internal */
  private constructor(w: WireMsg) {
    super(w);
  }

  static Create(name: string): AudioFrame {
    const w = newWireMsg('audio_frame', name);
    w.audio = {
      sampleRate: 0,
      bytesPerSample: 0,
      samplesPerChannel: 0,
      channels: 0,
      channelLayout: 0,
      dataFmt: AudioFrameDataFmt.INTERLEAVE,
      lineSize: 0,
      eof: false,
    };
    return new AudioFrame(w);
  }

  /** @internal */
  static _wrap(w: WireMsg): AudioFrame {
    return new AudioFrame(w);
  }

  private get a() {
    return this._w.audio!;
  }

  /** A timestamp received beyond ±2^53 reads as its nearest number (and is sent on exactly). */
  getTimestamp(): number {
    return this._w.ts;
  }
  setTimestamp(timestamp: number): void {
    if (this._guard('setTimestamp') !== undefined) return;
    this._w.ts = timestamp;
    this._w.tsExact = null;
  }
  getSampleRate(): number {
    return this.a.sampleRate;
  }
  setSampleRate(sampleRate: number): void {
    if (this._guard('setSampleRate') === undefined) this.a.sampleRate = sampleRate;
  }
  getSamplesPerChannel(): number {
    return this.a.samplesPerChannel;
  }
  setSamplesPerChannel(samplesPerChannel: number): void {
    if (this._guard('setSamplesPerChannel') === undefined) this.a.samplesPerChannel = samplesPerChannel;
  }
  getBytesPerSample(): number {
    return this.a.bytesPerSample;
  }
  setBytesPerSample(bytesPerSample: number): void {
    if (this._guard('setBytesPerSample') === undefined) this.a.bytesPerSample = bytesPerSample;
  }
  getNumberOfChannels(): number {
    return this.a.channels;
  }
  setNumberOfChannels(numberOfChannels: number): void {
    if (this._guard('setNumberOfChannels') === undefined) this.a.channels = numberOfChannels;
  }
  getDataFmt(): AudioFrameDataFmt {
    return this.a.dataFmt;
  }
  setDataFmt(dataFmt: AudioFrameDataFmt): void {
    if (this._guard('setDataFmt') === undefined) this.a.dataFmt = dataFmt;
  }
  getLineSize(): number {
    return this.a.lineSize;
  }
  setLineSize(lineSize: number): void {
    if (this._guard('setLineSize') === undefined) this.a.lineSize = lineSize;
  }
  isEof(): boolean {
    return this.a.eof;
  }
  setEof(eof: boolean): void {
    if (this._guard('setEof') === undefined) this.a.eof = eof;
  }
}

/** A video frame: a buffer plus width, height and pixel format; the buffer moves across threads. */
export class VideoFrame extends BufMsg {
  /** @internal */
  private constructor(w: WireMsg) {
    super(w);
  }

  static Create(name: string): VideoFrame {
    const w = newWireMsg('video_frame', name);
    w.video = { width: 0, height: 0, pixelFmt: PixelFmt.RGBA, eof: false };
    return new VideoFrame(w);
  }

  /** @internal */
  static _wrap(w: WireMsg): VideoFrame {
    return new VideoFrame(w);
  }

  private get v() {
    return this._w.video!;
  }

  getWidth(): number {
    return this.v.width;
  }
  setWidth(width: number): void {
    if (this._guard('setWidth') === undefined) this.v.width = width;
  }
  getHeight(): number {
    return this.v.height;
  }
  setHeight(height: number): void {
    if (this._guard('setHeight') === undefined) this.v.height = height;
  }
  /** A timestamp received beyond ±2^53 reads as its nearest number (and is sent on exactly). */
  getTimestamp(): number {
    return this._w.ts;
  }
  setTimestamp(timestamp: number): void {
    if (this._guard('setTimestamp') !== undefined) return;
    this._w.ts = timestamp;
    this._w.tsExact = null;
  }
  getPixelFmt(): PixelFmt {
    return this.v.pixelFmt;
  }
  setPixelFmt(pixelFmt: PixelFmt): void {
    if (this._guard('setPixelFmt') === undefined) this.v.pixelFmt = pixelFmt;
  }
  isEof(): boolean {
    return this.v.eof;
  }
  setEof(eof: boolean): void {
    if (this._guard('setEof') === undefined) this.v.eof = eof;
  }
}

/** `ten:start_graph`: starts a predefined graph or one given as JSON; the result carries `graph_id`. */
export class StartGraphCmd extends Cmd {
  private constructor() {
    super(newWireMsg('start_graph', 'ten:start_graph'));
  }

  static Create(): StartGraphCmd {
    return new StartGraphCmd();
  }

  setPredefinedGraphName(predefinedGraphName: string): void {
    this.setPropertyString('predefined_graph_name', predefinedGraphName);
  }

  setGraphFromJSON(jsonStr: string): void {
    this.setPropertyString('graph_json', jsonStr);
  }

  setSyncStopBeforeDeinit(syncStopBeforeDeinit: boolean): void {
    this.setPropertyBool('sync_stop_before_deinit', syncStopBeforeDeinit);
  }
}

/** `ten:stop_graph`: stops the graph with the given id. */
export class StopGraphCmd extends Cmd {
  private constructor() {
    super(newWireMsg('stop_graph', 'ten:stop_graph'));
  }

  static Create(): StopGraphCmd {
    return new StopGraphCmd();
  }

  setGraphId(graphId: string): void {
    this.setPropertyString('graph_id', graphId);
  }
}

/** `ten:trigger_life_cycle`: releases a stage held by `ten.manual_trigger_life_cycle`. */
export class TriggerLifeCycleCmd extends Cmd {
  private constructor() {
    super(newWireMsg('trigger_life_cycle', 'ten:trigger_life_cycle'));
  }

  static Create(): TriggerLifeCycleCmd {
    return new TriggerLifeCycleCmd();
  }

  /** `"start"` or `"stop"`. */
  setStage(stage: string): void {
    this.setPropertyString('stage', stage);
  }
}

/** @internal Wraps a received wire message in the API class of its type. */
export function wrapWire(w: WireMsg): Msg {
  const t: MsgType = w.type;
  switch (t) {
    case 'cmd_result':
      return CmdResult._wrap(w);
    case 'data':
      return Data._wrap(w);
    case 'audio_frame':
      return AudioFrame._wrap(w);
    case 'video_frame':
      return VideoFrame._wrap(w);
    case 'cmd':
    case 'start_graph':
    case 'stop_graph':
    case 'close_app':
    case 'timer':
    case 'timeout':
    case 'trigger_life_cycle':
      return Cmd._wrap(w);
  }
}
