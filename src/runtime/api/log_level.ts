/** Log levels with TEN's numeric values. */
export enum LogLevel {
  INVALID = 0,
  DEBUG = 1,
  INFO = 2,
  WARN = 3,
  ERROR = 4,
}

/** Options for `TenEnv.log*` (TEN: number of stack frames to skip to find the caller). */
export interface LogOption {
  skip: number;
}

export const DefaultLogOption: LogOption = { skip: 2 };

/** Options for the fire-and-forget senders; `waitForResult` resolves after routing. */
export interface SendOptions {
  waitForResult?: boolean;
}
