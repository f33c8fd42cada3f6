// Module hooks of a group worker (run on Node's loader thread).
// - `ten-runtime-nodejs` resolves to this runtime's API module, so packages load unmodified and
//   share one API instance with the runtime in the thread.
// - Relative imports written the TypeScript way (extensionless, or `.js` for a `.ts` file) resolve.
// - Every `.ts` file loads as JavaScript from the compile cache (TypeScript transpileModule with
//   experimentalDecorators: `@RegisterAddonAsExtension` is a legacy decorator).
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compiledSource, isTsPath } from './compile_cache.mjs';

let apiUrl = '';
let cacheDir = '';

export function initialize(data) {
  apiUrl = data.apiUrl;
  cacheDir = data.cacheDir;
}

function isFile(p) {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function tsCandidates(path) {
  if (/\.m?js$/.test(path)) return [path.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts')];
  if (/\.[cm]?tsx?$/.test(path)) return [];
  return [`${path}.ts`, `${path}/index.ts`];
}

export async function resolve(specifier, context, next) {
  if (specifier === 'ten-runtime-nodejs') return { url: apiUrl, shortCircuit: true };
  const parent = context.parentURL;
  if (parent && parent.startsWith('file:') && isTsPath(fileURLToPath(parent)) && (specifier.startsWith('./') || specifier.startsWith('../'))) {
    const path = fileURLToPath(new URL(specifier, parent));
    if (!isFile(path)) {
      for (const c of tsCandidates(path)) if (existsSync(c) && isFile(c)) return { url: pathToFileURL(c).href, shortCircuit: true };
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith('file:')) return next(url, context);
  const path = fileURLToPath(url);
  if (!isTsPath(path)) return next(url, context);
  return { format: 'module', source: await compiledSource(cacheDir, path), shortCircuit: true };
}
