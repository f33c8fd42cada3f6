/**
 * Writing TEN files back: stable key order (TEN's field order first, then the user's other keys
 * in their original order), 2-space indentation, a final newline. Values inside `property`
 * blocks keep the user's order. Canvas layout never enters TEN files: the host's documents
 * keep it in a sidecar (`DocumentLayout` in the IPC contract). Integers beyond 2^53 (`bigint`
 * from the located parser) are written as the same integer literal.
 */
import { stringifyJson } from '../json/text';

type Ctx = 'root' | 'ten' | 'graphInfo' | 'graph' | 'node' | 'connection' | 'flow' | 'loc' | 'free';

const ORDER: Record<Exclude<Ctx, 'free'>, readonly string[]> = {
  root: ['ten', '_ten'],
  ten: ['uri', 'log', 'long_running_mode', 'one_event_loop_per_engine', 'predefined_graphs'],
  graphInfo: ['name', 'auto_start', 'singleton', 'sync_stop_before_deinit', 'graph'],
  graph: ['import_uri', 'nodes', 'connections', 'exposed_messages', 'exposed_properties'],
  node: ['type', 'name', 'addon', 'extension_group', 'app', 'graph', 'filter', 'property'],
  connection: ['app', 'extension', 'subgraph', 'selector', 'cmd', 'data', 'audio_frame', 'video_frame'],
  flow: ['name', 'names', 'dest', 'source'],
  loc: ['app', 'extension', 'subgraph', 'selector', 'msg_conversion'],
};

/** The context of `key`'s value inside an object of context `ctx`. */
function childCtx(ctx: Ctx, key: string): Ctx {
  switch (ctx) {
    case 'root':
      return key === 'ten' || key === '_ten' ? 'ten' : 'free';
    case 'ten':
      return key === 'predefined_graphs' ? 'graphInfo' : 'free';
    case 'graphInfo':
      return key === 'graph' ? 'graph' : 'free';
    case 'graph':
      return key === 'nodes' ? 'node' : key === 'connections' ? 'connection' : 'free';
    case 'node':
      return 'free';
    case 'connection':
      return key === 'cmd' || key === 'data' || key === 'audio_frame' || key === 'video_frame' ? 'flow' : 'free';
    case 'flow':
      return key === 'dest' || key === 'source' ? 'loc' : 'free';
    case 'loc':
    case 'free':
      return 'free';
  }
}

function order(value: unknown, ctx: Ctx): unknown {
  if (Array.isArray(value)) return value.map((v) => order(v, ctx));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  const known = ctx === 'free' ? [] : ORDER[ctx].filter((k) => k in obj);
  const rest = keys.filter((k) => !known.includes(k));
  const out: Record<string, unknown> = {};
  for (const k of [...known, ...rest]) {
    Object.defineProperty(out, k, { value: order(obj[k], childCtx(ctx, k)), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** What a file holds, which decides the key order. */
export type ExportKind = 'property' | 'graph' | 'json';

/** Serialises a TEN document: stable key order, 2-space indent, trailing newline. */
export function exportJson(value: unknown, kind: ExportKind = 'graph'): string {
  const ctx: Ctx = kind === 'property' ? 'root' : kind === 'graph' ? 'graph' : 'free';
  return `${stringifyJson(order(value, ctx), 2)}\n`;
}
