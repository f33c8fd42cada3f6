/** Error codes of the TEN runtime, with TEN's Node.js binding names; values match `ten_error_code_t`. */
import { parseJsonText } from '../../shared/json/text';

export enum TenErrorCode {
  ErrorCodeGeneric = 1,
  ErrorCodeInvalidJSON = 2,
  ErrorCodeInvalidArgument = 3,
  ErrorCodeInvalidType = 4,
  ErrorCodeInvalidGraph = 5,
  ErrorCodeTenIsClosed = 6,
  ErrorCodeMsgNotConnected = 7,
  ErrorCodeTimeout = 8,
}

/** An error returned (never thrown) by `TenEnv` and message methods. */
export class TenError {
  private readonly _errorCode: TenErrorCode;
  private readonly _errorMessage: string;

  constructor(errorCode: TenErrorCode, errorMessage: string) {
    this._errorCode = errorCode;
    this._errorMessage = errorMessage;
  }

  get errorCode(): TenErrorCode {
    return this._errorCode;
  }

  get errorMessage(): string | undefined {
    return this._errorMessage;
  }
}

/** TEN's text for calls on a closed `ten_env`. */
export const TEN_IS_CLOSED_TEXT = 'ten_env is closed.';

/**
 * Parses the JSON text a caller passed to a `*FromJson` method; bad text is an
 * `InvalidJSON` error returned in TEN's tuple style, never an exception.
 */
export function parseJsonArg(text: string): [unknown, TenError | undefined] {
  try {
    return [parseJsonText(text), undefined];
  } catch (e) {
    return [undefined, new TenError(TenErrorCode.ErrorCodeInvalidJSON, `Invalid JSON: ${(e as Error).message}`)];
  }
}
