/**
 * Builds the JavaScript that group workers run, on the host thread, into a cache folder.
 *
 * Node 20 cannot run .ts in workers; registering tsx (an esbuild service) or module hooks (a
 * loader thread) in every worker cost 0.5–1 s per group start on two cores. Instead, each
 * TypeScript (or JavaScript) module reachable from the worker entry and from the extension
 * packages is compiled once with TypeScript's `transpileModule` (legacy decorators, for
 * `@RegisterAddonAsExtension`) and its import specifiers are rewritten to absolute URLs:
 * `ten-runtime-nodejs` → the built API module (one instance per thread, shared with the
 * runtime), relative imports → the built sibling, bare packages → the file Node's ESM resolver
 * picks from the source's own location (resolve.ts). Workers then load plain ES modules with no
 * hooks.
 *
 * Trust: whatever is in the cache folder runs as the studio's user, so the folder is private
 * (created 0700, its owner and mode checked before every build; see `ensurePrivateDir`) and an
 * entry is used only when its header names the SHA-256 of its source's bytes together with
 * everything else that shaped the output (this builder's version, the TypeScript version and
 * compiler options) and the imports it rewrote still resolve as recorded. A warm build stats
 * every source, hashes the ones whose identity (device, inode, size, mtime, ctime) it has not
 * seen in this process, reads the headers and re-checks the recorded imports.
 *
 * Caveat: `import.meta.url` inside a built package module points into the cache folder.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EsmResolver } from './resolve';
import { readFailure, readRegularFileSync } from '../core/regular_file';

/** Bump when the output format or the way modules are rewritten changes. */
const VERSION = 4;

/** The compiler options of every build (part of each entry's key). */
const COMPILER_OPTIONS = {
  module: 'ESNext',
  target: 'ES2022',
  experimentalDecorators: true,
  useDefineForClassFields: false,
  verbatimModuleSyntax: false,
  inlineSourceMap: true,
} as const;

/** The per-user cache folder of the platform (never the shared temp folder). */
function userCacheRoot(): string {
  if (process.platform === 'win32') return process.env.LOCALAPPDATA || join(homedir(), 'AppData', 'Local');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches');
  const xdg = process.env.XDG_CACHE_HOME;
  return xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
}

/** Default cache folder: `$XDG_CACHE_HOME/ten-studio/runtime` (`~/.cache/…` on Linux). */
export const DEFAULT_CACHE_DIR = join(userCacheRoot(), 'ten-studio', 'runtime');

/** A runtime module next to this one: its TypeScript source, or its JavaScript in the built package. */
function runtimeModule(rel: string): string {
  const source = fileURLToPath(new URL(rel, import.meta.url));
  return existsSync(source) ? source : source.replace(/\.ts$/, '.js');
}

/** The API module extension packages import by name. */
export const API_SOURCE = runtimeModule('../api/index.ts');
/** The worker entry. */
export const WORKER_SOURCE = runtimeModule('../worker/entry.ts');

const BUILTINS = new Set(builtinModules);

type TypeScript = typeof import('typescript');
let tsModule: TypeScript | null = null;

async function typescript(): Promise<TypeScript> {
  tsModule ??= ((await import('typescript')) as unknown as { default: TypeScript }).default;
  return tsModule;
}

/** What besides a source's bytes decides its build, hashed once per process. */
let saltValue: string | null = null;
function salt(): string {
  if (saltValue === null) {
    let tsVersion = 'unknown';
    try {
      tsVersion = (createRequire(import.meta.url)('typescript/package.json') as { version: string }).version;
    } catch {
      // Without a TypeScript install no module can be compiled anyway; the key still works.
    }
    saltValue = createHash('sha256').update(JSON.stringify({ VERSION, tsVersion, COMPILER_OPTIONS })).digest('hex').slice(0, 16);
  }
  return saltValue;
}

function stat(p: string): Stats | undefined {
  return statSync(p, { throwIfNoEntry: false });
}

function isFile(p: string): boolean {
  return stat(p)?.isFile() === true;
}

/** A file's identity: any write, replace or `utimes` changes it. '-' when it does not exist. */
function identity(p: string): string {
  const st = stat(p);
  return st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : '-';
}

/** A module's source bytes: only a regular file is read (a FIFO or a device named as one is refused, not a hang). */
function readSource(source: string): Buffer {
  try {
    return readRegularFileSync(source).bytes;
  } catch (e) {
    throw new Error(`Cannot build ${source}: ${readFailure(e)}`, { cause: e });
  }
}

const SOURCE_RE = /\.(m?ts|tsx|m?js)$/;
const TS_RE = /\.(m?ts|tsx)$/;

