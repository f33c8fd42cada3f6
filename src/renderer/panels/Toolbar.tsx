import { useStudio } from '../store';

/** Actions whose issues have not landed yet stay visible but disabled, with the reason. */
const PENDING = 'Arrives with document editing and the runtime';

export function Toolbar() {
  const document = useStudio((s) => s.document);
  const version = useStudio((s) => s.version);
  const connection = useStudio((s) => s.connection);
  const graphs = document?.property.ten?.predefined_graphs ?? [];
  const graphName = useStudio((s) => s.graphName);
  const selectGraph = useStudio((s) => s.selectGraph);

  return (
    <header className="toolbar" role="toolbar" aria-label="Studio toolbar">
      <span className="brand">TEN Graph Studio</span>
      {['Open', 'Save', 'Export', 'Run', 'Stop'].map((label) => (
        <button key={label} type="button" disabled aria-label={label} title={`${label} — ${PENDING}`}>
          {label}
        </button>
      ))}
      <label className="graph-picker">
        <span>Graph</span>
        <select
          aria-label="Graph"
          value={graphName ?? ''}
          onChange={(e) => selectGraph(e.target.value)}
          disabled={graphs.length === 0}
        >
          {graphs.map((g) => (
            <option key={g.name} value={g.name}>
              {g.name}
            </option>
          ))}
        </select>
      </label>
      <span className="spacer" />
      <span className={`connection ${connection}`} role="status" aria-label="Host connection">
        {connection === 'open' ? `host ${version?.version ?? ''} · ${version?.transport ?? ''}` : connection}
      </span>
    </header>
  );
}
