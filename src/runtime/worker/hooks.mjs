// Module hooks for extension packages (run on Node's loader thread).
// - `ten-runtime-nodejs` resolves to this runtime's API module, so packages load unmodified.
// - `.ts` files under a package root are compiled with TypeScript's transpileModule and
//   experimentalDecorators: the `@RegisterAddonAsExtension` decorator is a legacy decorator.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

let apiUrl = '';
let tsRoots = [];

export function initialize(data) {
  apiUrl = data.apiUrl;
  tsRoots = data.tsRoots.map((r) => (r.endsWith('/') ? r : `${r}/`));
}

export async function resolve(specifier, context, next) {
  if (specifier === 'ten-runtime-nodejs') return next(apiUrl, context);
  return next(specifier, context);
}

const compilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  experimentalDecorators: true,
  emitDecoratorMetadata: false,
  useDefineForClassFields: false,
  sourceMap: false,
  inlineSourceMap: true,
  inlineSources: true,
};

function isPackageTs(url) {
  if (!url.startsWith('file:')) return false;
  if (!/\.(m?ts|tsx)$/.test(url)) return false;
  const path = fileURLToPath(url);
  return path.includes('/ten_packages/') || tsRoots.some((r) => path.startsWith(r));
}

export async function load(url, context, next) {
  if (!isPackageTs(url)) return next(url, context);
  const fileName = fileURLToPath(url);
  const source = await readFile(fileName, 'utf8');
  const out = ts.transpileModule(source, { compilerOptions, fileName });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
