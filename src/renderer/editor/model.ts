/**
 * Pure editing logic of the graph editor: undoable steps over the document, node names, port
 * handles and the compatibility of a connection between two ports. Nothing here touches React
 * or the store, so it is unit-tested directly.
 */
import {
  applyPropertyEdit,
  checkSchemaCompatible,
  MSG_KINDS,
  type AddonPort,
  type AddonSummary,
  type DocumentLayout,
  type MsgKind,
  type NodePosition,
  type PropertyEdit,
  type TenAppProperty,
} from '../../shared';
import type { StandInChoice } from '../../shared/talk/choice';

/** The result of applying edits as one step: the new property and the edits that undo it, in order. */
export type StepResult = { ok: true; property: TenAppProperty; inverse: PropertyEdit[] } | { ok: false; error: string };

/** Applies `edits` in order; all or nothing. The inverse list undoes them when applied in its order. */
export function applyEdits(property: TenAppProperty, edits: readonly PropertyEdit[]): StepResult {
  let current = property;
  const inverse: PropertyEdit[] = [];
  for (const edit of edits) {
    const r = applyPropertyEdit(current, edit);
    if (!r.ok) return { ok: false, error: r.error };
    current = r.doc;
    inverse.unshift(r.inverse);
  }
  return { ok: true, property: current, inverse };
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `name` is a valid TEN node or graph name (letters, digits, `_`; not starting with a digit). */
export function isValidName(name: string): boolean {
  return NAME_RE.test(name);
}

/** `<base>_<n>` with the smallest n ≥ 1 not in `taken` (the base is made a valid name first). */
export function uniqueName(base: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  let stem = base.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(stem)) stem = `n_${stem}`;
  stem = stem.replace(/_\d+$/, '');
  for (let n = 1; ; n++) {
    const candidate = `${stem}_${n}`;
    if (!used.has(candidate)) return candidate;
  }
}

/** An empty layout, for documents that have none yet. */
export const EMPTY_LAYOUT: DocumentLayout = { version: 1, graphs: {} };

/** The layout with the positions of `graph` replaced by `update(old positions)`. */
export function updateGraphLayout(
  layout: DocumentLayout | undefined,
  graph: string,
  update: (nodes: Record<string, NodePosition>) => Record<string, NodePosition>,
): DocumentLayout {
  const base = layout ?? EMPTY_LAYOUT;
  const nodes = update(base.graphs[graph]?.nodes ?? {});
  return { ...base, graphs: { ...base.graphs, [graph]: { ...base.graphs[graph], nodes } } };
}

/** The layout with the stand-ins of `graph` replaced by `update(old stand-ins)` (none left: the key goes). */
export function updateStandIns(
  layout: DocumentLayout | undefined,
  graph: string,
  update: (standIns: Record<string, StandInChoice>) => Record<string, StandInChoice>,
): DocumentLayout {
  const base = layout ?? EMPTY_LAYOUT;
  const g = base.graphs[graph] ?? { nodes: {} };
  const standIns = update(g.standIns ?? {});
  const { standIns: _old, ...rest } = g;
  return { ...base, graphs: { ...base.graphs, [graph]: Object.keys(standIns).length ? { ...rest, standIns } : rest } };
}

/** The layout with graph `from` stored under `to` (after a graph rename). */
export function renameLayoutGraph(layout: DocumentLayout | undefined, from: string, to: string): DocumentLayout | undefined {
  if (!layout?.graphs[from]) return layout;
  const graphs = { ...layout.graphs, [to]: layout.graphs[from]! };
  delete graphs[from];
  return { ...layout, graphs };
}

/** A port as the canvas shows it: declared by the manifest, or only used by a connection. */
export interface PortView {
  kind: MsgKind;
  name: string;
  /** False for a message the manifest does not declare but a connection uses (no schema to check). */
  declared: boolean;
}

/**
 * Handle ids: `out:<kind>:<name>` / `in:<kind>:<name>` for a message port, and `out:*` / `in:*` for
 * the "any message" port through which the user connects a message the manifest does not declare.
 */
export function portHandleId(direction: 'in' | 'out', kind: MsgKind, name: string): string {
  return `${direction}:${kind}:${name}`;
}
export const ANY_OUT = 'out:*';
export const ANY_IN = 'in:*';

/** What a handle id names. */
export type HandleRef = { direction: 'in' | 'out'; kind: MsgKind; name: string } | { direction: 'in' | 'out'; any: true };

