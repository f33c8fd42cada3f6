import { BaseEdge, EdgeLabelRenderer, getBezierPath, type Edge, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import type { MsgKind } from '../../shared';

export type FlowEdgeData = { kind: MsgKind; msg: string; testId: string };
export type FlowEdgeType = Edge<FlowEdgeData, 'flow'>;

export const KIND_COLORS: Record<MsgKind, string> = {
  cmd: '#f2a93b',
  data: '#4fa3f7',
  audio_frame: '#5ccf8a',
  video_frame: '#c57cf5',
};

function FlowEdgeView(props: EdgeProps<FlowEdgeType>) {
  const { sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, markerEnd } = props;
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const kind = data?.kind ?? 'data';
  return (
    <g data-testid={data?.testId} aria-label={`${kind} ${data?.msg ?? ''}`}>
      <BaseEdge path={path} markerEnd={markerEnd} style={{ stroke: KIND_COLORS[kind], strokeWidth: 2 }} />
      <EdgeLabelRenderer>
        <div
          className={`edge-label kind-${kind}`}
          style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
        >
          {data?.msg}
        </div>
      </EdgeLabelRenderer>
    </g>
  );
}

export const FlowEdge = memo(FlowEdgeView);
