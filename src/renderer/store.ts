import { create } from 'zustand';
import type { ExampleSummary, GraphDocument, HostEvent, NodePosition, TenGraph, VersionInfo } from '../shared';
import type { ConnectionState } from './transport/client';

const MAX_EVENTS = 500;

export interface StudioState {
  connection: ConnectionState;
  version: VersionInfo | null;
  examples: ExampleSummary[];
  document: GraphDocument | null;
  /** True while the document has edits that are not in its file (or, for an example, in any file). */
  dirty: boolean;
  graphName: string | null;
  selectedNode: string | null;
  events: HostEvent[];
  /** Events dropped from the bounded list since the studio opened. */
  droppedEvents: number;
  error: string | null;
  setConnection(state: ConnectionState): void;
  setVersion(v: VersionInfo): void;
  setExamples(list: ExampleSummary[]): void;
  /** Shows a document; `dirty` is set when it carries unsaved edits (a restored recovery copy). */
  openDocument(doc: GraphDocument, dirty?: boolean): void;
  /** Takes the document as the host saved it (new origin, fingerprint); keeps the graph shown. */
  markSaved(doc: GraphDocument): void;
  /** Records a node's canvas position in the document's layout (saved to the layout sidecar). */
  moveNode(graphName: string, nodeName: string, position: NodePosition): void;
  selectGraph(name: string): void;
  selectNode(name: string | null): void;
  pushEvent(event: HostEvent): void;
  setError(message: string | null): void;
}

export const useStudio = create<StudioState>()((set) => ({
  connection: 'connecting',
  version: null,
  examples: [],
  document: null,
  dirty: false,
  graphName: null,
  selectedNode: null,
  events: [],
  droppedEvents: 0,
  error: null,
  setConnection: (connection) => set({ connection }),
  setVersion: (version) => set({ version }),
  setExamples: (examples) => set({ examples }),
  openDocument: (document, dirty = false) =>
    set({ document, dirty, graphName: document.property.ten?.predefined_graphs?.[0]?.name ?? null, selectedNode: null }),
  markSaved: (document) =>
    set((s) => {
      const names = document.property.ten?.predefined_graphs?.map((g) => g.name) ?? [];
      const graphName = s.graphName !== null && names.includes(s.graphName) ? s.graphName : (names[0] ?? null);
      return { document, dirty: false, graphName };
    }),
  moveNode: (graphName, nodeName, position) =>
    set((s) => {
      if (!s.document) return {};
      const layout = s.document.layout ?? { version: 1 as const, graphs: {} };
      const graph = layout.graphs[graphName] ?? { nodes: {} };
      const nodes = { ...graph.nodes, [nodeName]: { x: position.x, y: position.y } };
      return {
        document: { ...s.document, layout: { ...layout, graphs: { ...layout.graphs, [graphName]: { ...graph, nodes } } } },
        dirty: true,
      };
    }),
  selectGraph: (graphName) => set({ graphName, selectedNode: null }),
  selectNode: (selectedNode) => set({ selectedNode }),
  pushEvent: (event) =>
    set((s) => {
      const overflow = Math.max(0, s.events.length + 1 - MAX_EVENTS);
      return { events: [...s.events.slice(overflow), event], droppedEvents: s.droppedEvents + overflow };
    }),
  setError: (error) => set({ error }),
}));

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
