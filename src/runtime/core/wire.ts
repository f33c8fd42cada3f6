/**
 * The wire form of a message: a plain, structured-clonable object. API classes wrap one of
 * these; crossing threads moves it with `postMessage` (its frame buffer in the transfer list).
 */

/** TEN message types; the built-in cmds have their own types (TEN `TEN_MSG_TYPE_CMD_*`). */
export type MsgType =
  | 'cmd'
  | 'cmd_result'
  | 'data'
  | 'audio_frame'
  | 'video_frame'
  | 'start_graph'
  | 'stop_graph'
  | 'close_app'
  | 'timer'
  | 'timeout'
  | 'trigger_life_cycle';

/** Graph connection kinds; every cmd type routes as `cmd`. */
export type RouteKind = 'cmd' | 'data' | 'audio_frame' | 'video_frame';

/** Location inside the runtime: app URI, graph id, extension name (empty = unset). */
export interface WireLoc {
  app: string;
  graph: string;
  ext: string;
}

export interface AudioFields {
  sampleRate: number;
  bytesPerSample: number;
  samplesPerChannel: number;
  channels: number;
  channelLayout: number;
  dataFmt: number;
  lineSize: number;
  eof: boolean;
}

export interface VideoFields {
  width: number;
  height: number;
  pixelFmt: number;
  eof: boolean;
}

export interface WireMsg {
  type: MsgType;
  name: string;
  src: WireLoc;
  dests: WireLoc[];
  props: Record<string, unknown>;
  /** Milliseconds since epoch (frames: user timestamp, set separately). */
  ts: number;
  cmdId: string;
  parentCmdId: string;
  seqId: string;
  /** cmd_result only. */
  status: number;
  isFinal: boolean;
  isCompleted: boolean;
  /** cmd_result: the original cmd's name and type. */
  origName: string;
  origType: MsgType;
  buf: ArrayBuffer | null;
  audio: AudioFields | null;
  video: VideoFields | null;
}

export const BUILTIN_CMD_NAMES: Readonly<Record<string, MsgType>> = {
  'ten:start_graph': 'start_graph',
  'ten:stop_graph': 'stop_graph',
  'ten:close_app': 'close_app',
  'ten:timer': 'timer',
  'ten:timeout': 'timeout',
  'ten:trigger_life_cycle': 'trigger_life_cycle',
};

export function emptyLoc(): WireLoc {
  return { app: '', graph: '', ext: '' };
}

export function newWireMsg(type: MsgType, name: string): WireMsg {
  return {
    type,
    name,
    src: emptyLoc(),
    dests: [],
    props: {},
    ts: Date.now(),
    cmdId: '',
    parentCmdId: '',
    seqId: '',
    status: 0,
    isFinal: true,
    isCompleted: false,
    origName: '',
    origType: 'cmd',
    buf: null,
    audio: null,
    video: null,
  };
}

/** The connection kind a message type routes under. */
export function routeKind(type: MsgType): RouteKind | null {
  switch (type) {
    case 'data':
    case 'audio_frame':
    case 'video_frame':
      return type;
    case 'cmd':
    case 'start_graph':
    case 'stop_graph':
    case 'close_app':
    case 'timer':
    case 'timeout':
    case 'trigger_life_cycle':
      return 'cmd';
    case 'cmd_result':
      return null;
  }
}

export function isCmdType(type: MsgType): boolean {
  return routeKind(type) === 'cmd';
}

/** Deep copy for fan-out: properties and buffer are copied so copies are isolated. */
export function cloneWire(m: WireMsg): WireMsg {
  return {
    ...m,
    src: { ...m.src },
    dests: m.dests.map((d) => ({ ...d })),
    props: structuredClone(m.props),
    buf: m.buf ? m.buf.slice(0) : null,
    audio: m.audio ? { ...m.audio } : null,
    video: m.video ? { ...m.video } : null,
  };
}

/**
 * Messages between the groups of one graph travel as one flat array per batch: structured clone
 * of many small keyed objects costs about four times more than of flat values. App and graph of
 * both ends are implied by the channel (same app, same graph) and restored by the receiver.
 * Data and frames carry 8 values, cmds and results 14 (ids, status, flags).
 */
const SHORT = 8;

/** Appends a message addressed inside this graph to a flat peer batch. */
export function encodePeer(w: WireMsg, out: unknown[]): void {
  out.push(w.type, w.name, w.src.ext, w.dests[0].ext, w.props, w.ts, w.buf, w.audio ?? w.video);
  if (w.type === 'data' || w.type === 'audio_frame' || w.type === 'video_frame') return;
  out.push(w.cmdId, w.parentCmdId, w.seqId, w.status, w.isFinal, w.isCompleted, w.origName, w.origType);
}

/** Decodes a flat peer batch; `locOf` gives the shared location (and dests) of an extension. */
export function decodePeer(b: readonly unknown[], locOf: (ext: string) => { loc: WireLoc; dests: WireLoc[] }): WireMsg[] {
  const out: WireMsg[] = [];
  for (let i = 0; i < b.length; ) {
    const type = b[i] as MsgType;
    const frame = b[i + 7];
    const short = type === 'data' || type === 'audio_frame' || type === 'video_frame';
    const j = i + SHORT;
    out.push({
      type,
      name: b[i + 1] as string,
      src: locOf(b[i + 2] as string).loc,
      dests: locOf(b[i + 3] as string).dests,
      props: b[i + 4] as Record<string, unknown>,
      ts: b[i + 5] as number,
      buf: b[i + 6] as ArrayBuffer | null,
      audio: type === 'audio_frame' ? (frame as AudioFields) : null,
      video: type === 'video_frame' ? (frame as VideoFields) : null,
      cmdId: short ? '' : (b[j] as string),
      parentCmdId: short ? '' : (b[j + 1] as string),
      seqId: short ? '' : (b[j + 2] as string),
      status: short ? 0 : (b[j + 3] as number),
      isFinal: short ? true : (b[j + 4] as boolean),
      isCompleted: short ? false : (b[j + 5] as boolean),
      origName: short ? '' : (b[j + 6] as string),
      origType: short ? 'cmd' : (b[j + 7] as MsgType),
    });
    i = short ? j : j + 8;
  }
  return out;
}
