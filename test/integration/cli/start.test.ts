// `npm start` as a user runs it: where Electron cannot start it says why in one line and serves
// the studio in browser mode, and its URL answers. Real processes (npm, the build, the server),
// real HTTP; Electron's binary and the system browser are stood in for by small scripts, so the
// test behaves the same on a desktop with Electron installed.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const tmp = mkdtempSync(join(tmpdir(), 'ten-npm-start-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = join(tmp, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

interface Started {
  stdout: string;
  /** The studio's page at the printed URL. */
  page: { status: number; body: string };
  code: number | null;
}

/**
 * Runs `command`, waits for the studio's URL line, loads the page, then stops the whole process
 * group (npm, the start script, the server) as Ctrl-C in a terminal would, and waits for it to end.
 */
function start(command: string, args: string[], env: Record<string, string | undefined>): Promise<Started> {
  const clean = { ...process.env };
  for (const key of ['DISPLAY', 'WAYLAND_DISPLAY', 'ELECTRON_EXEC_PATH', 'TEN_STUDIO_NO_BROWSER']) delete clean[key];
  const fullEnv = { ...clean, ...env };
  for (const [key, value] of Object.entries(fullEnv)) if (value === undefined) delete fullEnv[key];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: fullEnv, detached: true });
    let stdout = '';
    let stderr = '';
    let page: Started['page'] | null = null;
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} printed no studio URL within 50 s.\n${stdout}\n${stderr}`));
    }, 50_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /TEN Graph Studio is at (http:\/\/\S+)/.exec(stdout)?.[1];
      if (!url || page) return;
      page = { status: 0, body: '' };
      void fetch(url).then(
        async (res) => {
          page = { status: res.status, body: await res.text() };
          process.kill(-child.pid!, 'SIGTERM');
        },
        (err: unknown) => {
          page = { status: -1, body: String(err) };
          process.kill(-child.pid!, 'SIGTERM');
        },
      );
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!page) reject(new Error(`${command} exited (${code}) without serving the studio.\n${stdout}\n${stderr}`));
      else resolve({ stdout, page, code });
    });
  });
}

describe('npm start', () => {
  it('serves the studio in browser mode where the Electron binary is missing, saying why in one line', async () => {
    const missing = join(tmp, 'no-such-electron');
    const r = await start('npm', ['start'], { ELECTRON_EXEC_PATH: missing });
    expect(r.stdout).toContain(`Electron cannot start here: its binary ${missing} does not exist. Starting browser mode instead.\n`);
    expect(r.page.status).toBe(200);
    expect(r.page.body).toContain('<title>TEN Graph Studio</title>');
    // Without a display there is no browser to open; the URL is what the user gets.
    expect(r.stdout).toContain('No display to open a browser on. Open that URL in a browser');
  });

  // On Linux without a display Electron cannot start whether or not its binary is installed.
  it.skipIf(process.platform !== 'linux')("on this machine's own Electron install, without a display: the studio in browser mode", async () => {
    const r = await start('npm', ['start'], {});
    expect(r.page.status).toBe(200);
    expect(r.stdout).toMatch(/Electron cannot start here: .+ Starting browser mode instead\./);
  });

  it('falls back when Electron exits with an error, and opens the system browser on the URL', async () => {
    const electron = script('electron', 'echo "fake electron: cannot open display" >&2; exit 3');
    const opened = join(tmp, 'opened.txt');
    const bin = join(tmp, 'bin');
    mkdirSync(bin);
    // The system browser, as xdg-open: it notes the URL it was asked to open.
    script('bin/xdg-open', `echo "$1" > '${opened}'`);
    const r = await start(process.execPath, ['scripts/start.mjs'], {
      ELECTRON_EXEC_PATH: electron,
      DISPLAY: ':99',
      PATH: `${bin}${delimiter}${process.env.PATH}`,
    });
    expect(r.stdout).toContain('Electron exited with code 3 (see its output above). Starting browser mode instead.');
    expect(r.page.status).toBe(200);
    const url = /TEN Graph Studio is at (\S+)/.exec(r.stdout)![1]!;
    expect(r.stdout).toContain('Opening it in your browser');
    // The browser is started in the background: under load its shell may take seconds to write.
    await expect.poll(() => (existsSync(opened) ? readFileSync(opened, 'utf8').trim() : ''), { timeout: 20_000 }).toBe(url);
  });

  it('does not try Electron without a display, and serves even where no browser can be opened', async () => {
    // A stand-in that would "succeed" (exit 0 without a studio) if it were started at all.
    const electron = script('electron-ok', 'exit 0');
    const noDisplay = await start(process.execPath, ['scripts/start.mjs'], { ELECTRON_EXEC_PATH: electron });
    expect(noDisplay.stdout).toContain('Electron cannot start here: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set).');
    expect(noDisplay.page.status).toBe(200);

    // A display but no xdg-open anywhere on PATH: the server still serves and says what to do.
    const failing = script('electron-fails', 'exit 1');
    const r = await start(process.execPath, ['scripts/start.mjs'], {
      ELECTRON_EXEC_PATH: failing,
      WAYLAND_DISPLAY: 'wayland-0',
      PATH: join(tmp, 'empty'),
    });
    expect(r.page.status).toBe(200);
    expect(r.stdout).toContain('Could not open a browser (xdg-open: spawn xdg-open ENOENT). Open that URL in a browser');
  });
});
