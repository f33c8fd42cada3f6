/** Error codes a host request can fail with. Stable: clients switch on them. */
export type HostErrorCode =
  | 'E_BAD_MESSAGE'
  | 'E_UNKNOWN_METHOD'
  | 'E_BAD_PARAMS'
  | 'E_NOT_FOUND'
  | 'E_INTERNAL'
  | 'E_DISCONNECTED';

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
