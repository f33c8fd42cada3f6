import { create } from 'zustand';
import type { DocumentLayout, ExampleSummary, GraphDocument, HostEvent, NodePosition, PropertyEdit, TenGraph, VersionInfo } from '../shared';
import { applyEdits } from './editor/model';
import type { ConnectionState } from './transport/client';

const MAX_EVENTS = 500;
const MAX_HISTORY = 200;

/** One undoable step: the edits that undo it, and the layout, graph shown and revision before it. */
export interface HistoryEntry {
  edits: PropertyEdit[];
  layout: DocumentLayout | undefined;
  graphName: string | null;
  revision: number;
}

/** How a step changes the layout and the graph shown, besides its edits. */
export interface StepOptions {
  layout?: (layout: DocumentLayout | undefined) => DocumentLayout | undefined;
  graphName?: string | null;
}

export interface StudioState {
  connection: ConnectionState;
  version: VersionInfo | null;
  examples: ExampleSummary[];
  document: GraphDocument | null;
  /** True while the document has edits that are not in its file (or, for an example, in any file). */
  dirty: boolean;
  /**
   * Names the document's content: every change gets a new number, undo and redo go back to the
   * number the content had. `dirty` is `revision !== savedRevision`.
   */
  revision: number;
  /** The revision that is in the file; null when no revision is (a restored recovery copy). */
  savedRevision: number | null;
  graphName: string | null;
  /**
   * Counts the documents shown: opening one with another id than the shown one's gives a new
   * number; Save As (a new id for the same document) and reopening the shown one keep it. The
   * canvas fits the view and places nodes without a position anew for each.
   */
  opened: number;
  selectedNode: string | null;
  /** Every selected node and edge (edge ids as the canvas names them); `selectedNode` is the inspected one. */
  selectedNodes: string[];
  selectedEdges: string[];
  /** Undo and redo stacks of the open document, newest last. */
  past: HistoryEntry[];
  future: HistoryEntry[];
  events: HostEvent[];
  /** Events dropped from the bounded list since the studio opened. */
  droppedEvents: number;
  error: string | null;
  setConnection(state: ConnectionState): void;
  setVersion(v: VersionInfo): void;
  setExamples(list: ExampleSummary[]): void;
  /** Shows a document; `dirty` is set when it carries unsaved edits (a restored recovery copy). */
  openDocument(doc: GraphDocument, dirty?: boolean): void;
  /**
   * Takes the document as the host saved it (new origin, fingerprint) and `revision` as the one
   * in the file (the one that was sent: edits made while it was saved stay unsaved); keeps the
   * graph shown.
   */
  markSaved(doc: GraphDocument, revision: number): void;
  /** Counts the current content as the saved one (its edits were discarded). */
  forgetEdits(): void;
  /** Records a node's canvas position in the document's layout (saved to the layout sidecar). */
  moveNode(graphName: string, nodeName: string, position: NodePosition): void;
  selectGraph(name: string): void;
  selectNode(name: string | null): void;
  setSelection(nodes: string[], edges: string[]): void;
  /**
   * Applies graph-model edits (and a layout change) as one undoable step, all or nothing; marks
   * the document unsaved. Returns the model's reason when an edit cannot apply, else null.
   */
  applyStep(edits: PropertyEdit[], options?: StepOptions): string | null;
  undo(): void;
  redo(): void;
  pushEvent(event: HostEvent): void;
  setError(message: string | null): void;
}

/** The graph to show after a step: the one asked for if it still exists, else the first. */
function shownGraph(doc: GraphDocument, wanted: string | null): string | null {
  const names = doc.property.ten?.predefined_graphs?.map((g) => g.name) ?? [];
  return wanted !== null && names.includes(wanted) ? wanted : (names[0] ?? null);
}

let lastRevision = 0;
/** A revision number no content had before. */
function newRevision(): number {
  return ++lastRevision;
}

