/**
 * The editor's commands. Each one builds graph-model edits and applies them as one undoable step
 * through the document store, so every change marks the document unsaved and can be undone.
 */
import { stringifyJson, UNSPECIFIED_GROUP, type MsgKind, type NodePosition, type PropertyEdit, type TenExtensionNode, type TenGraph, type TenNode } from '../../shared';
import { flowLayout, initialLayout } from '../canvas/flowLayout';
import { edgeId, graphToCanvas } from '../canvas/graphView';
import { selectGraph, useStudio } from '../store';
import { useEditor, type ClipboardContent } from './editorStore';
import type { StandInChoice } from '../../shared/talk/choice';
import { isValidName, renameLayoutGraph, uniqueName, updateGraphLayout, updateStandIns } from './model';

function report(error: string | null): boolean {
  if (error) useEditor.getState().setNotice(error);
  return error === null;
}

function currentGraph(): { name: string; graph: TenGraph } | null {
  const s = useStudio.getState();
  const graph = selectGraph(s);
  return graph && s.graphName !== null ? { name: s.graphName, graph } : null;
}

const graphEdit = (graph: string, edit: PropertyEdit extends infer E ? (E extends { type: 'editGraph'; edit: infer G } ? G : never) : never): PropertyEdit => ({
  type: 'editGraph',
  graph,
  edit,
});

/** Adds a node of `addon` at `position`, creating a first graph when the document has none. */
export function addNode(addon: string, position: NodePosition): string | null {
  const studio = useStudio.getState();
  if (!studio.document) return null;
  const edits: PropertyEdit[] = [];
  let target = currentGraph();
  if (!target) {
    const taken = studio.document.property.ten?.predefined_graphs?.map((g) => g.name) ?? [];
    const name = taken.includes('main') ? uniqueName('graph', taken) : 'main';
    edits.push({ type: 'addGraph', entry: { name, auto_start: true, graph: { nodes: [] } } });
    target = { name, graph: { nodes: [] } };
  }
  const name = uniqueName(addon, target.graph.nodes.map((n) => n.name));
  const group = useEditor.getState().newNodeGroup.trim();
  const node: TenExtensionNode = { type: 'extension', name, addon };
  if (group && group !== UNSPECIFIED_GROUP) node.extension_group = group;
  edits.push(graphEdit(target.name, { type: 'addNode', node }));
  const graphName = target.name;
  const ok = report(
    useStudio.getState().applyStep(edits, {
      graphName,
      layout: (l) => updateGraphLayout(l, graphName, (nodes) => ({ ...nodes, [name]: position })),
    }),
  );
  if (!ok) return null;
  useStudio.getState().selectNode(name);
  return name;
}

/** Removes the selected connections and nodes (a node's connections go with it). */
export function deleteSelection(): void {
  const target = currentGraph();
  const { selectedNodes, selectedEdges } = useStudio.getState();
  if (!target || (selectedNodes.length === 0 && selectedEdges.length === 0)) return;
  const removed = new Set(selectedNodes);
  const edges = graphToCanvas(target.graph).edges.filter((e) => selectedEdges.includes(e.id) && !removed.has(e.source) && !removed.has(e.target));
  const edits: PropertyEdit[] = [
    ...edges.map((e) => graphEdit(target.name, { type: 'disconnect', kind: e.kind, name: e.msg, from: { extension: e.source }, to: { extension: e.target } })),
    ...selectedNodes.map((name) => graphEdit(target.name, { type: 'removeNode', name })),
  ];
  const ok = report(
    useStudio.getState().applyStep(edits, {
      layout: (l) =>
        updateStandIns(
          updateGraphLayout(l, target.name, (nodes) => Object.fromEntries(Object.entries(nodes).filter(([n]) => !removed.has(n)))),
          target.name,
          (s) => Object.fromEntries(Object.entries(s).filter(([n]) => !removed.has(n))),
        ),
    }),
  );
  if (ok) useStudio.getState().setSelection([], []);
}

/** Shown positions of the current graph's nodes: stored ones, else the automatic placement. */
function positionsOf(graph: TenGraph, graphName: string): Record<string, NodePosition> {
  const stored = useStudio.getState().document?.layout?.graphs[graphName]?.nodes ?? {};
  const model = graphToCanvas(graph);
  const placed = model.nodes.every((n) => stored[n.name]) ? null : initialLayout(model, useEditor.getState().addons);
  const out: Record<string, NodePosition> = {};
  for (const n of model.nodes) out[n.name] = stored[n.name] ?? placed?.get(n.name) ?? { x: 0, y: 0 };
  return out;
}

