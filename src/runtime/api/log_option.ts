/** Options of the `log*` methods (TEN: how many stack frames to skip to find the caller). */
export interface LogOption {
  /** Stack frames to skip when locating the caller; 1 is the `log*` call itself. */
  skip: number;
}

export const DefaultLogOption: LogOption = { skip: 2 };
