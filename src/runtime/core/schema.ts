/**
 * Message and property schemas of one extension (manifest `api`), compiled lazily with the
 * shared TEN value-schema compiler and cached per (direction, kind, name). A message without a
 * schema passes.
 */
import { compileValueSchema, propertyBlockToSchema, type ValueValidator } from '../../shared/schema/value-schema';

export type Direction = 'in' | 'out';
export type SchemaKind = 'cmd' | 'data' | 'audio_frame' | 'video_frame';

/** `null` when the value passes, else TEN's error text. */
export type Check = (value: unknown) => string | null;

const PASS: Check = () => null;

function toCheck(block: unknown): Check {
  const parsed = propertyBlockToSchema(block);
  if (!parsed.ok) {
    const error = parsed.error;
    return () => error;
  }
  const fn: ValueValidator = compileValueSchema(parsed.schema);
  return (value) => {
    const r = fn(value);
    return r.ok ? null : r.error;
  };
}

interface PortDecl {
  name?: string;
  property?: unknown;
  result?: { property?: unknown };
}

export class ExtensionSchemas {
  private readonly api: Record<string, unknown>;
  private readonly cache = new Map<string, Check>();

  constructor(api: Record<string, unknown>) {
    this.api = api;
  }

  /** Schema of a message's properties in the given direction. */
  msg(dir: Direction, kind: SchemaKind, name: string): Check {
    return this.lookup(`${kind}_${dir}`, name, false);
  }

  /**
   * Schema of a cmd's result: outgoing results use `cmd_in[name].result`, incoming ones
   * `cmd_out[name].result`.
   */
  result(dir: Direction, cmdName: string): Check {
    return this.lookup(dir === 'out' ? 'cmd_in' : 'cmd_out', cmdName, true);
  }

  /** Schema of the extension's own properties (`api.property`). */
  property(): Check {
    const block = this.api.property;
    return block === undefined ? PASS : toCheck(block);
  }

  private lookup(section: string, name: string, result: boolean): Check {
    const key = `${section}\u0000${name}\u0000${result ? 'r' : 'm'}`;
    let check = this.cache.get(key);
    if (check) return check;
    const list = this.api[section];
    const decl = Array.isArray(list) ? (list as PortDecl[]).find((d) => d?.name === name) : undefined;
    const block = result ? decl?.result?.property : decl?.property;
    check = block === undefined ? PASS : toCheck(block);
    this.cache.set(key, check);
    return check;
  }
}
