import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { logLevelName, type HostApi, type LogLevel } from '../../shared';
import { DebuggerStatus, DropCounters, EdgeTraceMenu, MessageInspector, RunFiles } from '../debugger/DebuggerPanel';
import { ChannelsPanel } from '../debugger/ChannelsPanel';
import { ConnectionsPanel } from '../debugger/ConnectionsPanel';
import { selectReplay, selectTraces, useDebug } from '../debugger/debugStore';
import { useRunView, violationNodes, type RunViewState, type ViolationEvent } from '../debugger/runStore';
import { useEditor, type EditorState } from '../editor/editorStore';
import type { Problem } from '../editor/problems';
import { selectGraph, useStudio, type StudioState } from '../store';
import { TalkPanel } from '../talk/TalkPanel';
import { useTalk, type TalkState } from '../talk/talkStore';
import { BOTTOM_TABS, useLayout, type BottomTab, type LayoutState } from './layout';

const selectEvents = (s: StudioState) => s.events;
const selectDropped = (s: StudioState) => s.droppedEvents;
const selectError = (s: StudioState) => s.error;
const selectProblems = (s: EditorState) => s.problems;
const selectValidating = (s: EditorState) => s.validating;
const selectTab = (s: LayoutState) => s.tab;

/**
 * The area under the canvas: one wide panel at a time behind DevTools-style tabs (Problems,
 * Logs, Violations, Messages, Connections, Channels, Recording, Talk), each tab with its count or
 * what arrived since it was last shown. All panels stay mounted, so filters, pauses, sort orders
 * and scroll positions survive a switch.
 */
