/**
 * Choosing stand-ins: what runs in place of a node whose package cannot run here (or any node the
 * user wants to replace for a run). The choice is kept in the layout sidecar per graph and node,
 * never in the TEN JSON; the inspector edits it, the canvas marks the node, and Run asks for the
 * nodes that cannot run and have none.
 */
import { useRef, useState } from 'react';
import type { RunNodePlan } from '../../shared';
import type { StandInChoice } from '../../shared/talk/choice';
import { Modal } from '../Modal';
import { setStandIn, setStandIns } from '../editor/actions';
import { useStudio, type StudioState } from '../store';

/** The choices a select offers, by key. */
const OPTIONS = {
  none: 'its own package',
  interface: 'interface stand-in (answers as its language does)',
  schema: 'interface stand-in (answers OK with results from its manifest)',
  transport: 'local transport (microphone / WAV; for an RTC node)',
  transport20: 'local transport, 20 ms frames',
  replay: 'replay of a recording',
} as const;
type OptionKey = keyof typeof OPTIONS;

export function choiceKey(c: StandInChoice | undefined): OptionKey {
  if (!c) return 'none';
  if (c.kind === 'interface') return c.answer === 'schema' ? 'schema' : 'interface';
  if (c.kind === 'transport') return c.frameMs === 20 ? 'transport20' : 'transport';
  return 'replay';
}

function choiceOf(key: OptionKey, recording: string): StandInChoice | null {
  switch (key) {
    case 'none':
      return null;
    case 'interface':
      return { kind: 'interface', answer: 'default' };
    case 'schema':
      return { kind: 'interface', answer: 'schema' };
    case 'transport':
      return { kind: 'transport' };
    case 'transport20':
      return { kind: 'transport', frameMs: 20 };
    case 'replay':
      return { kind: 'replay', recording };
  }
}

/** A short name for the canvas badge. */
export function standInBadge(c: StandInChoice): string {
  return c.kind === 'transport' ? 'local transport' : c.kind === 'replay' ? 'replay' : 'stand-in';
}

export function describeChoice(c: StandInChoice): string {
  switch (c.kind) {
    case 'interface':
      return c.answer === 'schema' ? 'Runs as an interface stand-in: every cmd answered OK with results generated from its manifest.' : "Runs as an interface stand-in: cmds answered as its package's language does by default.";
    case 'transport':
      return `Runs as the local transport: talk to the graph from the Talk panel (${c.frameMs ?? 10} ms frames).`;
    case 'replay':
      return `Replays what it sent in ${c.recording}.`;
  }
}

const isAbsolute = (p: string) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('~/');

/** The stand-in of one node in the inspector. */
export function StandInEditor({ graph, node }: { graph: string; node: string }) {
  const choice = useStudio((s: StudioState) => s.document?.layout?.graphs[graph]?.standIns?.[node]);
  const key = choiceKey(choice);
  const [recording, setRecording] = useState(choice?.kind === 'replay' ? choice.recording : '');
  const [error, setError] = useState<string | null>(null);
  const apply = (k: OptionKey, path = recording) => {
    if (k === 'replay' && !isAbsolute(path.trim())) {
      setError('Enter the absolute path of a recording saved with payloads (ten-studio run --record … --trace-payloads).');
      return;
    }
    setError(null);
    const next = choiceOf(k, path.trim());
    setStandIn(graph, node, next);
  };
  return (
    <section className="stand-in-editor" aria-label="Stand-in">
      <label>
        Run as{' '}
        <select aria-label="Run as" value={key} onChange={(e) => apply(e.target.value as OptionKey)}>
          {(Object.keys(OPTIONS) as OptionKey[]).map((k) => (
            <option key={k} value={k}>
              {OPTIONS[k]}
            </option>
          ))}
        </select>
      </label>
      {key === 'replay' && (
        <input
          aria-label="Recording to replay"
          placeholder="/absolute/path/recording.json"
          value={recording}
          onChange={(e) => setRecording(e.target.value)}
          onBlur={() => apply('replay')}
          onKeyDown={(e) => e.key === 'Enter' && apply('replay')}
        />
      )}
      {choice && <p className="muted stand-in-note">{describeChoice(choice)} Kept in the layout sidecar, not in the TEN JSON.</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/** Run asks for a stand-in for each node that cannot run here and has none. */
export function RunStandInsDialog({ nodes, onRun, onCancel }: { nodes: RunNodePlan[]; onRun: () => void; onCancel: () => void }) {
  const [keys, setKeys] = useState<Record<string, OptionKey>>(() => Object.fromEntries(nodes.map((n) => [`${n.graph}\u0000${n.node}`, choiceKey(n.suggested)])));
  const [recordings, setRecordings] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const first = useRef<HTMLSelectElement>(null);
  const run = () => {
    const choices: [RunNodePlan, StandInChoice][] = [];
    for (const n of nodes) {
      const id = `${n.graph}\u0000${n.node}`;
      const k = keys[id] ?? 'interface';
      const path = (recordings[id] ?? '').trim();
      if (k === 'replay' && !isAbsolute(path)) return setError(`Enter the absolute path of a recording for ${n.node}.`);
      const c = choiceOf(k, path);
      if (!c) return setError(`${n.node} cannot run here: choose a stand-in for it.`);
      choices.push([n, c]);
    }
    setStandIns(choices.map(([n, c]) => ({ graph: n.graph, node: n.node, choice: c })));
    onRun();
  };
  return (
    <Modal title="Stand-ins for this run" onCancel={onCancel} initialFocus={first}>
      <p className="muted">
        These nodes cannot run here. Choose what runs in their place; the choice is remembered in the layout sidecar (not in the TEN JSON) and can be changed in each node's inspector.
      </p>
      <table className="stand-in-table">
        <tbody>
          {nodes.map((n, i) => {
            const id = `${n.graph}\u0000${n.node}`;
            const k = keys[id] ?? 'interface';
            return (
              <tr key={id} data-testid={`stand-in-${n.node}`}>
                <th scope="row" title={`${n.addon}: ${n.reason ?? 'cannot run here'}`}>
                  {n.node}
                  <span className="muted-inline">
                    {' '}
                    {n.addon} · {n.reason ?? 'cannot run here'}
                    {n.rtc ? ' · looks like an RTC transport' : ''}
                  </span>
                </th>
                <td>
                  <select ref={i === 0 ? first : undefined} aria-label={`Stand-in for ${n.node}`} value={k} onChange={(e) => setKeys({ ...keys, [id]: e.target.value as OptionKey })}>
                    {(Object.keys(OPTIONS) as OptionKey[])
                      .filter((o) => o !== 'none')
                      .map((o) => (
                        <option key={o} value={o}>
                          {OPTIONS[o]}
                        </option>
                      ))}
                  </select>
                  {k === 'replay' && (
                    <input aria-label={`Recording for ${n.node}`} placeholder="/absolute/path/recording.json" value={recordings[id] ?? ''} onChange={(e) => setRecordings({ ...recordings, [id]: e.target.value })} />
                  )}
                  {k === 'interface' && <div className="muted-inline">{n.defaultAnswer}</div>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="modal-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="primary" aria-label="Run with these stand-ins" onClick={run}>
          Run with these stand-ins
        </button>
      </div>
    </Modal>
  );
}
