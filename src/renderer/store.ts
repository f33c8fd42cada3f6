import { create } from 'zustand';
import type { ExampleSummary, GraphDocument, HostEvent, TenGraph, VersionInfo } from '../shared';
import type { ConnectionState } from './transport/client';

const MAX_EVENTS = 500;

export interface StudioState {
  connection: ConnectionState;
  version: VersionInfo | null;
  examples: ExampleSummary[];
  document: GraphDocument | null;
  graphName: string | null;
  selectedNode: string | null;
  events: HostEvent[];
  /** Events dropped from the bounded list since the studio opened. */
  droppedEvents: number;
  error: string | null;
  setConnection(state: ConnectionState): void;
  setVersion(v: VersionInfo): void;
  setExamples(list: ExampleSummary[]): void;
  openDocument(doc: GraphDocument): void;
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
  graphName: null,
  selectedNode: null,
  events: [],
  droppedEvents: 0,
  error: null,
  setConnection: (connection) => set({ connection }),
  setVersion: (version) => set({ version }),
  setExamples: (examples) => set({ examples }),
  openDocument: (document) =>
    set({ document, graphName: document.property.ten?.predefined_graphs?.[0]?.name ?? null, selectedNode: null }),
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
