import { Handle, Position, useUpdateNodeInternals, type Node, type NodeProps } from '@xyflow/react';
import { memo, useEffect, useMemo, useRef } from 'react';
import type { MsgKind } from '../../shared';
import { useRunView, type RunViewState } from '../debugger/runStore';
import { useEditor, type EditorState } from '../editor/editorStore';
import { ANY_IN, ANY_OUT, portHandleId, portLabel, type PortView } from '../editor/model';
import { useFarZoom } from './detail';
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
const lifecycleOf = (name: string) => (s: RunViewState) => s.lifecycle[name];
const metricsOf = (name: string) => (s: RunViewState) => s.metrics[name];

/** Queue depth as a heat class: the deeper the backlog, the hotter. */
function heat(queue: number): string {
  if (queue >= 500) return 'heat-4';
  if (queue >= 50) return 'heat-3';
  if (queue >= 5) return 'heat-2';
  if (queue >= 1) return 'heat-1';
  return 'heat-0';
}

/** The running graph's view of one node: lifecycle phase, queue depth and message rate. */
function LiveStrip({ name }: { name: string }) {
  const lifecycle = useRunView(useMemo(() => lifecycleOf(name), [name]));
  const metrics = useRunView(useMemo(() => metricsOf(name), [name]));
  if (!lifecycle && !metrics) return null;
  const timings = lifecycle ? Object.entries(lifecycle.timings).map(([phase, ms]) => `${phase} ${ms.toFixed(1)} ms`) : [];
  const rate = metrics ? Math.max(metrics.inPerSec, metrics.outPerSec) : 0;
  return (
    <div className={`live-strip ${heat(metrics?.queue ?? 0)}`}>
      <span
        className={`lifecycle lifecycle-${lifecycle?.label ?? 'unknown'}`}
        data-testid={`lifecycle-${name}`}
        title={[lifecycle?.error, ...timings].filter(Boolean).join('\n') || 'Lifecycle phase'}
      >
        {lifecycle?.label ?? '…'}
      </span>
      <span title="Messages waiting in the thread's queue (in_msgs)">
        q <b data-testid={`queue-${name}`}>{metrics?.queue ?? 0}</b>
      </span>
      <span title={`Messages per second (in ${metrics?.inPerSec ?? 0}, out ${metrics?.outPerSec ?? 0})`}>
        <b data-testid={`rate-${name}`}>{rate}</b>/s
      </span>
      {metrics?.thread != null && <span title="Thread of the node's extension group">t{metrics.thread}</span>}
    </div>
  );
}

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

/**
 * Edge ends of a node drawn far away. React Flow anchors edges on the handles it measures in a
 * node, so every port keeps an empty, unpainted handle (same id) at the middle of its side.
 */
function FarAnchors({ direction, ports, any }: { direction: 'in' | 'out'; ports: PortView[]; any: string }) {
  const ids = [...ports.map((p) => portHandleId(direction, p.kind, p.name)), any];
  const type = direction === 'in' ? 'target' : 'source';
  const position = direction === 'in' ? Position.Left : Position.Right;
  return ids.map((id) => <div key={id} className={`far-anchor far-anchor-${direction} ${type}`} data-handleid={id} data-handlepos={position} />);
}

/**
 * A node below `FAR_ZOOM`: one box in its group's colour with its queue heat as background, no
 * text (too small to read), its name, phase, queue and rate in its accessible name and
 * tooltip. About as large as the full node, so the layout looks the same when zooming through.
 */
function FarNode({ data, selected, problems }: { data: ExtensionNodeData; selected: boolean; problems: string | null }) {
  const lifecycle = useRunView(useMemo(() => lifecycleOf(data.name), [data.name]));
  const metrics = useRunView(useMemo(() => metricsOf(data.name), [data.name]));
  const live = [
    lifecycle?.label,
    metrics && `queue ${metrics.queue}`,
    metrics && `${Math.max(metrics.inPerSec, metrics.outPerSec)} msgs/s`,
    metrics?.thread != null && `thread ${metrics.thread}`,
  ].filter(Boolean);
  const summary = [`Extension ${data.name} (${data.addon})${data.group ? ` in ${data.group}` : ''}`, ...live, problems].filter(Boolean).join(', ');
  const rows = Math.max(data.inPorts.length, data.outPorts.length) + 1;
  return (
    <div
      className={`ext-node-far ${heat(metrics?.queue ?? 0)}${selected ? ' selected' : ''}${problems ? ' has-problems' : ''}${data.known ? '' : ' unknown'}`}
      data-testid={`node-${data.name}`}
      role="group"
      aria-label={summary}
      title={summary}
      style={{ borderLeftColor: data.groupColor, height: FAR_BASE_HEIGHT + rows * FAR_ROW_HEIGHT }}
    >
      <FarAnchors direction="in" ports={data.inPorts} any={ANY_IN} />
      <FarAnchors direction="out" ports={data.outPorts} any={ANY_OUT} />
    </div>
  );
}

/**
 * Height of a full node without its port rows, and of one row, as Chromium lays them out with
 * styles.css (a running node's live strip adds about 22 more, not followed here).
 */
const FAR_BASE_HEIGHT = 64;
const FAR_ROW_HEIGHT = 19;

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
  const far = useFarZoom();
  if (far) return <FarNode data={data} selected={!!selected} problems={badge ? `${badge.count} problem${badge.count === 1 ? '' : 's'}: ${badge.first}` : null} />;
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
      <LiveStrip name={data.name} />
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
