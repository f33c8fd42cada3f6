/**
 * Documents on disk: open an app folder, a `property.json` or a standalone graph file; save,
 * save as and export with atomic writes and on-disk conflict detection; the recent-files list;
 * recovery copies of unsaved edits. Electron-free, so browser mode and tests use the real thing.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  HostError,
  stringifyJson,
  validateDocument,
  validateLayout,
  type DocumentLayout,
  type DocumentOrigin,
  type ExportFormat,
  type FileDocumentKind,
  type FileFingerprint,
  type GraphDocument,
  type LocatedJson,
  type OpenedDocument,
  type RecentFile,
  type RecoveryInfo,
  type SavedDocument,
  type TenAppProperty,
  type TenGraph,
} from '../../shared';
import { FileRefusedError, fileKind, readRegularText } from '../../runtime/core/regular_file';
import { changedOnDisk, readIfExists, readWithFingerprint, removeStaleTemps, sha256, writeFileAtomic } from './atomic';
import { formatJson, positionOf, readJsonText, utf8Problem, type Utf8Problem } from './json';
import { layoutPathFor, resolveUserPath } from './paths';
import { graphShapeProblem, looksLikeGraph, pickGraph, propertyShapeProblem, unwrapGraph, wrapGraph } from './shape';
import { documentPath, recoveryInfo, UserData } from './userData';

export interface DocumentServiceOptions {
  /** Per-user studio data folder: recent files and recovery copies. */
  dataDir: string;
  /** Reports non-fatal problems (an unreadable recovery copy, a bad layout sidecar). */
  warn(message: string): void;
}

/** Maps a file-system error to a stable HostError that says what failed where. */
export function ioError(err: unknown, action: string, path: string): HostError {
  if (err instanceof HostError) return err;
  if (err instanceof FileRefusedError) return new HostError('E_IO', `Cannot ${action} ${path}: ${err.reason}.`);
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return new HostError('E_NOT_FOUND', `Cannot ${action} ${path}: no such file or folder.`);
    case 'EACCES':
    case 'EPERM':
      return new HostError('E_IO', `Cannot ${action} ${path}: permission denied.`);
    case 'ENOSPC':
      return new HostError('E_IO', `Cannot ${action} ${path}: the disk is full.`);
    case 'EROFS':
      return new HostError('E_IO', `Cannot ${action} ${path}: the file system is read-only.`);
    case 'EISDIR':
      return new HostError('E_IO', `Cannot ${action} ${path}: it is a folder.`);
    case 'ENOTDIR':
      return new HostError('E_IO', `Cannot ${action} ${path}: a part of the path is not a folder.`);
    default:
      return new HostError('E_IO', `Cannot ${action} ${path}: ${(err as Error).message ?? String(err)}`);
  }
}

/** What open says about a file that is not valid UTF-8 (and why Save will not write over it). */
function encodingWarning(file: string, problem: Utf8Problem): string {
  const byte = `0x${problem.byte.toString(16).padStart(2, '0')}`;
  return (
    `${file}:${problem.line}:${problem.column}: not valid UTF-8 (byte ${byte} at offset ${problem.offset}); such bytes are shown as U+FFFD (\u{FFFD}). ` +
    'Saving would replace them, so Save will not write over this file: use Save As to write a corrected copy.'
  );
}

/** Refuses to write over a file whose bytes are not valid UTF-8: they would be lost. */
function refuseInvalidUtf8(file: string, bytes: Uint8Array): void {
  const problem = utf8Problem(bytes);
  if (!problem) return;
  throw new HostError(
    'E_IO',
    `Cannot save ${file}: it is not valid UTF-8 at ${problem.line}:${problem.column} (byte 0x${problem.byte.toString(16).padStart(2, '0')}), ` +
      'and saving would replace those bytes with U+FFFD; nothing was written. Use Save As to write a corrected copy.',
  );
}

/**
 * Reads and parses a JSON file; syntax errors become `E_PARSE` with `file:line:column`. Bytes
 * that are not UTF-8 are read as U+FFFD and reported in `encoding` (the file still opens).
 */
