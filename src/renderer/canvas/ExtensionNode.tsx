import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { CanvasNode } from './graphView';

export type ExtensionNodeData = CanvasNode & { groupColor: string };
export type ExtensionFlowNode = Node<ExtensionNodeData, 'extension'>;

function ExtensionNodeView({ data, selected }: NodeProps<ExtensionFlowNode>) {
  return (
    <div
      className={`ext-node${selected ? ' selected' : ''}`}
      data-testid={`node-${data.name}`}
      style={{ borderLeftColor: data.groupColor }}
      role="group"
      aria-label={`Extension ${data.name} (${data.addon})`}
    >
      <Handle type="target" position={Position.Left} />
      <div className="ext-node-name">{data.name}</div>
      <div className="ext-node-addon">{data.addon}</div>
      {data.group && (
        <div className="ext-node-group" title="Extension group (one thread each)">
          {data.group}
        </div>
      )}
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

export const ExtensionNode = memo(ExtensionNodeView);
