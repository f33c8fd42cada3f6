/** Log levels with TEN's numeric values. */
export enum LogLevel {
  INVALID = 0,
  DEBUG = 1,
  INFO = 2,
  WARN = 3,
  ERROR = 4,
}
