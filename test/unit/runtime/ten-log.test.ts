// TEN's `ten.log` configuration: parsing (located errors), matcher selection and the exact line
// shapes of TEN's plain and json formatters, and the file emitter's reopen (log rotation).
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatJson, formatPlain, handlerAccepts, logRecordOf, parseTenLog, TenLogEmitters, tenTimestamp, type TenLogRecord } from '../../../src/runtime/app/ten_log';
import type { RuntimeEvent } from '../../../src/runtime';

const TS = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

const record = (over: Partial<TenLogRecord> = {}): TenLogRecord => ({
  ts: TS,
  level: 2,
  category: '',
  message: '[ext] hello',
  pid: 42,
  tid: 0,
  ...over,
});

describe('parseTenLog', () => {
  it('reads handlers, resolving a relative file path against the app folder', () => {
    const { handlers, errors } = parseTenLog(
      {
        handlers: [
          { matchers: [{ level: 'debug' }], formatter: { type: 'plain', colored: true }, emitter: { type: 'file', config: { path: 'logs/test.log' } } },
          { matchers: [{ level: 'warn', category: 'net' }], formatter: { type: 'json' }, emitter: { type: 'console', config: { stream: 'stderr' } } },
        ],
      },
      '/apps/a',
    );
    expect(errors).toEqual([]);
    expect(handlers).toEqual([
      { matchers: [{ level: 1 }], formatter: { type: 'plain', colored: true }, emitter: { type: 'file', path: '/apps/a/logs/test.log' } },
      { matchers: [{ level: 3, category: 'net' }], formatter: { type: 'json', colored: false }, emitter: { type: 'console', stream: 'stderr' } },
    ]);
  });

  it('reports each problem with where it is, and keeps the good handlers', () => {
    const { handlers, errors, warnings } = parseTenLog(
      {
        handlers: [
          { matchers: [{ level: 'loud' }], formatter: { type: 'plain' }, emitter: { type: 'console', config: { stream: 'stdout' } } },
          { matchers: [{ level: 'info' }], formatter: { type: 'xml' }, emitter: { type: 'syslog', config: {} } },
          { matchers: [{ level: 'info' }], formatter: { type: 'plain' }, emitter: { type: 'file', config: {} } },
          { matchers: [{ level: 'info' }], formatter: { type: 'plain' }, emitter: { type: 'otlp', config: { endpoint: 'http://x' } } },
          { matchers: {}, formatter: { type: 'plain' }, emitter: { type: 'console', config: { stream: 'tty' } } },
          { matchers: [{ level: 'error' }], formatter: { type: 'json' }, emitter: { type: 'console', config: { stream: 'stdout' } } },
        ],
      },
      '/apps/a',
    );
    expect(errors).toEqual([
      'ten.log.handlers[0].matchers[0].level: "loud" is not a log level (off, debug, info, warn, error)',
      'ten.log.handlers[1].formatter.type: unknown formatter type "xml" (plain, json)',
      'ten.log.handlers[1].emitter.type: unknown emitter type "syslog" (console, file, otlp)',
      'ten.log.handlers[2].emitter.config.path: must be a non-empty string (the log file)',
      'ten.log.handlers[4].matchers: must be a list of {level, category?}',
      'ten.log.handlers[4].emitter.config.stream: must be "stdout" or "stderr", not "tty"',
    ]);
    expect(warnings).toEqual(['ten.log.handlers[3]: the otlp emitter is not supported here; this handler is skipped']);
    expect(handlers.map((h) => h.formatter.type)).toEqual(['json']);
  });

  it('takes a log without handlers (older numeric level) and rejects a non-list', () => {
    expect(parseTenLog({ level: 2 }, '/a')).toEqual({ handlers: [], errors: [], warnings: [] });
    expect(parseTenLog({ handlers: 'x' }, '/a').errors).toEqual(['ten.log.handlers: must be a list of handlers']);
    expect(parseTenLog(7, '/a').errors).toEqual(['ten.log: must be an object']);
  });
});

