import { Handle, Position, useUpdateNodeInternals, type Node, type NodeProps } from '@xyflow/react';
import { memo, useEffect, useMemo, useRef } from 'react';
import { useFiguresEnded, useRunView, type RunViewState } from '../debugger/runStore';
import { useEditor, type EditorState } from '../editor/editorStore';
import { LANGUAGE_BADGE, LANGUAGE_TITLE } from '../editor/language';
import { useStudio, type StudioState } from '../store';
import { describeChoice, standInBadge } from '../talk/standIns';
import { portLabel, type PortView } from '../editor/model';
import type { AddonSummary } from '../../shared';
import { useFarZoom } from './detail';
import { KIND_COLORS } from './FlowEdge';
import { KIND_SHORT, NODE_STYLES, nodeGeometry, portRows } from './nodeGeometry';

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
  /** The addon's language, when the catalogue knows it. */
  language?: AddonSummary['language'];
};
export type ExtensionFlowNode = Node<ExtensionNodeData, 'extension'>;

// Parameterised selectors are built once per node name, not per render.
const badgeOf = (name: string) => (s: EditorState) => s.nodeBadges[name];
const lifecycleOf = (name: string) => (s: RunViewState) => s.lifecycle[name];
const metricsOf = (name: string) => (s: RunViewState) => s.metrics[name];
const standInOf = (name: string) => (s: StudioState) => (s.graphName === null ? undefined : s.document?.layout?.graphs[s.graphName]?.standIns?.[name]);
const runStandInOf = (name: string) => (s: RunViewState) => s.run?.standIns?.find((x) => x.node === name);
/** What a stand-in last said it received (its log), newest first. */
const lastReceiptOf = (name: string) => {
  const prefixes = [`stand-in for ${name}: received `, `replay of ${name}: received `];
  return (s: RunViewState): string | undefined => {
    for (let i = s.logs.length - 1; i >= 0; i--) {
      const l = s.logs[i]!;
      if (l.type === 'log' && l.extension === name && prefixes.some((p) => l.message.startsWith(p))) return l.message.slice(l.message.indexOf(': received ') + 2);
    }
    return undefined;
  };
};

/** Queue depth as a heat class: the deeper the backlog, the hotter. */
function heat(queue: number): string {
  if (queue >= 500) return 'heat-4';
  if (queue >= 50) return 'heat-3';
  if (queue >= 5) return 'heat-2';
  if (queue >= 1) return 'heat-1';
  return 'heat-0';
}

const ENDED_TITLE = 'Figures of the last run (its last sample before it stopped), not live; Run again for live figures.';

/**
 * The running graph's view of one node: lifecycle phase, queue depth and message rate. After
 * the run ended it keeps the last figures, dimmed and labelled as the last run's.
 */
function LiveStrip({ name }: { name: string }) {
  const lifecycle = useRunView(useMemo(() => lifecycleOf(name), [name]));
  const metrics = useRunView(useMemo(() => metricsOf(name), [name]));
  const ended = useFiguresEnded();
  if (!lifecycle && !metrics) return null;
  const timings = lifecycle ? Object.entries(lifecycle.timings).map(([phase, ms]) => `${phase} ${ms.toFixed(1)} ms`) : [];
  const rate = metrics ? Math.max(metrics.inPerSec, metrics.outPerSec) : 0;
  return (
    <div className={`live-strip ${heat(metrics?.queue ?? 0)}${ended ? ' ended' : ''}`} title={ended ? ENDED_TITLE : undefined}>
      {ended && (
        <span className="last-run" data-testid={`last-run-${name}`}>
          last run
        </span>
      )}
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
      {metrics?.pid != null ? (
        <span title="Python process of the node's extension group" data-testid={`pid-${name}`}>
          py {metrics.pid}
        </span>
      ) : (
        metrics?.thread != null && <span title="Thread of the node's extension group">t{metrics.thread}</span>
      )}
      {metrics?.waiting && (
        <span
          className="waiting"
          data-testid={`waiting-${name}`}
          title={`cmd '${metrics.waiting.cmd}' sent to ${metrics.waiting.dest ? `'${metrics.waiting.dest}'` : 'the app'} has had no result for ${metrics.waiting.ageMs / 1000} s. It fails with 'Path timeout.' after 3 minutes unless answered; an extension without onCmd/on_cmd never answers.`}
        >
          ⏳ {metrics.waiting.cmd}→{metrics.waiting.dest || 'app'} {metrics.waiting.ageMs / 1000}s
        </span>
      )}
      {metrics != null && metrics.dropped > 0 && (
        <span className="dropped" data-testid={`dropped-${name}`} title={`${metrics.dropped} data/frames dropped: this extension has no handler for them (TEN's default). The logs say which names.`}>
          ⊘{metrics.dropped}
        </span>
      )}
    </div>
  );
}

