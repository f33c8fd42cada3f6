// `ten-studio test <extension-dir>` on a Python extension, as a user runs it: TEN-style tests
// (conftest.py with App, AsyncExtensionTester, unittest.mock.patch of the vendor client in the
// extension's own module) run unmodified, pytest's summary and exit code come through, and
// nothing is left running or on disk.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { cli } from './cli';
import { attachDebugger, type DapSession } from '../../fixtures/dap';

const WEATHER = 'test/fixtures/python/ten_packages/extension/weather_python';
const QUOTE = 'test/fixtures/python/ten_packages/extension/quote_python';
const GRAPH_APP = 'test/fixtures/python/graph_app';

/**
 * Runtime session and Python host processes on the machine whose environment carries `mark`, by
 * pid: those of one run, not of the test files running beside it or of other work on the machine.
 */
function sessions(mark: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes('_py-session') || l.includes('ten_studio_py.host'))
    .map((l) => l.trim().split(/\s+/)[0]!)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`TEN_STUDIO_TEST_MARK=${mark}`);
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    });
}

const layouts = () => readdirSync(tmpdir()).filter((d) => d.startsWith('ten-studio-test-')).length;

describe('ten-studio test (Python)', () => {
  it('runs the extension tests with pytest, prints its summary, exits 0 when all pass and leaves nothing behind', async () => {
    const before = layouts();
    const mark = randomUUID();
    const r = await cli(['test', WEATHER], 120_000, undefined, { TEN_STUDIO_TEST_MARK: mark });
    expect(r.stdout).toMatch(/4 passed/);
    expect(r.code).toBe(0);
    expect(sessions(mark)).toEqual([]);
    expect(layouts()).toBe(before);
  });

  it('exits non-zero with pytest\'s failure summary when a test fails', async () => {
    const mark = randomUUID();
    const r = await cli(['test', WEATHER], 120_000, undefined, { WEATHER_TEST_FAIL: '1', TEN_STUDIO_TEST_MARK: mark });
    expect(r.stdout).toMatch(/FAILED tests\/test_weather.py::test_meant_to_fail_when_asked/);
    expect(r.stdout).toMatch(/1 failed, 3 passed/);
    expect(r.code).toBe(1);
    expect(sessions(mark)).toEqual([]);
  });

  it.skipIf(execFileSync('python3', ['-c', 'import debugpy; print(1)'], { encoding: 'utf8' }).trim() !== '1')(
    'TEN_ENABLE_PYTHON_DEBUG=true: the test process listens on TEN_PYTHON_DEBUG_PORT, says where, and runs the tests once a debugger attached',
    async () => {
      let session: DapSession | null = null;
      // A port nobody holds now (another run of these tests on the machine may hold a fixed one).
      const port = await freePort();
      let done = false;
      // The client retries until the test process listens (it says so on stderr), not past its end.
      const attaching = (async () => {
        while (!done) {
          try {
            session = await attachDebugger('127.0.0.1', port);
            return;
          } catch {
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      })();
      const r = await cli(['test', WEATHER], 120_000, undefined, { PYTEST_ADDOPTS: '-k timeout', TEN_ENABLE_PYTHON_DEBUG: 'true', TEN_PYTHON_DEBUG_PORT: String(port) });
      done = true;
      await attaching;
      (session as DapSession | null)?.close();
      expect(r.stderr).toContain(`listening on 127.0.0.1:${port} (pid `);
      expect(r.stderr).toMatch(new RegExp(`ten-studio: Python debugger \\(debugpy [\\d.]+\\) listening on 127\\.0\\.0\\.1:${port} \\(pid \\d+\\); waiting for a client to attach\\.`));
      expect(r.stderr).toContain(`ten-studio: Python debugger attached on 127.0.0.1:${port}`);
      expect(r.stdout).toMatch(/1 passed, 3 deselected/);
      expect(r.code).toBe(0);
    },
    150_000,
  );

  it("passes the caller's environment through, PYTEST_ADDOPTS included", async () => {
    const r = await cli(['test', WEATHER], 120_000, undefined, { PYTEST_ADDOPTS: '-k timeout' });
    expect(r.stdout).toMatch(/1 passed, 3 deselected/);
    expect(r.code).toBe(0);
  });

  it('passes the arguments after the folder to pytest', async () => {
    const r = await cli(['test', WEATHER, '-k', 'stop_test or timeout']);
    expect(r.stdout).toMatch(/2 passed, 2 deselected/);
    expect(r.code).toBe(0);
  });

  it('applies a patch of the ten_packages.extension copy when pytest imported the package under its own name first', async () => {
    // TEN's AI extensions: tests/ is a package, so pytest imports the extension as <name>, and
    // the fixture patches ten_packages.extension.<name>.extension.Client (a second import).
    const r = await cli(['test', QUOTE], 120_000);
    expect(r.stdout).toMatch(/1 passed/);
    expect(r.code).toBe(0);
  });

  it("runs a Python app's tests, the tester in the test's own graph (set_test_mode_graph)", async () => {
    // TEN's Python apps depend on ten_runtime and ten_runtime_python; their tests sit next to
    // ten_packages/extension (two_exts_graph_test_python).
    const mark = randomUUID();
    const r = await cli(['test', GRAPH_APP], 120_000, undefined, { TEN_STUDIO_TEST_MARK: mark });
    expect(r.stdout).toMatch(/1 passed/);
    expect(r.code).toBe(0);
    expect(sessions(mark)).toEqual([]);
  });

  it('says what is wrong with a folder that is not a package', async () => {
    const r = await cli(['test', 'test/fixtures']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a TEN package: it has no manifest.json\./);
  });
});

/** A TCP port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
