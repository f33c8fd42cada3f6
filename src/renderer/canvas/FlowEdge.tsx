import { BaseEdge, getBezierPath, useStore, type Edge, type EdgeProps, type ReactFlowState } from '@xyflow/react';
import { memo, useMemo, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import type { MsgKind } from '../../shared';
import { EdgeRate, openEdgeMenu } from '../debugger/EdgeRate';
import { useEditor, type EditorState } from '../editor/editorStore';
import { useFarZoom } from './detail';

/** `crossThread`: the ends are in different extension groups, so messages change threads. */
export type FlowEdgeData = { kind: MsgKind; msg: string; testId: string; crossThread: boolean };
export type FlowEdgeType = Edge<FlowEdgeData, 'flow'>;

export const KIND_COLORS: Record<MsgKind, string> = {
  cmd: '#f2a93b',
  data: '#4fa3f7',
  audio_frame: '#5ccf8a',
  video_frame: '#c57cf5',
};

/** How much wider strokes and dashes are drawn below `FAR_ZOOM` (a 1,000-node graph fits at about 0.06). */
const FAR_STROKE_SCALE = 6;

const badgeOf = (id: string) => (s: EditorState) => s.edgeBadges[id];

const selectDomNode = (s: ReactFlowState) => s.domNode;
const labelLayers = new WeakMap<Element, Element>();

/** React Flow's label layer of a canvas, looked up once per canvas and kept. */
function labelLayer(domNode: Element | null): Element | null {
  if (!domNode) return null;
  let layer = labelLayers.get(domNode);
  if (!layer?.isConnected) {
    layer = domNode.querySelector('.react-flow__edgelabel-renderer') ?? undefined;
    if (layer) labelLayers.set(domNode, layer);
  }
  return layer ?? null;
}

/**
 * React Flow's `EdgeLabelRenderer` with the label layer cached: the stock one selects it with a
 * `querySelector` over the whole canvas on every store update, once per edge, which at 1,500
 * edges was a third of each drag step.
 */
function EdgeLabel({ children }: { children: ReactNode }) {
  const domNode = useStore(selectDomNode);
  const layer = labelLayer(domNode);
  return layer ? createPortal(children, layer) : null;
}

function FlowEdgeView(props: EdgeProps<FlowEdgeType>) {
  const { id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, markerEnd, selected } = props;
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const kind = data?.kind ?? 'data';
  const badge = useEditor(useMemo(() => badgeOf(id), [id]));
  const far = useFarZoom();
  // Far away, strokes and dashes are drawn wide enough in flow units to stay visible, so
  // cross-thread and faulty edges remain told apart by their dash; arrowheads (sized by the
  // stroke) are left out, edges running left to right as the layout places them.
  const scale = far ? FAR_STROKE_SCALE : 1;
  const dash = badge ? `${6 * scale} ${4 * scale}` : data?.crossThread ? `${10 * scale} ${3 * scale} ${2 * scale} ${3 * scale}` : undefined;
  return (
    <g data-testid={data?.testId} aria-label={`${kind} ${data?.msg ?? ''}${data?.crossThread ? ' (crosses threads)' : ''}`} onContextMenu={(e) => openEdgeMenu(e, source, target)}>
      <BaseEdge
        path={path}
        markerEnd={far ? undefined : markerEnd}
        interactionWidth={far ? 0 : 16}
        style={{ stroke: badge ? '#f25f5c' : KIND_COLORS[kind], strokeWidth: (selected ? 3.5 : 2) * scale, strokeDasharray: dash }}
      />
      {!far && (
        <EdgeLabel>
          <div
            className={`edge-label kind-${kind}${selected ? ' selected' : ''}${badge ? ' has-problems' : ''}`}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            title={badge?.first}
          >
            {badge && <span aria-label={`${badge.count} problem${badge.count === 1 ? '' : 's'}`}>⚠ </span>}
            {data?.msg}
            <EdgeRate source={source} target={target} />
          </div>
        </EdgeLabel>
      )}
    </g>
  );
}

export const FlowEdge = memo(FlowEdgeView);
