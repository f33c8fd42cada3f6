/**
 * Builds the JavaScript that group workers run, on the host thread, into a cache folder.
 *
 * Node 20 cannot run .ts in workers; registering tsx (an esbuild service) or module hooks (a
 * loader thread) in every worker cost 0.5–1 s per group start on two cores. Instead, each
 * TypeScript (or JavaScript) module reachable from the worker entry and from the extension
 * packages is compiled once with TypeScript's `transpileModule` (legacy decorators, for
 * `@RegisterAddonAsExtension`) and its import specifiers are rewritten to absolute URLs:
 * `ten-runtime-nodejs` → the built API module (one instance per thread, shared with the
 * runtime), relative imports → the built sibling, bare packages → their resolved file. Workers
 * then load plain ES modules with no hooks. Outputs mirror the source paths and start with a
 * header (source mtime/size and dependencies), so a warm build only stats and reads headers.
 *
 * Caveat: `import.meta.url` inside a built package module points into the cache folder.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Bump when the output format or compiler options change. */
const VERSION = 3;

export const DEFAULT_CACHE_DIR = join(tmpdir(), `ten-runtime-cache-${process.getuid?.() ?? 'user'}`);

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

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

const SOURCE_RE = /\.(m?ts|tsx|m?js)$/;

/** Resolves a relative import the way TypeScript sources write them. */
function resolveRelative(from: string, spec: string): string | null {
  const base = join(dirname(from), spec);
  const candidates = [base];
  if (/\.m?js$/.test(base)) candidates.push(base.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts'));
  if (!SOURCE_RE.test(base) && !base.endsWith('.json')) candidates.push(`${base}.ts`, `${base}/index.ts`, `${base}.js`, `${base}/index.js`);
  for (const c of candidates) if (isFile(c)) return c;
  return null;
}

function headerOf(mtimeMs: number, size: number): string {
  return `// ten-build ${VERSION} ${mtimeMs} ${size}`;
}

/** Reads the first two lines of a built file: the header and the dependency list. */
function readHead(file: string): [string, string[]] | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.toString('utf8', 0, n);
    const lines = text.split('\n', 2);
    if (lines.length < 2 || !lines[1].startsWith('// deps ')) return null;
    return [lines[0], JSON.parse(lines[1].slice(8)) as string[]];
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

export class ModuleBuilder {
  private readonly cacheDir: string;
  /** Sources verified or built during the current `build` call (also breaks import cycles). */
  private seen = new Set<string>();
  /** Files compiled by this builder since it was created. */
  compiled = 0;

  constructor(cacheDir: string) {
    this.cacheDir = cacheDir;
  }

  /** Where the build of a source lives. */
  outPath(source: string): string {
    return join(this.cacheDir, 'tree', source.replace(/\.(m?ts|tsx|m?js)$/, '.mjs'));
  }

  outUrl(source: string): string {
    return pathToFileURL(this.outPath(source)).href;
  }

  private queue: Promise<unknown> = Promise.resolve();

  /** Builds the sources and everything they import; returns their built file URLs. Calls are serialized. */
  build(sources: string[]): Promise<string[]> {
    const run = this.queue.then(async () => {
      this.seen = new Set();
      for (const s of sources) await this.buildOne(s);
      return sources.map((s) => this.outUrl(s));
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async buildOne(source: string): Promise<void> {
    if (this.seen.has(source)) return;
    this.seen.add(source);
    const st = statSync(source);
    const header = headerOf(st.mtimeMs, st.size);
    const out = this.outPath(source);
    const head = readHead(out);
    const deps = head && head[0] === header ? head[1] : await this.compile(source, header, out);
    for (const d of deps) await this.buildOne(d);
  }

  private async compile(source: string, header: string, out: string): Promise<string[]> {
    const ts = await typescript();
    const text = readFileSync(source, 'utf8');
    const info = ts.preProcessFile(text, true, true);
    const deps: string[] = [];
    const edits: { start: number; end: number; text: string }[] = [];
    for (const ref of info.importedFiles) {
      const spec = ref.fileName;
      const replacement = this.rewrite(source, spec, deps);
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
            module: ts.ModuleKind.ESNext,
            target: ts.ScriptTarget.ES2022,
            experimentalDecorators: true,
            useDefineForClassFields: false,
            verbatimModuleSyntax: false,
            inlineSourceMap: true,
          },
        }).outputText;
    mkdirSync(dirname(out), { recursive: true });
    // Write then rename: concurrent processes never read a half-written module.
    const tmp = `${out}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, `${header}\n// deps ${JSON.stringify(deps)}\n${js}`);
    renameSync(tmp, out);
    this.compiled++;
    return deps;
  }

  /** The absolute specifier for an import, or null to keep it; records source dependencies. */
  private rewrite(from: string, spec: string, deps: string[]): string | null {
    if (spec === 'ten-runtime-nodejs') {
      deps.push(API_SOURCE);
      return this.outUrl(API_SOURCE);
    }
    if (spec.startsWith('./') || spec.startsWith('../')) {
      const target = resolveRelative(from, spec);
      if (!target) return null;
      if (SOURCE_RE.test(target)) {
        deps.push(target);
        return this.outUrl(target);
      }
      return pathToFileURL(target).href;
    }
    if (spec.startsWith('node:') || BUILTINS.has(spec) || spec.includes(':')) return null;
    try {
      return pathToFileURL(createRequire(from).resolve(spec)).href;
    } catch {
      return null;
    }
  }
}
