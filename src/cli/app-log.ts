/**
 * The app's `ten.log` for `ten-studio run` and `ten-studio app`: its handlers (runtime/app/
 * ten_log.ts) get the run's log records; SIGHUP reopens their files, as TEN's app does. An app
 * without `ten.log.handlers` keeps our terminal's log lines, at its configured level.
 */
import { parseTenLog, TenLogEmitters, type TenLogHandler } from '../runtime/app/ten_log';
import { configuredLogLevel } from '../shared/graph/log-config';
import type { TenAppProperty } from '../shared/graph/types';
import { UsageError } from './args';

const DEFAULT_LOG_LEVEL = 2;

/** The lowest log level the app's log configuration lets through, else INFO. */
export function logLevelOf(property: TenAppProperty): number {
  return configuredLogLevel(property) ?? DEFAULT_LOG_LEVEL;
}

export interface AppLogConfig {
  /** null: the property has no `ten.log.handlers`. */
  handlers: TenLogHandler[] | null;
  /** The lowest level of log lines the terminal report shows (Infinity: the handlers show them). */
  terminalLevel: number;
}

/**
 * Reads the app's log configuration before anything starts: a configuration with problems is a
 * usage error listing each, located; a handler valid in TEN we cannot serve is said on stderr.
 */
export function appLogConfig(property: TenAppProperty, propertyPath: string, appDir: string): AppLogConfig {
  const log = property.ten?.log as { handlers?: unknown } | undefined;
  const parsed = parseTenLog(log, appDir);
  if (parsed.errors.length) throw new UsageError(`${propertyPath}: the log configuration is not valid:\n${parsed.errors.map((e) => `  - ${e}`).join('\n')}`);
  for (const w of parsed.warnings) process.stderr.write(`${propertyPath}: ${w}.\n`);
  if (!Array.isArray(log?.handlers)) return { handlers: null, terminalLevel: logLevelOf(property) };
  return { handlers: parsed.handlers, terminalLevel: Infinity };
}

/** Opens the handlers' emitters; a file that cannot be written is said once and the run goes on. */
export function openAppLog(config: AppLogConfig): TenLogEmitters | null {
  if (!config.handlers) return null;
  return new TenLogEmitters(config.handlers, (problem) => process.stderr.write(`ten-studio: ${problem}; the run goes on without it.\n`));
}

/** What SIGHUP does in `run` and `app`: reopens the log files (TEN's app), never stops. */
export function hangup(log: TenLogEmitters | null): () => void {
  return () => {
    const n = log?.fileCount ?? 0;
    log?.reopen();
    process.stderr.write(`Received SIGHUP: ${n === 0 ? 'no log file to reopen' : `reopened ${n} log file${n === 1 ? '' : 's'}`}.\n`);
  };
}
