#!/usr/bin/env node
// Node 20 cannot run TypeScript itself: register tsx's loader, then run the CLI's source.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
