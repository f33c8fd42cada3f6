/**
 * The run's apps and TEN protocol connections (a graph spanning apps, or clients of the studio's
 * app): each connection's state, peer, graph and traffic per direction, and the timeline of
 * connection events (migration, attach, reset, close, errors).
 */
import type { ConnectionMetrics, RunAppInfo } from '../../shared';
import { useRunView, type ConnectionEvent, type RunViewState } from './runStore';

const selectConnections = (s: RunViewState) => s.connections;
const selectConnectionEvents = (s: RunViewState) => s.connectionEvents;
const selectApps = (s: RunViewState) => s.run?.apps;
const selectStartedAt = (s: RunViewState) => s.run?.startedAt ?? 0;

/** `1.2 kB/s`, `340 B/s`, `3.4 MB/s`. */
export function formatBytesPerSec(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB/s`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB/s`;
  return `${Math.round(n)} B/s`;
}

/** `12/s`, `1.5k/s`. */
export function formatRate(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k/s` : `${Math.round(n)}/s`;
}

const short = (uri: string): string => (uri.length > 36 ? `${uri.slice(0, 8)}…${uri.slice(-6)}` : uri);

export function ConnectionsPanel() {
  const connections = useRunView(selectConnections);
  const events = useRunView(selectConnectionEvents);
  const apps = useRunView(selectApps);
  const t0 = useRunView(selectStartedAt);
  return (
    <section className="connections-panel" aria-label="Apps and connections">
      {apps && apps.length > 0 && <AppList apps={apps} />}
      <table className="connections" data-testid="connections" aria-label="Connections">
        <thead>
          <tr>
            <th>#</th>
            <th>peer</th>
            <th>state</th>
            <th>graph</th>
            <th title="Bytes per second from the peer / to the peer">bytes in / out</th>
            <th title="Messages per second from the peer / to the peer">msgs in / out</th>
            <th title="Messages not delivered (in) or not sent (out)">dropped</th>
          </tr>
        </thead>
        <tbody>
          {connections.map((c) => (
            <ConnectionRow key={`${c.app ?? ''}#${c.id}`} c={c} />
          ))}
          {connections.length === 0 && (
            <tr>
              <td colSpan={7} className="muted">
                No connections. A graph whose nodes name other apps, or a client of the app's ten.uri, opens them.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <ol className="connection-events" data-testid="connection-events" aria-label="Connection events">
        {events
          .slice(-100)
          .reverse()
          .map((e, i) => (
            <ConnectionEventLine key={`${e.ts}-${e.id}-${i}`} e={e} t0={t0} />
          ))}
      </ol>
    </section>
  );
}

function AppList({ apps }: { apps: RunAppInfo[] }) {
  const where: Record<RunAppInfo['where'], string> = { studio: 'in the studio', process: 'process started by the studio', remote: 'remote (connected to)' };
  return (
    <ul className="run-apps" aria-label="Apps of the run">
      {apps.map((a) => (
        <li key={a.uri} className={`run-app ${a.state}`} title={a.error}>
          <strong>{a.uri}</strong> {where[a.where]}
          {a.pid !== undefined ? ` (pid ${a.pid})` : ''} — {a.state}
          {a.error ? `: ${a.error.split('\n')[0]}` : ''}
        </li>
      ))}
    </ul>
  );
}

/**
 * A connection's state as the panel and the canvas show it: a weak remote (dialled, its child
 * start_graph not answered yet) says so; it does not migrate (migration is an accepted
 * connection's first message binding it to a graph).
 */
export function connectionStateLabel(c: Pick<ConnectionMetrics, 'state' | 'weak'>): string {
  return c.weak ? `${c.state} (start_graph sent)` : c.state;
}

function ConnectionRow({ c }: { c: ConnectionMetrics }) {
  const label = connectionStateLabel(c);
  return (
    <tr className={`connection ${c.state}`} aria-label={`Connection ${c.id} ${c.uri || c.peer} ${c.state}${c.app ? ` of ${c.app}` : ''}`}>
      <td title={c.app ? `A connection of the app process ${c.app}` : undefined}>
        {c.app ? <span className="muted">[{short(c.app)}] </span> : null}
        {c.id}
      </td>
      <td title={`${c.uri} (${c.peer}, ${c.role}${c.socket ? `; socket on the ${c.socket === 'host' ? 'host thread' : `thread of ${c.socket}`}` : ''})`}>{short(c.uri || c.peer)}</td>
      <td>
        <span className={`conn-state ${c.state}`}>{label}</span>
        {c.inputHeld ? (
          <span className="muted" title="The app stops reading this connection while an extension group it sends to is behind; it reads again once the group has caught up (TCP holds the rest).">
            {' '}
            · reading held
          </span>
        ) : null}
      </td>
      <td title={c.graphId}>{c.graphId ? c.graphId.slice(0, 8) : '—'}</td>
      <td>
        {formatBytesPerSec(c.bytesInPerSec)} / {formatBytesPerSec(c.bytesOutPerSec)}
      </td>
      <td>
        {formatRate(c.msgsInPerSec)} / {formatRate(c.msgsOutPerSec)}
      </td>
      <td className={c.dropsIn + c.dropsOut > 0 ? 'error' : undefined}>
        {c.dropsIn} / {c.dropsOut}
      </td>
    </tr>
  );
}

function ConnectionEventLine({ e, t0 }: { e: ConnectionEvent; t0: number }) {
  const at = `${((e.ts - t0) / 1000).toFixed(3)}s`;
  return (
    <li className={`connection-event ${e.state}`}>
      <span className="muted">{at}</span> {e.app ? <span className="muted">[{short(e.app)}]</span> : null} #{e.id} {short(e.uri || e.peer)} <strong>{e.state}</strong>
      {e.detail ? ` — ${e.detail}` : ''}
    </li>
  );
}
