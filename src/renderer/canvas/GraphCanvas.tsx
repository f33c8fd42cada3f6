import { Background, Controls, MarkerType, MiniMap, ReactFlow, type NodeMouseHandler, type OnNodesChange } from '@xyflow/react';
import { useMemo } from 'react';
import { selectGraph, selectGraphLayout, useStudio } from '../store';
import { ExtensionNode, type ExtensionFlowNode } from './ExtensionNode';
import { FlowEdge, KIND_COLORS, type FlowEdgeType } from './FlowEdge';
import { graphToCanvas } from './graphView';

const nodeTypes = { extension: ExtensionNode };
const edgeTypes = { flow: FlowEdge };
const GROUP_PALETTE = ['#4fa3f7', '#f2a93b', '#5ccf8a', '#c57cf5', '#f25f5c', '#2ec4b6', '#ffd166', '#9aa5b1'];

export function GraphCanvas() {
  const graph = useStudio(selectGraph);
  const layout = useStudio(selectGraphLayout);
  const selectNode = useStudio((s) => s.selectNode);

  const { nodes, edges } = useMemo(() => {
    if (!graph) return { nodes: [] as ExtensionFlowNode[], edges: [] as FlowEdgeType[] };
    const model = graphToCanvas(graph);
    const groups = [...new Set(model.nodes.map((n) => n.group))];
    const nodes: ExtensionFlowNode[] = model.nodes.map((n) => ({
      id: n.name,
      type: 'extension',
      position: layout?.[n.name] ?? n.position,
      data: { ...n, groupColor: GROUP_PALETTE[groups.indexOf(n.group) % GROUP_PALETTE.length]! },
    }));
    const edges: FlowEdgeType[] = model.edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      type: 'flow',
      markerEnd: { type: MarkerType.ArrowClosed, color: KIND_COLORS[e.kind] },
      data: { kind: e.kind, msg: e.msg, testId: `edge-${e.id}` },
    }));
    return { nodes, edges };
  }, [graph, layout]);

  const onNodeClick: NodeMouseHandler<ExtensionFlowNode> = (_e, node) => selectNode(node.id);

  // Dragging is the one edit so far: each position change lands in the document's layout,
  // which marks the document unsaved and is written to the layout sidecar on save.
  const onNodesChange: OnNodesChange<ExtensionFlowNode> = (changes) => {
    const { graphName, moveNode } = useStudio.getState();
    if (graphName === null) return;
    for (const change of changes) {
      if (change.type !== 'position' || !change.position) continue;
      const shown = nodes.find((n) => n.id === change.id)?.position;
      // A click reports the unchanged position; only a real move is an edit.
      if (shown && shown.x === change.position.x && shown.y === change.position.y) continue;
      moveNode(graphName, change.id, change.position);
    }
  };

  return (
    <div className="canvas" data-testid="canvas" aria-label="Graph canvas">
      <ReactFlow<ExtensionFlowNode, FlowEdgeType>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodeClick={onNodeClick}
        onNodesChange={onNodesChange}
        onPaneClick={() => selectNode(null)}
        nodesConnectable={false}
        nodesDraggable
        fitView
        proOptions={{ hideAttribution: true }}
        colorMode="dark"
      >
        <Background gap={24} />
        <MiniMap pannable zoomable ariaLabel="Minimap" />
        <Controls showInteractive={false} aria-label="Canvas zoom controls" />
      </ReactFlow>
    </div>
  );
}
