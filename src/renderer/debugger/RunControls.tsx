import { useState } from 'react';
import type { HostApi } from '../../shared';
import { useEditor } from '../editor/editorStore';
import { useStudio, type StudioState } from '../store';
import { isActive, useRunView, type RunViewState } from './runStore';

const selectRun = (s: RunViewState) => s.run;
const selectHasDocument = (s: StudioState) => s.document !== null;

/** Run and Stop for the toolbar: runs the document as edited (saved or not), the graph shown. */
export function RunButtons({ host }: { host: HostApi }) {
  const run = useRunView(selectRun);
  const hasDocument = useStudio(selectHasDocument);
  const [pending, setPending] = useState(false);
  const active = isActive(run);

  const start = () => {
    const { document, graphName } = useStudio.getState();
    if (!document) return;
    setPending(true);
    host
      .startRun(graphName === null ? { document } : { document, graph: graphName })
      .then(
        (info) => useRunView.getState().follow(info),
        (err: Error) => useEditor.getState().setNotice(`Could not run: ${err.message}`),
      )
      .finally(() => setPending(false));
  };
  const stop = () => {
    if (!run) return;
    setPending(true);
    host
      .stopRun({ runId: run.runId })
      .then(
        (info) => useRunView.getState().apply({ type: 'run.state', time: Date.now(), run: info }),
        (err: Error) => useEditor.getState().setNotice(`Could not stop: ${err.message}`),
      )
      .finally(() => setPending(false));
  };

  return (
    <>
      <button type="button" aria-label="Run" title="Run the graph shown, as edited" disabled={!hasDocument || active || pending} onClick={start}>
        Run
      </button>
      <button type="button" aria-label="Stop" title="Stop the run" disabled={!active || pending || run?.state === 'stopping'} onClick={stop}>
        Stop
      </button>
      {run && (
        <span className={`run-state run-${run.state}`} role="status" aria-label="Run state" title={run.error ?? `Run ${run.runId}`}>
          {run.state}
        </span>
      )}
    </>
  );
}
