import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  MarkerType,
  MiniMap,
  Panel,
  ReactFlow,
  getViewportForBounds,
  useReactFlow,
  useStore,
  useStoreApi,
  type Connection,
  type EdgeChange,
  type FinalConnectionState,
  type IsValidConnection,
  type NodeChange,
  type OnConnectEnd,
  type ReactFlowState,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import type { AddonSummary, NodePosition } from '../../shared';
import { addNode, autoLayout, connect, connectionExists } from '../editor/actions';
import { useEditor, type EditorState } from '../editor/editorStore';
import { checkConnection, nodePorts, parseHandleId, portHandleId, updateGraphLayout, type ConnectVerdict } from '../editor/model';
import { useEditorShortcuts } from '../editor/shortcuts';
import { selectGraph, selectGraphLayout, useStudio, type StudioState } from '../store';
import { ExtensionNode, type ExtensionFlowNode, type ExtensionNodeData } from './ExtensionNode';
import { FlowEdge, KIND_COLORS, type FlowEdgeType } from './FlowEdge';
import { RemeasureOnDetailFlip } from './detail';
import { AppBoundaries } from './AppBoundaries';
import { graphToCanvas, groupColors, usedPorts, type CanvasModel } from './graphView';
import { initialLayout } from './flowLayout';
import { nodeGeometry, portRows, type NodeGeometry } from './nodeGeometry';

const nodeTypes = { extension: ExtensionNode };
const edgeTypes = { flow: FlowEdge };

// Props given to React Flow keep their identity across renders: a new function or array each
// render (the canvas renders once per drag step) makes React Flow re-subscribe key handlers and
// re-render every minimap node.
const MULTI_SELECTION_KEYS = ['Shift', 'Meta', 'Control'];
const PRO_OPTIONS = { hideAttribution: true };
const MINIMAP_STYLE = { width: 180, height: 120 };
const minimapColor = (n: ExtensionFlowNode) => n.data.groupColor;
const onNodeClick = (_e: unknown, node: ExtensionFlowNode) => useStudio.setState({ selectedNode: node.id });

/** The drag payload of a palette item. */
export const ADDON_DRAG_TYPE = 'application/x-ten-addon';

const selectNodesSel = (s: StudioState) => s.selectedNodes;
const selectEdgesSel = (s: StudioState) => s.selectedEdges;
const selectAddons = (s: EditorState) => s.addons;
const selectFocus = (s: EditorState) => s.focus;
const selectNotice = (s: EditorState) => s.notice;
/**
 * Which graph of which opened document is shown: automatic positions are kept per graph. Not the
 * document's id, which Save As changes while the same graph stays in view.
 */
const selectOpened = (s: StudioState) => s.opened;
const selectGraphKey = (s: StudioState) => `${s.opened}\n${s.graphName ?? ''}`;

/**
 * Node data per name, reused while nothing it shows changed, so memoised nodes skip rendering;
 * with the node's estimated geometry, which React Flow uses until the node has been measured.
 */
type DataCache = Map<string, { key: string; data: ExtensionNodeData; geometry: NodeGeometry }>;

/**
 * React Flow's nodes of the graph. The canvas renders only the nodes and edges in view
 * (`onlyRenderVisibleElements`), and React Flow draws an edge only between nodes whose size and
 * handles it knows; a node never on screen is never measured, so each node carries its estimated
 * size and handles (`nodeGeometry`) until the DOM has measured it.
 */
