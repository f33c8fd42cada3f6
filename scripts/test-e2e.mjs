// Runs the Playwright suites: builds the studio, finds a Chromium (or fails at once saying how
// to get one), then hands the rest of the arguments to `playwright test`.
import { spawnSync } from 'node:child_process';
import { findChromium, HOW_TO_GET_CHROMIUM } from './find-chromium.mjs';

const chromium = await findChromium();
if (!chromium) {
  console.error(HOW_TO_GET_CHROMIUM);
  process.exit(1);
}
const env = { ...process.env, CHROMIUM_PATH: chromium };
const run = (args) => spawnSync(process.execPath, args, { stdio: 'inherit', env }).status ?? 1;

if (run(['node_modules/electron-vite/bin/electron-vite.js', 'build']) !== 0) process.exit(1);
process.exit(run(['node_modules/@playwright/test/cli.js', 'test', ...process.argv.slice(2)]));
