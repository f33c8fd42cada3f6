import { useMemo, useState } from 'react';
import type { HostApi, RunNodePlan } from '../../shared';
import { RunStandInsDialog } from '../talk/standIns';
import { selectGraph, useStudio, type StudioState } from '../store';
import { selectReplay, useDebug } from './debugStore';
import { isActive, useRunView, type RunViewState } from './runStore';
import { followNextRun } from './session';
import { isPort, runOptionsOf, useDocumentRunOptions, useRunOptions } from './runOptions';

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

  const graph = useStudio(selectGraph);
  const apps = useMemo(() => [...new Set((graph?.nodes ?? []).map((n) => n.app).filter((a): a is string => typeof a === 'string' && a !== ''))], [graph]);
  // Apps the user says are already running: the run connects to them instead of starting them.
  const [remote, setRemote] = useState<ReadonlySet<string>>(new Set());

  const [asking, setAsking] = useState<RunNodePlan[] | null>(null);
  const options = useDocumentRunOptions(document?.id);

  /** Run: nodes that cannot run here and have no stand-in are asked about first. */
  const runClicked = async () => {
    if (!document) return;
    try {
      const plan = await host.planRun({ document, ...(graphName !== null ? { graph: graphName } : {}) });
      const missing = plan.nodes.filter((n) => !n.runsHere && !n.chosen);
      if (missing.length) return setAsking(missing);
    } catch {
      // startRun refuses with its own error; a plan that cannot be made must not stop a run.
    }
    await start();
  };

  const start = async () => {
    // The document as it is now: the dialog may just have added stand-ins to its layout.
    const document = useStudio.getState().document;
    if (!document) return;
    const done = followNextRun();
    const remoteApps = apps.filter((a) => remote.has(a) || !isLoopback(a));
    // Read now: the stand-ins dialog may have been open meanwhile.
    const debug = runOptionsOf(document.id);
    try {
      const info = await host.startRun({
        document,
        ...(graphName !== null ? { graph: graphName } : {}),
        ...(remoteApps.length ? { remoteApps } : {}),
        ...(debug.pythonDebug ? { pythonDebug: { port: debug.pythonDebugPort } } : {}),
      });
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
        onClick={() => void runClicked()}
      >
        Run
      </button>
      {apps.length > 1 && (
        <details className="run-apps-menu">
          <summary title="Which apps of the graph the studio starts, and which it connects to">Apps ({apps.length})</summary>
          <ul aria-label="Apps of the graph">
            {apps.map((a) => (
              <li key={a}>
                <label title={isLoopback(a) ? undefined : 'Not on this machine: the run connects to it'}>
                  <input
                    type="checkbox"
                    checked={isLoopback(a) && !remote.has(a)}
                    disabled={!isLoopback(a) || active}
                    onChange={(e) => {
                      const next = new Set(remote);
                      if (e.target.checked) next.delete(a);
                      else next.add(a);
                      setRemote(next);
                    }}
                  />{' '}
                  start {a} here
                </label>
              </li>
            ))}
            <li className="muted">Unchecked apps must already be running (a studio or TEN app): the run connects to them.</li>
          </ul>
        </details>
      )}
      <PythonDebugMenu documentId={document?.id} on={options.pythonDebug} port={options.pythonDebugPort} disabled={active} />
      {asking && (
        <RunStandInsDialog
          nodes={asking}
          onCancel={() => setAsking(null)}
          onRun={() => {
            setAsking(null);
            void start();
          }}
        />
      )}
      <button
        type="button"
        aria-label="Stop"
        title={
          run?.state === 'starting'
            ? 'Stop the run now: extensions still being created are ended at once'
            : run?.state === 'stopping'
              ? 'Stopping: a thread that does not stop in order is ended after the stop timeout'
              : 'Stop the run (waits for every thread to exit)'
        }
        // Available the whole time anything runs, a start that never finishes included.
        disabled={!active || run?.state === 'stopping'}
        onClick={() => void stop()}
      >
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

/**
 * Python debugging for the document's runs (kept per document): each Python group's process then
 * waits for a debugger (debugpy) before its extensions start; the debugger panel says where.
 */
function PythonDebugMenu({ documentId, on, port, disabled }: { documentId: string | undefined; on: boolean; port: number; disabled: boolean }) {
  const [draft, setDraft] = useState<string | null>(null);
  const text = draft ?? String(port);
  const valid = /^\d+$/.test(text) && isPort(Number(text));
  const set = useRunOptions((s) => s.set);
  return (
    <details className="run-options-menu">
      <summary title="Run options of this document: Python debugging" aria-label={on ? 'Debug options (Python debugging on)' : 'Debug options'} className={on ? 'on' : undefined}>
        Debug{on ? ': Python' : ''}
      </summary>
      <div className="run-options-body">
        <label title={disabled ? 'Applies to the next run' : undefined}>
          <input type="checkbox" aria-label="Debug Python extensions (debugpy)" checked={on} disabled={!documentId} onChange={(e) => documentId && set(documentId, { pythonDebug: e.target.checked })} /> Debug Python extensions (debugpy)
        </label>
        <label>
          First port{' '}
          <input
            type="text"
            inputMode="numeric"
            aria-label="Python debug port"
            aria-invalid={!valid}
            size={6}
            value={text}
            disabled={!documentId}
            onChange={(e) => {
              const v = e.target.value.trim();
              setDraft(v);
              if (documentId && /^\d+$/.test(v) && isPort(Number(v))) set(documentId, { pythonDebugPort: Number(v) });
            }}
            onBlur={() => setDraft(null)}
          />
        </label>
        {!valid && <p className="error">A port is an integer from 1 to 65535; the last valid one ({port}) applies.</p>}
        <p className="muted">
          Each Python group&apos;s process waits for a debugger before its extensions start: the first on port {port}, the others on the next free ones (the debugger
          panel lists them). Attach with your IDE&apos;s debugpy &quot;attach&quot; configuration. Needs debugpy in the app&apos;s Python
          (python -m pip install debugpy).
        </p>
      </div>
    </details>
  );
}

/** Whether an app URI names this machine's loopback address (the studio can start it). */
function isLoopback(uri: string): boolean {
  const m = /^msgpack:\/\/(\[[^\]]+\]|[^:/]+):\d+\/?$/i.exec(uri);
  return m !== null && ['127.0.0.1', 'localhost', '[::1]'].includes(m[1]!.toLowerCase());
}
