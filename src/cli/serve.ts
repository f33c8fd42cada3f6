import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Host } from '../host';
import { startServer } from '../main/server';
import { intOption, type ParsedArgs } from './args';
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
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await host.dispose();
  return 0;
}
