// Compile cache for TypeScript sources run in worker threads (runtime sources and extension
// packages). Compiling is TypeScript's transpileModule with legacy decorators; outputs are kept
// on disk keyed by path, mtime and size, so a warm worker loads plain JS and never loads the
// compiler (starting a group then costs milliseconds, not a compiler per thread).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bumped whenever the compiler options change, so stale outputs are never reused. */
const VERSION = '1';

export const DEFAULT_CACHE_DIR = join(tmpdir(), `ten-runtime-cache-${process.getuid ? process.getuid() : 'u'}`);

let ts = null;

async function compiler() {
  ts ??= (await import('typescript')).default;
  return ts;
}

export function isTsPath(path) {
  return /\.(m?ts|tsx)$/.test(path) && !/\.d\.[cm]?ts$/.test(path);
}

function cacheFile(cacheDir, path) {
  const st = statSync(path);
  const key = createHash('sha1').update(`${VERSION}\0${path}\0${st.mtimeMs}\0${st.size}`).digest('hex');
  return join(cacheDir, `${key}.js`);
}

async function compile(path) {
  const t = await compiler();
  const out = t.transpileModule(readFileSync(path, 'utf8'), {
    fileName: path,
    compilerOptions: {
      module: t.ModuleKind.ESNext,
      target: t.ScriptTarget.ES2022,
      experimentalDecorators: true,
      useDefineForClassFields: false,
      verbatimModuleSyntax: false,
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  return out.outputText;
}

/** The JavaScript of a .ts file, from the cache or freshly compiled (and then cached). */
export async function compiledSource(cacheDir, path) {
  const file = cacheFile(cacheDir, path);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    const js = await compile(path);
    try {
      mkdirSync(cacheDir, { recursive: true });
      // Write then rename: concurrent threads never read a half-written file.
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      writeFileSync(tmp, js);
      renameSync(tmp, file);
    } catch {
      // An unwritable cache only costs speed.
    }
    return js;
  }
}

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (isTsPath(p)) out.push(p);
  }
}

/**
 * Compiles every stale .ts file under the given folders on the calling thread, so that the
 * workers started next find a warm cache. Returns how many files were compiled.
 */
export async function warmCache(cacheDir, dirs) {
  const files = [];
  for (const d of dirs) walk(d, files);
  let compiled = 0;
  for (const f of files) {
    let hit = true;
    try {
      statSync(cacheFile(cacheDir, f));
    } catch {
      hit = false;
    }
    if (!hit) {
      await compiledSource(cacheDir, f);
      compiled++;
    }
  }
  return compiled;
}
