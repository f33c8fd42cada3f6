import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Host } from '../host';
import { startServer } from '../main/server';
import { intOption, type ParsedArgs } from './args';
import { onStopRequest } from './lifetime';
import { packageVersion, PROJECT_ROOT, RENDERER_DIR, RESOURCES_DIR } from './paths';

/** Builds the renderer when it has not been built yet; build output goes to stderr. */
export function ensureRendererBuilt(): void {
  if (existsSync(join(RENDERER_DIR, 'index.html'))) return;
  process.stderr.write('Building the studio (first run)…\n');
  const bin = join(PROJECT_ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const result = spawnSync(process.execPath, [bin, 'build'], { cwd: PROJECT_ROOT, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) throw new Error('Building the renderer failed; see the output above.');
}

export async function serve(args: ParsedArgs): Promise<number> {
  const port = intOption(args, 'port', 0, 65535) ?? 0;
  ensureRendererBuilt();
  const host = new Host({ resourcesDir: RESOURCES_DIR, version: packageVersion() });
  // What the server does to a client on its own (a connection closed for a bad frame) goes to stderr.
  const server = await startServer({ host, rendererDir: RENDERER_DIR, port, log: (line) => process.stderr.write(`ten-studio serve: ${line}\n`) });
  process.stdout.write(`${server.url}\n`);
  let off = (): void => undefined;
  await new Promise<void>((resolve) => {
    off = onStopRequest((why) => {
      process.stderr.write(`Stopping the studio server (${why}; press Ctrl-C again to exit at once)…\n`);
      resolve();
    }, 'Interrupted twice: exiting without stopping the runs.');
  });
  try {
    // Runs stop within their stop timeout; a second signal still ends the process at once.
    await server.close();
    await host.dispose();
  } finally {
    off();
  }
  return 0;
}