/** Copies the selected nodes and the connections among them. */
export function copySelection(): boolean {
  const target = currentGraph();
  const names = new Set(useStudio.getState().selectedNodes);
  if (!target || names.size === 0) return false;
  const nodes = target.graph.nodes.filter((n) => names.has(n.name));
  const positions = positionsOf(target.graph, target.name);
  const origin = positions[nodes[0]!.name] ?? { x: 0, y: 0 };
  const offsets: Record<string, NodePosition> = {};
  for (const n of nodes) {
    const p = positions[n.name] ?? origin;
    offsets[n.name] = { x: p.x - origin.x, y: p.y - origin.y };
  }
  const connections = graphToCanvas(target.graph)
    .edges.filter((e) => names.has(e.source) && names.has(e.target))
    .map((e) => ({ kind: e.kind, name: e.msg, from: e.source, to: e.target }));
  useEditor.getState().setClipboard({ nodes, connections, offsets });
  return true;
}

/** Pastes `content` with fresh node names, `at` being the first node's position. */
export function paste(content: ClipboardContent | null = useEditor.getState().clipboard, at?: NodePosition): void {
  const target = currentGraph();
  if (!target || !content || content.nodes.length === 0) return;
  const taken = target.graph.nodes.map((n) => n.name);
  const renamed = new Map<string, string>();
  for (const n of content.nodes) {
    const fresh = uniqueName(n.name, taken);
    taken.push(fresh);
    renamed.set(n.name, fresh);
  }
  const positions = positionsOf(target.graph, target.name);
  const first = content.nodes[0]!.name;
  const base = at ?? { x: (positions[first]?.x ?? 0) + 40, y: (positions[first]?.y ?? 0) + 40 };
  const edits: PropertyEdit[] = [
    ...content.nodes.map((n) => graphEdit(target.name, { type: 'addNode', node: { ...n, name: renamed.get(n.name)! } as TenNode })),
    ...content.connections.map((c) =>
      graphEdit(target.name, { type: 'connect', kind: c.kind, name: c.name, from: { extension: renamed.get(c.from)! }, to: { extension: renamed.get(c.to)! } }),
    ),
  ];
  const ok = report(
    useStudio.getState().applyStep(edits, {
      layout: (l) =>
        updateGraphLayout(l, target.name, (nodes) => {
          const next = { ...nodes };
          for (const n of content.nodes) {
            const off = content.offsets[n.name] ?? { x: 0, y: 0 };
            next[renamed.get(n.name)!] = { x: base.x + off.x, y: base.y + off.y };
          }
          return next;
        }),
    }),
  );
  if (ok) useStudio.getState().setSelection([...renamed.values()], []);
}

/** Copies and pastes the selection in one go, leaving the clipboard as it was. */
export function duplicateSelection(): void {
  const before = useEditor.getState().clipboard;
  if (!copySelection()) return;
  const copied = useEditor.getState().clipboard;
  if (before) useEditor.getState().setClipboard(before);
  paste(copied);
}

/** Connects `from` to `to` with message `name` of `kind`. */
export function connect(kind: MsgKind, name: string, from: string, to: string): string | null {
  const target = currentGraph();
  if (!target) return 'No graph is shown.';
  return useStudio.getState().applyStep([graphEdit(target.name, { type: 'connect', kind, name, from: { extension: from }, to: { extension: to } })]);
}

/** Whether `kind` `name` already flows from `from` to `to` in the shown graph. */
export function connectionExists(kind: MsgKind, name: string, from: string, to: string): boolean {
  const target = currentGraph();
  return !!target && graphToCanvas(target.graph).edges.some((e) => e.id === edgeId(from, kind, name, to));
}

export function renameNode(from: string, to: string): string | null {
  const target = currentGraph();
  if (!target || from === to) return null;
  const error = useStudio.getState().applyStep([graphEdit(target.name, { type: 'renameNode', from, to })], {
    layout: (l) => {
      const move = <T,>(m: Record<string, T>) => {
        const next = { ...m };
        if (next[from]) next[to] = next[from]!;
        delete next[from];
        return next;
      };
      return updateStandIns(updateGraphLayout(l, target.name, move), target.name, move);
    },
  });
  if (!error) useStudio.getState().selectNode(to);
  return error;
}

/** Sets (or, with an empty name, clears) the extension group of nodes. */
export function setGroup(nodes: string[], group: string): string | null {
  const target = currentGraph();
  if (!target) return null;
  const value = group.trim() === '' ? undefined : group.trim();
  return useStudio.getState().applyStep(nodes.map((node) => graphEdit(target.name, { type: 'setGroup', node, group: value })));
}

