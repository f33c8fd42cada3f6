/**
 * Prints runtime events of an app run by a user's program (TEN's `App` API, `ExtensionTester`)
 * on the process's console, as TEN's console log emitter would: log lines at or above the
 * process's log level on stdout, and errors, violations and terminated threads on stderr, since
 * those are never noise. As in TEN, the level is the process's: an App whose property configures
 * `ten.log` sets it (TEN's log is global), later ExtensionTester runs included; WARN until then.
 */
import type { RuntimeEvent } from '../core/protocol';

const LEVEL_LETTERS: Record<number, string> = { 1: 'D', 2: 'I', 3: 'W', 4: 'E' };

function fieldsText(fields: unknown): string {
  if (fields === undefined) return '';
  try {
    return ` ${JSON.stringify(fields, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof ArrayBuffer ? `<${v.byteLength} bytes>` : v))}`;
  } catch {
    return '';
  }
}

/** One line (or block) for an event, or null when it is not printed. */
export function consoleLine(ev: RuntimeEvent, minLevel: number): { text: string; stderr: boolean } | null {
  const at = new Date(ev.ts).toISOString();
  switch (ev.type) {
    case 'log': {
      if (ev.level < minLevel) return null;
      const where = ev.extension ? `${ev.extension}${ev.category ? `/${ev.category}` : ''}` : (ev.category ?? 'app');
      return { text: `${at} ${LEVEL_LETTERS[ev.level] ?? ev.level} ${where}: ${ev.message}${fieldsText(ev.fields)}`, stderr: false };
    }
    case 'error':
      return { text: `${at} ERROR ${ev.extension || 'runtime'} threw in ${ev.phase}: ${ev.stack || ev.message}`, stderr: true };
    case 'violation':
      return { text: `${at} VIOLATION ${ev.reason} (object ${ev.object}, owner ${ev.owner}, caller ${ev.caller})\n${ev.stack}`, stderr: true };
    case 'worker_terminated':
      return { text: `${at} TERMINATED extension group ${ev.group}: ${ev.reason}`, stderr: true };
    case 'graph':
      return ev.state === 'start_failed' ? { text: `${at} graph ${ev.name} failed to start: ${ev.detail ?? ''}`, stderr: true } : null;
    default:
      return null;
  }
}

const WARN = 3;
let processLevel = WARN;

/** Sets the log level of the process's console output (an App's `ten.log`). */
export function setConsoleLogLevel(level: number): void {
  processLevel = level;
}

/** A listener printing `consoleLine` of each event at the process's level. */
export function consoleEvents(): (ev: RuntimeEvent) => void {
  return (ev) => {
    const line = consoleLine(ev, processLevel);
    if (line) (line.stderr ? process.stderr : process.stdout).write(`${line.text}\n`);
  };
}
