/**
 * Catalogue of the built-in addons. Each one is an ordinary TEN extension package in a folder
 * next to this file (`manifest.json`, `property.json`, `src/index.ts` importing
 * `ten-runtime-nodejs`), so the runtime loads them exactly like a user's
 * `ten_packages/extension/<name>/`; this file only says where they are.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CatalogueEntry, TenManifest } from '../../shared';
import { readFileText } from '../core/regular_file';

/** Names of the built-in addons; each equals its folder name and its manifest `name`. */
export const BUILTIN_ADDON_NAMES = [
  'audio_generator',
  'cmd_echo',
  'cmd_responder',
  'counter_sink',
  'data_generator',
  'fan_in',
  'forwarder',
  'http_gateway',
  'local_transport',
  'misbehaving',
  'video_test_pattern',
] as const;

export type BuiltinAddonName = (typeof BUILTIN_ADDON_NAMES)[number];

/** Where the built-in addon folders live when running from source. */
export const BUILTIN_ADDONS_DIR = dirname(fileURLToPath(import.meta.url));

/** One built-in addon package on disk. */
export interface BuiltinAddonPackage {
  name: BuiltinAddonName;
  /** The package folder (holds `manifest.json`). */
  dir: string;
  manifestPath: string;
  /** Default property values (`property.json`). */
  propertyPath: string;
  /** The TypeScript entry the runtime loads. */
  entry: string;
}

/**
 * The built-in addon packages under `root` (default: next to this file). A bundled build whose
 * code no longer sits beside the folders passes the folder it copied them to.
 *
 * @throws Error naming the first package whose manifest is missing, so a broken install is loud.
 */
export function builtinAddonPackages(root: string = BUILTIN_ADDONS_DIR): BuiltinAddonPackage[] {
  return BUILTIN_ADDON_NAMES.map((name) => {
    const dir = join(root, name);
    const manifestPath = join(dir, 'manifest.json');
    if (!existsSync(manifestPath)) {
      throw new Error(`Built-in addon "${name}" is missing: no manifest at ${manifestPath}.`);
    }
    return {
      name,
      dir,
      manifestPath,
      propertyPath: join(dir, 'property.json'),
      entry: join(dir, 'src', 'index.ts'),
    };
  });
}

/**
 * The built-ins as entries for the shared addon catalogue (`buildCatalogue` in src/shared), with
 * their `property.json` defaults. Pass an app's own packages first so an app can override one.
 */
export function builtinCatalogueEntries(root: string = BUILTIN_ADDONS_DIR): CatalogueEntry[] {
  return builtinAddonPackages(root).map((pkg) => ({
    manifest: JSON.parse(readFileText(pkg.manifestPath)) as TenManifest,
    property: existsSync(pkg.propertyPath) ? (JSON.parse(readFileText(pkg.propertyPath)) as Record<string, unknown>) : {},
    source: 'builtin',
    dir: pkg.dir,
  }));
}