/** Moves every node of group `from` to group `to`. */
export function renameGroup(from: string, to: string): string | null {
  const target = currentGraph();
  if (!target) return null;
  const members = target.graph.nodes.filter((n): n is TenExtensionNode => n.type === 'extension' && (n.extension_group ?? UNSPECIFIED_GROUP) === from);
  return setGroup(members.map((n) => n.name), to);
}

/** Sets (`value` defined) or removes a top-level property of a node. */
export function setNodeProperty(node: string, key: string, value: unknown): string | null {
  const target = currentGraph();
  if (!target) return null;
  const edit = value === undefined ? ({ type: 'deleteProperty', node, path: [key] } as const) : ({ type: 'setProperty', node, path: [key], value } as const);
  return useStudio.getState().applyStep([graphEdit(target.name, edit)]);
}

/** Replaces a node's whole property object (the inspector's raw JSON mode). */
export function replaceNodeProperty(node: string, property: Record<string, unknown>): string | null {
  const target = currentGraph();
  const current = target?.graph.nodes.find((n) => n.name === node);
  if (!target || !current || current.type === 'selector') return null;
  const old = (current.property ?? {}) as Record<string, unknown>;
  const edits: PropertyEdit[] = [
    ...Object.keys(old)
      .filter((k) => !(k in property))
      .map((k) => graphEdit(target.name, { type: 'deleteProperty', node, path: [k] })),
    ...Object.entries(property)
      .filter(([k, v]) => stringifyJson(old[k]) !== stringifyJson(v))
      .map(([k, v]) => graphEdit(target.name, { type: 'setProperty', node, path: [k], value: v })),
  ];
  return edits.length ? useStudio.getState().applyStep(edits) : null;
}

function graphNames(): string[] {
  return useStudio.getState().document?.property.ten?.predefined_graphs?.map((g) => g.name) ?? [];
}

function checkGraphName(name: string, except?: string): string | null {
  if (!isValidName(name)) return `'${name}' is not a valid graph name (letters, digits, '_'; not starting with a digit).`;
  if (name !== except && graphNames().includes(name)) return `A graph named '${name}' already exists.`;
  return null;
}

export function addGraph(name: string): string | null {
  return checkGraphName(name) ?? useStudio.getState().applyStep([{ type: 'addGraph', entry: { name, auto_start: false, graph: { nodes: [] } } }], { graphName: name });
}

/** Renames a graph: removed and added again at the same place, with its layout carried over. */
export function renameGraph(from: string, to: string): string | null {
  if (from === to) return null;
  const problem = checkGraphName(to, from);
  if (problem) return problem;
  const graphs = useStudio.getState().document?.property.ten?.predefined_graphs ?? [];
  const index = graphs.findIndex((g) => g.name === from);
  if (index === -1) return `No graph named '${from}'.`;
  return useStudio.getState().applyStep(
    [
      { type: 'removeGraph', name: from },
      { type: 'addGraph', entry: { ...graphs[index]!, name: to }, index },
    ],
    { graphName: to, layout: (l) => renameLayoutGraph(l, from, to) },
  );
}

export function removeGraph(name: string): string | null {
  return useStudio.getState().applyStep([{ type: 'removeGraph', name }], { graphName: null });
}

/** Lays the shown graph out by data flow, left to right (`flowLayout`), as one undoable step. */
export function autoLayout(): void {
  const target = currentGraph();
  if (!target) return;
  const placed = flowLayout(graphToCanvas(target.graph), useEditor.getState().addons);
  const positions: Record<string, NodePosition> = Object.fromEntries(placed);
  if (report(useStudio.getState().applyStep([], { layout: (l) => updateGraphLayout(l, target.name, () => positions) }))) {
    useEditor.getState().requestFocus({});
  }
}

/**
 * Sets (or, with null, clears) the stand-ins of nodes, as one undoable step. Stand-ins live in
 * the layout sidecar, never in the TEN JSON.
 */
export function setStandIns(changes: readonly { graph: string; node: string; choice: StandInChoice | null }[]): void {
  if (changes.length === 0) return;
  report(
    useStudio.getState().applyStep([], {
      layout: (l) => {
        let layout = l;
        for (const c of changes) {
          layout = updateStandIns(layout, c.graph, (s) => {
            const next = { ...s };
            if (c.choice) next[c.node] = c.choice;
            else delete next[c.node];
            return next;
          });
        }
        return layout;
      },
    }),
  );
}

export function setStandIn(graph: string, node: string, choice: StandInChoice | null): void {
  setStandIns([{ graph, node, choice }]);
}
