import { Handle, Position, useUpdateNodeInternals, type Node, type NodeProps } from '@xyflow/react';
import { memo, useEffect, useMemo, useRef } from 'react';
import type { MsgKind } from '../../shared';
import { useEditor, type EditorState } from '../editor/editorStore';
import { ANY_IN, ANY_OUT, portHandleId, portLabel, type PortView } from '../editor/model';
import { KIND_COLORS } from './FlowEdge';

export type ExtensionNodeData = {
  name: string;
  addon: string;
  /** `extension`, `subgraph` or `selector`. */
  nodeType: string;
  group: string;
  groupColor: string;
  /** False when the catalogue has no such addon (the problems panel says why). */
  known: boolean;
  inPorts: PortView[];
  outPorts: PortView[];
};
export type ExtensionFlowNode = Node<ExtensionNodeData, 'extension'>;

// Parameterised selectors are built once per node name, not per render.
const badgeOf = (name: string) => (s: EditorState) => s.nodeBadges[name];

function Port({ node, direction, port }: { node: string; direction: 'in' | 'out'; port: PortView }) {
  const id = portHandleId(direction, port.kind, port.name);
  const label = `${direction === 'in' ? 'Input' : 'Output'} ${portLabel(port.kind, port.name)} of ${node}${port.declared ? '' : ' (not declared by the manifest)'}`;
  return (
    <div className={`port port-${direction}${port.declared ? '' : ' undeclared'}`} title={label}>
      <Handle
        id={id}
        type={direction === 'in' ? 'target' : 'source'}
        position={direction === 'in' ? Position.Left : Position.Right}
        className={`kind-${port.kind}`}
        style={{ background: KIND_COLORS[port.kind] }}
        aria-label={label}
        data-testid={`port-${node}-${direction}-${port.kind}-${port.name}`}
      />
      <span className="port-kind" style={{ color: KIND_COLORS[port.kind] }}>
        {KIND_SHORT[port.kind]}
      </span>
      <span className="port-name">{port.name}</span>
    </div>
  );
}

const KIND_SHORT: Record<MsgKind, string> = { cmd: 'cmd', data: 'data', audio_frame: 'audio', video_frame: 'video' };

function ExtensionNodeView({ id, data, selected }: NodeProps<ExtensionFlowNode>) {
  const badge = useEditor(useMemo(() => badgeOf(data.name), [data.name]));
  // React Flow measures handles when a node mounts or resizes; ports that change without a
  // resize (another document's node of the same name) must be measured again or edges vanish.
  const updateInternals = useUpdateNodeInternals();
  const mounted = useRef(false);
  useEffect(() => {
    if (mounted.current) updateInternals(id);
    mounted.current = true;
  }, [id, data.inPorts, data.outPorts, updateInternals]);
  return (
    <div
      className={`ext-node${selected ? ' selected' : ''}${badge ? ' has-problems' : ''}${data.known ? '' : ' unknown'}`}
      data-testid={`node-${data.name}`}
      style={{ borderLeftColor: data.groupColor }}
      role="group"
      aria-label={`Extension ${data.name} (${data.addon})`}
    >
      <div className="ext-node-head">
        <div>
          <div className="ext-node-name">{data.name}</div>
          <div className="ext-node-addon">{data.addon}</div>
        </div>
        {badge && (
          <span className="problem-badge" data-testid={`badge-${data.name}`} role="img" aria-label={`${badge.count} problem${badge.count === 1 ? '' : 's'}: ${badge.first}`} title={badge.first}>
            ⚠ {badge.count}
          </span>
        )}
      </div>
      {data.group && (
        <div className="ext-node-group" title="Extension group (one thread each)" style={{ color: data.groupColor }}>
          ● {data.group}
        </div>
      )}
      <div className="ports">
        <div className="ports-col">
          {data.inPorts.map((p) => (
            <Port key={`${p.kind}:${p.name}`} node={data.name} direction="in" port={p} />
          ))}
          <div className="port port-in any" title="Receive a message the manifest does not declare">
            <Handle id={ANY_IN} type="target" position={Position.Left} className="any" aria-label={`Input any message of ${data.name}`} data-testid={`port-${data.name}-in-any`} />
            <span className="port-name muted-port">any</span>
          </div>
        </div>
        <div className="ports-col out">
          {data.outPorts.map((p) => (
            <Port key={`${p.kind}:${p.name}`} node={data.name} direction="out" port={p} />
          ))}
          <div className="port port-out any" title="Send a message the manifest does not declare">
            <Handle id={ANY_OUT} type="source" position={Position.Right} className="any" aria-label={`Output any message of ${data.name}`} data-testid={`port-${data.name}-out-any`} />
            <span className="port-name muted-port">any</span>
          </div>
        </div>
      </div>
    </div>
  );
}

export const ExtensionNode = memo(ExtensionNodeView);
