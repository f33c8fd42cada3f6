/**
 * Stand-ins: what the studio runs in place of a node whose package cannot run here (another
 * language, not installed), for one run only. Nothing here is ever written into TEN JSON; the
 * choice per node lives in the layout sidecar (`DocumentLayout.graphs[g].standIns`).
 *
 * - `interface`: built from the package's manifest (its `api`, with `api.interface` imports
 *   resolved where they can be) or, with no manifest at hand, from the graph's connections. It
 *   answers each cmd as the package's language does by default (C++: OK with detail "default";
 *   Python, Node.js and Go: never), or, with `answer: 'schema'`, OK with result properties
 *   generated from the manifest's result schema; it logs what it receives.
 * - `replay`: sends what the real node sent in a recording, on the recording's clock.
 * - `transport`: the studio's local transport (`local_transport`) in place of an RTC node:
 *   microphone or WAV audio in, the graph's audio out played and recorded.
 */
import type { MsgKind, TenConnection, TenFlow, TenGraph } from '../graph/types';
import type { ApiMessage, ManifestApi, TenManifest } from '../manifest/manifest';
import { propertyBlockToSchema, type TenValueSchema } from '../schema/value-schema';

export { STAND_IN_KINDS, checkStandInChoice, type StandInChoice, type StandInKind, type StandInLanguage } from './choice';
import type { StandInChoice, StandInLanguage } from './choice';

/** How a stand-in answers one cmd: a result, or null for never (the sender's path times out). */
export type CmdAnswer = {
  status: 0 | 1;
  detail?: string;
  props?: Record<string, unknown>;
  /** Property paths (dotted) of `buf` type: the stand-in sets an empty buffer there. */
  bufs?: string[];
} | null;

/** Names of the messages a node declares (or is connected for), per list. */
export type PortNames = Record<'cmd_in' | 'cmd_out' | 'data_in' | 'data_out' | 'audio_frame_in' | 'audio_frame_out' | 'video_frame_in' | 'video_frame_out', string[]>;

/** What the interface stand-in extension is given (as its node property `stand_in`). */
export interface InterfaceStandInConfig {
  node: string;
  addon: string;
  language: StandInLanguage;
  /** Where the language came from: the manifest's TEN runtime, the addon's name, or an assumption. */
  languageFrom: 'manifest' | 'name' | 'assumed';
  answer: 'default' | 'schema';
  /** Per cmd name the node receives; `*` answers every other cmd. */
  cmds: Record<string, CmdAnswer>;
  ports: PortNames;
  /** Where the interface came from, for the stand-in's first log line. */
  source: string;
}

const RUNTIME_LANGUAGE: Record<string, StandInLanguage> = {
  ten_runtime: 'cpp',
  ten_runtime_python: 'python',
  ten_runtime_nodejs: 'nodejs',
  ten_runtime_go: 'go',
};

/**
 * The language a package is written in: its manifest's TEN runtime dependency; without a
 * manifest, TEN's naming convention (`*_python`, `*_go`, `*_nodejs`); else C++ is assumed (the
 * transports and native packages a graph cannot run here usually are).
 */
export function standInLanguage(manifest: Pick<TenManifest, 'dependencies'> | undefined, addon: string): { language: StandInLanguage; from: InterfaceStandInConfig['languageFrom'] } {
  for (const d of manifest?.dependencies ?? []) {
    if ('name' in d && d.type === 'system' && RUNTIME_LANGUAGE[d.name]) return { language: RUNTIME_LANGUAGE[d.name]!, from: 'manifest' };
  }
  if (/_python$|_py$/.test(addon)) return { language: 'python', from: 'name' };
  if (/_go$/.test(addon)) return { language: 'go', from: 'name' };
  if (/_nodejs$|_ts$/.test(addon)) return { language: 'nodejs', from: 'name' };
  return { language: 'cpp', from: 'assumed' };
}

/** What a package in `language` answers a cmd it does not handle (TEN's bindings). */
export function languageDefaultAnswer(language: StandInLanguage): CmdAnswer {
  // The C++ base extension returns OK with detail "default"; the Python, Node.js and Go bindings
  // do nothing, so the sender waits until its path times out.
  return language === 'cpp' ? { status: 0, detail: 'default' } : null;
}

export function emptyPorts(): PortNames {
  return { cmd_in: [], cmd_out: [], data_in: [], data_out: [], audio_frame_in: [], audio_frame_out: [], video_frame_in: [], video_frame_out: [] };
}

