/**
 * The addon catalogue: for each addon (the studio's built-ins plus an app's packages), its typed
 * ports per message kind and direction with their value schemas, and its property schema. The
 * editor draws ports from it; the checks use it for "not installed" and schema compatibility.
 */
import type { MsgKind } from '../graph/types';
import { propertyBlockToSchema, type TenValueSchema } from '../schema/value-schema';
import { API_MESSAGE_LISTS, type ApiMessage, type ManifestApi, type TenManifest } from './manifest';

/** `in`: the addon receives the message; `out`: it sends it. */
export type PortDirection = 'in' | 'out';

/** One message an addon receives (`in`) or sends (`out`). */
export interface AddonPort {
  kind: MsgKind;
  direction: PortDirection;
  name: string;
  /** Schema of the message's properties; undefined when the manifest declares none. */
  schema?: TenValueSchema;
  /** For cmds: schema of the result's properties. */
  resultSchema?: TenValueSchema;
  /** Why a declared schema could not be used. */
  schemaError?: string;
}

/** Built into the studio, or installed in the app. */
export type AddonSource = 'builtin' | 'app';

/** What the catalogue knows about one addon. */
export interface AddonInfo {
  name: string;
  version: string;
  source: AddonSource;
  /** Folder of the package, when it comes from disk. */
  dir?: string;
  manifest: TenManifest;
  /** The API with interfaces merged (no `interface` left). */
  api: ManifestApi;
  ports: AddonPort[];
  propertySchema?: TenValueSchema;
  /** The package's own `property.json` values (defaults for new nodes). */
  defaultProperty?: Record<string, unknown>;
}

/** Input for one catalogue entry. `api` defaults to `manifest.api` (interfaces must already be merged). */
export interface CatalogueEntry {
  manifest: TenManifest;
  api?: ManifestApi;
  property?: Record<string, unknown>;
  source: AddonSource;
  dir?: string;
}

/** Addons by name. Later entries do not replace earlier ones: pass app packages before built-ins to let an app override. */
export interface Catalogue {
  addons: AddonInfo[];
  get(name: string): AddonInfo | undefined;
  /** The port of `addon` for (kind, direction, name), if declared. */
  port(addon: string, kind: MsgKind, direction: PortDirection, name: string): AddonPort | undefined;
}

function listKind(list: (typeof API_MESSAGE_LISTS)[number]): [MsgKind, PortDirection] {
  const dir: PortDirection = list.endsWith('_in') ? 'in' : 'out';
  return [list.slice(0, list.lastIndexOf('_')) as MsgKind, dir];
}

/** Describes one addon from its manifest (and merged API). */
export function describeAddon(entry: CatalogueEntry): AddonInfo {
  const api = entry.api ?? entry.manifest.api ?? {};
  const ports: AddonPort[] = [];
  for (const list of API_MESSAGE_LISTS) {
    const [kind, direction] = listKind(list);
    for (const m of (api[list] ?? []) as ApiMessage[]) {
      if (typeof m?.name !== 'string') continue;
      const port: AddonPort = { kind, direction, name: m.name };
      const errors: string[] = [];
      if (m.property !== undefined) {
        const s = propertyBlockToSchema(m.property);
        if (s.ok) port.schema = s.schema;
        else errors.push(s.error);
      }
      if (kind === 'cmd' && m.result?.property !== undefined) {
        const s = propertyBlockToSchema(m.result.property);
        if (s.ok) port.resultSchema = s.schema;
        else errors.push(s.error);
      }
      if (errors.length) port.schemaError = errors.join('; ');
      ports.push(port);
    }
  }
  const info: AddonInfo = {
    name: entry.manifest.name,
    version: entry.manifest.version,
    source: entry.source,
    manifest: entry.manifest,
    api,
    ports,
  };
  if (entry.dir !== undefined) info.dir = entry.dir;
  if (api.property !== undefined) {
    const s = propertyBlockToSchema(api.property);
    if (s.ok) info.propertySchema = s.schema;
  }
  if (entry.property !== undefined) info.defaultProperty = entry.property;
  return info;
}

/** Builds a catalogue; the first entry with a given name wins. */
export function buildCatalogue(entries: readonly CatalogueEntry[]): Catalogue {
  const byName = new Map<string, AddonInfo>();
  for (const e of entries) {
    if (typeof e.manifest?.name !== 'string' || byName.has(e.manifest.name)) continue;
    byName.set(e.manifest.name, describeAddon(e));
  }
  const addons = [...byName.values()];
  return {
    addons,
    get: (name) => byName.get(name),
    port: (addon, kind, direction, name) => byName.get(addon)?.ports.find((p) => p.kind === kind && p.direction === direction && p.name === name),
  };
}
