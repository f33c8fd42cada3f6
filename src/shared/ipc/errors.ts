/** Error codes a host request can fail with. Stable: clients switch on them. */
export type HostErrorCode =
  | 'E_BAD_MESSAGE'
  | 'E_UNKNOWN_METHOD'
  | 'E_BAD_PARAMS'
  | 'E_NOT_FOUND'
  | 'E_INTERNAL'
  | 'E_DISCONNECTED'
  /** A file changed on disk since it was opened or last saved; nothing was written. */
  | 'E_CONFLICT'
  /** Save As / Export target exists and `overwrite` was not set; nothing was written. */
  | 'E_EXISTS'
  /** A file or folder could not be read or written (permissions, disk full, …). */
  | 'E_IO'
  /** A file is not valid JSON or not in the expected shape; the message says where. */
  | 'E_PARSE'
  /** The runtime could not start or stop a run; the message says why. */
  | 'E_RUN'
  /** A request is larger than a transport carries in one message; nothing was sent. */
  | 'E_TOO_LARGE'
  /** A folder was asked for and the path is something else (a file). */
  | 'E_NOT_DIR'
  /** This host cannot do it (native file dialogs in browser mode); the client has another way. */
  | 'E_UNSUPPORTED';

export interface HostErrorInfo {
  code: HostErrorCode;
  message: string;
}

/** An error a host request failed with, rethrown on the client side. */
export class HostError extends Error {
  readonly code: HostErrorCode;
  constructor(code: HostErrorCode, message: string) {
    super(message);
    this.name = 'HostError';
    this.code = code;
  }
  toInfo(): HostErrorInfo {
    return { code: this.code, message: this.message };
  }
}
