#!/usr/bin/env node
// Node 20 cannot run TypeScript itself: register tsx's loader, then run the CLI's source.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
// The command is over: whatever still keeps the process alive (a thread or socket something
// leaked) must not keep it running forever. An unref'd timer never delays a clean exit.
setTimeout(() => {
  const alive = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
  process.stderr.write(`ten-studio: still running 3 s after the command ended (kept alive by ${alive.join(', ') || 'something Node does not list'}); exiting.\n`);
  process.exit(process.exitCode);
}, 3000).unref();
