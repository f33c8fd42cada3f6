// Layer rules (docs/architecture.md) are enforced here as import restrictions per folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules.filter((m) => !m.startsWith('_')), ...builtinModules.map((m) => `node:${m}`)];
const nodePatterns = ['node:*', ...nodeBuiltins.map((m) => `${m}/*`)];

/** Builds a `no-restricted-imports` rule forbidding the given layers (by folder) and modules. */
function forbid({ layers = [], modules = [], patterns = [], message }) {
  const layerPatterns = layers.flatMap((l) => [`**/${l}`, `**/${l}/**`]);
  return {
    'no-restricted-imports': [
      'error',
      {
        paths: modules.map((name) => ({ name, message })),
        patterns: [{ group: [...layerPatterns, ...patterns], message }],
      },
    ],
  };
}

const uiModules = ['react', 'react-dom', 'react-dom/client', '@xyflow/react', 'zustand'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.test-reports/**', 'test/fixtures/lint/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['scripts/**', 'test/**', 'bin/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Playwright reads a fixture's dependencies from its destructuring pattern, even an empty one.
    files: ['test/e2e/**'],
    rules: { 'no-empty-pattern': 'off' },
  },
  {
    files: ['src/shared/**'],
    rules: forbid({
      layers: ['runtime', 'host', 'main', 'preload', 'renderer', 'cli'],
      modules: ['electron', ...uiModules, ...nodeBuiltins],
      patterns: nodePatterns,
      message: 'src/shared is pure TypeScript: it imports nothing outside itself (no node:*, DOM, electron or UI).',
    }),
  },
  {
    files: ['src/runtime/**'],
    rules: forbid({
      layers: ['host', 'main', 'preload', 'renderer', 'cli'],
      modules: ['electron', ...uiModules],
      message: 'src/runtime imports only src/shared and node:* (never electron, react, host, main or renderer).',
    }),
  },
  {
    files: ['src/host/**'],
    rules: forbid({
      layers: ['main', 'preload', 'renderer', 'cli'],
      modules: ['electron', ...uiModules],
      message: 'src/host is electron-free: it imports runtime and shared only.',
    }),
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: forbid({
      layers: ['runtime', 'host', 'main', 'preload', 'cli'],
      modules: ['electron', ...nodeBuiltins],
      patterns: nodePatterns,
      message: 'src/renderer reaches the host only through HostApi: no node:*, electron, runtime, host or main.',
    }),
  },
  {
    files: ['src/preload/**'],
    rules: forbid({
      layers: ['runtime', 'host', 'main', 'renderer', 'cli'],
      message: 'src/preload only bridges the HostApi contract from src/shared.',
    }),
  },
);
