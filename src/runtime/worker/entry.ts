/**
 * Worker entry of an extension group, run from its build (see app/build.ts). Exceptions escaping
 * an extension (timers, floating promises) are reported and never kill the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadSchemaCompiler } from '../core/schema';
import type { FromWorker, ToWorker } from '../core/protocol';
import { GroupRuntime } from './group';
import { watchMemory } from './memory';

// Built modules carry inline source maps: stacks in error reports point at the .ts sources.
process.setSourceMapsEnabled(true);

let group: GroupRuntime | null = null;

// A spare thread (app/pool.ts) loads the schema compiler while it waits for a graph.
if ((workerData as { spare?: boolean } | null)?.spare) void loadSchemaCompiler();

function post(m: FromWorker): void {
  parentPort!.postMessage(m);
}

function report(phase: string, e: unknown): void {
  if (group) group.reportError('', phase, e);
  else console.error(e);
}

// The event loop has nothing left: the thread ends now, however long its teardown takes, and
// the engine must not take its silence meanwhile for a stuck callback (the group usually said
// so already, see GroupRuntime.maybeClose; this covers a loop emptied later, by user code).
process.on('beforeExit', () => post({ t: 'ending' }));
process.on('uncaughtException', (e) => report('uncaught', e));
process.on('unhandledRejection', (e) => report('unhandled_rejection', e));

parentPort!.on('message', (m: ToWorker) => {
  if (m.t === 'init') {
    // The creation's time limit starts now, not while the thread was still booting.
    post({ t: 'creating' });
    watchMemory((m) => post({ t: 'memory', ...m }));
    group = new GroupRuntime(m);
    group.create().then(
      () => post({ t: 'created', ok: true }),
      (e: unknown) => post({ t: 'created', ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
    return;
  }
  group?.handleControl(m);
});
