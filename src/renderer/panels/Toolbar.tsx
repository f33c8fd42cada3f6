import type { HostApi } from '../../shared';
import { RunButtons } from '../debugger/RunControls';
import type { DocumentActions } from '../documents/actions';
import { documentPath } from '../documents/actions';
import { useDocumentUi } from '../documents/documentUi';
import { EditButtons, GraphButtons } from '../editor/Overlays';
import { useStudio } from '../store';

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
const MOD = isMac ? '⌘' : 'Ctrl+';

export function Toolbar({ documents, host }: { documents: DocumentActions; host: HostApi }) {
  const document = useStudio((s) => s.document);
  const dirty = useStudio((s) => s.dirty);
  const version = useStudio((s) => s.version);
  const connection = useStudio((s) => s.connection);
  const graphs = document?.property.ten?.predefined_graphs ?? [];
  const graphName = useStudio((s) => s.graphName);
  const selectGraph = useStudio((s) => s.selectGraph);
  const busy = useDocumentUi((s) => s.busy);
  const notice = useDocumentUi((s) => s.notice);
  const recoverySavedAt = useDocumentUi((s) => s.recoverySavedAt);
  const dirtyTitle =
    recoverySavedAt === null
      ? 'Unsaved changes'
      : `Unsaved changes (a recovery copy was kept at ${new Date(recoverySavedAt).toLocaleTimeString()})`;
  const path = document ? documentPath(document) : null;

  return (
    <header className="toolbar" role="toolbar" aria-label="Studio toolbar">
      <span className="brand">TEN Graph Studio</span>
      <button type="button" aria-label="New" title={`New empty document (${MOD}N)`} disabled={busy} onClick={documents.newDocument}>
        New
      </button>
      <button type="button" aria-label="Open" title={`Open an app folder or a JSON file (${MOD}O)`} disabled={busy} onClick={documents.showOpen}>
        Open
      </button>
      <button
        type="button"
        aria-label="Save"
        title={`Save (${MOD}S)`}
        disabled={busy || !document}
        onClick={() => void documents.save()}
      >
        Save
      </button>
      <button
        type="button"
        aria-label="Save As"
        title={`Save to another file (${isMac ? '⇧⌘S' : 'Ctrl+Shift+S'})`}
        disabled={busy || !document}
        onClick={documents.showSaveAs}
      >
        Save As
      </button>
      <button type="button" aria-label="Export" title="Export TEN JSON" disabled={busy || !document} onClick={documents.showExport}>
        Export
      </button>
      <EditButtons />
      <RunButtons host={host} />
      {document && (
        <span className="doc-title" data-testid="document-title" title={path ?? (document.origin.kind === 'example' ? 'Built-in example (no file yet)' : 'New document (no file yet)')}>
          {document.title}
          {dirty && (
            <span className="dirty" data-testid="dirty-indicator" role="img" aria-label="Unsaved changes" title={dirtyTitle}>
              ●
            </span>
          )}
        </span>
      )}
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
      <GraphButtons />
      <span className="spacer" />
      {notice && (
        <span className="notice" role="status" aria-label="File status" title={notice}>
          {notice}
        </span>
      )}
      <span className={`connection ${connection}`} role="status" aria-label="Host connection">
        {connection === 'open' ? `host ${version?.version ?? ''} · ${version?.transport ?? ''}` : connection}
      </span>
    </header>
  );
}
