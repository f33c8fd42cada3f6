/**
 * The Python interpreter for groups with Python extensions (host thread only): which one, whether
 * it can run them, and where our `ten_runtime` package is.
 *
 * Choice: `TEN_STUDIO_PYTHON`, else the app property `ten_studio.python`, else `python3`. It is
 * checked once per interpreter (a missing one, or one older than 3.10, TEN's target, is one clear
 * error before any thread of the graph starts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIN_PYTHON: readonly [number, number] = [3, 10];

export interface PythonInterpreter {
  exe: string;
  /** `3.11.7` */
  version: string;
}

const probed = new Map<string, PythonInterpreter | Error>();

/** The interpreter an app uses: `TEN_STUDIO_PYTHON`, the app's `ten_studio.python`, or `python3`. */
export function chosenPython(appProperty: unknown): { exe: string; from: string } {
  const env = process.env.TEN_STUDIO_PYTHON;
  if (env) return { exe: env, from: 'TEN_STUDIO_PYTHON' };
  const p = (appProperty as { ten_studio?: { python?: unknown } } | null)?.ten_studio?.python;
  if (typeof p === 'string' && p !== '') return { exe: p, from: "the app property 'ten_studio.python'" };
  return { exe: 'python3', from: 'the default' };
}

/** Checks an interpreter (once); throws an error that says what to do. */
export function checkPython(exe: string, from: string): PythonInterpreter {
  const cached = probed.get(exe);
  if (cached instanceof Error) throw cached;
  if (cached) return cached;
  const r = spawnSync(exe, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8', timeout: 15_000 });
  const hint = 'Set TEN_STUDIO_PYTHON, or the app property ten_studio.python, to a Python 3.10+ interpreter.';
  let out: PythonInterpreter | Error;
  if (r.error || r.status !== 0) {
    const why = r.error ? ((r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message) : `exited with code ${r.status}: ${r.stderr.trim()}`;
    out = new Error(`This graph has Python extensions, but the Python interpreter '${exe}' (from ${from}) cannot run: ${why}. ${hint}`);
  } else {
    const version = r.stdout.trim();
    const [major, minor] = version.split('.').map(Number);
    out =
      major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1])
        ? { exe, version }
        : new Error(`This graph has Python extensions, which need Python ${MIN_PYTHON.join('.')} or newer; '${exe}' (from ${from}) is Python ${version}. ${hint}`);
  }
  probed.set(exe, out);
  if (out instanceof Error) throw out;
  return out;
}

let pyDir: string | null = null;

/**
 * The folder holding our `ten_runtime` and `ten_studio_py` packages (`python/` of the studio):
 * `TEN_STUDIO_PY_DIR`, else found upwards from this module (source and built layouts differ).
 */
export function studioPythonDir(): string {
  if (pyDir !== null) return pyDir;
  const env = process.env.TEN_STUDIO_PY_DIR;
  if (env && existsSync(join(env, 'ten_runtime', '__init__.py'))) return (pyDir = resolve(env));
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const cand = join(dir, 'python');
    if (existsSync(join(cand, 'ten_runtime', '__init__.py'))) return (pyDir = cand);
    dir = dirname(dir);
  }
  throw new Error("The studio's Python package (python/ten_runtime) was not found; set TEN_STUDIO_PY_DIR to the folder that holds it.");
}

/** The environment of a Python process: ours first on PYTHONPATH, then the caller's. */
export function pythonEnv(paths: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const prev = env.PYTHONPATH ? env.PYTHONPATH.split(delimiter) : [];
  env.PYTHONPATH = [...paths, ...prev.filter((p) => p && !paths.includes(p))].join(delimiter);
  env.PYTHONUNBUFFERED = '1';
  return env;
}

// ---- debugging (TEN_ENABLE_PYTHON_DEBUG) -------------------------------------------------------

/** TEN's default port of the Python debugger (`TEN_PYTHON_DEBUG_PORT`). */
export const DEFAULT_DEBUG_PORT = 5678;
/** TEN listens on `localhost`, which debugpy binds as IPv4 loopback: named as that one address. */
export const DEFAULT_DEBUG_HOST = '127.0.0.1';

export interface PythonDebug {
  host: string;
  /** The port of the first Python process; the others take the next free ones. */
  port: number;
}

/**
 * Debugging as TEN's variables ask (`TEN_ENABLE_PYTHON_DEBUG=true`, `TEN_PYTHON_DEBUG_HOST`,
 * `TEN_PYTHON_DEBUG_PORT`), overridden by the run's own choice: `false` off, `true` or
 * `{ port?, host? }` on (what it leaves out comes from the variables, then TEN's defaults). A port
 * that is not one is an error that names where it came from.
 */
export function pythonDebugFrom(choice: boolean | { port?: number; host?: string } | undefined, env: NodeJS.ProcessEnv = process.env): PythonDebug | null {
  if (choice === false || (choice === undefined && env.TEN_ENABLE_PYTHON_DEBUG !== 'true')) return null;
  const given = typeof choice === 'object' ? choice : {};
  let port = given.port;
  if (port === undefined && env.TEN_PYTHON_DEBUG_PORT) {
    const raw = env.TEN_PYTHON_DEBUG_PORT;
    port = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new Error(`TEN_PYTHON_DEBUG_PORT is '${raw}', which is not a port (1 to 65535).`);
  }
  port ??= DEFAULT_DEBUG_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`The Python debug port ${port} is not a port (1 to 65535).`);
  return { host: given.host || env.TEN_PYTHON_DEBUG_HOST || DEFAULT_DEBUG_HOST, port };
}

const debugpyFound = new Set<string>();

/** Checks that debugpy imports in `exe` (once it does, not again); throws the text that says how to install it. */
export function checkDebugpy(exe: string): void {
  if (debugpyFound.has(exe)) return;
  const r = spawnSync(exe, ['-c', 'import debugpy'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) {
    throw new Error(`Python debugging is on, but debugpy is not installed for '${exe}'. Install it with: ${exe} -m pip install debugpy`);
  }
  debugpyFound.add(exe);
}

/** Debugger addresses handed to processes of this host that still run (`host:port`). */
const claimedPorts = new Set<string>();

/** Whether a server can listen on host:port now. */
function bindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * A debugger port for one more process: `from` if it is free, else the next free one. It stays
 * claimed (no other process of this host gets it) until `release` is called.
 */
export async function claimDebugPort(host: string, from: number): Promise<{ port: number; release: () => void }> {
  for (let port = from; port <= 65535; port++) {
    const key = `${host}:${port}`;
    if (claimedPorts.has(key)) continue;
    claimedPorts.add(key);
    if (await bindable(host, port)) return { port, release: () => claimedPorts.delete(key) };
    claimedPorts.delete(key);
  }
  throw new Error(`No free port for the Python debugger on ${host} from ${from} on.`);
}
