// Run logs carry TEN's numeric levels (1 debug … 4 error); the studio names them from the same numbers.
import { describe, expect, it } from 'vitest';
import { logLevelName, TEN_LOG_LEVELS } from '../../../src/shared';
import { LogLevel } from '../../../src/runtime/api/log_level';

describe('log levels', () => {
  it("are the runtime's LogLevel numbers", () => {
    expect(TEN_LOG_LEVELS).toEqual({ debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR });
  });

  it('name each level as the runtime logged it, not one level lower', () => {
    expect(logLevelName(LogLevel.DEBUG)).toBe('debug');
    expect(logLevelName(LogLevel.INFO)).toBe('info');
    expect(logLevelName(LogLevel.WARN)).toBe('warn');
    expect(logLevelName(LogLevel.ERROR)).toBe('error');
    // Out of range: below DEBUG (INVALID) is debug, beyond ERROR is error.
    expect(logLevelName(0)).toBe('debug');
    expect(logLevelName(6)).toBe('error');
  });
});
