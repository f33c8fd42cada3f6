import { ReactFlowProvider } from '@xyflow/react';
import { useCallback, useEffect, useMemo, type CSSProperties, type ReactNode } from 'react';
import { GraphCanvas } from './canvas/GraphCanvas';
import { createDocumentActions } from './documents/actions';
import { useRunView } from './debugger/runStore';
import { useDebuggerSync } from './debugger/session';
import { useTalkSync } from './talk/session';
import { DocumentDialogs } from './documents/DocumentDialogs';
import { EditorOverlays } from './editor/Overlays';
import { useEditorSync } from './editor/sync';
import { connectHost } from './transport/client';
import { BottomPanel } from './panels/BottomPanel';
import { Inspector } from './panels/Inspector';
import { useShownSizes } from './panels/layout';
import { Sidebar } from './panels/Sidebar';
import { Splitter } from './panels/Splitter';
import { Toolbar } from './panels/Toolbar';
import { useStudio } from './store';

export function App() {
  const host = useMemo(() => connectHost((state) => useStudio.getState().setConnection(state)), []);
  const documents = useMemo(() => createDocumentActions(host), [host]);
  useEffect(() => documents.start(), [documents]);
  useEditorSync(host);
  useDebuggerSync(host);
  useTalkSync(host);

  // The window title carries the document and its unsaved state, as desktop editors do.
  const title = useStudio((s) => s.document?.title);
  const dirty = useStudio((s) => s.dirty);
  useEffect(() => {
    window.document.title = title ? `${dirty ? '● ' : ''}${title} — TEN Graph Studio` : 'TEN Graph Studio';
  }, [title, dirty]);

  const openExample = useCallback(
    (id: string, onlyIfNothingOpen = false) => {
      host.openExample({ id }).then(
        (doc) => {
          // The first example is opened for a new window; a document the user opened while it
          // loaded (a slow host) wins over it.
          if (onlyIfNothingOpen && useStudio.getState().document) return;
          useStudio.getState().openDocument(doc);
        },
        (err: Error) => useStudio.getState().setError(`Could not open example "${id}": ${err.message}`),
      );
    },
    [host],
  );

  useEffect(() => {
    const store = useStudio.getState();
    // Run telemetry is for the debugger views; the log list shows the host's own log lines.
    const unsubscribe = host.onEvent((event) => {
      if (event.type === 'log') useStudio.getState().pushEvent(event);
      else useRunView.getState().apply(event);
    });
    host.version().then(store.setVersion, (err: Error) => store.setError(err.message));
    host.listExamples().then(
      (list) => {
        store.setExamples(list);
        if (list[0] && !useStudio.getState().document) openExample(list[0].id, true);
      },
      (err: Error) => store.setError(`Could not list examples: ${err.message}`),
    );
    return unsubscribe;
  }, [host, openExample]);

  return (
    <ReactFlowProvider>
      <LayoutGrid>
        <Toolbar documents={documents} host={host} />
        <Sidebar onOpenExample={(id) => documents.guardUnsaved(() => openExample(id))} />
        <Splitter pane="sidebar" />
        <main className="center">
          <GraphCanvas />
        </main>
        <Splitter pane="inspector" />
        <Inspector />
        <Splitter pane="bottom" />
        <BottomPanel host={host} />
        <EditorOverlays />
        <DocumentDialogs actions={documents} host={host} />
      </LayoutGrid>
    </ReactFlowProvider>
  );
}

/**
 * The window's grid, sized by the splitters. Only this element re-renders while one is dragged:
 * its children are the same elements each time, so React leaves them alone.
 */
function LayoutGrid({ children }: { children: ReactNode }) {
  const sizes = useShownSizes();
  const style = { '--sidebar-width': `${sizes.sidebar}px`, '--inspector-width': `${sizes.inspector}px`, '--bottom-height': `${sizes.bottom}px` } as CSSProperties;
  return (
    <div className="app" style={style}>
      {children}
    </div>
  );
}
