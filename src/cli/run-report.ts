/**
 * What `ten-studio run` shows and decides: one terminal line per runtime event, and the exit code
 * from the events seen. Pure (no I/O) so it is tested without starting a runtime.
 */
import type { RuntimeEvent } from '../runtime';

/** TEN log levels (runtime `LogLevel`): 1 debug, 2 info, 3 warn, 4 error. */
const LEVEL_NAMES: Record<number, string> = { 1: 'DEBUG', 2: 'INFO', 3: 'WARN', 4: 'ERROR' };

/** Exit codes of `ten-studio run`. */
export const EXIT_OK = 0;
/** The run did not end cleanly: start failure, extension exception, violation under fail/abort, killed worker. */
export const EXIT_RUN_FAILED = 1;
export const EXIT_USAGE = 2;
/** Interrupted a second time while stopping: the stop was abandoned. */
export const EXIT_INTERRUPTED = 130;

/** A line for the terminal, and whether it belongs on stderr. */
export interface EventLine {
  text: string;
  stderr: boolean;
}

function clock(ts: number, t0: number): string {
  return `[${((ts - t0) / 1000).toFixed(3).padStart(8)}s]`;
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl === -1 ? text : text.slice(0, nl);
}

/**
 * The terminal line for an event, or null when it is not shown (logs below `minLogLevel`).
 * Every event still goes to `--events`; this only decides what a person sees.
 */
export function formatEvent(e: RuntimeEvent, t0: number, minLogLevel: number): EventLine | null {
  const at = clock(e.ts, t0);
  switch (e.type) {
    case 'lifecycle':
      return { text: `${at} lifecycle  ${e.extension} ${e.phase}`, stderr: false };
    case 'log': {
      if (e.level < minLogLevel) return null;
      const level = (LEVEL_NAMES[e.level] ?? `L${e.level}`).padEnd(5);
      return { text: `${at} log ${level} ${e.extension ? `${e.extension}: ` : ''}${e.message}`, stderr: false };
    }
    case 'violation':
      return {
        text: `${at} VIOLATION  ${e.reason} — object ${e.object}, owner ${e.owner}, caller ${e.caller} (policy ${e.policy})\n${indent(e.stack)}`,
        stderr: true,
      };
    case 'error':
      return {
        text: `${at} ERROR      ${e.extension || 'runtime'} threw in ${e.phase}: ${firstLine(e.message)}\n${indent(e.stack)}`,
        stderr: true,
      };
    case 'graph':
      return {
        text: `${at} graph      ${e.name} (${e.graphId}) ${e.state}${e.detail ? `: ${e.detail}` : ''}`,
        stderr: e.state === 'start_failed',
      };
    case 'worker_terminated':
      return { text: `${at} TERMINATED extension group ${e.group}: ${e.reason}`, stderr: true };
    case 'app_closed':
      return { text: `${at} app closed`, stderr: false };
    case 'connection': {
      const who = e.uri || e.peer;
      const graph = e.graphId ? ` graph ${e.graphId}` : '';
      return { text: `${at} connection #${e.id} ${who} ${e.state}${graph}${e.detail ? `: ${e.detail}` : ''}`, stderr: e.state === 'error' };
    }
  }
}

function indent(stack: string): string {
  return stack
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, 12)
    .map((l) => `      ${l.trim()}`)
    .join('\n');
}

/** Distinct failure texts kept; a graph that fails on every message must not flood the summary. */
const MAX_REASONS = 20;

/** Collects the reasons a run was not clean, from the events as they arrive. */
export class RunOutcome {
  /** Failure text → how many times it happened, in first-seen order. */
  private readonly failures = new Map<string, number>();
  private dropped = 0;

  observe(e: RuntimeEvent): void {
    switch (e.type) {
      case 'graph':
        if (e.state === 'start_failed') this.fail(`graph ${e.name} failed to start${e.detail ? `: ${firstLine(e.detail)}` : ''}`);
        break;
      case 'error':
        this.fail(`${e.extension || 'runtime'} threw in ${e.phase}: ${firstLine(e.message)}`);
        break;
      case 'violation':
        // Report-only violations are shown but do not fail the run; that is what the policy means.
        if (e.policy !== 'report') this.fail(`violation under policy ${e.policy}: ${e.reason}`);
        break;
      case 'worker_terminated':
        this.fail(`extension group ${e.group} was terminated: ${e.reason}`);
        break;
      case 'lifecycle':
      case 'log':
      case 'app_closed':
        break;
    }
  }

  /** Records a failure found outside the event stream (e.g. the app could not be loaded). */
  fail(reason: string): void {
    const seen = this.failures.get(reason);
    if (seen !== undefined) this.failures.set(reason, seen + 1);
    else if (this.failures.size < MAX_REASONS) this.failures.set(reason, 1);
    else this.dropped++;
  }

  /** One line per distinct failure, with a repeat count, plus a line for what was left out. */
  get reasons(): string[] {
    const lines = [...this.failures].map(([reason, n]) => (n > 1 ? `${reason} (×${n})` : reason));
    if (this.dropped) lines.push(`… and ${this.dropped} more failures`);
    return lines;
  }

  exitCode(): number {
    return this.failures.size === 0 ? EXIT_OK : EXIT_RUN_FAILED;
  }
}
