/**
 * Between the runtime's messages (`WireMsg`, core/wire.ts) and TEN's wire messages (`TenMsg`).
 *
 * The built-in cmds keep their TEN fields as properties in the runtime (`graph_id` of a
 * stop_graph, `stage`, `timer_id`…, as the API classes set them); on the wire they are fields,
 * so they move between the two. A result is named `ten:result` on the wire; the runtime names
 * it after its cmd, which the wire does not carry, so a received result keeps `ten:result`.
 */
import { isCmdType, newWireMsg, type MsgType, type WireLoc, type WireMsg } from '../core/wire';
import type { TenConnection, TenExtensionNode, TenFlow, TenGraph, TenLoc as GraphLoc, MsgKind } from '../../shared/graph/types';
import { MSG_TYPE_CODE, TenMsg, shareLoc, tenLoc, type TenLoc } from './message';

const TYPE_OF_CODE: Record<number, MsgType> = Object.fromEntries(Object.entries(MSG_TYPE_CODE).map(([t, c]) => [c, t as MsgType]));

/** Properties that are fields on the wire, per built-in type. */
const FIELD_PROPS: Partial<Record<MsgType, readonly string[]>> = {
  start_graph: ['predefined_graph_name', 'graph_json', 'sync_stop_before_deinit', 'long_running_mode'],
  stop_graph: ['graph_id'],
  trigger_life_cycle: ['stage'],
  timer: ['timer_id', 'timeout_us', 'times'],
  timeout: ['timer_id'],
};

/** The TEN location of each shared (frozen) runtime location: encoded once (message.ts `shareLoc`). */
const tenLocs = new WeakMap<WireLoc, TenLoc>();

/** A runtime location on the wire: empty parts are left out, as TEN leaves out unset ones. */
export function toTenLoc(l: WireLoc): TenLoc {
  if (Object.isFrozen(l)) {
    let t = tenLocs.get(l);
    if (t === undefined) tenLocs.set(l, (t = shareLoc(tenLoc(l.app || null, l.graph || null, l.ext || null))));
    return t;
  }
  return tenLoc(l.app || null, l.graph || null, l.ext || null);
}

export function fromTenLoc(l: TenLoc): WireLoc {
  return { app: l.app ?? '', graph: l.graph ?? '', ext: l.extension ?? '' };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : typeof v === 'bigint' ? Number(v) : 0);

/** A received frame timestamp: `tsExact` keeps it when a number cannot. */
function setTimestamp(w: WireMsg, ts: number | bigint): void {
  w.ts = Number(ts);
  if (typeof ts === 'bigint' && !Number.isSafeInteger(w.ts)) w.tsExact = ts;
}

/** A runtime message as TEN's protocol carries it. `buf` is a view of the message's own buffer. */
export function toTen(w: WireMsg, buf: Uint8Array | null): TenMsg {
  const m = new TenMsg(w.type, w.type === 'cmd_result' ? 'ten:result' : w.name);
  m.src = toTenLoc(w.src);
  m.dests = w.dests.map(toTenLoc);
  const fields = FIELD_PROPS[w.type];
  let props = w.props;
  if (fields !== undefined && fields.some((k) => k in props)) {
    props = { ...props };
    for (const k of fields) delete props[k];
  }
  m.props = props;
  m.propTypes = w.propTypes;
  m.cmdId = w.cmdId;
  m.seqId = w.seqId;
  const p = w.props;
  switch (w.type) {
    case 'cmd_result':
      m.origType = MSG_TYPE_CODE[w.origType] ?? MSG_TYPE_CODE.cmd;
      m.status = w.status;
      m.isFinal = w.isFinal;
      break;
    case 'start_graph':
      m.predefinedGraph = str(p.predefined_graph_name);
      m.graphJson = str(p.graph_json);
      m.syncStopBeforeDeinit = p.sync_stop_before_deinit === true;
      m.longRunningMode = p.long_running_mode === true;
      break;
    case 'stop_graph':
      m.graphId = str(p.graph_id);
      break;
    case 'trigger_life_cycle':
      m.stage = str(p.stage);
      break;
    case 'timer':
      m.timerId = int(p.timer_id);
      m.timeoutUs = typeof p.timeout_us === 'bigint' ? p.timeout_us : int(p.timeout_us);
      m.times = int(p.times);
      break;
    case 'timeout':
      m.timerId = int(p.timer_id);
      break;
    case 'data':
      m.buf = buf;
      break;
    case 'audio_frame': {
      const a = w.audio;
      m.buf = buf;
      m.timestamp = w.tsExact ?? Math.trunc(w.ts);
      if (a) {
        m.sampleRate = a.sampleRate;
        m.bytesPerSample = a.bytesPerSample;
        m.samplesPerChannel = a.samplesPerChannel;
        m.channels = a.channels;
        m.dataFmt = a.dataFmt;
        m.lineSize = a.lineSize;
      }
      break;
    }
    case 'video_frame': {
      const v = w.video;
      m.buf = buf;
      m.timestamp = w.tsExact ?? Math.trunc(w.ts);
      if (v) {
        m.pixelFmt = v.pixelFmt;
        m.width = v.width;
        m.height = v.height;
      }
      break;
    }
    case 'cmd':
    case 'close_app':
      break;
  }
  return m;
}

