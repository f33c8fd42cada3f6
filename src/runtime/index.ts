/**
 * Entry of the TEN runtime for hosts and the CLI. `startApp` creates the App on the calling
 * (host) thread, starts the `auto_start` graphs, and returns it; see docs/runtime.md.
 */
import { App, type AppOptions } from './app/app';

export { leasePythonSpares } from './app/py_procs';
export { App, type AppLiveCounts, type AppOptions, type AppSample, type GraphSource, type StartGraphOptions, type TraceListener } from './app/app';
export { HIST_BUCKETS, histBucket, histBucketMs, histQuantile } from './core/histogram';
export type {
  RuntimeEvent,
  GraphState,
  LifecyclePhase,
  LiveCounts,
  GroupSample,
  ExtensionCounters,
  ViolationPolicy,
  TraceConfig,
  TraceRecord,
} from './core/protocol';
export type { RunloopCounters } from './core/runloop';
export type { ChannelSample } from './app/engine';
export type { ConnectionSample } from './protocol/net';

/**
 * Creates an App, listens on its `ten.uri` (when it names one), and starts its `auto_start`
 * predefined graphs.
 */
export async function startApp(opts: AppOptions = {}): Promise<App> {
  const app = new App(opts);
  await app.listen();
  await app.startAutoGraphs();
  return app;
}