export function parseHandleId(id: string | null | undefined): HandleRef | null {
  if (!id) return null;
  const [direction, kind, ...rest] = id.split(':');
  if (direction !== 'in' && direction !== 'out') return null;
  if (kind === '*') return { direction, any: true };
  if (!MSG_KINDS.includes(kind as MsgKind) || rest.length === 0) return null;
  return { direction, kind: kind as MsgKind, name: rest.join(':') };
}

/**
 * The ports of a node: the addon's declared messages per direction, plus messages its
 * connections use that the manifest does not declare (shown as undeclared).
 */
export function nodePorts(
  addon: AddonSummary | undefined,
  used: { direction: 'in' | 'out'; kind: MsgKind; name: string }[],
): { inPorts: PortView[]; outPorts: PortView[] } {
  const inPorts: PortView[] = [];
  const outPorts: PortView[] = [];
  const seen = new Set<string>();
  const add = (direction: 'in' | 'out', kind: MsgKind, name: string, declared: boolean) => {
    const key = portHandleId(direction, kind, name);
    if (seen.has(key)) return;
    seen.add(key);
    (direction === 'in' ? inPorts : outPorts).push({ kind, name, declared });
  };
  for (const p of addon?.ports ?? []) add(p.direction, p.kind, p.name, true);
  for (const u of used) add(u.direction, u.kind, u.name, false);
  return { inPorts, outPorts };
}

/** One end of a proposed connection. */
export interface ConnectEnd {
  node: string;
  addon: AddonSummary | undefined;
  handle: HandleRef;
}

/** Whether a connection may be made, and which message it carries. */
export type ConnectVerdict =
  | { ok: true; kind: MsgKind; name: string }
  /** Both ends accept any message: the user names the message (and its kind). */
  | { ok: true; ask: true }
  | { ok: false; reason: string };

const declaredPort = (addon: AddonSummary | undefined, direction: 'in' | 'out', kind: MsgKind, name: string): AddonPort | undefined =>
  addon?.ports.find((p) => p.direction === direction && p.kind === kind && p.name === name);

const KIND_LABEL: Record<MsgKind, string> = { cmd: 'cmd', data: 'data', audio_frame: 'audio frame', video_frame: 'video frame' };

/** A readable label of a message port: `data 'tick'`. */
export function portLabel(kind: MsgKind, name: string): string {
  return `${KIND_LABEL[kind]} '${name}'`;
}

/**
 * TEN's rules for a connection drawn from an output port to an input port: one message kind and
 * name end to end, and the sender's schema compatible with the receiver's (for cmds, the
 * receiver's result schema compatible with the sender's). `exists` says whether that exact flow
 * is already in the graph.
 */
export function checkConnection(from: ConnectEnd, to: ConnectEnd, exists: (kind: MsgKind, name: string) => boolean): ConnectVerdict {
  if (from.handle.direction !== 'out' || to.handle.direction !== 'in') {
    return { ok: false, reason: 'Connect an output port (right side) to an input port (left side).' };
  }
  if (from.node === to.node) return { ok: false, reason: `'${from.node}' cannot send messages to itself.` };
  const a = from.handle;
  const b = to.handle;
  let kind: MsgKind;
  let name: string;
  if ('any' in a && 'any' in b) return { ok: true, ask: true };
  if ('any' in a) {
    if ('any' in b) return { ok: true, ask: true };
    ({ kind, name } = b);
  } else if ('any' in b) {
    ({ kind, name } = a);
  } else {
    if (a.kind !== b.kind) {
      return { ok: false, reason: `${portLabel(a.kind, a.name)} cannot go to ${portLabel(b.kind, b.name)}: the message kinds differ.` };
    }
    if (a.name !== b.name) {
      return { ok: false, reason: `${portLabel(a.kind, a.name)} cannot go to ${portLabel(b.kind, b.name)}: the message names differ.` };
    }
    ({ kind, name } = a);
  }
  const out = declaredPort(from.addon, 'out', kind, name);
  const inp = declaredPort(to.addon, 'in', kind, name);
  const props = checkSchemaCompatible(out?.schema, inp?.schema);
  if (!props.ok) return { ok: false, reason: `${portLabel(kind, name)}: the schemas are incompatible (${props.error}).` };
  if (kind === 'cmd') {
    const result = checkSchemaCompatible(inp?.resultSchema, out?.resultSchema);
    if (!result.ok) return { ok: false, reason: `${portLabel(kind, name)}: the result schemas are incompatible (${result.error}).` };
  }
  if (exists(kind, name)) return { ok: false, reason: `${portLabel(kind, name)} already flows from '${from.node}' to '${to.node}'.` };
  return { ok: true, kind, name };
}