/** Resolves a relative import the way TypeScript sources write them. */
function resolveRelative(from: string, spec: string): string | null {
  const base = join(dirname(from), spec);
  const candidates = [base];
  if (/\.m?js$/.test(base)) candidates.push(base.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts'));
  if (!SOURCE_RE.test(base) && !base.endsWith('.json')) candidates.push(`${base}.ts`, `${base}/index.ts`, `${base}.js`, `${base}/index.js`);
  for (const c of candidates) if (isFile(c)) return c;
  return null;
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * What the resolution of a bare (or `#`) import from `from` depends on, read with a few stats:
 * the nearest package.json (self-references, `imports`), the first `node_modules/<name>`
 * folder up the tree and its package.json (`exports`, `main`), and the file resolved. Not a
 * resolver: a warm build only compares this with what it recorded, and compiles again (asking
 * Node) on any difference, e.g. after `npm install`.
 */
function bareStamp(from: string, spec: string, target: string | null): string {
  let own = '-';
  let found = '-';
  const name = spec.startsWith('#') ? null : packageName(spec);
  for (let dir = dirname(from); ; ) {
    if (own === '-' && isFile(join(dir, 'package.json'))) own = `${dir}@${identity(join(dir, 'package.json'))}`;
    if (name !== null && found === '-') {
      const pkgDir = join(dir, 'node_modules', name);
      if (stat(pkgDir)?.isDirectory()) found = `${pkgDir}@${identity(join(pkgDir, 'package.json'))}`;
    }
    const up = dirname(dir);
    if (up === dir || (own !== '-' && (name === null || found !== '-'))) break;
    dir = up;
  }
  return `${own}|${found}|${target === null ? '-' : identity(target)}`;
}

/** One rewritten (or unresolved) import of a module: how to check it still resolves the same. */
type ImportRecord = [kind: 'rel', spec: string, target: string | null] | [kind: 'bare', spec: string, target: string | null, stamp: string];

interface Head {
  key: string;
  deps: string[];
  imports: ImportRecord[];
}

/** Reads the first two lines of a built file: the key and the dependency record. */
const headBuf = Buffer.allocUnsafe(64 * 1024);

function readHead(file: string): Head | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    // The two lines are most often within the first 4 KiB; the rest of the file is not read.
    let n = readSync(fd, headBuf, 0, 4096, 0);
    let text = headBuf.toString('utf8', 0, n);
    if (n === 4096 && text.split('\n', 3).length < 3) {
      n = readSync(fd, headBuf, 0, headBuf.length, 0);
      text = headBuf.toString('utf8', 0, n);
    }
    const lines = text.split('\n', 2);
    if (lines.length < 2 || !lines[0].startsWith('// ten-build ') || !lines[1].startsWith('// deps ')) return null;
    const rec = JSON.parse(lines[1].slice(8)) as { deps: string[]; imports: ImportRecord[] };
    return { key: lines[0].slice(13), deps: rec.deps, imports: rec.imports };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Why a cache folder cannot be trusted; the message says what to do. */
export class CacheDirError extends Error {}

/**
 * Makes sure `dir` is a folder only the current user can write (0700, owned by them), creating
 * it so. An existing folder owned by someone else, or a symbolic link, is refused (another user
 * may have planted modules in it); one of ours that others could write to is emptied and made
 * private again (`notice` says so); one of ours merely readable by others is made 0700.
 * Ownership and modes are not checked on platforms without uids (Windows).
 */
export function ensurePrivateDir(dir: string, notice: (text: string) => void = () => undefined): void {
  const uid = process.getuid?.();
  let st: Stats | undefined;
  try {
    st = lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (!st) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    st = lstatSync(dir);
  }
  const where = `The runtime's build cache ${dir}`;
  if (st.isSymbolicLink()) throw new CacheDirError(`${where} is a symbolic link; code read from it could be anyone's. Remove it (or choose another cacheDir).`);
  if (!st.isDirectory()) throw new CacheDirError(`${where} is not a folder. Remove it (or choose another cacheDir).`);
  if (uid === undefined) return;
  if (st.uid !== uid) {
    throw new CacheDirError(
      `${where} belongs to user ${st.uid}, not to you (user ${uid}): another user may have planted code in it, so it is not used. Remove it (or choose another cacheDir).`,
    );
  }
  if ((st.mode & 0o022) !== 0) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const again = lstatSync(dir);
    if (again.isSymbolicLink() || !again.isDirectory() || again.uid !== uid || (again.mode & 0o077) !== 0) {
      throw new CacheDirError(`${where} could not be made private again. Remove it (or choose another cacheDir).`);
    }
    notice(`${where} was writable by other users (mode ${(st.mode & 0o777).toString(8)}); it was emptied and made private (0700), and every module is built again.`);
    return;
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

export class ModuleBuilder {
  private cacheDir: string;
  /** The folder was the default and could not be created: a private temporary one is used instead. */
  private readonly isDefault: boolean;
  /** Sources verified or built during the current `build` call (also breaks import cycles). */
  private seen = new Set<string>();
  /** Source hashes by file identity, for this process only (a file changed on disk has another identity). */
  private readonly hashes = new Map<string, { id: string; hash: string }>();
  private resolver: EsmResolver | null = null;
  /** Files compiled by this builder since it was created. */
  compiled = 0;
  /** Every entry's key starts with this: the build settings and the API module bound to. */
  private readonly keyPrefix: string;

  /**
   * `apiSource`: the runtime API module that `ten-runtime-nodejs` imports are bound to. It is part
   * of every entry's key: a cache shared by two studio installs (or a runtime package rebuilt
   * elsewhere) otherwise kept a package bound to the other one's API, whose registry the runtime
   * never reads ("Addon … was not registered").
   */
  constructor(
    cacheDir: string,
    private readonly apiSource = API_SOURCE,
  ) {
    this.cacheDir = cacheDir;
    this.isDefault = cacheDir === DEFAULT_CACHE_DIR;
    this.keyPrefix = `${salt()}:${createHash('sha256').update(apiSource).digest('hex').slice(0, 16)}`;
  }


  /** Where the build of a source lives. */
  outPath(source: string): string {
    return join(this.cacheDir, 'tree', source.replace(/\.(m?ts|tsx|m?js)$/, '.mjs'));
  }

  outUrl(source: string): string {
    return pathToFileURL(this.outPath(source)).href;
  }

  private queue: Promise<unknown> = Promise.resolve();

  /**
   * Builds the sources and everything they import; returns their built file URLs. Calls are
   * serialized. `notice` receives warnings about the cache folder (it was repaired or replaced).
   */
  build(sources: string[], notice?: (text: string) => void): Promise<string[]> {
    const run = this.queue.then(async () => {
      this.prepareDir(notice);
      this.seen = new Set();
      try {
        for (const s of sources) await this.buildOne(s);
      } finally {
        const r = this.resolver;
        this.resolver = null;
        await r?.close();
      }
      return sources.map((s) => this.outUrl(s));
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private prepareDir(notice: ((text: string) => void) | undefined): void {
    try {
      ensurePrivateDir(this.cacheDir, notice);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // The user's cache folder cannot be created (no home, read-only home): a private
      // folder of this process in the temp dir, with a random name nobody can pre-create.
      if (!this.isDefault || e instanceof CacheDirError || (code !== 'EACCES' && code !== 'EROFS' && code !== 'ENOENT' && code !== 'ENOTDIR')) throw e;
      const fallback = mkdtempSync(join(tmpdir(), 'ten-runtime-cache-'));
      notice?.(`The runtime's build cache ${this.cacheDir} cannot be created (${(e as Error).message}); modules are built into ${fallback} for this process instead.`);
      this.cacheDir = fallback;
      process.once('exit', () => rmSync(fallback, { recursive: true, force: true }));
    }
  }

  /** SHA-256 of a source's bytes, hashed again only when its identity changed. */
  private sourceHash(source: string): string {
    const id = identity(source);
    if (id === '-') throw new Error(`Cannot build ${source}: the file does not exist.`);
    const known = this.hashes.get(source);
    if (known?.id === id) return known.hash;
    const hash = createHash('sha256').update(readSource(source)).digest('hex');
    this.hashes.set(source, { id, hash });
    return hash;
  }

  private async buildOne(source: string): Promise<void> {
    if (this.seen.has(source)) return;
    this.seen.add(source);
    const key = `${this.keyPrefix}:${this.sourceHash(source)}`;
    const out = this.outPath(source);
    const head = readHead(out);
    const deps = head && head.key === key && this.importsUnchanged(source, head.imports) ? head.deps : await this.compile(source, key, out);
    for (const d of deps) await this.buildOne(d);
  }

  /** Whether every import the entry rewrote (or left) would be rewritten the same way today. */
  private importsUnchanged(source: string, imports: ImportRecord[]): boolean {
    for (const r of imports) {
      if (r[0] === 'rel' ? resolveRelative(source, r[1]) !== r[2] : bareStamp(source, r[1], r[2]) !== r[3]) return false;
    }
    return true;
  }

  private async compile(source: string, key: string, out: string): Promise<string[]> {
    const ts = await typescript();
    const text = readSource(source).toString('utf8');
    const info = ts.preProcessFile(text, true, true);
    const deps: string[] = [];
    const imports: ImportRecord[] = [];
    const bare = [...new Set(info.importedFiles.map((r) => r.fileName).filter(isBare))];
    const resolved = new Map<string, string | { error: string }>();
    if (bare.length > 0) {
      this.resolver ??= new EsmResolver();
      const answers = await this.resolver.resolve(bare, pathToFileURL(source).href);
      bare.forEach((spec, i) => {
        const a = answers[i];
        resolved.set(spec, 'url' in a ? a.url : a);
      });
    }
    const edits: { start: number; end: number; text: string }[] = [];
    const replacements = new Map<string, string | null>();
    for (const ref of info.importedFiles) {
      const spec = ref.fileName;
      let replacement = replacements.get(spec);
      if (replacement === undefined) replacements.set(spec, (replacement = this.rewrite(source, spec, deps, imports, resolved)));
      if (replacement === null) continue;
      const start = text[ref.pos] === '"' || text[ref.pos] === "'" || text[ref.pos] === '`' ? ref.pos + 1 : ref.pos;
      if (text.slice(start, start + spec.length) !== spec) continue;
      edits.push({ start, end: start + spec.length, text: replacement });
    }
    let rewritten = text;
    for (const e of edits.sort((a, b) => b.start - a.start)) rewritten = rewritten.slice(0, e.start) + e.text + rewritten.slice(e.end);
    const js = /\.m?js$/.test(source)
      ? rewritten
      : ts.transpileModule(rewritten, {
          fileName: source,
          compilerOptions: {
            module: ts.ModuleKind[COMPILER_OPTIONS.module],
            target: ts.ScriptTarget[COMPILER_OPTIONS.target],
            experimentalDecorators: COMPILER_OPTIONS.experimentalDecorators,
            useDefineForClassFields: COMPILER_OPTIONS.useDefineForClassFields,
            verbatimModuleSyntax: COMPILER_OPTIONS.verbatimModuleSyntax,
            inlineSourceMap: COMPILER_OPTIONS.inlineSourceMap,
          },
        }).outputText;
    // A package import Node cannot resolve fails here, named with the source, unless it was
    // only a type import (gone from the output): from the cache folder it would fail later,
    // naming a file the user never wrote.
    const unresolved = [...resolved].filter((e): e is [string, { error: string }] => typeof e[1] !== 'string');
    if (unresolved.length > 0) {
      const left = new Set(ts.preProcessFile(js, true, true).importedFiles.map((r) => r.fileName));
      const [spec, why] = unresolved.find(([s]) => left.has(s)) ?? [];
      if (spec !== undefined) throw new Error(`${source}: cannot import '${spec}': ${why!.error}`);
    }
    mkdirSync(dirname(out), { recursive: true, mode: 0o700 });
    // Write then rename: concurrent processes never read a half-written module.
    const tmp = `${out}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, `// ten-build ${key}\n// deps ${JSON.stringify({ deps, imports })}\n${js}`, { mode: 0o600 });
    renameSync(tmp, out);
    this.compiled++;
    return deps;
  }

  /** The absolute specifier for an import, or null to keep it; records dependencies and checks. */
  private rewrite(from: string, spec: string, deps: string[], imports: ImportRecord[], resolved: Map<string, string | { error: string }>): string | null {
    if (spec === 'ten-runtime-nodejs') {
      deps.push(this.apiSource);
      return this.outUrl(this.apiSource);
    }
    if (spec.startsWith('./') || spec.startsWith('../')) {
      const target = resolveRelative(from, spec);
      imports.push(['rel', spec, target]);
      if (!target) return null;
      if (SOURCE_RE.test(target)) {
        deps.push(target);
        return this.outUrl(target);
      }
      return pathToFileURL(target).href;
    }
    const r = resolved.get(spec);
    if (r === undefined) return null;
    const target = typeof r === 'string' && r.startsWith('file:') ? fileURLToPath(r) : null;
    imports.push(['bare', spec, target, bareStamp(from, spec, target)]);
    if (typeof r !== 'string') return null;
    if (r.startsWith('node:')) return null;
    // A package whose `exports` point at TypeScript sources (a workspace sibling): built too.
    if (target !== null && TS_RE.test(target) && !target.includes(`${sep}node_modules${sep}`)) {
      deps.push(target);
      return this.outUrl(target);
    }
    return r;
  }
}

/** Bare specifiers: packages and `#` imports (not relative, not builtins, not URLs). */
function isBare(spec: string): boolean {
  if (spec === 'ten-runtime-nodejs' || spec.startsWith('./') || spec.startsWith('../') || spec.startsWith('/')) return false;
  return !(spec.startsWith('node:') || BUILTINS.has(spec) || (spec.includes(':') && !spec.startsWith('#')));
}
