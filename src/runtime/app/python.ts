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
