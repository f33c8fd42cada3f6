/**
 * Plans a run's stand-ins: for each node the user chose one for (the layout sidecar's
 * `standIns`, or the request's), what runs instead, built from the node's package manifest (an
 * app package or a built-in, its `api.interface` imports resolved) or from the graph; which nodes
 * are local transports (stand-ins, or `local_transport` nodes) and the channel each talks on; and
 * the roles of the graph's nodes around them. Also describes every node for the Run dialog:
 * whether its package runs here and which stand-in it would get.
 */
import type { NodeReplacement } from '../../runtime/app/app';
import { discoverAddons, type AddonPackage } from '../../runtime/app/packages';
import { readRegularTextSync } from '../../runtime/core/regular_file';
import {
  flattenManifestApi,
  HostError,
  type Catalogue,
  type GraphDocument,
  type ManifestApi,
  type RunNodePlan,
  type RunStandIn,
  type TenAppProperty,
  type TenExtensionNode,
  type TenGraph,
  type TenManifest,
} from '../../shared';
import { replayPlan } from '../../shared/talk/replay';
import {
  interfaceStandIn,
  languageDefaultAnswer,
  LANGUAGE_NAMES,
  mergePorts,
  rtcNodes,
  portsFromGraph,
  portsOfApi,
  standInLanguage,
  suggestedStandIn,
  transportMatch,
  describeAnswer,
  type PortNames,
  type StandInChoice,
} from '../../shared/talk/standin';
import { talkRoles, type TalkRoles } from '../../shared/talk/talk';
import { nodeFiles } from '../files';
import { runBlockers, type NodeBlocker } from '../runnable';
import type { TransportSpec } from '../talk/session';
import { readRecording } from './recording';

/** The studio's own stand-in addons and the built-in transport. */
export const STAND_IN_ADDON = 'ten_studio:stand_in';
export const REPLAY_ADDON = 'ten_studio:replay';
export const TRANSPORT_ADDON = 'local_transport';

export interface StandInPlan {
  replaceNodes: Record<string, Record<string, NodeReplacement>>;
  standIns: RunStandIn[];
  transports: TransportSpec[];
  /** Roles of the nodes around the transports (null without transports). */
  roles: TalkRoles | null;
  warnings: string[];
}

export interface PlanContext {
  runId: string;
  document: GraphDocument;
  graphs: readonly string[];
  appDir: string | undefined;
  addonDirs: readonly string[];
  catalogue: Catalogue;
  /** Choices that win over the layout sidecar's, per graph and node. */
  overrides?: Record<string, Record<string, StandInChoice>>;
}

/** What is known about one node's package. */
interface NodeInfo {
  graph: string;
  node: TenExtensionNode;
  manifest: TenManifest | undefined;
  api: ManifestApi | undefined;
  unresolved: string[];
  ports: PortNames;
}

function inlineGraph(document: GraphDocument, name: string): TenGraph | null {
  const entry = (document.property.ten?.predefined_graphs ?? []).find((g) => g.name === name);
  return entry && 'nodes' in entry.graph ? (entry.graph as TenGraph) : null;
}

function choicesOf(ctx: Pick<PlanContext, 'document' | 'overrides'>, graph: string): Record<string, StandInChoice> {
  return { ...(ctx.document.layout?.graphs[graph]?.standIns ?? {}), ...(ctx.overrides?.[graph] ?? {}) };
}

async function nodeInfos(ctx: Omit<PlanContext, 'runId'>): Promise<NodeInfo[]> {
  const out: NodeInfo[] = [];
  const apis = new Map<string, Promise<{ api: ManifestApi | undefined; unresolved: string[] }>>();
  for (const graph of ctx.graphs) {
    const g = inlineGraph(ctx.document, graph);
    if (!g) continue;
    for (const node of g.nodes) {
      if (node.type !== 'extension' || typeof node.addon !== 'string') continue;
      const info = ctx.catalogue.get(node.addon);
      const manifest = info?.manifest;
      let flat = apis.get(node.addon);
      if (!flat) {
        flat = info?.dir
          ? flattenManifestApi(manifest?.api, { files: nodeFiles, baseDir: info.dir, ...(ctx.appDir ? { appBaseDir: ctx.appDir } : {}) }).then((r) => ({
              api: r.api,
              unresolved: r.diagnostics.map((d) => d.message),
            }))
          : Promise.resolve({ api: info?.api, unresolved: [] });
        apis.set(node.addon, flat);
      }
      const { api, unresolved } = await flat;
      out.push({
        graph,
        node,
        manifest,
        api,
        unresolved,
        ports: mergePorts(portsOfApi(api), portsFromGraph(g, node.name)),
      });
    }
  }
  return out;
}