export function BottomPanel({ host }: { host: HostApi }) {
  const tab = useLayout(selectTab);
  const tabs = useRef<Partial<Record<BottomTab, HTMLButtonElement | null>>>({});
  // Arrow keys, Home and End move between the tabs (WAI-ARIA tabs pattern, automatic activation).
  const onKeyDown = (e: KeyboardEvent) => {
    const i = BOTTOM_TABS.indexOf(tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: BOTTOM_TABS.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    const to = BOTTOM_TABS[(next + BOTTOM_TABS.length) % BOTTOM_TABS.length];
    useLayout.getState().setTab(to);
    tabs.current[to]?.focus();
  };
  const tabProps = (id: BottomTab) => ({
    ref: (el: HTMLButtonElement | null) => {
      tabs.current[id] = el;
    },
    id: `bottom-tab-${id}`,
    active: tab === id,
    panel: `bottom-panel-${id}`,
    onSelect: () => useLayout.getState().setTab(id),
  });
  const panel = (id: BottomTab, content: ReactNode) => (
    <div className={`bottom-panel bottom-panel-${id}`} role="tabpanel" id={`bottom-panel-${id}`} aria-labelledby={`bottom-tab-${id}`} hidden={tab !== id}>
      {content}
    </div>
  );
  return (
    <section className="bottom" aria-label="Problems, logs and debugger">
      <div className="bottom-tabs" role="tablist" aria-label="Bottom panel" onKeyDown={onKeyDown}>
        <ProblemsTab {...tabProps('problems')} />
        <LogsTab {...tabProps('logs')} />
        <ViolationsTab {...tabProps('violations')} />
        <MessagesTab {...tabProps('messages')} />
        <ConnectionsTab {...tabProps('connections')} />
        <ChannelsTab {...tabProps('channels')} />
        <RecordingTab {...tabProps('recording')} />
        <TalkTab {...tabProps('talk')} />
        <DropCounters />
      </div>
      <StudioError />
      <DebuggerStatus />
      {panel('problems', <ProblemsPanel />)}
      {panel('logs', <LogsPanel />)}
      {panel('violations', <ViolationsPanel />)}
      {panel('messages', <MessageInspector />)}
      {panel('connections', <ConnectionsPanel />)}
      {panel('channels', <ChannelsPanel />)}
      {panel('recording', <RunFiles host={host} />)}
      {panel('talk', <TalkPanel />)}
      <EdgeTraceMenu onTrace={() => useLayout.getState().setTab('messages')} />
    </section>
  );
}

interface TabProps {
  ref: (el: HTMLButtonElement | null) => void;
  id: string;
  active: boolean;
  panel: string;
  onSelect: () => void;
}

interface TabContent {
  label: string;
  badge?: number;
  badgeLabel?: string;
  /** Marks the badge as something to look at (problems, new violations). */
  fresh?: boolean;
  /** The count is being worked out (problems while the document is checked). */
  busy?: boolean;
  ariaLabel?: string;
}

function Tab({ ref, id, active, panel, onSelect, label, badge, badgeLabel, fresh = false, busy = false, ariaLabel }: TabProps & TabContent) {
  return (
    <button
      ref={ref}
      type="button"
      role="tab"
      id={id}
      className={busy ? 'busy' : undefined}
      aria-selected={active}
      aria-controls={panel}
      aria-label={ariaLabel}
      aria-busy={busy || undefined}
      title={busy ? 'Checking…' : undefined}
      tabIndex={active ? 0 : -1}
      onClick={onSelect}
    >
      {label}
      {badge !== undefined && (
        <span className={`count${fresh ? ' fresh' : ''}`} aria-label={badgeLabel}>
          {badge}
        </span>
      )}
    </button>
  );
}

/**
 * How many of `items` are newer than the newest one there was while the tab was shown: what
 * arrived since the user last looked (0 while the tab is shown).
 */
function useUnseen<T>(items: readonly T[], time: (item: T) => number, active: boolean): number {
  const [seen, setSeen] = useState(-Infinity);
  let newest = -Infinity;
  let unseen = 0;
  for (const item of items) {
    const t = time(item);
    if (t > newest) newest = t;
    if (t > seen) unseen++;
  }
  useEffect(() => {
    if (active && newest > seen) setSeen(newest);
  }, [active, newest, seen]);
  return active ? 0 : unseen;
}

function ProblemsTab(props: TabProps) {
  const problems = useEditor(selectProblems);
  const validating = useEditor(selectValidating);
  return <Tab {...props} label="Problems" badge={problems.length} fresh={problems.length > 0} busy={validating} />;
}

const hostLogTime = (e: StudioState['events'][number]) => (e.type === 'log' ? e.time : -Infinity);
const runLogTime = (e: RunViewState['logs'][number]) => e.ts;

function LogsTab(props: TabProps) {
  const unseen = useUnseen(useStudio(selectEvents), hostLogTime, props.active) + useUnseen(useRunView(selectRunLogs), runLogTime, props.active);
  return <Tab {...props} label="Logs" badge={unseen > 0 ? unseen : undefined} badgeLabel={`${unseen} new`} />;
}

function ViolationsTab(props: TabProps) {
  const violations = useRunView(selectViolations);
  const unseen = useUnseen(violations, violationTime, props.active);
  return <Tab {...props} label="Violations" badge={violations.length} fresh={unseen > 0} badgeLabel={unseen > 0 ? `${violations.length}, ${unseen} new` : undefined} />;
}

const traceTime = (s: ReturnType<typeof selectTraces>[number]) => s.ts;

function MessagesTab(props: TabProps) {
  const unseen = useUnseen(useDebug(selectTraces), traceTime, props.active);
  return <Tab {...props} label="Messages" badge={unseen > 0 ? unseen : undefined} badgeLabel={`${unseen} new`} />;
}

const selectConnectionCount = (s: RunViewState) => s.connections.length;
const selectConnectionEvents = (s: RunViewState) => s.connectionEvents;
const connectionEventTime = (e: RunViewState['connectionEvents'][number]) => e.ts;

function ConnectionsTab(props: TabProps) {
  const count = useRunView(selectConnectionCount);
  const unseen = useUnseen(useRunView(selectConnectionEvents), connectionEventTime, props.active);
  return <Tab {...props} label="Connections" badge={count > 0 ? count : undefined} fresh={unseen > 0} badgeLabel={`${count} connections${unseen > 0 ? `, ${unseen} new events` : ''}`} />;
}

const selectChannelCount = (s: RunViewState) => s.channels.channels?.length ?? 0;
const selectChannelsFull = (s: RunViewState) => s.channels.channels?.filter((c) => c.nearFull).length ?? 0;

function ChannelsTab(props: TabProps) {
  const count = useRunView(selectChannelCount);
  const full = useRunView(selectChannelsFull);
  return (
    <Tab
      {...props}
      label="Channels"
      badge={count > 0 ? count : undefined}
      fresh={full > 0}
      badgeLabel={`${count} channels${full > 0 ? `, ${full} near full` : ''}`}
    />
  );
}

function RecordingTab(props: TabProps) {
  const replay = useDebug(selectReplay);
  return <Tab {...props} label={replay ? 'Recording ▶' : 'Recording'} ariaLabel={replay ? 'Recording and trace (replaying)' : 'Recording and trace'} />;
}

const selectTalkTurns = (s: TalkState) => s.turns;
const selectTalkLive = (s: TalkState) => s.nodes.length > 0;

function TalkTab(props: TabProps) {
  const turns = useTalk(selectTalkTurns);
  const live = useTalk(selectTalkLive);
  const unseen = useUnseen(turns, (t) => t.index, props.active);
  return (
    <Tab
      {...props}
      label={live ? 'Talk ●' : 'Talk'}
      ariaLabel={live ? 'Talk (the run has a local transport)' : 'Talk'}
      badge={unseen > 0 ? unseen : undefined}
      badgeLabel={`${unseen} new turn${unseen === 1 ? '' : 's'}`}
    />
  );
}

/** The studio's own error (an example or a file that could not be read), whichever tab is shown. */
function StudioError() {
  const error = useStudio(selectError);
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}

/** Shows the problem's graph and brings its node or connection into view. */
function focusProblem(p: Problem): void {
  const studio = useStudio.getState();
  if (p.graph !== undefined && p.graph !== studio.graphName) studio.selectGraph(p.graph);
  if (p.node !== undefined || p.edge !== undefined) useEditor.getState().requestFocus({ node: p.node, edge: p.edge });
}

function ProblemsPanel() {
  const problems = useEditor(selectProblems);
  const validating = useEditor(selectValidating);
  return (
    <section className="problems-panel" aria-label="Problems">
      <ol className="problem-list" data-testid="problems">
        {problems.map((p) => (
          <li key={p.id}>
            <button type="button" onClick={() => focusProblem(p)} aria-label={`${p.code} ${p.message}`} title={`${p.pointer}${p.line !== undefined ? ` (line ${p.line} of the saved JSON)` : ''}`}>
              <span className="code">{p.code}</span> <span className="where">{[p.graph, p.node ?? p.edge].filter(Boolean).join(' › ')}</span> {p.message}
            </button>
          </li>
        ))}
        {problems.length === 0 && <li className={validating ? 'muted' : 'muted ok'}>{validating ? 'Checking…' : 'No problems.'}</li>}
      </ol>
    </section>
  );
}

const selectViolations = (s: RunViewState) => s.violations;
const violationTime = (v: ViolationEvent) => v.ts;
const selectRunLogs = (s: RunViewState) => s.logs;

const selectMetrics = (s: RunViewState) => s.metrics;

function ViolationsPanel() {
  const violations = useRunView(selectViolations);
  const metrics = useRunView(selectMetrics);
  const graph = useStudio(selectGraph);
  const nodes = useMemo(() => (graph?.nodes ?? []).map((n) => ({ name: n.name, addon: n.type === 'extension' ? n.addon : n.type })), [graph]);
  return (
    <section className="violations-panel" aria-label="Violations">
      <ol className="problem-list" data-testid="violations" aria-label="Thread-check violations">
        {violations.map((v, i) => {
          const where = violationNodes(v, nodes, metrics);
          return (
            <li key={i}>
              <button
                type="button"
                aria-label={`Violation in ${where.join(' or ') || 'an unknown node'}: ${v.object}, ${v.reason}`}
                onClick={() => where[0] && useEditor.getState().requestFocus({ node: where[0] })}
                title={`owner ${v.owner}; caller ${v.caller}; policy ${v.policy}`}
              >
                <span className="where">{where.join(' / ') || v.caller}</span> <span className="code">{v.object}</span> {v.reason}
              </button>
              <dl className="violation-threads">
                <dt>owner</dt>
                <dd>{v.owner}</dd>
                <dt>caller</dt>
                <dd>{v.caller}</dd>
              </dl>
              <details>
                <summary>Stack</summary>
                <pre className="stack">{v.stack}</pre>
              </details>
            </li>
          );
        })}
        {violations.length === 0 && <li className="muted">Thread-check violations of a running graph appear here.</li>}
      </ol>
    </section>
  );
}

/** One line of the logs panel: a host log line or a runtime log of the run. */
interface LogLine {
  time: number;
  level: LogLevel;
  source: string;
  message: string;
  /** Where the log call is (`extension.py:42`), with the full path, thread and task in `whereTitle`. */
  where?: string;
  whereTitle?: string;
}

/** The location of a runtime log line, as Python extensions report it. */
function whereOf(e: { loc?: { file: string; line: number; func?: string }; thread?: string; task?: string }): Pick<LogLine, 'where' | 'whereTitle'> {
  if (!e.loc) return {};
  const file = e.loc.file.split(/[\\/]/).pop() ?? e.loc.file;
  const title = [`${e.loc.file}:${e.loc.line}${e.loc.func ? ` in ${e.loc.func}` : ''}`, e.thread && `thread ${e.thread}`, e.task && `task ${e.task}`].filter(Boolean).join(' · ');
  return { where: `${file}:${e.loc.line}`, whereTitle: title };
}

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const LEVEL_TAG: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

function LogsPanel() {
  const events = useStudio(selectEvents);
  const runLogs = useRunView(selectRunLogs);
  const dropped = useStudio(selectDropped);
  const [minLevel, setMinLevel] = useState<LogLevel>('debug');
  const [source, setSource] = useState('');
  const [text, setText] = useState('');
  const [paused, setPaused] = useState<LogLine[] | null>(null);
  const lines = useMemo(() => {
    const out: LogLine[] = [];
    for (const e of events) if (e.type === 'log') out.push({ time: e.time, level: e.level, source: e.source, message: e.message });
    for (const e of runLogs) {
      out.push({
        time: e.ts,
        level: e.type === 'error' ? 'error' : logLevelName(e.level),
        source: e.extension,
        message: e.type === 'error' ? `${e.phase}: ${e.message}` : e.message,
        ...(e.type === 'log' ? whereOf(e) : {}),
      });
    }
    return out.sort((a, b) => a.time - b.time);
  }, [events, runLogs]);
  const shown = useMemo(() => {
    const q = text.trim().toLowerCase();
    const src = source.trim().toLowerCase();
    const min = LEVEL_RANK[minLevel];
    return (paused ?? lines).filter((l) => LEVEL_RANK[l.level] >= min && (!src || l.source.toLowerCase().includes(src)) && (!q || l.message.toLowerCase().includes(q))).slice(-500);
  }, [paused, lines, minLevel, source, text]);
  return (
    <section className="logs-panel" aria-label="Logs and events">
      <div className="log-filters">
        <select aria-label="Minimum log level" value={minLevel} onChange={(e) => setMinLevel(e.target.value as LogLevel)}>
          <option value="debug">all levels</option>
          <option value="info">info+</option>
          <option value="warn">warn+</option>
          <option value="error">error</option>
        </select>
        <input aria-label="Filter logs by extension" placeholder="extension" value={source} onChange={(e) => setSource(e.target.value)} />
        <input aria-label="Filter logs by text" placeholder="text" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="button" aria-pressed={paused !== null} aria-label={paused ? 'Resume logs' : 'Pause logs'} onClick={() => setPaused(paused ? null : lines)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <span className="log-count muted-inline">
          {shown.length} of {lines.length} lines{dropped > 0 ? ` · ${dropped} older dropped` : ''}
        </span>
      </div>
      <ol className="log-list" data-testid="logs">
        {shown.map((l, i) => (
          <li key={i} className={`log-${l.level}`} data-level={l.level}>
            <time>{new Date(l.time).toLocaleTimeString()}</time> <span className="log-level">{LEVEL_TAG[l.level]}</span> <b>{l.source}</b> {l.message}
            {l.where && (
              <span className="log-where muted-inline" title={l.whereTitle}>
                {' '}
                {l.where}
              </span>
            )}
          </li>
        ))}
        {shown.length === 0 && <li className="muted">{lines.length > 0 ? 'No line matches the filters.' : 'Logs of the host and of a running graph appear here.'}</li>}
      </ol>
    </section>
  );
}
