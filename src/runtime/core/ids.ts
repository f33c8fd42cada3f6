/**
 * Cmd ids (TEN's `cmd_id`): version-4 UUIDs as TEN's are, made cheaply. A generator draws one
 * random UUID and keeps its first 29 characters (94 random bits) as the prefix; the last 7 hex
 * digits count up from a random start, as a small integer (a number that formats fast). Ids are
 * unique within the generator until the counter passes 2^28, when a fresh prefix is drawn, and
 * across generators (threads, processes, apps) as long as two random 94-bit prefixes do not
 * meet. `randomUUID` per cmd cost a share of the crypto pool refill and the formatting of all
 * 36 characters on every cmd.
 */
import { randomUUID } from 'node:crypto';

/** Past this the 7 hex digits are used up. */
const COUNTER_LIMIT = 0x1000_0000;
const ZEROS = '0000000';

export class CmdIds {
  private prefix = '';
  private n: number;

  /** `start`: the counter's first value (random in its first half when absent). */
  constructor(start = Math.floor(Math.random() * (COUNTER_LIMIT / 2))) {
    this.n = start;
    this.draw();
  }

  next(): string {
    if (this.n >= COUNTER_LIMIT) {
      this.n = 0;
      this.draw();
    }
    const hex = (this.n++).toString(16);
    return this.prefix + (hex.length === 7 ? hex : ZEROS.slice(hex.length) + hex);
  }

  private draw(): void {
    this.prefix = randomUUID().slice(0, 29);
  }
}

/** This thread's generator. */
export const cmdIds = new CmdIds();