/** Message names per list of a (flattened) manifest API. */
export function portsOfApi(api: ManifestApi | undefined): PortNames {
  const out = emptyPorts();
  for (const list of Object.keys(out) as (keyof PortNames)[]) {
    for (const m of (api?.[list] ?? []) as ApiMessage[]) if (typeof m?.name === 'string' && !out[list].includes(m.name)) out[list].push(m.name);
  }
  return out;
}

function flowNames(f: TenFlow): string[] {
  if (typeof f.name === 'string') return [f.name];
  return Array.isArray(f.names) ? f.names.filter((n): n is string => typeof n === 'string') : [];
}

/**
 * What a node sends and receives according to the graph's connections (forward `dest` flows and
 * reversed `source` flows, `names` lists included): the interface of a node whose manifest is
 * not at hand.
 */
export function portsFromGraph(graph: Pick<TenGraph, 'connections'>, node: string): PortNames {
  const out = emptyPorts();
  const add = (list: keyof PortNames, names: string[]) => {
    for (const n of names) if (!out[list].includes(n)) out[list].push(n);
  };
  for (const c of (graph.connections ?? []) as TenConnection[]) {
    for (const kind of ['cmd', 'data', 'audio_frame', 'video_frame'] as MsgKind[]) {
      for (const f of c[kind] ?? []) {
        const names = flowNames(f);
        const dests = (f.dest ?? []).map((d) => d.extension);
        const sources = (f.source ?? []).map((s) => s.extension);
        if (c.extension === node) {
          if (dests.length) add(`${kind}_out`, names);
          if (sources.length) add(`${kind}_in`, names);
        }
        if (c.extension !== undefined && c.extension !== node) {
          if (dests.includes(node)) add(`${kind}_in`, names);
          if (sources.includes(node)) add(`${kind}_out`, names);
        }
      }
    }
  }
  return out;
}

/** Both port lists together (a manifest's declarations plus what the graph connects). */
export function mergePorts(a: PortNames, b: PortNames): PortNames {
  const out = emptyPorts();
  for (const list of Object.keys(out) as (keyof PortNames)[]) out[list] = [...new Set([...a[list], ...b[list]])];
  return out;
}

const USER_CMDS = ['on_user_joined', 'on_user_left'];

/**
 * How much a node looks like a real-time transport (TEN's `agora_rtc` and its kind): 2 when it
 * sends audio frames and announces users (`on_user_joined`/`on_user_left`), 1 when it sends and
 * receives audio frames (a transport without user cmds, such as a WebSocket audio server, but also
 * an audio adapter in the middle of a pipeline), else 0. `reasons` says what matched, for the UI.
 */
export function transportMatch(ports: PortNames): { score: 0 | 1 | 2; reasons: string[] } {
  const reasons: string[] = [];
  if (ports.audio_frame_out.length) reasons.push(`sends audio frames (${ports.audio_frame_out.join(', ')})`);
  if (ports.audio_frame_in.length) reasons.push(`receives audio frames (${ports.audio_frame_in.join(', ')})`);
  const users = ports.cmd_out.filter((c) => USER_CMDS.includes(c));
  if (users.length) reasons.push(`announces users (${users.join(', ')})`);
  const score = ports.audio_frame_out.length === 0 ? 0 : users.length > 0 ? 2 : ports.audio_frame_in.length > 0 ? 1 : 0;
  return { score, reasons };
}

/**
 * The RTC nodes of a graph: the nodes that look most like a transport. A node that announces
 * users wins over nodes that only pass audio both ways (TEN's streamid_adapter does that too).
 */
export function rtcNodes(ports: ReadonlyMap<string, PortNames>): Set<string> {
  const scores = [...ports].map(([node, p]) => [node, transportMatch(p).score] as const);
  const best = Math.max(0, ...scores.map(([, s]) => s));
  return new Set(best === 0 ? [] : scores.filter(([, s]) => s === best).map(([n]) => n));
}

/** The stand-in a node gets when the user has not chosen one: the local transport for an RTC node, else the interface. */
export function suggestedStandIn(rtc: boolean): StandInChoice {
  return rtc ? { kind: 'transport' } : { kind: 'interface', answer: 'default' };
}

/**
 * A value of the schema's type, for a stand-in's generated result: readable strings, small
 * in-range numbers, one item per array, every declared object property. `buf` values cannot be
 * JSON: their paths are collected in `bufs`; `ptr` values are left out.
 */
