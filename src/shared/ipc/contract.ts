/**
 * The HostApi contract: every request the renderer can make of the host, with its parameter
 * validator, plus the one event stream. Implemented once by `src/host`, carried by two thin
 * transports (Electron IPC and the browser-mode WebSocket). Add entries here; transports and
 * clients are derived from `HOST_METHODS`, so nothing else needs to learn about a new method.
 */
import type { Diagnostic } from '../graph/diagnostics';
import type { TenAppProperty } from '../graph/types';
import type { AddonPort } from '../manifest/catalogue';
import type { PackageLanguage } from '../manifest/language';
import type { TenValueSchema } from '../schema/value-schema';
import { checkStandInChoice, type StandInChoice } from '../talk/choice';
import {
  arrayOf,
  integerIn,
  isAbsolutePath,
  isBoolean,
  isFiniteNumber,
  isNonEmptyString,
  isPlainObject,
  isString,
  objectOf,
  oneOf,
  recordOf,
  stringUpTo,
  taggedUnion,
  type FieldSpec,
} from './params';
import { runMethodValidators, type RunMethodTypes, type TelemetryHostEvent } from './runs';

export interface VersionInfo {
  app: string;
  version: string;
  node: string;
  platform: string;
  /** `electron` or `browser`, as told by the transport that carried the request. */
  transport?: 'electron' | 'browser';
}

export interface ExampleSummary {
  id: string;
  title: string;
  description: string;
}

/**
 * Where a document came from, and so where Save writes it:
 * - `example`: a built-in example; it has no file, so Save asks for a path (Save As).
 * - `untitled`: a new document made in the studio; no file either, so Save goes to Save As.
 * - `app`: a TEN app folder; Save writes `propertyFile` (`<dir>/property.json`), never the manifest.
 * - `property`: a lone `property.json` (or any file with a top-level `ten` object).
 * - `graph`: a standalone graph JSON (`{"nodes", "connections", …}`, the start_graph form). It is
 *   shown as the single predefined graph of `property`, and Save writes that graph's body back.
 */
export type DocumentOrigin =
  | { kind: 'example'; exampleId: string }
  | { kind: 'untitled' }
  | {
      kind: 'app';
      dir: string;
      propertyFile: string;
      /** `name` from the app's `manifest.json`, when it has one. */
      appName?: string;
      /** Installed packages under `ten_packages/`, as `<type>/<name>` (for example `extension/vad`). */
      packages: string[];
    }
  | { kind: 'property'; file: string }
  | { kind: 'graph'; file: string };

export type DocumentKind = DocumentOrigin['kind'];
export type FileDocumentKind = Exclude<DocumentKind, 'example' | 'untitled'>;

/** What a file looked like when the studio last read or wrote it; a save compares it with disk. */
export interface FileFingerprint {
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
  mtimeMs: number;
  size: number;
}

/** Canvas position of one node, in React Flow coordinates. */
export interface NodePosition {
  x: number;
  y: number;
}

/**
 * Canvas layout, kept in a sidecar file next to the TEN JSON (`<stem>.studio-layout.json`) and
 * never inside it. Nodes without a stored position are placed by the automatic layout.
 */
export interface DocumentLayout {
  version: 1;
  /**
   * Per predefined graph name: node positions, and the stand-ins chosen for nodes whose package
   * cannot run here (a run's setting, never written into the TEN JSON), per node name.
   */
  graphs: Record<string, { nodes: Record<string, NodePosition>; standIns?: Record<string, StandInChoice> }>;
}

/** A graph document as the renderer edits it: the TEN `property.json` content plus metadata. */
export interface GraphDocument {
  /** Stable per source: `example:<id>`, or `<kind>:<absolute path>` for files and folders. */
  id: string;
  title: string;
  origin: DocumentOrigin;
  /** TEN `property.json` content, unknown fields included, exactly as it will be written. */
  property: TenAppProperty;
  layout?: DocumentLayout;
  /** Fingerprint of the TEN file as last opened or saved; absent for documents without a file. */
  base?: FileFingerprint;
}

/** A recovery copy of unsaved edits the host holds for a document. */
export interface RecoveryInfo {
  documentId: string;
  title: string;
  /** The file the document belongs to, or null for a document without one (an example). */
  path: string | null;
  /** When the copy was written (ms since the epoch). */
  savedAt: number;
}