function deriveNodes(
  model: CanvasModel,
  layout: Record<string, NodePosition> | undefined,
  auto: Map<string, NodePosition>,
  selected: readonly string[],
  addons: Record<string, AddonSummary>,
  cache: DataCache,
  scope: number,
) {
  const used = usedPorts(model.edges);
  const chosen = new Set(selected);
  const colors = groupColors(
    model.nodes.filter((n) => n.group).map((n) => n.group),
    scope,
  );
  const nodes: ExtensionFlowNode[] = model.nodes.map((n) => {
    const addon = n.type === 'extension' ? addons[n.addon] : undefined;
    const ports = nodePorts(addon, used.get(n.name) ?? []);
    const known = n.type !== 'extension' || addon !== undefined || Object.keys(addons).length === 0;
    const language = addon?.language;
    const key = JSON.stringify([n.addon, n.type, n.group, colors.get(n.group), known, ports, language]);
    let entry = cache.get(n.name);
    if (!entry || entry.key !== key) {
      const data = { name: n.name, addon: n.addon, nodeType: n.type, group: n.group, groupColor: colors.get(n.group) ?? 'var(--border)', known, inPorts: ports.inPorts, outPorts: ports.outPorts, language };
      entry = { key, data, geometry: nodeGeometry(data) };
      cache.set(n.name, entry);
    }
    const { width, height, handles } = entry.geometry;
    return {
      id: n.name,
      type: 'extension',
      position: layout?.[n.name] ?? auto.get(n.name) ?? ORIGIN,
      data: entry.data,
      selected: chosen.has(n.name),
      initialWidth: width,
      initialHeight: height,
      handles,
    };
  });
  return nodes;
}

/** Edge objects per id, reused while nothing they show changed, so memoised edges skip rendering. */
type EdgeCache = Map<string, { key: string; edge: FlowEdgeType }>;

const ORIGIN: NodePosition = { x: 0, y: 0 };

/**
 * Automatic positions of nodes without a stored one, kept per graph once given: an edit
 * upstream must not move every node below it (and re-render them all). The layout runs only when
 * a node has neither (a document opened without a sidecar, nodes the sidecar does not list).
 */
function stableAutoPositions(
  model: CanvasModel,
  stored: Record<string, NodePosition> | undefined,
  addons: Record<string, AddonSummary>,
  graphKey: string,
  store: { key: string; positions: Map<string, NodePosition> },
): Map<string, NodePosition> {
  if (store.key !== graphKey) {
    store.key = graphKey;
    store.positions = new Map();
  }
  const names = new Set(model.nodes.map((n) => n.name));
  for (const name of [...store.positions.keys()]) if (!names.has(name)) store.positions.delete(name);
  const missing = model.nodes.filter((n) => !store.positions.has(n.name) && !stored?.[n.name]);
  if (missing.length === 0) return store.positions;
  const placed = initialLayout(model, addons);
  for (const n of missing) store.positions.set(n.name, placed.get(n.name) ?? ORIGIN);
  return store.positions;
}

/** The handle ids of a node's ports, top to bottom: what its measured handle bounds depend on. */
function portIds(data: ExtensionNodeData): string {
  return [...portRows('in', data.inPorts), ...portRows('out', data.outPorts)].map((r) => r.id).join('\n');
}

/**
 * A node the DOM has measured, without the estimate. React Flow takes a node's `handles` over
 * the handle bounds it measured whenever it adopts a new node object (a selection, a drag step),
 * so a measured node must not carry them: the DOM's positions (a live strip, long names, the far
 * drawing's anchors) would be replaced by the estimate.
 */
function measuredNode(n: ExtensionFlowNode, measured: NonNullable<ExtensionFlowNode['measured']>): ExtensionFlowNode {
  return { ...n, measured, handles: undefined };
}

/**
 * Keeps the previous node object (and its measured size) when nothing about it changed. A
 * measured node whose ports changed goes back to the estimate until it is measured again
 * (`ExtensionNode` asks for that when it is on screen).
 */
function mergeNodes(next: ExtensionFlowNode[], prev: ExtensionFlowNode[]): ExtensionFlowNode[] {
  const byId = new Map(prev.map((n) => [n.id, n]));
  return next.map((n) => {
    const p = byId.get(n.id);
    if (!p) return n;
    if (p.data === n.data && p.selected === n.selected && p.position.x === n.position.x && p.position.y === n.position.y) return p;
    if (!p.measured || (p.data !== n.data && portIds(p.data) !== portIds(n.data))) return n;
    return measuredNode(n, p.measured);
  });
}

/** A request to bring nodes (all of them when `nodes` is absent) into view. */
type FitRequest = { nodes?: string[]; duration?: number; maxZoom?: number };
const selectPaneSized = (s: ReactFlowState) => s.width > 0 && s.height > 0;