/** Port handles' styles per kind, built once: size from `NODE_BOX`, colour of the kind. */
const HANDLE_STYLES = Object.fromEntries(Object.entries(KIND_COLORS).map(([kind, background]) => [kind, { ...NODE_STYLES.handle, background }]));

function Port({ node, direction, id, port }: { node: string; direction: 'in' | 'out'; id: string; port: PortView }) {
  const label = `${direction === 'in' ? 'Input' : 'Output'} ${portLabel(port.kind, port.name)} of ${node}${port.declared ? '' : ' (not declared by the manifest)'}`;
  return (
    <div className={`port port-${direction}${port.declared ? '' : ' undeclared'}`} style={NODE_STYLES.row} title={label}>
      <Handle
        id={id}
        type={direction === 'in' ? 'target' : 'source'}
        position={direction === 'in' ? Position.Left : Position.Right}
        className={`kind-${port.kind}`}
        style={HANDLE_STYLES[port.kind]}
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

/** The `any` port of one side: takes a message the manifest does not declare. */
function AnyPort({ node, direction, id }: { node: string; direction: 'in' | 'out'; id: string }) {
  const input = direction === 'in';
  return (
    <div className={`port port-${direction} any`} style={NODE_STYLES.row} title={input ? 'Receive a message the manifest does not declare' : 'Send a message the manifest does not declare'}>
      <Handle
        id={id}
        type={input ? 'target' : 'source'}
        position={input ? Position.Left : Position.Right}
        className="any"
        style={NODE_STYLES.handle}
        aria-label={`${input ? 'Input' : 'Output'} any message of ${node}`}
        data-testid={`port-${node}-${direction}-any`}
      />
      <span className="port-name muted-port">any</span>
    </div>
  );
}

function PortColumn({ node, direction, ports }: { node: string; direction: 'in' | 'out'; ports: PortView[] }) {
  return (
    <div className={`ports-col${direction === 'out' ? ' out' : ''}`} style={NODE_STYLES.column}>
      {portRows(direction, ports).map((r) =>
        r.port ? <Port key={r.id} node={node} direction={direction} id={r.id} port={r.port} /> : <AnyPort key={r.id} node={node} direction={direction} id={r.id} />,
      )}
    </div>
  );
}

/**
 * Edge ends of a node drawn far away. React Flow anchors edges on the handles it measures in a
 * node, so every port keeps an empty, unpainted handle (same id) at the middle of its side.
 */
function FarAnchors({ direction, ports }: { direction: 'in' | 'out'; ports: PortView[] }) {
  const type = direction === 'in' ? 'target' : 'source';
  const position = direction === 'in' ? Position.Left : Position.Right;
  return portRows(direction, ports).map((r) => <div key={r.id} className={`far-anchor far-anchor-${direction} ${type}`} data-handleid={r.id} data-handlepos={position} />);
}

/**
 * A node below `FAR_ZOOM`: one box in its group's colour with its queue heat as background, no
 * text (too small to read), its name, phase, queue and rate in its accessible name and
 * tooltip. As large as the full node's estimate (`nodeGeometry`), so the layout looks the same
 * when zooming through.
 */
function FarNode({ data, selected, problems }: { data: ExtensionNodeData; selected: boolean; problems: string | null }) {
  const lifecycle = useRunView(useMemo(() => lifecycleOf(data.name), [data.name]));
  const metrics = useRunView(useMemo(() => metricsOf(data.name), [data.name]));
  const ended = useFiguresEnded();
  const live = [
    ended && (lifecycle || metrics) && 'last run',
    lifecycle?.label,
    metrics && `queue ${metrics.queue}`,
    metrics && `${Math.max(metrics.inPerSec, metrics.outPerSec)} msgs/s`,
    metrics?.pid != null ? `Python process ${metrics.pid}` : metrics?.thread != null && `thread ${metrics.thread}`,
  ].filter(Boolean);
  const lang = data.language && LANGUAGE_BADGE[data.language] ? `, ${LANGUAGE_BADGE[data.language]}` : '';
  const summary = [`Extension ${data.name} (${data.addon}${lang})${data.group ? ` in ${data.group}` : ''}`, ...live, problems].filter(Boolean).join(', ');
  const size = useMemo(() => nodeGeometry(data), [data]);
  return (
    <div
      className={`ext-node-far ${heat(metrics?.queue ?? 0)}${selected ? ' selected' : ''}${problems ? ' has-problems' : ''}${data.known ? '' : ' unknown'}`}
      data-testid={`node-${data.name}`}
      role="group"
      aria-label={summary}
      title={summary}
      style={{ borderLeftColor: data.groupColor, width: size.width, height: size.height }}
    >
      <FarAnchors direction="in" ports={data.inPorts} />
      <FarAnchors direction="out" ports={data.outPorts} />
    </div>
  );
}

/** The node runs as a stand-in (chosen in the layout; during a run, what the host runs). */
function StandInBadge({ name }: { name: string }) {
  const choice = useStudio(useMemo(() => standInOf(name), [name]));
  const running = useRunView(useMemo(() => runStandInOf(name), [name]));
  const receipt = useRunView(useMemo(() => lastReceiptOf(name), [name]));
  if (!choice && !running) return null;
  const text = running ? (running.kind === 'transport' ? 'local transport' : running.kind === 'replay' ? 'replay' : 'stand-in') : standInBadge(choice!);
  const title = running ? `In this run ${name} (${running.addon}) runs as ${running.summary}.${receipt ? ` Last logged: ${receipt}` : ''}` : describeChoice(choice!);
  return (
    <span className={`stand-in-badge kind-${running?.kind ?? choice!.kind}`} data-testid={`stand-in-badge-${name}`} title={title} aria-label={`Stand-in: ${title}`}>
      {text}
      {receipt && <span className="stand-in-receipt"> · {receipt.replace(/ from [^ ]+.*$/, '').replace(/^received /, '')}</span>}
    </span>
  );
}

function ExtensionNodeView({ id, data, selected }: NodeProps<ExtensionFlowNode>) {
  const badge = useEditor(useMemo(() => badgeOf(data.name), [data.name]));
  const standIn = useStudio(useMemo(() => standInOf(data.name), [data.name]));
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
      className={`ext-node${selected ? ' selected' : ''}${badge ? ' has-problems' : ''}${data.known ? '' : ' unknown'}${standIn ? ' stand-in' : ''}`}
      data-testid={`node-${data.name}`}
      style={{ ...NODE_STYLES.node, borderLeftColor: data.groupColor }}
      role="group"
      aria-label={`Extension ${data.name} (${data.addon})`}
    >
      <div className="ext-node-head" style={NODE_STYLES.head}>
        <div>
          <div className="ext-node-name" style={NODE_STYLES.name}>
            {data.name}
          </div>
          <div className="ext-node-addon" style={NODE_STYLES.addon}>
            {data.addon}
          </div>
        </div>
        {data.language && LANGUAGE_BADGE[data.language] && (
          <span className={`lang-badge lang-${data.language}`} data-testid={`lang-${data.name}`} title={LANGUAGE_TITLE[data.language]}>
            {LANGUAGE_BADGE[data.language]}
          </span>
        )}
        <StandInBadge name={data.name} />
        {badge && (
          <span className="problem-badge" data-testid={`badge-${data.name}`} role="img" aria-label={`${badge.count} problem${badge.count === 1 ? '' : 's'}: ${badge.first}`} title={badge.first}>
            ⚠ {badge.count}
          </span>
        )}
      </div>
      {data.group && (
        <div className="ext-node-group" title="Extension group (one thread each)" style={{ ...NODE_STYLES.group, color: data.groupColor }}>
          ● {data.group}
        </div>
      )}
      <LiveStrip name={data.name} />
      <div className="ports" style={NODE_STYLES.ports}>
        <PortColumn node={data.name} direction="in" ports={data.inPorts} />
        <PortColumn node={data.name} direction="out" ports={data.outPorts} />
      </div>
    </div>
  );
}

export const ExtensionNode = memo(ExtensionNodeView);