async function readJsonFile(file: string): Promise<{ value: unknown; located: LocatedJson; fingerprint: FileFingerprint; encoding: string | null }> {
  let read: Awaited<ReturnType<typeof readWithFingerprint>>;
  try {
    read = await readWithFingerprint(file);
  } catch (err) {
    throw ioError(err, 'read', file);
  }
  const parsed = readJsonText(read.bytes.toString('utf8'));
  if (!parsed.ok) {
    const { line, column, message } = parsed.problem;
    throw new HostError('E_PARSE', `${file}:${line}:${column}: invalid JSON: ${message}.`);
  }
  const problem = utf8Problem(read.bytes);
  return { value: parsed.value, located: parsed.located, fingerprint: read.fingerprint, encoding: problem && encodingWarning(file, problem) };
}

/** `E_PARSE` for a file that is JSON but not in the shape the studio needs, located in the file. */
function shapeError(file: string, located: LocatedJson, problem: { pointer: string; message: string }): HostError {
  const at = positionOf(located, problem.pointer);
  return new HostError('E_PARSE', `${file}${at ? `:${at}` : ''}: at ${problem.pointer || '(root)'}: ${problem.message}.`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function documentId(origin: Extract<DocumentOrigin, { kind: FileDocumentKind }>): string {
  return `${origin.kind}:${origin.kind === 'app' ? origin.dir : origin.file}`;
}

/** The TEN JSON file Save writes for a document, or null when it has none. */
export function tenFileOf(origin: DocumentOrigin): string | null {
  switch (origin.kind) {
    case 'example':
    case 'untitled':
      return null;
    case 'app':
      return origin.propertyFile;
    case 'property':
    case 'graph':
      return origin.file;
  }
}

function titleFor(origin: DocumentOrigin, fallback: string): string {
  switch (origin.kind) {
    case 'example':
    case 'untitled':
      return fallback;
    case 'app':
      return origin.appName ?? basename(origin.dir);
    case 'property':
      return `${basename(dirname(origin.file))}/${basename(origin.file)}`;
    case 'graph':
      return basename(origin.file);
  }
}

/** A file or app folder as read: what the document is made of, and what open should warn about. */
interface Opened {
  origin: DocumentOrigin;
  property: TenAppProperty;
  base: FileFingerprint;
  warnings: string[];
}

/** The name a standalone graph is shown under: its file name without `.json`. */
function graphNameFor(file: string): string {
  return basename(file).replace(/\.json$/i, '') || 'graph';
}

export class DocumentService {
  readonly userData: UserData;
  /** Per target file, the tail of the writes queued on it (see `exclusive`). */
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(private readonly options: DocumentServiceOptions) {
    this.userData = new UserData(options.dataDir, options.warn);
  }

  /**
   * Runs `work` after every earlier write to `file` from this host has finished, so that a
   * conflict check and the write it guards are one step for two windows saving the same file.
   */
  private exclusive<T>(file: string, work: () => Promise<T>): Promise<T> {
    const run = (this.writing.get(file) ?? Promise.resolve()).then(work, work);
    const tail = run.catch(() => undefined);
    this.writing.set(file, tail);
    void tail.then(() => {
      if (this.writing.get(file) === tail) this.writing.delete(file);
    });
    return run;
  }

  async open(requestPath: string): Promise<OpenedDocument> {
    const path = resolveUserPath(requestPath);
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      throw ioError(err, 'open', path);
    }
    const opened = info.isDirectory() ? await this.openAppFolder(path) : await this.openFile(path);
    const warnings = [...opened.warnings];
    const tenFile = tenFileOf(opened.origin)!;
    for (const name of await removeStaleTemps(tenFile)) {
      warnings.push(`Removed ${name}, left by a save that was interrupted; ${basename(tenFile)} itself is intact.`);
    }
    const layout = await this.readLayout(tenFile, warnings);
    const document: GraphDocument = {
      id: documentId(opened.origin as Extract<DocumentOrigin, { kind: FileDocumentKind }>),
      title: titleFor(opened.origin, basename(path)),
      origin: opened.origin,
      property: opened.property,
      base: opened.base,
      ...(layout ? { layout } : {}),
    };
    for (const w of warnings) this.options.warn(w);
    await this.remember(document, warnings);
    const recovery = await this.userData.recoveryFor(document.id);
    return { document, recovery: recovery ? recoveryInfo(recovery) : null, warnings };
  }

  private async openAppFolder(dir: string): Promise<Opened> {
    const manifestFile = join(dir, 'manifest.json');
    const propertyFile = join(dir, 'property.json');
    const hasManifest = await stat(manifestFile).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!hasManifest) {
      throw new HostError(
        'E_NOT_FOUND',
        `${dir} is not a TEN app folder: it has no manifest.json. Open an app folder, a property.json or a graph JSON file.`,
      );
    }
    const { value: manifest, located: manifestAt, encoding: manifestEncoding } = await readJsonFile(manifestFile);
    if (!isRecord(manifest)) throw shapeError(manifestFile, manifestAt, { pointer: '', message: 'manifest.json must hold a JSON object' });
    if (manifest.type !== undefined && manifest.type !== 'app') {
      throw new HostError(
        'E_PARSE',
        `${manifestFile}: at /type: this is a TEN ${stringifyJson(manifest.type)} package, not an app; open its app folder instead.`,
      );
    }
    const { value, located, fingerprint, encoding } = await readJsonFile(propertyFile);
    const problem = propertyShapeProblem(value);
    if (problem) throw shapeError(propertyFile, located, problem);
    const warnings = [manifestEncoding, encoding].filter((w) => w !== null);
    const origin: DocumentOrigin = {
      kind: 'app',
      dir,
      propertyFile,
      ...(typeof manifest.name === 'string' ? { appName: manifest.name } : {}),
      packages: await listPackages(join(dir, 'ten_packages')),
    };
    return { origin, property: value as TenAppProperty, base: fingerprint, warnings };
  }

  private async openFile(file: string): Promise<Opened> {
    const { value, located, fingerprint, encoding } = await readJsonFile(file);
    const warnings = encoding === null ? [] : [encoding];
    if (basename(file).toLowerCase() !== 'property.json' && looksLikeGraph(value)) {
      const problem = graphShapeProblem(value);
      if (problem) throw shapeError(file, located, problem);
      return { origin: { kind: 'graph', file }, property: wrapGraph(value as TenGraph, graphNameFor(file)), base: fingerprint, warnings };
    }
    if (basename(file).toLowerCase() !== 'property.json' && !(isRecord(value) && isRecord(value.ten))) {
      throw new HostError(
        'E_PARSE',
        `${file}: neither a TEN property.json (no "ten" object) nor a graph JSON (no "nodes" array).`,
      );
    }
    const problem = propertyShapeProblem(value);
    if (problem) throw shapeError(file, located, problem);
    return { origin: { kind: 'property', file }, property: value as TenAppProperty, base: fingerprint, warnings };
  }

  /** Reads the layout sidecar; a missing one is normal, a bad one is ignored with a warning. */
  private async readLayout(tenFile: string, warnings: string[]): Promise<DocumentLayout | undefined> {
    const file = layoutPathFor(tenFile);
    let text: string;
    try {
      text = await readRegularText(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') warnings.push(`${ioError(err, 'read', file).message} Using the automatic layout.`);
      return undefined;
    }
    const parsed = readJsonText(text);
    if (!parsed.ok) {
      const { line, column, message } = parsed.problem;
      warnings.push(`${file}:${line}:${column}: invalid JSON (${message}); using the automatic layout.`);
      return undefined;
    }
    const problem = validateLayout(parsed.value);
    if (problem) {
      warnings.push(`${file}: layout sidecar ${problem}; using the automatic layout.`);
      return undefined;
    }
    return parsed.value as DocumentLayout;
  }

  private async remember(document: GraphDocument, warnings: string[]): Promise<void> {
    const path = documentPath(document);
    if (!path || document.origin.kind === 'example' || document.origin.kind === 'untitled') return;
    try {
      await this.userData.addRecent({ path, kind: document.origin.kind, title: document.title });
    } catch (err) {
      // The recent list is a convenience: failing to update it must not fail the open or save.
      const message = `Could not update the recent-files list: ${(err as Error).message}`;
      warnings.push(message);
      this.options.warn(message);
    }
  }

  /** Deletes a recovery copy after a successful save; failing to is reported, not fatal. */
  private async dropRecovery(documentId: string): Promise<void> {
    try {
      await this.userData.discardRecovery(documentId);
    } catch (err) {
      this.options.warn(`Saved, but could not delete the recovery copy of ${documentId}: ${(err as Error).message}`);
    }
  }

  /** The bytes Save writes for a document: the property.json content, or the graph body. */
  private tenText(document: GraphDocument, kind: 'property' | 'graph'): string {
    if (kind === 'property') {
      const problem = propertyShapeProblem(document.property);
      if (problem) throw new HostError('E_BAD_PARAMS', `The document cannot be saved: at ${problem.pointer}: ${problem.message}.`);
      return formatJson(document.property, 'property');
    }
    const unwrapped = unwrapGraph(document.property);
    if ('error' in unwrapped) throw new HostError('E_BAD_PARAMS', `The document cannot be saved as a graph file: ${unwrapped.error}.`);
    return formatJson(unwrapped.graph, 'graph');
  }

  /**
   * Writes TEN JSON, then the layout sidecar when the document has a layout. Once the TEN file
   * is written the save has happened: a sidecar that cannot be written becomes a warning (the
   * positions are lost, the graph is not), never a failed save whose file changed anyway.
   */
  private async writeDocumentFiles(
    document: GraphDocument,
    tenFile: string,
    kind: 'property' | 'graph',
  ): Promise<{ files: string[]; base: FileFingerprint; warnings: string[] }> {
    const text = this.tenText(document, kind);
    try {
      await removeStaleTemps(tenFile);
      await writeFileAtomic(tenFile, text);
    } catch (err) {
      throw ioError(err, 'write', tenFile);
    }
    const mtimeMs = await stat(tenFile).then(
      (s) => s.mtimeMs,
      () => Date.now(),
    );
    const base: FileFingerprint = { sha256: sha256(text), mtimeMs, size: Buffer.byteLength(text) };
    const files = [tenFile];
    const warnings: string[] = [];
    if (document.layout) {
      const layoutFile = layoutPathFor(tenFile);
      try {
        await writeFileAtomic(layoutFile, formatJson(document.layout));
        files.push(layoutFile);
      } catch (err) {
        const message = `${basename(tenFile)} was saved, but the canvas layout was not: ${ioError(err, 'write', layoutFile).message}`;
        warnings.push(message);
        this.options.warn(message);
      }
    }
    return { files, base, warnings };
  }

  /**
   * Saves to the document's own file. Refuses with `E_CONFLICT` when the file on disk is not
   * what `document.base` says it was, unless `force`. A file deleted since opening is written
   * again (nothing on disk would be lost).
   */
  async save(document: GraphDocument, force: boolean): Promise<SavedDocument> {
    const tenFile = tenFileOf(document.origin);
    if (!tenFile || document.origin.kind === 'example' || document.origin.kind === 'untitled') {
      throw new HostError('E_BAD_PARAMS', `"${document.title}" has no file yet; use Save As to choose one.`);
    }
    const origin = document.origin;
    const { files, base, warnings } = await this.exclusive(tenFile, async () => {
      await this.checkUnchanged(tenFile, document.base, force);
      return this.writeDocumentFiles(document, tenFile, origin.kind === 'graph' ? 'graph' : 'property');
    });
    const saved: GraphDocument = { ...document, base };
    await this.dropRecovery(document.id);
    await this.remember(saved, []);
    return { document: saved, files, warnings };
  }

  /**
   * Throws `E_CONFLICT` when `file` exists and is not what `base` says it was (unless `force`),
   * and `E_IO` when its bytes are not valid UTF-8: writing the document would replace them.
   */
  private async checkUnchanged(file: string, base: FileFingerprint | undefined, force: boolean): Promise<void> {
    let now: Awaited<ReturnType<typeof readIfExists>>;
    try {
      now = await readIfExists(file);
    } catch (err) {
      throw ioError(err, 'check', file);
    }
    if (!now) return;
    refuseInvalidUtf8(file, now.bytes);
    if (!force && (!base || changedOnDisk(base, now.fingerprint))) {
      throw new HostError(
        'E_CONFLICT',
        `${file} changed on disk since it was ${base ? 'opened or last saved' : 'read'}; nothing was written. ` +
          'Overwrite it with your version, reload it from disk, or save your version as another file.',
      );
    }
  }

  /** Checks a Save As / Export target: a file path whose folder exists, not clobbered unless asked. */
  private async checkTarget(path: string, overwrite: boolean): Promise<void> {
    const existing = await stat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw ioError(err, 'check', path);
    });
    if (existing?.isDirectory()) {
      throw new HostError('E_BAD_PARAMS', `${path} is a folder; give a file name, such as ${join(path, 'property.json')}.`);
    }
    if (existing && !existing.isFile()) {
      throw new HostError('E_IO', `Cannot write ${path}: it is ${fileKind(existing)}, not a regular file; nothing was written.`);
    }
    if (existing && !overwrite) {
      throw new HostError('E_EXISTS', `${path} already exists; nothing was written. Confirm to replace it.`);
    }
    const parent = await stat(dirname(path)).catch(() => null);
    if (!parent?.isDirectory()) throw new HostError('E_NOT_FOUND', `Cannot write ${path}: the folder ${dirname(path)} does not exist.`);
  }

  /** Saves to a new file, which becomes the document's origin; graph documents stay graph files. */
  async saveAs(document: GraphDocument, requestPath: string, overwrite: boolean): Promise<SavedDocument> {
    const path = resolveUserPath(requestPath);
    const kind = document.origin.kind === 'graph' ? 'graph' : 'property';
    const origin = { kind, file: path } as const;
    const moved: GraphDocument = { ...document, id: documentId(origin), title: titleFor(origin, document.title), origin };
    const { files, base, warnings } = await this.exclusive(path, async () => {
      await this.checkTarget(path, overwrite);
      return this.writeDocumentFiles(moved, path, kind);
    });
    const saved: GraphDocument = { ...moved, base };
    await this.dropRecovery(document.id);
    await this.dropRecovery(saved.id);
    await this.remember(saved, []);
    return { document: saved, files, warnings };
  }

  /** Writes TEN JSON only, leaving the document (origin, fingerprint, recovery) untouched. */
  async export(
    document: GraphDocument,
    requestPath: string,
    format: ExportFormat,
    graphName: string | undefined,
    overwrite: boolean,
  ): Promise<{ path: string }> {
    const path = resolveUserPath(requestPath);
    if (path === tenFileOf(document.origin)) {
      throw new HostError('E_BAD_PARAMS', `${path} is this document's own file; use Save to write it.`);
    }
    let text: string;
    if (format === 'graph') {
      const picked = pickGraph(document.property, graphName);
      if ('error' in picked) throw new HostError('E_BAD_PARAMS', `Cannot export a graph: ${picked.error}.`);
      text = formatJson(picked.graph, 'graph');
    } else {
      text = this.tenText(document, 'property');
    }
    await this.exclusive(path, async () => {
      await this.checkTarget(path, overwrite);
      try {
        await writeFileAtomic(path, text);
      } catch (err) {
        throw ioError(err, 'write', path);
      }
    });
    return { path };
  }

  listRecent(): Promise<RecentFile[]> {
    return this.userData.listRecent();
  }

  async saveRecovery(document: GraphDocument): Promise<{ savedAt: number }> {
    try {
      return { savedAt: await this.userData.saveRecovery(document) };
    } catch (err) {
      throw ioError(err, 'write the recovery copy in', this.userData.dir);
    }
  }

  listRecoveries(): Promise<RecoveryInfo[]> {
    return this.userData.listRecoveries();
  }

  async restoreRecovery(documentId: string): Promise<GraphDocument> {
    const body = await this.userData.recoveryFor(documentId);
    if (!body) throw new HostError('E_NOT_FOUND', `No recovery copy for "${documentId}".`);
    const problem = validateDocument(body.document);
    if (problem) throw new HostError('E_PARSE', `The recovery copy for "${documentId}" is damaged: it ${problem}.`);
    return body.document;
  }

  async discardRecovery(documentId: string): Promise<{ discarded: boolean }> {
    return { discarded: await this.userData.discardRecovery(documentId) };
  }
}

/** `ten_packages/<type>/<name>` folders, as `<type>/<name>`, sorted; none when absent. */
async function listPackages(root: string): Promise<string[]> {
  const out: string[] = [];
  const types = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const type of types.filter((t) => t.isDirectory())) {
    const names = await readdir(join(root, type.name), { withFileTypes: true }).catch(() => []);
    for (const name of names.filter((n) => n.isDirectory())) out.push(`${type.name}/${name.name}`);
  }
  return out.sort();
}