export function generateValue(schema: TenValueSchema, key: string, path: string, bufs: string[], depth = 0): unknown {
  switch (schema.type) {
    case 'bool':
      return true;
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'uint64':
      return 1;
    case 'float32':
    case 'float64':
      return 0.5;
    case 'string':
      return `stand-in ${key}`;
    case 'buf':
      bufs.push(path);
      return undefined;
    case 'ptr':
      return undefined;
    case 'array': {
      if (depth > 8) return [];
      const item = generateValue(schema.items, key, `${path}[0]`, [], depth + 1);
      return item === undefined ? [] : [item];
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      if (depth > 8) return out;
      for (const [k, s] of Object.entries(schema.properties)) {
        const v = generateValue(s, k, path ? `${path}.${k}` : k, bufs, depth + 1);
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
  }
}

/** The generated result of one cmd from its result schema (OK with no properties when it declares none). */
export function schemaAnswer(msg: ApiMessage | undefined): { answer: Exclude<CmdAnswer, null>; error?: string } {
  const block = msg?.result?.property;
  if (block === undefined) return { answer: { status: 0 } };
  const parsed = propertyBlockToSchema(block);
  if (!parsed.ok) return { answer: { status: 0 }, error: parsed.error };
  const bufs: string[] = [];
  const props = generateValue(parsed.schema, '', '', bufs) as Record<string, unknown>;
  const answer: Exclude<CmdAnswer, null> = { status: 0, props };
  if (bufs.length) answer.bufs = bufs;
  return { answer };
}

/** Input for an interface stand-in: what is known about the node's package. */
export interface InterfaceStandInInput {
  node: string;
  addon: string;
  /** The package's manifest, when it is at hand (installed, or in the corpus). */
  manifest?: TenManifest;
  /** Its API with `api.interface` imports merged (`flattenManifestApi`); defaults to `manifest.api`. */
  api?: ManifestApi;
  /** Imports that could not be resolved (their messages are unknown). */
  unresolvedImports?: string[];
  /** The node's graph, for the messages it is connected for. */
  graph?: Pick<TenGraph, 'connections'>;
  answer?: 'default' | 'schema';
}

/**
 * Builds an interface stand-in from a manifest (and the graph): which cmds it answers and how.
 * `problems` lists result schemas that could not be used (those cmds are answered OK without
 * properties).
 */
export function interfaceStandIn(input: InterfaceStandInInput): { config: InterfaceStandInConfig; problems: string[] } {
  const { language, from } = standInLanguage(input.manifest, input.addon);
  const answer = input.answer ?? 'default';
  const api = input.api ?? input.manifest?.api;
  const declared = portsOfApi(api);
  const connected = input.graph ? portsFromGraph(input.graph, input.node) : emptyPorts();
  const ports = mergePorts(declared, connected);
  const problems: string[] = [];
  const cmds: Record<string, CmdAnswer> = {};
  const byName = new Map(((api?.cmd_in ?? []) as ApiMessage[]).filter((m) => typeof m?.name === 'string').map((m) => [m.name, m]));
  for (const name of ports.cmd_in) {
    if (answer === 'default') cmds[name] = languageDefaultAnswer(language);
    else {
      const r = schemaAnswer(byName.get(name));
      if (r.error) problems.push(`cmd '${name}': its result schema cannot be used (${r.error}); answering OK without properties`);
      cmds[name] = r.answer;
    }
  }
  cmds['*'] = answer === 'default' ? languageDefaultAnswer(language) : { status: 0 };
  const parts: string[] = [];
  if (input.manifest) parts.push(`the manifest of ${input.addon}${input.manifest.version ? ` ${input.manifest.version}` : ''}`);
  else parts.push(`the graph's connections (no manifest of ${input.addon} is at hand)`);
  if (input.unresolvedImports?.length) parts.push(`unresolved interface imports: ${input.unresolvedImports.join(', ')}`);
  return {
    config: { node: input.node, addon: input.addon, language, languageFrom: from, answer, cmds, ports, source: parts.join('; ') },
    problems,
  };
}

/** A short description of a cmd answer, for the UI ("OK, detail \"default\"", "never answers"). */
export function describeAnswer(a: CmdAnswer): string {
  if (a === null) return 'never answers (the sender waits for its path timeout)';
  const parts = [a.status === 0 ? 'OK' : 'ERROR'];
  if (a.detail !== undefined) parts.push(`detail "${a.detail}"`);
  const keys = Object.keys(a.props ?? {});
  if (keys.length) parts.push(`result ${keys.join(', ')}`);
  return parts.join(', ');
}

export const LANGUAGE_NAMES: Record<StandInLanguage, string> = { cpp: 'C++', python: 'Python', nodejs: 'Node.js', go: 'Go' };