/**
 * A received message for the runtime. `buf` is given by the caller (it decides whether the
 * runtime gets a copy or a view of the received bytes).
 */
export function fromTen(m: TenMsg, packed: Uint8Array | null): WireMsg {
  const w = newWireMsg(m.type, m.name);
  w.src = fromTenLoc(m.src);
  w.dests = m.dests.map(fromTenLoc);
  w.props = m.props;
  w.propTypes = m.propTypes;
  w.cmdId = m.cmdId;
  w.seqId = m.seqId;
  const p = w.props;
  switch (m.type) {
    case 'cmd_result':
      w.status = m.status;
      w.isFinal = m.isFinal;
      w.isCompleted = m.isFinal;
      w.origType = TYPE_OF_CODE[m.origType] ?? 'cmd';
      break;
    case 'start_graph':
      if (m.predefinedGraph) p.predefined_graph_name = m.predefinedGraph;
      if (m.graphJson) p.graph_json = m.graphJson;
      if (m.syncStopBeforeDeinit) p.sync_stop_before_deinit = true;
      if (m.longRunningMode) p.long_running_mode = true;
      break;
    case 'stop_graph':
      p.graph_id = m.graphId;
      break;
    case 'trigger_life_cycle':
      p.stage = m.stage;
      break;
    case 'timer':
      p.timer_id = m.timerId;
      p.timeout_us = m.timeoutUs;
      p.times = m.times;
      break;
    case 'timeout':
      p.timer_id = m.timerId;
      break;
    case 'data':
      w.packed = packed;
      break;
    case 'audio_frame':
      w.packed = packed;
      setTimestamp(w, m.timestamp);
      w.audio = {
        sampleRate: m.sampleRate,
        bytesPerSample: m.bytesPerSample,
        samplesPerChannel: m.samplesPerChannel,
        channels: m.channels,
        channelLayout: 0,
        dataFmt: m.dataFmt,
        lineSize: m.lineSize,
        eof: false,
      };
      break;
    case 'video_frame':
      w.packed = packed;
      setTimestamp(w, m.timestamp);
      w.video = { width: m.width, height: m.height, pixelFmt: m.pixelFmt, eof: false };
      break;
    case 'cmd':
    case 'close_app':
      break;
  }
  return w;
}

/** A cmd_result for `cmd` (a TEN message), routed back to its source: TEN's `create_from_cmd`. */
export function tenResultFor(cmd: TenMsg, status: number, props: Record<string, unknown>): TenMsg {
  const r = new TenMsg('cmd_result', 'ten:result');
  r.cmdId = cmd.cmdId;
  r.seqId = cmd.seqId;
  r.origType = MSG_TYPE_CODE[cmd.type];
  r.status = status;
  r.isFinal = true;
  r.props = props;
  const d = cmd.dests[0];
  r.src = d ? { ...d } : tenLoc();
  r.dests = [{ ...cmd.src }];
  return r;
}

/** Whether a TEN message is a cmd (not a result, not data-like). */
export function isTenCmd(m: TenMsg): boolean {
  return isCmdType(m.type);
}

