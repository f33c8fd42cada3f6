/**
 * TEN's log levels as every runtime binding numbers them (`LogLevel` in ten_runtime's Node.js,
 * Python and Go interfaces, and `src/runtime/api/log_level.ts`): 1 debug, 2 info, 3 warn,
 * 4 error. Run log events carry these numbers; host log lines carry the names.
 */
import type { LogLevel } from './contract';

export const TEN_LOG_LEVELS: Readonly<Record<LogLevel, number>> = { debug: 1, info: 2, warn: 3, error: 4 };

/** The name of a TEN log level; below DEBUG counts as debug, above ERROR as error. */
export function logLevelName(level: number): LogLevel {
  if (level >= TEN_LOG_LEVELS.error) return 'error';
  if (level >= TEN_LOG_LEVELS.warn) return 'warn';
  if (level >= TEN_LOG_LEVELS.info) return 'info';
  return 'debug';
}
