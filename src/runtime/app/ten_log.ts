/**
 * TEN's log configuration, `ten.log.handlers[]` of an app's property.json: each handler has
 * `matchers` (a level, optionally for a category prefix), a `formatter` (`plain` or `json`,
 * optionally `colored`) and an `emitter` (`console` on stdout/stderr, or `file` at a path). Log
 * records (extension logs, the runtime's own, errors and violations) go to every handler whose
 * matchers let them through, written in the line shapes TEN's formatters write. A file emitter
 * appends (its folders created) and is reopened by `reopen()`, which the CLI calls on SIGHUP as
 * TEN does, so logrotate can move the file away.
 *
 * Differences from TEN, on purpose: a relative file path is resolved against the app folder (TEN
 * opens it against the process's working folder, which its start scripts make the app folder);
 * `colored` applies to console emitters only (escape codes in a file break grep and parsers);
 * json escapes messages and fields fully (TEN escapes only `"`, so a message with a newline or a
 * backslash is not JSON there); a file is reopened at once rather than at its next write.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { RuntimeEvent } from '../core/protocol';

/** `off` lets nothing through. */
const LEVELS: Record<string, number> = { off: Infinity, debug: 1, info: 2, warn: 3, error: 4 };

export interface TenLogMatcher {
  /** Lowest runtime log level let through (1 debug … 4 error; Infinity: off). */
  level: number;
  category?: string;
}

export interface TenLogHandler {
  matchers: TenLogMatcher[];
  formatter: { type: 'plain' | 'json'; colored: boolean };
  emitter: { type: 'console'; stream: 'stdout' | 'stderr' } | { type: 'file'; path: string };
}

export interface ParsedTenLog {
  handlers: TenLogHandler[];
  /** One located line per problem; a handler with a problem is left out. */
  errors: string[];
  /** Handlers left out that are valid in TEN (the otlp emitter). */
  warnings: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const quote = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v)));

/**
 * Reads `ten.log` (the value of the property). Relative file paths are resolved against `appDir`.
 * Never throws: what is wrong is in `errors`, each with where it is.
 */
export function parseTenLog(log: unknown, appDir: string): ParsedTenLog {
  const out: ParsedTenLog = { handlers: [], errors: [], warnings: [] };
  if (log === undefined) return out;
  if (!isObject(log)) {
    out.errors.push('ten.log: must be an object');
    return out;
  }
  if (log.handlers === undefined) return out;
  if (!Array.isArray(log.handlers)) {
    out.errors.push('ten.log.handlers: must be a list of handlers');
    return out;
  }
  log.handlers.forEach((raw: unknown, i) => {
    const at = `ten.log.handlers[${i}]`;
    const before = out.errors.length;
    const bad = (where: string, why: string): void => void out.errors.push(`${at}${where}: ${why}`);
    if (!isObject(raw)) return bad('', 'must be an object {matchers, formatter, emitter}');

    const matchers: TenLogMatcher[] = [];
    if (!Array.isArray(raw.matchers)) bad('.matchers', 'must be a list of {level, category?}');
    else {
      raw.matchers.forEach((m: unknown, j) => {
        const mat = `.matchers[${j}]`;
        if (!isObject(m)) return bad(mat, 'must be an object {level, category?}');
        const level = typeof m.level === 'string' ? LEVELS[m.level] : undefined;
        if (level === undefined) bad(`${mat}.level`, `${quote(m.level)} is not a log level (off, debug, info, warn, error)`);
        if (m.category !== undefined && typeof m.category !== 'string') bad(`${mat}.category`, 'must be a string');
        if (level !== undefined) matchers.push(typeof m.category === 'string' ? { level, category: m.category } : { level });
      });
    }

    let formatter: TenLogHandler['formatter'] | undefined;
    if (!isObject(raw.formatter)) bad('.formatter', 'must be an object {type, colored?}');
    else {
      const { type, colored } = raw.formatter;
      if (type !== 'plain' && type !== 'json') bad('.formatter.type', `unknown formatter type ${quote(type)} (plain, json)`);
      if (colored !== undefined && typeof colored !== 'boolean') bad('.formatter.colored', 'must be true or false');
      if (type === 'plain' || type === 'json') formatter = { type, colored: colored === true };
    }

    let emitter: TenLogHandler['emitter'] | undefined;
    let skipped = false;
    if (!isObject(raw.emitter)) bad('.emitter', 'must be an object {type, config}');
    else {
      const { type, config } = raw.emitter;
      const cfg = isObject(config) ? config : undefined;
      if (type === 'console') {
        const stream = cfg?.stream;
        if (stream === 'stdout' || stream === 'stderr') emitter = { type, stream };
        else bad('.emitter.config.stream', `must be "stdout" or "stderr", not ${quote(stream)}`);
      } else if (type === 'file') {
        const path = cfg?.path;
        if (typeof path === 'string' && path !== '') emitter = { type, path: isAbsolute(path) ? path : resolve(appDir, path) };
        else bad('.emitter.config.path', 'must be a non-empty string (the log file)');
      } else if (type === 'otlp') {
        skipped = true;
      } else bad('.emitter.type', `unknown emitter type ${quote(type)} (console, file, otlp)`);
    }
    if (out.errors.length > before) return;
    if (skipped) return void out.warnings.push(`${at}: the otlp emitter is not supported here; this handler is skipped`);
    out.handlers.push({ matchers, formatter: formatter!, emitter: emitter! });
  });
  return out;
}

