/**
 * TEN graph JSON as users write it (`property.json` → `ten.predefined_graphs[].graph`).
 * Field names follow TEN exactly so that documents round-trip; unknown fields are kept by the
 * parsers through the index signatures.
 */

export type MsgKind = 'cmd' | 'data' | 'audio_frame' | 'video_frame';
export const MSG_KINDS: readonly MsgKind[] = ['cmd', 'data', 'audio_frame', 'video_frame'];

export interface TenExtensionNode {
  type: 'extension';
  name: string;
  addon: string;
  extension_group?: string;
  app?: string;
  property?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface TenSubgraphNode {
  type: 'subgraph';
  name: string;
  graph: { import_uri: string; [extra: string]: unknown };
  property?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface TenSelectorNode {
  type: 'selector';
  name: string;
  filter: unknown;
  [extra: string]: unknown;
}

export type TenNode = TenExtensionNode | TenSubgraphNode | TenSelectorNode;

/** One end of a flow: exactly one of `extension`, `subgraph`, `selector` names the target. */
export interface TenLoc {
  app?: string;
  extension?: string;
  subgraph?: string;
  selector?: string;
  msg_conversion?: unknown;
  [extra: string]: unknown;
}

export interface TenFlow {
  name?: string;
  names?: string[];
  dest?: TenLoc[];
  source?: TenLoc[];
  [extra: string]: unknown;
}

export interface TenConnection {
  app?: string;
  extension?: string;
  subgraph?: string;
  selector?: string;
  cmd?: TenFlow[];
  data?: TenFlow[];
  audio_frame?: TenFlow[];
  video_frame?: TenFlow[];
  [extra: string]: unknown;
}

export interface TenGraph {
  nodes: TenNode[];
  connections?: TenConnection[];
  exposed_messages?: unknown[];
  exposed_properties?: unknown[];
  [extra: string]: unknown;
}

export interface TenPredefinedGraph {
  name: string;
  auto_start?: boolean;
  singleton?: boolean;
  graph: TenGraph | { import_uri: string; [extra: string]: unknown };
  [extra: string]: unknown;
}

export interface TenAppProperty {
  ten?: {
    uri?: string;
    log?: unknown;
    long_running_mode?: boolean;
    one_event_loop_per_engine?: boolean;
    predefined_graphs?: TenPredefinedGraph[];
    [extra: string]: unknown;
  };
  [extra: string]: unknown;
}

/** Default group TEN assigns to an extension node without `extension_group`. */
export const UNSPECIFIED_GROUP = 'ten:unspecified_group';