function readManifestOf(pkg: AddonPackage | undefined): TenManifest | undefined {
  if (!pkg) return undefined;
  try {
    return JSON.parse(readRegularTextSync(`${pkg.dir}/manifest.json`)) as TenManifest;
  } catch {
    return undefined;
  }
}

/** Every extension node of the graphs, whether it runs here, and the stand-in it has or would get. */
export async function describeRunNodes(ctx: Omit<PlanContext, 'runId'>): Promise<RunNodePlan[]> {
  const discovered = discoverAddons(ctx.appDir, ctx.addonDirs);
  const infos = await nodeInfos(ctx);
  const blockers = new Map(runBlockers(ctx.document.property, ctx.graphs, ctx.appDir, ctx.addonDirs).blockers.map((b) => [b.node, b.reason]));
  const rtc = new Map<string, Set<string>>();
  for (const graph of ctx.graphs) rtc.set(graph, rtcNodes(new Map(infos.filter((i) => i.graph === graph).map((i) => [i.node.name, i.ports]))));
  return infos.map((i) => {
    const { language, from } = standInLanguage(i.manifest ?? readManifestOf(discovered.get(i.node.addon)), i.node.addon);
    const match = transportMatch(i.ports);
    const isRtc = rtc.get(i.graph)?.has(i.node.name) ?? false;
    const chosen = choicesOf(ctx, i.graph)[i.node.name];
    const plan: RunNodePlan = {
      graph: i.graph,
      node: i.node.name,
      addon: i.node.addon,
      runsHere: !blockers.has(i.node.name),
      language,
      languageFrom: from,
      hasManifest: i.manifest !== undefined,
      rtc: isRtc,
      rtcReasons: isRtc ? match.reasons : [],
      suggested: suggestedStandIn(isRtc),
      defaultAnswer: describeAnswer(languageDefaultAnswer(language)),
      cmdsIn: i.ports.cmd_in,
    };
    const reason = blockers.get(i.node.name);
    if (reason !== undefined) plan.reason = reason;
    if (chosen) plan.chosen = chosen;
    return plan;
  });
}

/**
 * The extension nodes of `graphs` (run as the app `property` describes) that cannot run here and
 * that no stand-in of `plan` replaces, each with its reason (`runBlockers`), and how many
 * extension nodes were looked at: what a run refuses to start with, one line per node, before
 * anything starts (the studio's Run and `ten-studio run` alike).
 */
export function blockersLeft(
  plan: StandInPlan,
  property: TenAppProperty,
  graphs: readonly string[],
  appDir: string | undefined,
  addonDirs: readonly string[],
): { blockers: NodeBlocker[]; nodes: number } {
  const found = runBlockers(property, graphs, appDir, addonDirs);
  const stoodIn = (node: string) => Object.values(plan.replaceNodes).some((r) => node in r);
  return { blockers: found.blockers.filter((b) => !stoodIn(b.node)), nodes: found.nodes };
}

/**
 * The run's stand-ins and transports. Throws `E_RUN` for a stand-in that cannot be built (a
 * replay whose recording lacks the node's messages). Nodes that cannot run and have no stand-in
 * are the caller's to refuse ({@link blockersLeft}) or to leave to the runtime.
 */