/**
 * Whether a handler takes a record, as TEN's matchers decide: the last matcher whose category is
 * a prefix of the record's category rules; without one, the last matcher with no category; with
 * neither, the record is dropped.
 */
export function handlerAccepts(handler: TenLogHandler, level: number, category: string): boolean {
  let rule: TenLogMatcher | undefined;
  for (const m of handler.matchers) if (m.category !== undefined && category.startsWith(m.category)) rule = m;
  if (!rule) for (const m of handler.matchers) if (m.category === undefined) rule = m;
  return rule !== undefined && level >= rule.level;
}

/** A log record as TEN's formatters see it. */
export interface TenLogRecord {
  ts: number;
  level: number;
  category: string;
  message: string;
  func?: string;
  /** The file's name, without its folders (as TEN writes it). */
  file?: string;
  line?: number;
  fields?: unknown;
  pid: number;
  /** TEN writes the OS thread id; our events do not carry one, so 0 (TEN's value when unknown). */
  tid: number;
}

/** The record TEN would log for an event, or null for events TEN does not log. */
export function logRecordOf(ev: RuntimeEvent, pid: number): TenLogRecord | null {
  const rec = (level: number, message: string): TenLogRecord => ({ ts: ev.ts, level, category: '', message, pid, tid: 0 });
  switch (ev.type) {
    case 'log': {
      // TEN's ten_env log prefixes the message with the instance's name.
      const r = rec(ev.level, ev.extension ? `[${ev.extension}] ${ev.message}` : ev.message);
      if (ev.category) r.category = ev.category;
      if (ev.loc) {
        if (ev.loc.func) r.func = ev.loc.func;
        r.file = basename(ev.loc.file);
        r.line = ev.loc.line;
      }
      if (ev.fields !== undefined) r.fields = ev.fields;
      return r;
    }
    case 'error':
      return rec(4, `[${ev.extension || 'runtime'}] threw in ${ev.phase}: ${ev.stack || ev.message}`);
    case 'violation':
      return rec(ev.policy === 'report' ? 3 : 4, `violation: ${ev.reason} (object ${ev.object}, owner ${ev.owner}, caller ${ev.caller})\n${ev.stack}`);
    case 'worker_terminated':
      return rec(4, `extension group ${ev.group} was terminated: ${ev.reason}`);
    case 'graph':
      return ev.state === 'start_failed' ? rec(4, `graph ${ev.name} failed to start: ${ev.detail ?? ''}`) : null;
    default:
      return null;
  }
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** RFC 3339 in UTC as TEN (chrono) writes it: `+00:00`, the fraction only when there is one. */
export function tenTimestamp(ts: number): string {
  const d = new Date(ts);
  const ms = d.getUTCMilliseconds();
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${ms ? `.${pad(ms, 3)}` : ''}+00:00`;
}

const RESET = '\x1b[0m';
const RED = '\x1b[31m';
const GREEN = '\x1b[32m';
const YELLOW = '\x1b[33m';
const BLUE = '\x1b[34m';
const MAGENTA = '\x1b[35m';
const CYAN = '\x1b[36m';
const GRAY = '\x1b[37m';

const LEVEL_CHARS: Record<number, string> = { 1: 'D', 2: 'I', 3: 'W', 4: 'E' };
const LEVEL_WORDS: Record<number, string> = { 1: 'DEBUG', 2: 'INFO', 3: 'WARN', 4: 'ERROR' };
const LEVEL_COLORS: Record<number, string> = { 1: CYAN, 2: GREEN, 3: YELLOW, 4: RED };

/** Field values as JSON: a bigint as its digits (a JSON number), bytes as their count. */
function fieldJson(v: unknown): string {
  const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `\u0000big${x.toString()}\u0000` : x instanceof ArrayBuffer || ArrayBuffer.isView(x) ? `<${x.byteLength} bytes>` : x));
  return (text ?? 'null').replace(/"\\u0000big(-?\d+)\\u0000"/g, '$1');
}

/** The fields of a record as [key, JSON value] pairs (an object's entries; anything else as one raw value). */
function fieldPairs(fields: unknown): [string | null, string][] {
  if (fields === undefined || fields === null) return [];
  if (typeof fields === 'object' && !Array.isArray(fields) && !(fields instanceof ArrayBuffer) && !ArrayBuffer.isView(fields)) {
    return Object.entries(fields).map(([k, v]) => [k, fieldJson(v)]);
  }
  return [[null, fieldJson(fields)]];
}

/** TEN's plain formatter: `time pid(tid) L category func@file:line message k=v…`. */
export function formatPlain(r: TenLogRecord, colored: boolean): string {
  const c = (color: string, text: string): string => (colored ? `${color}${text}${RESET}` : text);
  let line = `${tenTimestamp(r.ts)} ${r.pid}(${r.tid}) ${c(LEVEL_COLORS[r.level] ?? '', LEVEL_CHARS[r.level] ?? String(r.level))}`;
  if (r.category) line += ` ${c(CYAN, r.category)}`;
  if (r.file !== undefined && r.line !== undefined) line += r.func ? ` ${c(MAGENTA, r.func)}@${c(BLUE, `${r.file}:${r.line}`)}` : ` @${c(BLUE, `${r.file}:${r.line}`)}`;
  line += ` ${c(GRAY, r.message)}`;
  for (const [k, v] of fieldPairs(r.fields)) line += k === null ? ` ${v}` : ` ${k}=${v}`;
  return `${line}\n`;
}

/** TEN's json formatter: one object a line, its keys in TEN's order, then the record's fields. */
export function formatJson(r: TenLogRecord, colored: boolean): string {
  const s = (color: string, text: string): string => (colored ? `"${color}${JSON.stringify(text).slice(1, -1)}${RESET}"` : JSON.stringify(text));
  const n = (num: number): string => (colored ? `${CYAN}${num}${RESET}` : String(num));
  let line = `{"timestamp":${s(BLUE, tenTimestamp(r.ts))},"level":${s(LEVEL_COLORS[r.level] ?? '', LEVEL_WORDS[r.level] ?? String(r.level))},"category":${s(MAGENTA, r.category)},"pid":${n(r.pid)},"tid":${n(r.tid)}`;
  if (r.func !== undefined) line += `,"function":${s(MAGENTA, r.func)}`;
  if (r.file !== undefined) {
    line += `,"file":${s(BLUE, r.file)}`;
    if (r.line !== undefined) line += `,"line":${n(r.line)}`;
  }
  line += `,"message":${s(YELLOW, r.message)}`;
  for (const [k, v] of fieldPairs(r.fields)) if (k !== null) line += `,${JSON.stringify(k)}:${v}`;
  return `${line}}\n`;
}

/** One file emitter: lines gathered per event batch and appended in one write. */
class FileSink {
  private stream: WriteStream | null = null;
  private pending: string[] = [];
  private scheduled = false;
  /** Reported once per opening; a failed file is not written again until reopened. */
  private failed = false;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly onProblem: (text: string) => void,
  ) {
    this.open();
  }

  private open(): void {
    this.failed = false;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    const stream = createWriteStream(this.path, { flags: 'a' });
    // An error of a file already reopened (or closed) is still its lines lost: reported too.
    stream.on('error', (e) => this.fail(e, stream));
    this.stream = stream;
  }

  private fail(e: Error, stream: WriteStream | null = null): void {
    if (stream === null || stream === this.stream) {
      this.stream = null;
      this.pending = [];
    }
    if (this.failed) return;
    this.failed = true;
    this.onProblem(`cannot write the log file ${this.path}: ${e.message}`);
  }

  write(line: string): void {
    if (this.failed || this.closed) return;
    this.pending.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    if (this.pending.length === 0 || !this.stream) return;
    this.stream.write(this.pending.join(''));
    this.pending = [];
  }

  /** Lines so far go to the file open now; later ones to the file at `path` again. */
  reopen(): void {
    if (this.closed) return;
    this.drain();
    const old = this.stream;
    this.stream = null;
    old?.end();
    this.open();
  }

  /** Resolves when everything written so far is in the file. */
  flush(): Promise<void> {
    this.drain();
    const stream = this.stream;
    if (!stream) return Promise.resolve();
    return new Promise((r) => (stream.writableNeedDrain ? stream.once('drain', r) : stream.write('', () => r())));
  }

  close(): Promise<void> {
    this.drain();
    const stream = this.stream;
    this.stream = null;
    this.closed = true;
    if (!stream || stream.closed) return Promise.resolve();
    return new Promise((r) => {
      stream.once('close', r);
      stream.end();
    });
  }
}

/** Emits runtime events to an app's log handlers. */
export class TenLogEmitters {
  private readonly sinks: { handler: TenLogHandler; write: (line: string) => void }[] = [];
  private readonly files: FileSink[] = [];

  constructor(
    handlers: readonly TenLogHandler[],
    onProblem: (text: string) => void,
    private readonly pid = process.pid,
  ) {
    for (const handler of handlers) {
      const { emitter } = handler;
      if (emitter.type === 'file') {
        const file = new FileSink(emitter.path, onProblem);
        this.files.push(file);
        this.sinks.push({ handler, write: (line) => file.write(line) });
      } else {
        const out = emitter.stream === 'stderr' ? process.stderr : process.stdout;
        this.sinks.push({ handler, write: (line) => void out.write(line) });
      }
    }
  }

  get fileCount(): number {
    return this.files.length;
  }

  write(ev: RuntimeEvent): void {
    if (this.sinks.length === 0) return;
    const rec = logRecordOf(ev, this.pid);
    if (!rec) return;
    for (const { handler, write } of this.sinks) {
      if (!handlerAccepts(handler, rec.level, rec.category)) continue;
      const colored = handler.formatter.colored && handler.emitter.type === 'console';
      write(handler.formatter.type === 'json' ? formatJson(rec, colored) : formatPlain(rec, colored));
    }
  }

  /** Reopens every file emitter's file (SIGHUP; what logrotate relies on). */
  reopen(): void {
    for (const f of this.files) f.reopen();
  }

  flush(): Promise<void> {
    return Promise.all(this.files.map((f) => f.flush())).then(() => undefined);
  }

  close(): Promise<void> {
    return Promise.all(this.files.map((f) => f.close())).then(() => undefined);
  }
}