// ---- graphs in a child start_graph (spec §1.6) -----------------------------------------------

const KINDS_ON_WIRE: readonly MsgKind[] = ['cmd', 'data', 'video_frame', 'audio_frame'];

/**
 * The graph as TEN's child start_graph carries it: every node and connection with its app, the
 * graph id and the extension group, nodes as `{type, name, addon, extension_group, graph, app,
 * property}` and connections as `{app, graph, extension_group, extension, cmd?, data?,
 * video_frame?, audio_frame?}` (TEN's key orders). `graph` must be flat, with every node's app set.
 */
export function graphToTen(graph: TenGraph, graphId: string, groupOf: (node: TenExtensionNode) => string): { nodes: unknown[]; connections: unknown[] } {
  const exts = (graph.nodes ?? []).filter((n): n is TenExtensionNode => n.type === 'extension');
  const groupByKey = new Map(exts.map((n) => [`${n.app ?? ''}\u0000${n.name}`, groupOf(n)]));
  const nodes = exts.map((n) => ({
    type: 'extension',
    name: n.name,
    addon: n.addon,
    extension_group: groupOf(n),
    graph: graphId,
    app: n.app ?? '',
    property: n.property ?? {},
  }));
  const connections: unknown[] = [];
  for (const c of graph.connections ?? []) {
    if (typeof c.extension !== 'string') continue;
    const out: Record<string, unknown> = {
      app: c.app ?? '',
      graph: graphId,
      extension_group: groupByKey.get(`${c.app ?? ''}\u0000${c.extension}`) ?? '',
      extension: c.extension,
    };
    let any = false;
    for (const kind of KINDS_ON_WIRE) {
      const flows = (c[kind] ?? []).filter((f) => typeof f.name === 'string' && (f.dest ?? []).length > 0);
      if (flows.length === 0) continue;
      any = true;
      out[kind] = flows.map((f) => ({
        name: f.name,
        dest: (f.dest ?? []).map((d) => ({
          app: d.app ?? '',
          graph: graphId,
          extension_group: groupByKey.get(`${d.app ?? ''}\u0000${d.extension ?? ''}`) ?? '',
          extension: d.extension ?? '',
          ...(d.msg_conversion !== undefined ? { msg_conversion: d.msg_conversion } : {}),
        })),
      }));
    }
    if (any) connections.push(out);
  }
  return { nodes, connections };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the nodes and connections of a received start_graph back into a (flat) graph. */
export function graphFromTen(nodes: unknown[], connections: unknown[]): TenGraph {
  const g: TenGraph = { nodes: [], connections: [] };
  for (const n of nodes) {
    if (!isRecord(n) || typeof n.name !== 'string' || typeof n.addon !== 'string') continue;
    const node: TenExtensionNode = { type: 'extension', name: n.name, addon: n.addon };
    if (typeof n.extension_group === 'string' && n.extension_group !== '') node.extension_group = n.extension_group;
    if (typeof n.app === 'string' && n.app !== '') node.app = n.app;
    if (isRecord(n.property) && Object.keys(n.property).length > 0) node.property = n.property;
    g.nodes!.push(node);
  }
  for (const c of connections) {
    if (!isRecord(c) || typeof c.extension !== 'string') continue;
    const conn: TenConnection = { extension: c.extension };
    if (typeof c.app === 'string' && c.app !== '') conn.app = c.app;
    for (const kind of KINDS_ON_WIRE) {
      const flows = c[kind];
      if (!Array.isArray(flows)) continue;
      conn[kind] = flows.filter(isRecord).map((f): TenFlow => ({
        name: typeof f.name === 'string' ? f.name : '',
        dest: (Array.isArray(f.dest) ? f.dest : []).filter(isRecord).map((d): GraphLoc => {
          const loc: GraphLoc = { extension: typeof d.extension === 'string' ? d.extension : '' };
          if (typeof d.app === 'string' && d.app !== '') loc.app = d.app;
          if (d.msg_conversion !== undefined) loc.msg_conversion = d.msg_conversion;
          return loc;
        }),
      }));
    }
    g.connections!.push(conn);
  }
  return g;
}