export async function planStandIns(ctx: PlanContext): Promise<StandInPlan> {
  const discovered = discoverAddons(ctx.appDir, ctx.addonDirs);
  const infos = await nodeInfos(ctx);
  const plan: StandInPlan = { replaceNodes: {}, standIns: [], transports: [], roles: null, warnings: [] };
  const byGraph = new Map<string, NodeInfo[]>();
  for (const i of infos) byGraph.set(i.graph, [...(byGraph.get(i.graph) ?? []), i]);
  for (const [graph, nodes] of byGraph) {
    const choices = choicesOf(ctx, graph);
    const replace: Record<string, NodeReplacement> = {};
    for (const i of nodes) {
      const name = i.node.name;
      const choice = choices[name];
      const { language } = standInLanguage(i.manifest ?? readManifestOf(discovered.get(i.node.addon)), i.node.addon);
      if (!choice) {
        if (i.node.addon === TRANSPORT_ADDON) {
          const channel = channelName(ctx.runId, graph, name);
          replace[name] = { addon: TRANSPORT_ADDON, property: { ...(i.node.property ?? {}), talk_channel: channel } };
          plan.transports.push({ graph, node: name, channel });
        }
        continue;
      }
      switch (choice.kind) {
        case 'interface': {
          const { config, problems } = interfaceStandIn({
            node: name,
            addon: i.node.addon,
            ...(i.manifest ? { manifest: i.manifest } : {}),
            ...(i.api ? { api: i.api } : {}),
            ...(i.unresolved.length ? { unresolvedImports: i.unresolved } : {}),
            graph: inlineGraph(ctx.document, graph) ?? { connections: [] },
            answer: choice.answer ?? 'default',
          });
          plan.warnings.push(...problems.map((p) => `${name}: ${p}`));
          replace[name] = { addon: STAND_IN_ADDON, property: { stand_in: config } };
          const answers = choice.answer === 'schema' ? 'answers OK with generated results' : `answers as ${LANGUAGE_NAMES[config.language]} does (${describeAnswer(config.cmds['*'] ?? null)})`;
          plan.standIns.push({ graph, node: name, addon: i.node.addon, kind: 'interface', summary: `interface stand-in: ${answers}` });
          break;
        }
        case 'replay': {
          const rec = await readRecording(choice.recording).catch((e: unknown) => {
            throw new HostError('E_RUN', `The replay of ${name} cannot start: ${(e as Error).message}`);
          });
          let built;
          try {
            built = replayPlan(rec, name, choice.recording, languageDefaultAnswer(language));
          } catch (e) {
            throw new HostError('E_RUN', `The replay of ${name} cannot start: ${(e as Error).message}`);
          }
          plan.warnings.push(...built.warnings.map((w) => `${name}: ${w}`));
          replace[name] = { addon: REPLAY_ADDON, property: { replay: built.config } };
          plan.standIns.push({ graph, node: name, addon: i.node.addon, kind: 'replay', summary: `replays ${built.config.sends.length} message(s) from ${choice.recording}` });
          break;
        }
        case 'transport': {
          const channel = channelName(ctx.runId, graph, name);
          replace[name] = { addon: TRANSPORT_ADDON, property: transportProperty(i, channel, choice.frameMs) };
          plan.transports.push({ graph, node: name, channel });
          plan.standIns.push({ graph, node: name, addon: i.node.addon, kind: 'transport', summary: 'local transport: microphone or WAV in, the graph\'s audio played and recorded' });
          break;
        }
      }
    }
    if (Object.keys(replace).length) plan.replaceNodes[graph] = replace;
  }
  if (plan.transports.length) {
    const ports = new Map(infos.map((i) => [`${i.graph}\u0000${i.node.name}`, i.ports]));
    const all: TalkRoles = { transport: [], asr: [], llm: [], tts: [] };
    for (const graph of ctx.graphs) {
      const g = inlineGraph(ctx.document, graph);
      if (!g) continue;
      const r = talkRoles(g, plan.transports.filter((t) => t.graph === graph).map((t) => t.node), (n) => ports.get(`${graph}\u0000${n}`));
      for (const k of Object.keys(all) as (keyof TalkRoles)[]) all[k].push(...r[k].filter((n) => !all[k].includes(n)));
    }
    plan.roles = all;
  }
  return plan;
}

function channelName(runId: string, graph: string, node: string): string {
  return `ten-studio.talk.${runId}.${graph}.${node}`;
}

/** The transport's properties from the node it stands in for: its stream id, sample rate and frame name. */
function transportProperty(i: NodeInfo, channel: string, frameMs: 10 | 20 | undefined): Record<string, unknown> {
  const p = i.node.property ?? {};
  const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'bigint' ? Number(v) : undefined);
  const rate = int(p.sample_rate);
  const ms = frameMs ?? (int(p.frame_ms) === 20 || int(p.audio_frame_ms) === 20 ? 20 : 10);
  return {
    talk_channel: channel,
    frame_ms: ms,
    sample_rate: rate !== undefined && rate >= 8000 && rate <= 48000 ? rate : 16000,
    // TEN's agora_rtc puts the remote user's id on the frames it receives.
    stream_id: int(p.remote_stream_id) ?? int(p.stream_id) ?? 0,
    frame_name: i.ports.audio_frame_out[0] ?? 'pcm_frame',
  };
}
