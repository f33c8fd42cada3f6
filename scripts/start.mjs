// `npm start`: build the studio, then open it in Electron. Where Electron cannot start (its binary
// is not installed, there is no display, or it exits with an error) say why in one line and start
// browser mode instead: print its URL and open the system browser where there is one. Arguments
// after `npm start --` go to `ten-studio serve` (e.g. `--port 8080`).
//
// TEN_STUDIO_NO_BROWSER=1 prints the URL without opening a browser.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const electronVite = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
const serveArgs = process.argv.slice(2);

const build = spawnSync(process.execPath, [electronVite, 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
if (build.status !== 0) process.exit(build.status ?? 1);

let interrupted = false;
let child = null;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    interrupted = true;
    if (child && child.exitCode === null) child.kill(signal);
    else process.exit(130);
  });
}

const why = electronUnavailable();
if (why) browserMode(`Electron cannot start here: ${why}`);
else {
  child = spawn(process.execPath, [electronVite, 'preview', '--skipBuild'], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    child = null;
    if (interrupted || signal) process.exit(code ?? 130);
    if (code === 0) process.exit(0);
    browserMode(`Electron exited with code ${code} (see its output above).`);
  });
}

/** Why Electron cannot start on this machine, or null when it should. */
function electronUnavailable() {
  let binary = process.env.ELECTRON_EXEC_PATH;
  if (!binary) {
    // The same lookup electron-vite does, without requiring the package (which downloads).
    let pkg;
    try {
      pkg = dirname(createRequire(join(root, 'package.json')).resolve('electron'));
    } catch {
      return 'the electron package is not installed (run npm install).';
    }
    const pathFile = join(pkg, 'path.txt');
    if (!existsSync(pathFile)) return `its binary is not installed (${join(pkg, 'dist')} is missing; npm could not download it).`;
    binary = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  }
  if (!existsSync(binary)) return `its binary ${binary} does not exist.`;
  if (process.platform === 'linux' && !hasDisplay()) return 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set).';
  return null;
}

function hasDisplay() {
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

/** Starts `ten-studio serve`, prints its URL and opens it; exits with the server. */
function browserMode(reason) {
  console.log(`${reason} Starting browser mode instead.`);
  child = spawn(process.execPath, [join(root, 'bin', 'ten-studio.mjs'), 'serve', ...serveArgs], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
  const lines = createInterface({ input: child.stdout });
  let first = true;
  lines.on('line', (line) => {
    if (!first) return console.log(line);
    first = false;
    console.log(`TEN Graph Studio is at ${line}`);
    console.log(openBrowser(line));
  });
}

/** Opens the URL in the system browser where there is one; never fails. Returns what it did. */
function openBrowser(url) {
  const manual = 'Open that URL in a browser (it carries the access token); stop with Ctrl-C.';
  if (process.env.TEN_STUDIO_NO_BROWSER) return manual;
  const command =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : hasDisplay()
          ? ['xdg-open', [url]]
          : null;
  if (!command) return `No display to open a browser on. ${manual}`;
  try {
    const opener = spawn(command[0], command[1], { stdio: 'ignore', detached: true });
    opener.on('error', (err) => console.log(`Could not open a browser (${command[0]}: ${err.message}). ${manual}`));
    opener.on('exit', (code) => {
      if (code) console.log(`Could not open a browser (${command[0]} exited with code ${code}). ${manual}`);
    });
    opener.unref();
  } catch (err) {
    return `Could not open a browser (${err.message}). ${manual}`;
  }
  return 'Opening it in your browser; stop the studio with Ctrl-C.';
}
