import type { HostApi } from '../../shared';
import { useStudio, type StudioState } from '../store';
import { selectReplay, useDebug } from './debugStore';
import { isActive, useRunView, type RunViewState } from './runStore';
import { followNextRun } from './session';

const selectRun = (s: RunViewState) => s.run;
const selectDocument = (s: StudioState) => s.document;
const selectGraphName = (s: StudioState) => s.graphName;
const selectConnected = (s: StudioState) => s.connection === 'open';

/** Run and Stop for the toolbar, with the followed run's state as a status. */
export function RunButtons({ host }: { host: HostApi }) {
  const run = useRunView(selectRun);
  const document = useStudio(selectDocument);
  const graphName = useStudio(selectGraphName);
  const connected = useStudio(selectConnected);
  const replay = useDebug(selectReplay);
  // A replayed recording is not live, whatever state its run was saved in.
  const active = isActive(run) && !replay;

  const start = async () => {
    if (!document) return;
    const done = followNextRun();
    try {
      const info = await host.startRun({ document, ...(graphName !== null ? { graph: graphName } : {}) });
      if (useRunView.getState().run?.runId !== info.runId) useRunView.getState().follow(info);
    } catch (err) {
      useStudio.getState().setError(`Could not run the graph: ${(err as Error).message}`);
    } finally {
      done();
    }
  };

  const stop = async () => {
    if (!run) return;
    try {
      await host.stopRun({ runId: run.runId });
    } catch (err) {
      useStudio.getState().setError(`Could not stop the run: ${(err as Error).message}`);
    }
  };

  return (
    <>
      <button
        type="button"
        aria-label="Run"
        title={active ? 'The graph is running; stop it first' : 'Run the graph shown, as edited'}
        disabled={!document || !connected || active}
        onClick={() => void start()}
      >
        Run
      </button>
      <button type="button" aria-label="Stop" title="Stop the run (waits for every thread to exit)" disabled={!active || run?.state !== 'running'} onClick={() => void stop()}>
        Stop
      </button>
      {replay ? (
        <span className="run-state replay" role="status" aria-label="Run state" title={`Replaying ${replay.path}`}>
          replay
        </span>
      ) : (
        run && (
          <span className={`run-state ${run.state}`} role="status" aria-label="Run state" title={run.error ?? `${run.title} (run ${run.runId})`}>
            {run.state}
          </span>
        )
      )}
    </>
  );
}
