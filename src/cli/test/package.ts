/** What `ten-studio test` reads of the package it tests. */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { packageLanguage, type PackageLanguage } from '../../shared/manifest/language';
import type { TenManifest } from '../../shared/manifest/manifest';
import { UsageError } from '../args';
import { readFailure, readRegularTextSync } from '../../runtime/core/regular_file';

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
  /** From the runtime its manifest depends on, else from its files (src/shared/manifest/language.ts). */
  language: PackageLanguage;
  /** `package.json`, when the package has one. */
  packageJson: NpmPackageJson | null;
}

function readJsonObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readRegularTextSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${readFailure(e)}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`${file} must hold a JSON object.`);
  return v as Record<string, unknown>;
}

function list(dir: string, prefix: string): string[] {
  try {
    return readdirSync(dir).map((n) => prefix + n);
  } catch {
    return [];
  }
}

/** Reads the package in `dir`; a folder without a TEN manifest is a usage error. */
export function readTenPackage(dir: string): TenPackage {
  const abs = resolve(dir);
  const manifestFile = join(abs, 'manifest.json');
  if (!existsSync(manifestFile)) throw new UsageError(`${abs} is not a TEN package: it has no manifest.json.`);
  const manifest = readJsonObject(manifestFile);
  const deps = Array.isArray(manifest.dependencies) ? manifest.dependencies : [];
  const pkgFile = join(abs, 'package.json');
  return {
    dir: abs,
    name: typeof manifest.name === 'string' ? manifest.name : basename(abs),
    type: typeof manifest.type === 'string' ? manifest.type : '',
    language: packageLanguage({ dependencies: deps as TenManifest['dependencies'] }, [...list(abs, ''), ...list(join(abs, 'src'), 'src/')]),
    packageJson: existsSync(pkgFile) ? (readJsonObject(pkgFile) as NpmPackageJson) : null,
  };
}

/** The npm package.json in `dir`, or null. */
export function readPackageJson(dir: string): NpmPackageJson | null {
  const file = join(dir, 'package.json');
  return existsSync(file) ? (readJsonObject(file) as NpmPackageJson) : null;
}
