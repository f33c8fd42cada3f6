// `npm run web`: build the studio, then serve it in browser mode (args go to `ten-studio serve`).
import { spawnSync } from 'node:child_process';

const build = spawnSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build'], {
  stdio: ['ignore', 2, 2],
});
if (build.status !== 0) process.exit(build.status ?? 1);
const serve = spawnSync(process.execPath, ['bin/ten-studio.mjs', 'serve', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(serve.status ?? 1);