export interface OpenedDocument {
  document: GraphDocument;
  /** Unsaved edits from an earlier session that the UI should offer to restore. */
  recovery: RecoveryInfo | null;
  /** Non-fatal problems, such as an unreadable layout sidecar that was ignored. */
  warnings: string[];
}

export interface SavedDocument {
  /** The document with its new origin (after Save As) and fingerprint. */
  document: GraphDocument;
  /** Every file written: the TEN JSON first, then the layout sidecar when there is one. */
  files: string[];
  /** Problems that did not stop the save, such as a layout sidecar that could not be written. */
  warnings: string[];
}

export interface RecentFile {
  path: string;
  kind: FileDocumentKind;
  title: string;
  openedAt: number;
  /** False when the path no longer exists; the UI shows it greyed out. */
  exists: boolean;
}

/** What Export writes: the whole `property.json`, or one predefined graph as standalone graph JSON. */
export type ExportFormat = 'property' | 'graph';

/** One addon a node can use, as the editor's palette, ports and inspector need it. */
export interface AddonSummary {
  name: string;
  version: string;
  /** Built into the studio, or a package of the open app (which may override a built-in). */
  source: 'builtin' | 'app';
  /** The manifest's `en-US` description, when it has one. */
  description?: string;
  /** Messages the addon declares it receives (`in`) and sends (`out`), with their schemas. */
  ports: AddonPort[];
  /** Schema of the node's `property` object, from the manifest's `api.property`. */
  propertySchema?: TenValueSchema;
  /** The package's own `property.json`: defaults for a new node. */
  defaultProperty?: Record<string, unknown>;
  /** Its language: from the runtime its manifest depends on, else from its files. */
  language?: PackageLanguage;
  /** Whether the studio's runtime can run it here (`canRunHere` and an entry file); `cannotRun` says why not. */
  runsHere?: boolean;
  cannotRun?: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A host log line (documents, host failures), as the bottom panel lists it. */
export interface HostLogEvent {
  type: 'log';
  time: number;
  level: LogLevel;
  source: string;
  message: string;
}

/** What a folder entry is to the studio, besides a file or a folder. */
export type TenMark =
  /** A TEN app folder: `manifest.json` of type `app` and a `property.json`; Open opens it. */
  | 'app'
  /** An extension (or other) package folder: a `manifest.json` of another type. */
  | 'package'
  /** A file named `property.json`. */
  | 'property';

export interface DirectoryEntry {
  name: string;
  /** Absolute path (the folder's path joined with the name; links are not resolved). */
  path: string;
  /** What it is, links followed; `other` for sockets, devices and broken links. */
  kind: 'dir' | 'file' | 'other';
  /** A symbolic link (to `kind`, or broken). */
  link?: 'ok' | 'broken';
  /** Bytes, for files. */
  size?: number;
  mtimeMs?: number;
  ten?: TenMark;
}

/** One page of a folder's entries: folders first, then files, each by name (numbers in order). */
export interface DirectoryListing {
  /** The folder, absolute and normalised (`~` expanded, links not resolved). */
  path: string;
  /** Its parent, or null at a root. */
  parent: string | null;
  /** From the root down to the folder, for breadcrumbs. */
  crumbs: { name: string; path: string }[];
  /** The user's home folder. */
  home: string;
  /** What the folder itself is (an app folder, a package). */
  ten?: TenMark;
  entries: DirectoryEntry[];
  /** Index of `entries[0]` among all matching entries, and how many match in all. */
  offset: number;
  total: number;
  /** Entries left out because their names start with a dot (shown with `showHidden`). */
  hidden: number;
}

/** What a native file dialog is for (Electron); browser mode has none (`E_UNSUPPORTED`). */
export type NativeDialogPurpose = 'open' | 'saveAs' | 'export' | 'openRecording' | 'saveRecording' | 'exportTrace';

/** Everything on the host's event stream: host logs and run telemetry (see `./runs`). */
export type HostEvent = HostLogEvent | TelemetryHostEvent;

/** Parameter and result types per method. `void` params mean the request takes none. */
export interface HostMethodTypes extends RunMethodTypes {
  version: { params: void; result: VersionInfo };
  listExamples: { params: void; result: ExampleSummary[] };
  openExample: { params: { id: string }; result: GraphDocument };
  /** Opens an app folder, a `property.json` or a standalone graph JSON file. */
  openDocument: { params: { path: string }; result: OpenedDocument };
  /**
   * Writes the document to its own file, atomically. Fails with `E_CONFLICT` when the file
   * changed on disk since `document.base`; the UI then offers overwrite (`force: true`),
   * reload (`openDocument`) or Save As.
   */
  saveDocument: { params: { document: GraphDocument; force?: boolean }; result: SavedDocument };
  /** Writes the document to a new file, which becomes its origin. `E_EXISTS` unless `overwrite`. */
  saveDocumentAs: {
    params: { document: GraphDocument; path: string; overwrite?: boolean };
    result: SavedDocument;
  };
  /** Writes TEN JSON only (no layout sidecar) without changing the document. `E_EXISTS` unless `overwrite`. */
  exportDocument: {
    params: { document: GraphDocument; path: string; format: ExportFormat; graphName?: string; overwrite?: boolean };
    result: { path: string };
  };
  /** Recently opened and saved files, newest first. */
  listRecent: { params: void; result: RecentFile[] };
  /** Stores a recovery copy of a document with unsaved edits (the renderer calls it debounced). */
  saveRecovery: { params: { document: GraphDocument }; result: { savedAt: number } };
  /** Every recovery copy the host holds, newest first. */
  listRecoveries: { params: void; result: RecoveryInfo[] };
  /** The recovered document, with the fingerprint of the file as it was when editing began. */
  restoreRecovery: { params: { documentId: string }; result: GraphDocument };
  /** Deletes a recovery copy (after a save, or when the user declines it). */
  discardRecovery: { params: { documentId: string }; result: { discarded: boolean } };
  /** Built-in addons plus, with `appDir`, the packages installed in that app folder. */
  /** `exampleId`: the packages of a built-in example's own folder (an example may ship some). */
  listAddons: { params: { appDir?: string; exampleId?: string }; result: AddonSummary[] };
  /**
   * The graph model's whole check of the document as edited (property.json rules, every
   * predefined graph, installed addons, port schemas, node properties). Pointers refer to
   * `document.property`.
   */
  validateDocument: { params: { document: GraphDocument }; result: { diagnostics: Diagnostic[] } };
  /**
   * One page of a folder, for the studio's own file browser: `offset`/`limit` page through it
   * (default 0 and 500, at most 1,000 a page), `match` keeps names containing it (case
   * insensitive), `showHidden` adds names starting with a dot. Errors: `E_NOT_FOUND`,
   * `E_NOT_DIR`, `E_IO` (permission denied).
   */
  listDirectory: {
    params: { path: string; showHidden?: boolean; offset?: number; limit?: number; match?: string };
    result: DirectoryListing;
  };
  /**
   * Shows the system's file dialog (Electron) and returns the chosen path, or null when it was
   * cancelled. `E_UNSUPPORTED` where there is none (browser mode: the studio browses itself).
   */
  choosePath: { params: { purpose: NativeDialogPurpose; defaultPath?: string }; result: { path: string | null } };
}

export type HostMethod = keyof HostMethodTypes;
export type ParamsOf<M extends HostMethod> = HostMethodTypes[M]['params'];
export type ResultOf<M extends HostMethod> = HostMethodTypes[M]['result'];

/** The API the renderer sees: one method per contract entry, plus the event subscription. */
export type HostApi = {
  [M in HostMethod]: ParamsOf<M> extends void
    ? () => Promise<ResultOf<M>>
    : (params: ParamsOf<M>) => Promise<ResultOf<M>>;
} & {
  /** Subscribe to host events; returns the unsubscribe function. */
  onEvent(listener: (event: HostEvent) => void): () => void;
};

/** Returns an error text for bad params, or null when they are acceptable. */
type ParamsValidator = (params: unknown) => string | null;

const noParams: ParamsValidator = (p) =>
  p === undefined || p === null ? null : 'takes no parameters';

function objectWith(fields: Record<string, 'string' | 'number' | 'boolean'>): ParamsValidator {
  return (p) => {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'expects an object';
    const rec = p as Record<string, unknown>;
    for (const [key, type] of Object.entries(fields)) {
      if (typeof rec[key] !== type) return `expects "${key}" to be a ${type}`;
    }
    for (const key of Object.keys(rec)) {
      if (!(key in fields)) return `does not accept "${key}"`;
    }
    return null;
  };
}

/** Top-level params: an object with exactly these fields. */
function params(fields: Record<string, FieldSpec>): ParamsValidator {
  const check = objectOf(fields);
  return (p) => check(p, '');
}

const fingerprintCheck = objectOf({ sha256: isString, mtimeMs: isFiniteNumber, size: isFiniteNumber });

const layoutCheck = objectOf({
  version: (v, p) => (v === 1 ? null : `expects "${p}" to be 1`),
  graphs: recordOf(objectOf({ nodes: recordOf(objectOf({ x: isFiniteNumber, y: isFiniteNumber })), standIns: [recordOf(checkStandInChoice), 'optional'] })),
});

const originCheck = taggedUnion('kind', {
  example: objectOf({ kind: isString, exampleId: isNonEmptyString }),
  untitled: objectOf({ kind: isString }),
  app: objectOf({
    kind: isString,
    dir: isAbsolutePath,
    propertyFile: isAbsolutePath,
    appName: [isString, 'optional'],
    packages: arrayOf(isString),
  }),
  property: objectOf({ kind: isString, file: isAbsolutePath }),
  graph: objectOf({ kind: isString, file: isAbsolutePath }),
});

/** Checks a layout sidecar's content; returns an error text naming the bad field, or null. */
export function validateLayout(value: unknown): string | null {
  return layoutCheck(value, 'layout');
}

/** A whole `GraphDocument`; `property` is only required to be an object here, the host parses it. */
const documentCheck = objectOf({
  id: isNonEmptyString,
  title: isString,
  origin: originCheck,
  property: isPlainObject,
  layout: [layoutCheck, 'optional'],
  base: [fingerprintCheck, 'optional'],
});

/** Checks a whole `GraphDocument` (for one read back from disk); an error text, or null. */
export function validateDocument(value: unknown): string | null {
  return documentCheck(value, 'document');
}

/** Most entries one `listDirectory` page returns. */
export const MAX_DIRECTORY_PAGE = 1000;

export const HOST_METHODS: { readonly [M in HostMethod]: { readonly validate: ParamsValidator } } = {
  ...runMethodValidators(documentCheck),
  version: { validate: noParams },
  listExamples: { validate: noParams },
  openExample: { validate: objectWith({ id: 'string' }) },
  openDocument: { validate: params({ path: isAbsolutePath }) },
  saveDocument: { validate: params({ document: documentCheck, force: [isBoolean, 'optional'] }) },
  saveDocumentAs: {
    validate: params({ document: documentCheck, path: isAbsolutePath, overwrite: [isBoolean, 'optional'] }),
  },
  exportDocument: {
    validate: params({
      document: documentCheck,
      path: isAbsolutePath,
      format: oneOf(['property', 'graph']),
      graphName: [isNonEmptyString, 'optional'],
      overwrite: [isBoolean, 'optional'],
    }),
  },
  listRecent: { validate: noParams },
  saveRecovery: { validate: params({ document: documentCheck }) },
  listRecoveries: { validate: noParams },
  restoreRecovery: { validate: params({ documentId: isNonEmptyString }) },
  discardRecovery: { validate: params({ documentId: isNonEmptyString }) },
  listAddons: { validate: params({ appDir: [isAbsolutePath, 'optional'], exampleId: [isNonEmptyString, 'optional'] }) },
  validateDocument: { validate: params({ document: documentCheck }) },
  listDirectory: {
    validate: params({
      path: isAbsolutePath,
      showHidden: [isBoolean, 'optional'],
      offset: [integerIn(0, 100_000_000), 'optional'],
      limit: [integerIn(1, MAX_DIRECTORY_PAGE), 'optional'],
      match: [stringUpTo(256), 'optional'],
    }),
  },
  choosePath: {
    validate: params({
      purpose: oneOf(['open', 'saveAs', 'export', 'openRecording', 'saveRecording', 'exportTrace']),
      defaultPath: [isAbsolutePath, 'optional'],
    }),
  },
};

export const HOST_METHOD_NAMES = Object.keys(HOST_METHODS) as HostMethod[];

export function isHostMethod(name: unknown): name is HostMethod {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(HOST_METHODS, name);
}

/** Electron IPC channel names: one per method, one for events. */
export const IPC_PREFIX = 'ten-studio:';
export const IPC_EVENT_CHANNEL = `${IPC_PREFIX}event`;
export function ipcChannel(method: HostMethod): string {
  return IPC_PREFIX + method;
}
