/**
 * Message and property schemas of one extension (manifest `api`), compiled lazily with the
 * shared TEN value-schema compiler and cached per (direction, kind, name). A message without a
 * schema passes.
 *
 * The compiler (ajv) is loaded only by threads whose extensions declare schemas: it is the
 * largest module a group worker would import, and most of a group's start time.
 */
import type { ValueValidator } from '../../shared/schema/value-schema';

type Compiler = typeof import('../../shared/schema/value-schema');
let compiler: Compiler | null = null;

const SCHEMA_SECTIONS = ['property', 'cmd_in', 'cmd_out', 'data_in', 'data_out', 'audio_frame_in', 'audio_frame_out', 'video_frame_in', 'video_frame_out'];

/** Whether a manifest `api` declares anything to validate. */
export function declaresSchemas(api: Record<string, unknown>): boolean {
  return SCHEMA_SECTIONS.some((k) => api[k] !== undefined && !(Array.isArray(api[k]) && (api[k] as unknown[]).length === 0));
}

/** Loads the shared compiler; call before creating extensions that declare schemas. */
export async function loadSchemaCompiler(): Promise<void> {
  compiler ??= await import('../../shared/schema/value-schema');
}

export type Direction = 'in' | 'out';
export type SchemaKind = 'cmd' | 'data' | 'audio_frame' | 'video_frame';

/** `null` when the value passes, else TEN's error text. */
export type Check = (value: unknown) => string | null;

const PASS: Check = () => null;

const SECTION: Record<SchemaKind, Record<Direction, string>> = {
  cmd: { in: 'cmd_in', out: 'cmd_out' },
  data: { in: 'data_in', out: 'data_out' },
  audio_frame: { in: 'audio_frame_in', out: 'audio_frame_out' },
  video_frame: { in: 'video_frame_in', out: 'video_frame_out' },
};

function toCheck(block: unknown): Check {
  if (!compiler) throw new Error('The schema compiler is not loaded (loadSchemaCompiler).');
  const { propertyBlockToSchema, compileValueSchema } = compiler;
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
  /** Per section (`cmd_in`, …), checks by message name: no string building per message. */
  private readonly bySection = new Map<string, Map<string, Check>>();
  /** Result checks by cmd name, per direction: every cmd round trip looks one up on each side. */
  private readonly outResults = new Map<string, Check>();
  private readonly inResults = new Map<string, Check>();
  /** The manifest declares no schema at all: every check passes, so callers may skip them. */
  readonly none: boolean;
  /** Sections the manifest declares (`data_in`, …): a message of any other passes at once. */
  private readonly declared: ReadonlySet<string>;

  constructor(api: Record<string, unknown>) {
    this.api = api;
    this.none = !declaresSchemas(api);
    this.declared = new Set(SCHEMA_SECTIONS.filter((k) => Array.isArray(api[k]) && (api[k] as unknown[]).length > 0));
  }

  /** Schema of a message's properties in the given direction. */
  msg(dir: Direction, kind: SchemaKind, name: string): Check {
    if (this.none) return PASS;
    const section = SECTION[kind][dir];
    if (!this.declared.has(section)) return PASS;
    let byName = this.bySection.get(section);
    if (!byName) this.bySection.set(section, (byName = new Map()));
    let check = byName.get(name);
    if (!check) byName.set(name, (check = this.lookup(section, name, false)));
    return check;
  }

  /** Whether the manifest declares a schema for this message (a check that is not a pass). */
  declares(dir: Direction, kind: SchemaKind, name: string): boolean {
    return this.msg(dir, kind, name) !== PASS;
  }

  /**
   * Schema of a cmd's result: outgoing results use `cmd_in[name].result`, incoming ones
   * `cmd_out[name].result`.
   */
  result(dir: Direction, cmdName: string): Check {
    if (this.none) return PASS;
    const results = dir === 'out' ? this.outResults : this.inResults;
    let check = results.get(cmdName);
    if (!check) results.set(cmdName, (check = this.lookup(dir === 'out' ? 'cmd_in' : 'cmd_out', cmdName, true)));
    return check;
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
