/** A message location; a missing app means this app, a missing graph the sender's graph. */
export class Loc {
  public appUri?: string;
  public graphId?: string;
  public extensionName?: string;

  constructor(init: Partial<Loc> = {}) {
    Object.assign(this, init);
  }
}