describe('handlerAccepts (TEN: the last matcher whose category prefixes the record, else the last without one)', () => {
  const h = (matchers: { level: number; category?: string }[]) => ({ matchers, formatter: { type: 'plain' as const, colored: false }, emitter: { type: 'console' as const, stream: 'stdout' as const } });
  it('filters by level', () => {
    expect(handlerAccepts(h([{ level: 2 }]), 1, '')).toBe(false);
    expect(handlerAccepts(h([{ level: 2 }]), 2, '')).toBe(true);
    expect(handlerAccepts(h([{ level: Infinity }]), 4, '')).toBe(false);
  });
  it('prefers a category matcher, by prefix, the last one winning', () => {
    const m = h([{ level: 4 }, { level: 1, category: 'net' }, { level: 3, category: 'network' }]);
    expect(handlerAccepts(m, 1, 'net.rx')).toBe(true);
    expect(handlerAccepts(m, 2, 'network')).toBe(false);
    expect(handlerAccepts(m, 3, 'network')).toBe(true);
    expect(handlerAccepts(m, 3, 'audio')).toBe(false);
    expect(handlerAccepts(m, 4, 'audio')).toBe(true);
  });
  it('drops a record no matcher covers', () => {
    expect(handlerAccepts(h([{ level: 1, category: 'net' }]), 4, 'audio')).toBe(false);
  });
});

describe('formatters', () => {
  it('timestamps as RFC 3339 in UTC, +00:00', () => {
    expect(tenTimestamp(TS)).toBe('2026-01-02T03:04:05.678+00:00');
    expect(tenTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5, 0))).toBe('2026-01-02T03:04:05+00:00');
  });

  it('plain: time pid(tid) level category func@file:line message k=v', () => {
    expect(formatPlain(record({ category: 'net', func: 'on_cmd', file: 'extension.py', line: 31, fields: { a: 111, b: 'ccc' } }), false)).toBe(
      '2026-01-02T03:04:05.678+00:00 42(0) I net on_cmd@extension.py:31 [ext] hello a=111 b="ccc"\n',
    );
    expect(formatPlain(record({ level: 3 }), false)).toBe('2026-01-02T03:04:05.678+00:00 42(0) W [ext] hello\n');
    expect(formatPlain(record({ level: 1, file: 'a.js', line: 3 }), false)).toBe('2026-01-02T03:04:05.678+00:00 42(0) D @a.js:3 [ext] hello\n');
  });

  it('plain colored: level, category, location and message in TEN colours', () => {
    expect(formatPlain(record({ level: 4, category: 'net', func: 'f', file: 'x.py', line: 2 }), true)).toBe(
      '2026-01-02T03:04:05.678+00:00 42(0) \x1b[31mE\x1b[0m \x1b[36mnet\x1b[0m \x1b[35mf\x1b[0m@\x1b[34mx.py:2\x1b[0m \x1b[37m[ext] hello\x1b[0m\n',
    );
  });

  it('json: timestamp, level, category, pid, tid, function, file, line, message, then the fields', () => {
    expect(formatJson(record({ category: 'net', func: 'on_cmd', file: 'extension.py', line: 31, fields: { a: 111, b: 'c"c' } }), false)).toBe(
      '{"timestamp":"2026-01-02T03:04:05.678+00:00","level":"INFO","category":"net","pid":42,"tid":0,"function":"on_cmd","file":"extension.py","line":31,"message":"[ext] hello","a":111,"b":"c\\"c"}\n',
    );
    const line = formatJson(record({ level: 3, message: 'two\nlines \\ "q"' }), false);
    expect(line).toBe('{"timestamp":"2026-01-02T03:04:05.678+00:00","level":"WARN","category":"","pid":42,"tid":0,"message":"two\\nlines \\\\ \\"q\\""}\n');
    expect(JSON.parse(line)).toMatchObject({ message: 'two\nlines \\ "q"' });
  });

  it('json colored', () => {
    expect(formatJson(record({ level: 1 }), true)).toBe(
      '{"timestamp":"\x1b[34m2026-01-02T03:04:05.678+00:00\x1b[0m","level":"\x1b[36mDEBUG\x1b[0m","category":"\x1b[35m\x1b[0m","pid":\x1b[36m42\x1b[0m,"tid":\x1b[36m0\x1b[0m,"message":"\x1b[33m[ext] hello\x1b[0m"}\n',
    );
  });
});

