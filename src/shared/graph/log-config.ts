import type { TenAppProperty } from './types';

/** TEN's `ten.log.handlers[].matchers[].level` names, as runtime log levels ("off" shows none). */
const MATCHER_LEVELS: Record<string, number> = { debug: 1, info: 2, warn: 3, error: 4, off: Infinity };

/**
 * The lowest log level an app's log configuration lets through: the most verbose matcher of
 * TEN's `ten.log.handlers`, or a numeric `ten.log.level` (older TEN apps); undefined when the
 * property configures no level (each caller has its own default).
 */
export function configuredLogLevel(property: TenAppProperty): number | undefined {
  const log = property.ten?.log as { level?: unknown; handlers?: unknown } | undefined;
  if (typeof log?.level === 'number') return log.level;
  let lowest: number | undefined;
  for (const handler of Array.isArray(log?.handlers) ? log.handlers : []) {
    const matchers = (handler as { matchers?: unknown }).matchers;
    for (const matcher of Array.isArray(matchers) ? matchers : []) {
      const level = MATCHER_LEVELS[String((matcher as { level?: unknown }).level)];
      if (level !== undefined) lowest = Math.min(lowest ?? Infinity, level);
    }
  }
  return lowest;
}
