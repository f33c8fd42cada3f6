import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';

/**
 * The built page's Content-Security-Policy, as a meta tag (the only policy a `file://` page has,
 * which is how Electron loads it; browser mode adds its own header, which names its port).
 * Under `file://`, `'self'` matches every local file, so it would let any local script run and,
 * in `connect-src`, any local WebSocket port be reached. Instead:
 * - scripts: only the built entry bundle, by the SHA-384 of its bytes (the script tag carries the
 *   same hash as `integrity`); nothing else, wherever it lies;
 * - `connect-src 'self'`: same origin only. In Electron the page talks to the host over IPC and
 *   connects nowhere; in browser mode `'self'` covers the page's own WebSocket.
 * - everything else the page does not use is `'none'`.
 * Added to the built page only: the dev server's hot-reload preamble is an inline script.
 */
function builtPageCsp(scriptHashes: string[]): string {
  return [
    "default-src 'none'",
    `script-src ${scriptHashes.map((h) => `'${h}'`).join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

function cspMeta(): Plugin {
  return {
    name: 'ten-studio-csp',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const html = bundle['index.html'];
      if (!html || html.type !== 'asset' || typeof html.source !== 'string') throw new Error('ten-studio-csp: no index.html in the renderer build');
      const chunks = Object.values(bundle).filter((f) => f.type === 'chunk');
      // Only the entry is allowed by hash; a second chunk (code splitting) would be refused at
      // run time, so the build says so now.
      if (chunks.length !== 1 || chunks[0]!.type !== 'chunk' || !chunks[0]!.isEntry) {
        throw new Error(`ten-studio-csp: expected one entry chunk, found ${chunks.map((c) => c.fileName).join(', ')}; the CSP allows scripts by hash`);
      }
      const entry = chunks[0]!;
      const integrity = `sha384-${createHash('sha384').update(entry.code).digest('base64')}`;
      const tag = `<script type="module" crossorigin src="./${entry.fileName}"></script>`;
      let source = html.source;
      if (!source.includes(tag) || (source.match(/<script\b/g) ?? []).length !== 1) {
        throw new Error(`ten-studio-csp: index.html must load exactly ${tag}`);
      }
      source = source.replace(tag, `<script type="module" crossorigin integrity="${integrity}" src="./${entry.fileName}"></script>`);
      const meta = `<meta http-equiv="Content-Security-Policy" content="${builtPageCsp([integrity]).replace(/'/g, '&#39;')}">`;
      html.source = source.replace('<head>', `<head>\n    ${meta}`);
    },
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'src/main/electron/boot.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload must be one CommonJS file that requires nothing but `electron`.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src/renderer'),
    plugins: [react(), cspMeta()],
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'src/renderer/index.html') } },
    },
  },
});
