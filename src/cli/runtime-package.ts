/**
 * Builds the installable `ten-runtime-nodejs` package: our runtime and its TEN-compatible API as
 * JavaScript plus `.d.ts` types, laid out like TEN's (`package.json` with `main`
 * `build/index.js`, `manifest.json` of the system package `ten_runtime_nodejs`), so that a
 * user's `tsc` build, IDE and mocha/ts-node tests use it as they use TEN's:
 * `npm install <dir>`, or the `.ten/app/ten_packages/system/ten_runtime_nodejs` that
 * `ten-studio test` links to it.
 *
 * One TypeScript program over the API, the worker entry and the runtime's own extension packages
 * (tester proxy, graph proxy), with everything they import from src/runtime and src/shared, is
 * emitted with `stripInternal` (the declarations show TEN's surface, not our `@internal`
 * members) and a transform giving every relative module specifier its `.js` file, as Node's ESM
 * loader needs. Dependencies (ajv, typescript) resolve
 * from this checkout's node_modules, because the package lives inside it (`out/`) and Node loads
 * a linked package by its real path; they are listed in its package.json for a copy elsewhere.
 *
 * The build is skipped when nothing it was built from changed (sizes and mtimes of its sources,
 * recorded in `.build-stamp`). A new build is made beside the package and renamed into place,
 * so a process using the package never sees half of one.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, type ParsedArgs } from './args';

/** The checkout (or installed package) of ten-graph-studio. */
export const STUDIO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_PACKAGE_DIR = join(STUDIO_ROOT, 'out', 'ten-runtime-nodejs');

/** Bump when the layout or the compiler options change. */
const BUILDER_VERSION = 2;

const SRC = join(STUDIO_ROOT, 'src');
/** The extension packages the runtime itself adds to graphs (they are found next to its modules). */
const RUNTIME_PACKAGES = ['runtime/tester/proxy', 'runtime/graph_proxy', 'runtime/stand_ins/interface', 'runtime/stand_ins/replay'];
const ROOTS = ['runtime/api/index.ts', 'runtime/worker/entry.ts', ...RUNTIME_PACKAGES.map((p) => `${p}/src/index.ts`)].map((r) => join(SRC, r));
/** Files copied as they are (relative to src/). */
const ASSETS = RUNTIME_PACKAGES.map((p) => `${p}/manifest.json`);

interface Stamp {
  version: number;
  files: Record<string, [number, number]>;
}

function fileSig(file: string): [number, number] | null {
  try {
    const st = statSync(file);
    return [st.mtimeMs, st.size];
  } catch {
    return null;
  }
}

function upToDate(dir: string): boolean {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(join(dir, '.build-stamp'), 'utf8')) as Stamp;
  } catch {
    return false;
  }
  if (stamp.version !== BUILDER_VERSION) return false;
  for (const [file, sig] of Object.entries(stamp.files)) {
    const now = fileSig(file);
    if (!now || now[0] !== sig[0] || now[1] !== sig[1]) return false;
  }
  return true;
}

type TS = typeof import('typescript');
type TransformerFactory = import('typescript').TransformerFactory<import('typescript').SourceFile | import('typescript').Bundle>;
type Node = import('typescript').Node;
type Expression = import('typescript').Expression;
type StringLiteral = import('typescript').StringLiteral;

/** The `.js` file a relative specifier names (`./x` → `./x.js`, `./dir` → `./dir/index.js`). */
function withJs(ts: TS, fromFile: string, spec: string): string {
  if (!spec.startsWith('./') && !spec.startsWith('../')) return spec;
  if (/\.(m?js|json)$/.test(spec)) return spec;
  const base = resolve(dirname(fromFile), spec);
  if (ts.sys.fileExists(`${base}.ts`) || ts.sys.fileExists(`${base}.d.ts`)) return `${spec}.js`;
  if (ts.sys.fileExists(join(base, 'index.ts'))) return `${spec}/index.js`;
  return spec;
}

/** Rewrites module specifiers in imports, exports, `import()` calls and `import("…")` types. */
function specifierTransform(ts: TS): TransformerFactory {
  return (context) => (root) => {
    if (!ts.isSourceFile(root)) return root;
    const file = root.fileName;
    const f = context.factory;
    const lit = (node: Expression | undefined): node is StringLiteral => node !== undefined && ts.isStringLiteral(node);
    const visit = (node: Node): Node => {
      if (ts.isImportDeclaration(node) && lit(node.moduleSpecifier)) {
        return f.updateImportDeclaration(node, node.modifiers, node.importClause, f.createStringLiteral(withJs(ts, file, node.moduleSpecifier.text)), node.attributes);
      }
      if (ts.isExportDeclaration(node) && lit(node.moduleSpecifier)) {
        return f.updateExportDeclaration(node, node.modifiers, node.isTypeOnly, node.exportClause, f.createStringLiteral(withJs(ts, file, node.moduleSpecifier.text)), node.attributes);
      }
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && lit(node.arguments[0])) {
        return f.updateCallExpression(node, node.expression, node.typeArguments, [f.createStringLiteral(withJs(ts, file, node.arguments[0].text)), ...node.arguments.slice(1)]);
      }
      if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        const arg = f.updateLiteralTypeNode(node.argument, f.createStringLiteral(withJs(ts, file, node.argument.literal.text)));
        return f.updateImportTypeNode(node, arg, node.attributes, node.qualifier, node.typeArguments, node.isTypeOf);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(root, visit) as typeof root;
  };
}

function studioVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(STUDIO_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function dependencyRange(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(STUDIO_ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    return pkg.dependencies?.[name] ?? pkg.devDependencies?.[name] ?? '*';
  } catch {
    return '*';
  }
}

export interface PackageBuild {
  dir: string;
  /** False when the existing build was up to date. */
  built: boolean;
  ms: number;
}

/**
 * Builds the package into `dir` unless it is up to date.
 * @throws Error listing TypeScript's diagnostics when the sources do not compile.
 */
export async function buildRuntimePackage(dir: string = DEFAULT_PACKAGE_DIR, opts: { force?: boolean } = {}): Promise<PackageBuild> {
  const t0 = Date.now();
  if (!opts.force && upToDate(dir)) return { dir, built: false, ms: Date.now() - t0 };
  const ts = ((await import('typescript')) as unknown as { default: TS }).default;
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const build = join(tmp, 'build');
  const options: import('typescript').CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    typeRoots: [join(STUDIO_ROOT, 'node_modules', '@types')],
    strict: true,
    skipLibCheck: true,
    experimentalDecorators: true,
    useDefineForClassFields: false,
    declaration: true,
    stripInternal: true,
    sourceMap: true,
    rootDir: SRC,
    outDir: build,
    baseUrl: STUDIO_ROOT,
    paths: { 'ten-runtime-nodejs': ['./src/runtime/api/index.ts'] },
    newLine: ts.NewLineKind.LineFeed,
  };
  const program = ts.createProgram(ROOTS, options);
  const diagnostics = [...ts.getPreEmitDiagnostics(program)];
  const transform = specifierTransform(ts);
  const emitted = program.emit(undefined, undefined, undefined, false, {
    after: [transform as import('typescript').TransformerFactory<import('typescript').SourceFile>],
    afterDeclarations: [transform],
  });
  diagnostics.push(...emitted.diagnostics);
  const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) {
    rmSync(tmp, { recursive: true, force: true });
    const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => STUDIO_ROOT, getNewLine: () => '\n' };
    throw new Error(`ten-runtime-nodejs does not compile:\n${ts.formatDiagnostics(errors.slice(0, 20), host)}`);
  }
  for (const asset of ASSETS) cpSync(join(SRC, asset), join(build, asset));
  // TEN's package entry is build/index.js. Its types bring Node's, as TEN's do: extension code
  // runs on Node (TEN's own extension template calls console.log with lib ES2023 only).
  writeFileSync(join(build, 'index.js'), "export * from './runtime/api/index.js';\n");
  writeFileSync(join(build, 'index.d.ts'), '/// <reference types="node" />\nexport * from \'./runtime/api/index.js\';\n');
  const version = studioVersion();
  const pkg = {
    name: 'ten-runtime-nodejs',
    version,
    description: "TEN's Node.js extension API on ten-graph-studio's runtime (built by ten-studio; do not edit).",
    type: 'module',
    main: 'build/index.js',
    types: 'build/index.d.ts',
    exports: { '.': { types: './build/index.d.ts', default: './build/index.js' }, './package.json': './package.json' },
    dependencies: { ajv: dependencyRange('ajv'), typescript: dependencyRange('typescript'), '@types/node': dependencyRange('@types/node') },
    engines: { node: '>=20' },
  };
  writeFileSync(join(tmp, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(tmp, 'manifest.json'), `${JSON.stringify({ type: 'system', name: 'ten_runtime_nodejs', version }, null, 2)}\n`);
  const files: Record<string, [number, number]> = {};
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || !sf.fileName.startsWith(`${SRC}/`)) continue;
    const sig = fileSig(sf.fileName);
    if (sig) files[sf.fileName] = sig;
  }
  // The builder itself too: a change to how the package is made makes a new one.
  for (const f of [...ASSETS.map((a) => join(SRC, a)), join(STUDIO_ROOT, 'package.json'), fileURLToPath(import.meta.url)]) {
    const sig = fileSig(f);
    if (sig) files[f] = sig;
  }
  writeFileSync(join(tmp, '.build-stamp'), JSON.stringify({ version: BUILDER_VERSION, files } satisfies Stamp));
  mkdirSync(dirname(dir), { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // Another process put its build in place first; theirs is as good as ours.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'package.json'))) throw e;
  }
  return { dir, built: true, ms: Date.now() - t0 };
}

/** `ten-studio runtime-package [--out DIR] [--force]`: builds the package and prints its folder. */
export async function runtimePackage(args: ParsedArgs): Promise<number> {
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}".`);
  const out = args.options.get('out');
  const r = await buildRuntimePackage(typeof out === 'string' ? resolve(out) : DEFAULT_PACKAGE_DIR, { force: args.options.get('force') === true });
  process.stderr.write(r.built ? `Built ten-runtime-nodejs in ${r.ms} ms.\n` : 'ten-runtime-nodejs is up to date.\n');
  process.stdout.write(`${r.dir}\n`);
  return 0;
}
