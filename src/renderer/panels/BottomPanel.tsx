import { useStudio } from '../store';

export function BottomPanel() {
  const events = useStudio((s) => s.events);
  const dropped = useStudio((s) => s.droppedEvents);
  const error = useStudio((s) => s.error);
  return (
    <section className="bottom" aria-label="Logs and events">
      <h2>
        Logs &amp; events {dropped > 0 && <span className="muted">({dropped} older dropped)</span>}
      </h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ol className="log-list" data-testid="logs">
        {events.map((e, i) =>
          e.type === 'log' ? (
            <li key={i} className={`log-${e.level}`}>
              <time>{new Date(e.time).toLocaleTimeString()}</time> <b>{e.source}</b> {e.message}
            </li>
          ) : null,
        )}
      </ol>
    </section>
  );
}