export const useStudio = create<StudioState>()((set, get) => ({
  connection: 'connecting',
  version: null,
  examples: [],
  document: null,
  dirty: false,
  revision: 0,
  savedRevision: 0,
  graphName: null,
  opened: 0,
  selectedNode: null,
  selectedNodes: [],
  selectedEdges: [],
  past: [],
  future: [],
  events: [],
  droppedEvents: 0,
  error: null,
  setConnection: (connection) => set({ connection }),
  setVersion: (version) => set({ version }),
  setExamples: (examples) => set({ examples }),
  openDocument: (document, dirty = false) => {
    const revision = newRevision();
    set((s) => ({
      document,
      opened: s.document?.id === document.id ? s.opened : s.opened + 1,
      dirty,
      revision,
      savedRevision: dirty ? null : revision,
      graphName: document.property.ten?.predefined_graphs?.[0]?.name ?? null,
      selectedNode: null,
      selectedNodes: [],
      selectedEdges: [],
      past: [],
      future: [],
    }));
  },
  markSaved: (document, revision) =>
    set((s) => {
      const names = document.property.ten?.predefined_graphs?.map((g) => g.name) ?? [];
      const graphName = s.graphName !== null && names.includes(s.graphName) ? s.graphName : (names[0] ?? null);
      return { document, savedRevision: revision, dirty: s.revision !== revision, graphName };
    }),
  forgetEdits: () => set((s) => ({ savedRevision: s.revision, dirty: false })),
  moveNode: (graphName, nodeName, position) =>
    set((s) => {
      if (!s.document) return {};
      const layout = s.document.layout ?? { version: 1 as const, graphs: {} };
      const graph = layout.graphs[graphName] ?? { nodes: {} };
      const nodes = { ...graph.nodes, [nodeName]: { x: position.x, y: position.y } };
      return {
        document: { ...s.document, layout: { ...layout, graphs: { ...layout.graphs, [graphName]: { ...graph, nodes } } } },
        revision: newRevision(),
        dirty: true,
      };
    }),
  selectGraph: (graphName) => set({ graphName, selectedNode: null, selectedNodes: [], selectedEdges: [] }),
  selectNode: (selectedNode) => set({ selectedNode, selectedNodes: selectedNode === null ? [] : [selectedNode], selectedEdges: [] }),
  setSelection: (selectedNodes, selectedEdges) =>
    set((s) => ({
      selectedNodes,
      selectedEdges,
      selectedNode: s.selectedNode !== null && selectedNodes.includes(s.selectedNode) ? s.selectedNode : (selectedNodes[0] ?? null),
    })),
  applyStep: (edits, options = {}) => {
    const s = get();
    if (!s.document) return 'No document is open.';
    const r = applyEdits(s.document.property, edits);
    if (!r.ok) return r.error;
    const layout = options.layout ? options.layout(s.document.layout) : s.document.layout;
    const document: GraphDocument = { ...s.document, property: r.property };
    if (layout === undefined) delete document.layout;
    else document.layout = layout;
    const entry: HistoryEntry = { edits: r.inverse, layout: s.document.layout, graphName: s.graphName, revision: s.revision };
    set({
      document,
      revision: newRevision(),
      dirty: true,
      past: [...s.past.slice(-(MAX_HISTORY - 1)), entry],
      future: [],
      graphName: shownGraph(document, options.graphName === undefined ? s.graphName : options.graphName),
    });
    return null;
  },
  undo: () => set((s) => travel(s, 'past', 'future')),
  redo: () => set((s) => travel(s, 'future', 'past')),
  pushEvent: (event) =>
    set((s) => {
      const overflow = Math.max(0, s.events.length + 1 - MAX_EVENTS);
      return { events: [...s.events.slice(overflow), event], droppedEvents: s.droppedEvents + overflow };
    }),
  setError: (error) => set({ error }),
}));

/** Takes the newest entry of `from`, applies it, and records its inverse on `to`. */
function travel(s: StudioState, from: 'past' | 'future', to: 'past' | 'future'): Partial<StudioState> {
  const entry = s[from][s[from].length - 1];
  if (!s.document || !entry) return {};
  const r = applyEdits(s.document.property, entry.edits);
  if (!r.ok) return { error: `Could not ${from === 'past' ? 'undo' : 'redo'}: ${r.error}`, [from]: s[from].slice(0, -1) };
  const document: GraphDocument = { ...s.document, property: r.property };
  if (entry.layout === undefined) delete document.layout;
  else document.layout = entry.layout;
  const back: HistoryEntry = { edits: r.inverse, layout: s.document.layout, graphName: s.graphName, revision: s.revision };
  const graphName = shownGraph(document, entry.graphName);
  const graph = document.property.ten?.predefined_graphs?.find((g) => g.name === graphName)?.graph;
  const names = new Set(graph && 'nodes' in graph ? (graph as TenGraph).nodes.map((n) => n.name) : []);
  const selectedNodes = s.selectedNodes.filter((n) => names.has(n));
  return {
    document,
    revision: entry.revision,
    dirty: entry.revision !== s.savedRevision,
    graphName,
    selectedNodes,
    selectedEdges: [],
    selectedNode: s.selectedNode !== null && names.has(s.selectedNode) ? s.selectedNode : null,
    [from]: s[from].slice(0, -1),
    [to]: [...s[to], back],
  };
}

/** The graph currently shown, when it is written inline (not through `import_uri`). */
export function selectGraph(s: StudioState): TenGraph | null {
  const entry = s.document?.property.ten?.predefined_graphs?.find((g) => g.name === s.graphName);
  if (!entry || !('nodes' in entry.graph)) return null;
  return entry.graph as TenGraph;
}

/** Stored canvas positions of the graph currently shown, if the layout has any. */
export function selectGraphLayout(s: StudioState): Record<string, NodePosition> | undefined {
  return s.graphName === null ? undefined : s.document?.layout?.graphs[s.graphName]?.nodes;
}
