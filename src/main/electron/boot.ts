/**
 * The Electron main entry that electron-vite bundles. It only registers tsx and loads the real
 * main module from the sources, the same way the `ten-studio` CLI runs: the runtime locates its
 * worker entry, API module and built-in addon packages next to its own source files
 * (`new URL('…', import.meta.url)`), which a bundle would relocate and break.
 */
import { app } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const mainModule = pathToFileURL(join(app.getAppPath(), 'src', 'main', 'electron', 'main.ts')).href;
await import(/* @vite-ignore */ mainModule);
