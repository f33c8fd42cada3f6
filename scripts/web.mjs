// `npm run web`: build the studio, then serve it in browser mode (args go to `ten-studio serve`).
// The server is our child in a process group of its own, so a Ctrl-C reaches it once, through
// this script, which forwards the signals it gets; and it ends with this script even if this
// script is killed (TEN_STUDIO_WATCH_PARENT, see src/cli/lifetime.ts).
import { spawn, spawnSync } from 'node:child_process';

const build = spawnSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build'], {
  stdio: ['ignore', 2, 2],
});
if (build.status !== 0) process.exit(build.status ?? 1);
const serve = spawn(process.execPath, ['bin/ten-studio.mjs', 'serve', ...process.argv.slice(2)], {
  stdio: 'inherit',
  detached: true,
  env: { ...process.env, TEN_STUDIO_WATCH_PARENT: '1' },
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => serve.kill(signal));
serve.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