describe('logRecordOf', () => {
  it('prefixes an extension log with its name, as TEN, and keeps its location, category and fields', () => {
    const ev: RuntimeEvent = { type: 'log', ts: TS, graphId: 'g', extension: 'ext', level: 2, message: 'hello', category: 'net', loc: { file: '/a/b/extension.py', line: 31, func: 'on_cmd' }, fields: { a: 1 } };
    expect(logRecordOf(ev, 42)).toEqual({ ts: TS, level: 2, category: 'net', message: '[ext] hello', func: 'on_cmd', file: 'extension.py', line: 31, fields: { a: 1 }, pid: 42, tid: 0 });
  });
  it('logs the runtime own log, errors and violations; not lifecycle', () => {
    expect(logRecordOf({ type: 'log', ts: TS, graphId: '', extension: '', level: 3, message: 'runtime says' }, 1)).toMatchObject({ level: 3, message: 'runtime says', category: '' });
    expect(logRecordOf({ type: 'error', ts: TS, graphId: 'g', extension: 'ext', phase: 'on_cmd', message: 'boom', stack: 'Error: boom\n  at x' }, 1)).toMatchObject({ level: 4, message: '[ext] threw in on_cmd: Error: boom\n  at x' });
    expect(logRecordOf({ type: 'lifecycle', ts: TS, graphId: 'g', extension: 'ext', phase: 'on_init' } as RuntimeEvent, 1)).toBeNull();
  });
});

describe('TenLogEmitters (file)', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const logEv = (message: string): RuntimeEvent => ({ type: 'log', ts: TS, graphId: 'g', extension: 'e', level: 2, message });

  it('appends to the file (its folders created), and writes to a new file after reopen', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ten-log-'));
    const path = join(dir, 'sub', 'dir', 'test.log');
    const problems: string[] = [];
    const log = new TenLogEmitters(parseTenLog({ handlers: [{ matchers: [{ level: 'info' }], formatter: { type: 'plain' }, emitter: { type: 'file', config: { path: 'sub/dir/test.log' } } }] }, dir).handlers, (p) => problems.push(p));
    log.write(logEv('one'));
    await log.flush();
    renameSync(path, `${path}.1`);
    log.reopen();
    log.write(logEv('two'));
    await log.close();
    expect(readFileSync(`${path}.1`, 'utf8')).toMatch(/ I \[e\] one\n$/);
    expect(readFileSync(path, 'utf8')).toMatch(/^\S+ \d+\(0\) I \[e\] two\n$/);
    expect(problems).toEqual([]);
  });

  it('reports a file it cannot write once, and goes on', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ten-log-'));
    mkdirSync(join(dir, 'is-a-dir'));
    writeFileSync(join(dir, 'plain-file'), '');
    const problems: string[] = [];
    const log = new TenLogEmitters(
      parseTenLog({ handlers: [{ matchers: [{ level: 'info' }], formatter: { type: 'plain' }, emitter: { type: 'file', config: { path: 'is-a-dir' } } }, { matchers: [{ level: 'info' }], formatter: { type: 'plain' }, emitter: { type: 'file', config: { path: 'plain-file/x.log' } } }] }, dir).handlers,
      (p) => problems.push(p),
    );
    log.write(logEv('one'));
    log.write(logEv('two'));
    await log.close();
    expect(problems).toHaveLength(2);
    // The folder that cannot be made is found at once; the file that cannot be opened, when opened.
    problems.sort();
    expect(problems[0]).toMatch(new RegExp(`^cannot write the log file ${join(dir, 'is-a-dir')}: .*EISDIR`));
    expect(problems[1]).toMatch(/^cannot write the log file .*plain-file\/x\.log: .*(ENOTDIR|EEXIST)/);
  });
});
