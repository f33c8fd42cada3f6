/**
 * How the long-running commands (`run`, `app`, `serve`) are ended from outside. SIGINT and
 * SIGTERM ask for an orderly stop; a second one exits at once. SIGHUP does too, unless the
 * command takes it as TEN's app does, to reopen its log files (`run` and `app`: `onHangup`). A command that npm or npx started
 * (or one of our scripts, which set `TEN_STUDIO_WATCH_PARENT=1`) also stops when its parent
 * process ends, so it never outlives the `npm start`/`npx` that launched it: Node has no
 * parent-death signal, so the parent process id is polled (once a second, an unref'd timer).
 * Started from a shell (`nohup ten-studio serve &`), a command keeps running as asked.
 */
import { EXIT_INTERRUPTED } from './run-report';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The parent as the process started with, read when the CLI loads: a parent that ended before
 * the command set up its handlers (serve prints its URL first, and a loaded machine can take
 * seconds in between) has already handed us to another process, whose id would be watched in
 * vain.
 */
const PARENT_AT_START = process.ppid;

/** Whether this process should end with its parent (started by npm/npx or our scripts). */
export function watchesParent(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TEN_STUDIO_WATCH_PARENT === '1' || env.npm_lifecycle_event !== undefined || env.npm_command !== undefined;
}

/**
 * Calls `stop(why)` on the first stop request (a signal, or the parent ending); on a second
 * signal writes why and exits with `EXIT_INTERRUPTED`. With `onHangup`, SIGHUP calls it instead
 * and is no stop request. Returns the function that removes the handlers.
 */
export function onStopRequest(stop: (why: string) => void, abandon = 'Interrupted twice: exiting without waiting for the orderly stop.', onHangup?: () => void): () => void {
  let requests = 0;
  const request = (why: string): void => {
    requests++;
    if (requests === 1) stop(why);
    else {
      process.stderr.write(`${abandon}\n`);
      process.exit(EXIT_INTERRUPTED);
    }
  };
  const handlers = SIGNALS.map((signal) => {
    const handler = signal === 'SIGHUP' && onHangup ? onHangup : (): void => request(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  let watch: NodeJS.Timeout | null = null;
  if (watchesParent()) {
    const parent = PARENT_AT_START;
    const look = (): void => {
      if (process.ppid === parent || !watch) return;
      clearInterval(watch);
      watch = null;
      request(`its parent process (${parent}) ended`);
    };
    watch = setInterval(look, 1000);
    watch.unref();
    // Gone already: said at once (after the caller has its handle back), not in a second.
    setImmediate(look);
  }
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    if (watch) clearInterval(watch);
    watch = null;
  };
}
