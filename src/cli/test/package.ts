/** What `ten-studio test` reads of the package it tests. */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UsageError } from '../args';

export interface NpmPackageJson {
  name?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export interface TenPackage {
  /** Absolute folder of the package. */
  dir: string;
  /** The manifest's `name` (the addon name, and its folder under ten_packages/extension). */
  name: string;
  type: string;
  /** Names of the manifest's dependencies of type `system` (`ten_runtime_nodejs`, `ten_runtime_python`…). */
  systemDependencies: string[];
  /** `package.json`, when the package has one. */
  packageJson: NpmPackageJson | null;
}

function readJsonObject(file: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`${file} must hold a JSON object.`);
  return v as Record<string, unknown>;
}

/** Reads the package in `dir`; a folder without a TEN manifest is a usage error. */
export function readTenPackage(dir: string): TenPackage {
  const abs = resolve(dir);
  const manifestFile = join(abs, 'manifest.json');
  if (!existsSync(manifestFile)) throw new UsageError(`${abs} is not a TEN package: it has no manifest.json.`);
  const manifest = readJsonObject(manifestFile);
  const deps = Array.isArray(manifest.dependencies) ? (manifest.dependencies as { type?: unknown; name?: unknown }[]) : [];
  const pkgFile = join(abs, 'package.json');
  return {
    dir: abs,
    name: typeof manifest.name === 'string' ? manifest.name : basename(abs),
    type: typeof manifest.type === 'string' ? manifest.type : '',
    systemDependencies: deps.filter((d) => d?.type === 'system' && typeof d.name === 'string').map((d) => d.name as string),
    packageJson: existsSync(pkgFile) ? (readJsonObject(pkgFile) as NpmPackageJson) : null,
  };
}

/** The npm package.json in `dir`, or null. */
export function readPackageJson(dir: string): NpmPackageJson | null {
  const file = join(dir, 'package.json');
  return existsSync(file) ? (readJsonObject(file) as NpmPackageJson) : null;
}