export function GraphCanvas() {
  const graph = useStudio(selectGraph);
  const layout = useStudio(selectGraphLayout);
  const selectedNodes = useStudio(selectNodesSel);
  const selectedEdges = useStudio(selectEdgesSel);
  const addons = useEditor(selectAddons);
  const focus = useEditor(selectFocus);
  const notice = useEditor(selectNotice);
  const rf = useReactFlow<ExtensionFlowNode, FlowEdgeType>();
  const cache = useRef<DataCache>(new Map());
  const edgeCache = useRef<EdgeCache>(new Map());
  const autoPositions = useRef({ key: '', positions: new Map<string, NodePosition>() });
  const graphKey = useStudio(selectGraphKey);
  const opened = useStudio(selectOpened);

  // The projection only changes with the graph; selection and layout changes reuse it.
  const model = useMemo(() => (graph ? graphToCanvas(graph) : null), [graph]);
  const nodeByName = useMemo(() => new Map((graph?.nodes ?? []).map((n) => [n.name, n])), [graph]);
  const derived = useMemo(() => {
    if (!model) return { nodes: [] as ExtensionFlowNode[], edges: [] as FlowEdgeType[] };
    const auto = stableAutoPositions(model, layout, addons, graphKey, autoPositions.current);
    const nodes = deriveNodes(model, layout, auto, selectedNodes, addons, cache.current, opened);
    const chosen = new Set(selectedEdges);
    const groupOf = new Map(model.nodes.map((n) => [n.name, n.group]));
    const previous = edgeCache.current;
    const next: EdgeCache = new Map();
    edgeCache.current = next;
    const edges: FlowEdgeType[] = model.edges.map((e) => {
      const selected = chosen.has(e.id);
      const crossThread = groupOf.get(e.source) !== groupOf.get(e.target);
      const key = `${selected}|${crossThread}`;
      const cached = previous.get(e.id);
      if (cached && cached.key === key) {
        next.set(e.id, cached);
        return cached.edge;
      }
      const edge: FlowEdgeType = {
        id: e.id,
        source: e.source,
        target: e.target,
        sourceHandle: portHandleId('out', e.kind, e.msg),
        targetHandle: portHandleId('in', e.kind, e.msg),
        type: 'flow',
        selected,
        markerEnd: { type: MarkerType.ArrowClosed, color: KIND_COLORS[e.kind] },
        data: { kind: e.kind, msg: e.msg, testId: `edge-${e.id}`, crossThread },
      };
      next.set(e.id, { key, edge });
      return edge;
    });
    return { nodes, edges };
  }, [model, layout, graphKey, selectedNodes, selectedEdges, addons, opened]);

  // React Flow drives drags and measurements on local copies; the document changes when a drag ends.
  const [nodes, setNodes] = useState<ExtensionFlowNode[]>([]);
  const [edges, setEdges] = useState<FlowEdgeType[]>([]);
  useEffect(() => setNodes((prev) => mergeNodes(derived.nodes, prev)), [derived.nodes]);
  useEffect(() => setEdges(derived.edges), [derived.edges]);

  const onNodesChange = useCallback((changes: NodeChange<ExtensionFlowNode>[]) => {
    setNodes((nds) => {
      const next = applyNodeChanges(changes, nds);
      if (!changes.some((c) => c.type === 'dimensions')) return next;
      return next.map((n) => (n.measured && n.handles ? measuredNode(n, n.measured) : n));
    });
    if (changes.some((c) => c.type === 'select')) {
      const s = useStudio.getState();
      const chosen = new Set(s.selectedNodes);
      for (const c of changes) {
        if (c.type !== 'select') continue;
        if (c.selected) chosen.add(c.id);
        else chosen.delete(c.id);
      }
      s.setSelection([...chosen], s.selectedEdges);
    }
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange<FlowEdgeType>[]) => {
    setEdges((eds) => applyEdgeChanges(changes, eds));
    if (changes.some((c) => c.type === 'select')) {
      const s = useStudio.getState();
      const chosen = new Set(s.selectedEdges);
      for (const c of changes) {
        if (c.type !== 'select') continue;
        if (c.selected) chosen.add(c.id);
        else chosen.delete(c.id);
      }
      s.setSelection(s.selectedNodes, [...chosen]);
    }
  }, []);

  const onNodeDragStop = useCallback((_e: unknown, _node: ExtensionFlowNode, dragged: ExtensionFlowNode[]) => {
    const s = useStudio.getState();
    if (s.graphName === null) return;
    const graphName = s.graphName;
    const stored = s.document?.layout?.graphs[graphName]?.nodes ?? {};
    // A click reports the unchanged position; only a real move is an edit.
    const moved = dragged.filter((n) => stored[n.id]?.x !== n.position.x || stored[n.id]?.y !== n.position.y);
    if (moved.length === 0) return;
    s.applyStep([], {
      layout: (l) =>
        updateGraphLayout(l, graphName, (positions) => {
          const next = { ...positions };
          for (const n of moved) next[n.id] = { x: Math.round(n.position.x), y: Math.round(n.position.y) };
          return next;
        }),
    });
  }, []);

  const verdict = useCallback(
    (c: { source: string | null; target: string | null; sourceHandle?: string | null; targetHandle?: string | null }): ConnectVerdict | null => {
      const from = parseHandleId(c.sourceHandle);
      const to = parseHandleId(c.targetHandle);
      if (!c.source || !c.target || !from || !to) return null;
      const addonOf = (name: string) => {
        const n = nodeByName.get(name);
        return n?.type === 'extension' ? addons[n.addon] : undefined;
      };
      return checkConnection({ node: c.source, addon: addonOf(c.source), handle: from }, { node: c.target, addon: addonOf(c.target), handle: to }, (kind, name) =>
        connectionExists(kind, name, c.source!, c.target!),
      );
    },
    [nodeByName, addons],
  );

  const isValidConnection: IsValidConnection<FlowEdgeType> = useCallback((c) => verdict(c)?.ok ?? false, [verdict]);

  const onConnect = useCallback(
    (c: Connection) => {
      const v = verdict(c);
      if (!v || !v.ok) return;
      const editor = useEditor.getState();
      if ('ask' in v) {
        editor.setPrompt({
          title: `Connect ${c.source} to ${c.target}`,
          label: 'Message name',
          value: '',
          kind: 'data',
          submit: (name, kind) => {
            if (!name.trim()) return 'Type the name of the message.';
            return connect(kind ?? 'data', name.trim(), c.source, c.target);
          },
        });
        return;
      }
      const error = connect(v.kind, v.name, c.source, c.target);
      editor.setNotice(error);
    },
    [verdict],
  );

  const onConnectEnd: OnConnectEnd = useCallback(
    (_event, state: FinalConnectionState) => {
      if (!state.toHandle || state.isValid || !state.fromHandle) return;
      // Dragging may start on either end; the verdict is always from the output to the input.
      const [src, dst] = state.fromHandle.type === 'source' ? [state.fromHandle, state.toHandle] : [state.toHandle, state.fromHandle];
      const v = verdict({ source: src.nodeId, target: dst.nodeId, sourceHandle: src.id, targetHandle: dst.id });
      if (v && !v.ok) useEditor.getState().setNotice(`Connection refused: ${v.reason}`);
    },
    [verdict],
  );

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(ADDON_DRAG_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const addon = e.dataTransfer.getData(ADDON_DRAG_TYPE);
      if (!addon) return;
      e.preventDefault();
      const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addNode(addon, { x: Math.round(p.x), y: Math.round(p.y) });
    },
    [rf],
  );

  // Fits are done here, not with React Flow's fitView: that one waits until every node has been
  // measured, which a node never on screen never is, and fits only measured nodes (the zoom
  // controls' fit button calls it, so that button is hidden; the panel's "Fit view" and F fit
  // here). A request is applied in the commit after it was made, once React Flow has taken that
  // commit's nodes (its store takes them in its own effects, which run before this one): a new
  // graph's nodes, the positions after a relayout. Nodes not yet measured count with their
  // estimated size.
  const store = useStoreApi<ExtensionFlowNode, FlowEdgeType>();
  const paneSized = useStore(selectPaneSized);
  const fitRequest = useRef<FitRequest | null>(null);
  const [fitSeq, setFitSeq] = useState(0);
  useEffect(() => {
    const request = fitRequest.current;
    if (!request || !paneSized) return;
    fitRequest.current = null;
    const { nodeLookup, width, height, minZoom, maxZoom } = store.getState();
    const ids = (request.nodes ?? [...nodeLookup.keys()]).filter((id) => nodeLookup.has(id));
    // An empty graph is not fitted.
    if (ids.length === 0) return;
    const viewport = getViewportForBounds(rf.getNodesBounds(ids), width, height, minZoom, request.maxZoom ?? maxZoom, 0.1);
    void rf.setViewport(viewport, { duration: request.duration });
  }, [fitSeq, paneSized, store, rf]);
  const requestFit = useCallback((request: FitRequest) => {
    fitRequest.current = request;
    setFitSeq((n) => n + 1);
  }, []);

  // Focus requests (problems panel, find) select the item and bring it into view.
  useEffect(() => {
    if (!focus) return;
    const s = useStudio.getState();
    if (focus.node) {
      s.setSelection([focus.node], []);
      useStudio.setState({ selectedNode: focus.node });
      requestFit({ nodes: [focus.node], duration: 250, maxZoom: 1.2 });
    } else if (focus.edge) {
      const edge = rf.getEdge(focus.edge);
      s.setSelection([], [focus.edge]);
      if (edge) requestFit({ nodes: [edge.source, edge.target], duration: 250, maxZoom: 1.2 });
    } else {
      // The whole graph (after a relayout).
      requestFit({ duration: 250 });
    }
  }, [focus, rf, requestFit]);

  // The first document or graph, and every other one shown later, is fitted.
  useEffect(() => requestFit({}), [graphKey, requestFit]);

  const fitView = useCallback(() => requestFit({ duration: 200 }), [requestFit]);
  useEditorShortcuts(fitView);

  const editor = useEditor.getState();
  return (
    <div className="canvas" data-testid="canvas" aria-label="Graph canvas" onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow<ExtensionFlowNode, FlowEdgeType>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStop={onNodeDragStop}
        onNodeClick={onNodeClick}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={MULTI_SELECTION_KEYS}
        connectionRadius={24}
        onlyRenderVisibleElements
        minZoom={0.05}
        proOptions={PRO_OPTIONS}
        colorMode="dark"
      >
        <Background gap={24} />
        <AppBoundaries />
        <RemeasureOnDetailFlip />
        <MiniMap pannable zoomable ariaLabel="Minimap" style={MINIMAP_STYLE} nodeColor={minimapColor} />
        <Controls showInteractive={false} showFitView={false} aria-label="Canvas zoom controls" />
        <Panel position="top-left" className="canvas-actions">
          <button type="button" aria-label="Auto layout" title="Lay the graph out left to right (L)" onClick={autoLayout} disabled={!graph}>
            Auto layout
          </button>
          <button type="button" aria-label="Fit view" title="Fit the graph in view (F)" onClick={fitView}>
            Fit view
          </button>
          <button type="button" aria-label="Find node" title="Find a node (Ctrl+F)" onClick={() => editor.setFindOpen(true)}>
            Find
          </button>
          <button type="button" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" onClick={() => editor.setHelpOpen(true)}>
            ?
          </button>
        </Panel>
        {notice && (
          <Panel position="top-center" className="canvas-notice" role="alert" aria-label="Editor notice">
            <span data-testid="editor-notice">{notice}</span>
            <button type="button" aria-label="Dismiss notice" onClick={() => editor.setNotice(null)}>
              ×
            </button>
          </Panel>
        )}
        {!graph && (
          <Panel position="top-right" className="canvas-empty">
            Drag an addon from the palette to start a graph.
          </Panel>
        )}
      </ReactFlow>
    </div>
  );
}
