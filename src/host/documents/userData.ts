/**
 * The studio's per-user data: the recent-files list and recovery copies of unsaved edits.
 * Every file here is written with `writeFileAtomic`, so a crash mid-write leaves the previous
 * copy; an unreadable file is reported through `warn` and skipped, never fatal.
 */
import { chmod, lstat, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { stringifyJson, type FileDocumentKind, type GraphDocument, type RecentFile, type RecoveryInfo } from '../../shared';
import { FileRefusedError, readRegularText } from '../../runtime/core/regular_file';
import { sha256, writeFileAtomic } from './atomic';
import { formatJson, readJsonText } from './json';

/** How many recent files are remembered. */
export const MAX_RECENT = 20;

const RECENT_FORMAT = 'ten-studio-recent';
const RECOVERY_FORMAT = 'ten-studio-recovery';

interface RecentEntry {
  path: string;
  kind: FileDocumentKind;
  title: string;
  openedAt: number;
}

interface RecoveryFile {
  format: typeof RECOVERY_FORMAT;
  version: 1;
  savedAt: number;
  document: GraphDocument;
}

const FILE_KINDS: readonly string[] = ['app', 'property', 'graph'];

/**
 * Recovery copies hold the user's unsaved documents, and the recent list says which files they
 * open: only their owner may read them. Files are 0600; the recovery folder is 0700.
 */
const PRIVATE_FILE = 0o600;
const PRIVATE_DIR = 0o700;
const ownUid = typeof process.geteuid === 'function' ? process.geteuid() : null;

function isRecentEntry(x: unknown): x is RecentEntry {
  const e = x as RecentEntry;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof e.path === 'string' &&
    FILE_KINDS.includes(e.kind) &&
    typeof e.title === 'string' &&
    typeof e.openedAt === 'number'
  );
}

export class UserData {
  /** Serialises read-modify-write of the recent list within this process. */
  private recentQueue: Promise<unknown> = Promise.resolve();
  /** The recovery folder, checked and made private once per host (see `privateRecoveryDir`). */
  private recoveryReady: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    private readonly warn: (message: string) => void,
  ) {}

  private get recentFile(): string {
    return join(this.dir, 'recent.json');
  }

  private get recoveryDir(): string {
    return join(this.dir, 'recovery');
  }

  private async readRecent(): Promise<RecentEntry[]> {
    let text: string;
    try {
      text = await readRegularText(this.recentFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      if (!(err instanceof FileRefusedError)) throw err;
      this.warn(`Ignoring the recent-files list ${this.recentFile}: ${err.reason}.`);
      return [];
    }
    const parsed = readJsonText(text);
    const entries = parsed.ok ? (parsed.value as { format?: unknown; entries?: unknown }).entries : undefined;
    if (!parsed.ok || !Array.isArray(entries)) {
      this.warn(`Ignoring unreadable recent-files list ${this.recentFile}; it will be rewritten.`);
      return [];
    }
    return entries.filter(isRecentEntry);
  }

  /** Recent files, newest first, each marked with whether it still exists. */
  async listRecent(): Promise<RecentFile[]> {
    const entries = await this.readRecent();
    return Promise.all(
      entries.map(async (e) => ({
        ...e,
        exists: await stat(e.path).then(
          () => true,
          () => false,
        ),
      })),
    );
  }

  /** Moves `path` to the top of the recent list. */
  addRecent(entry: Omit<RecentEntry, 'openedAt'>): Promise<void> {
    const run = this.recentQueue.then(async () => {
      const entries = (await this.readRecent()).filter((e) => e.path !== entry.path);
      entries.unshift({ ...entry, openedAt: Date.now() });
      await mkdir(this.dir, { recursive: true, mode: PRIVATE_DIR });
      const text = formatJson({ format: RECENT_FORMAT, version: 1, entries: entries.slice(0, MAX_RECENT) });
      await writeFileAtomic(this.recentFile, text, { mode: PRIVATE_FILE });
    });
    this.recentQueue = run.catch(() => undefined);
    return run;
  }

  /** Recovery copies are named by a hash of the document id, which may be any path. */
  private recoveryFile(documentId: string): string {
    return join(this.recoveryDir, `${sha256(documentId).slice(0, 40)}.json`);
  }

  async saveRecovery(document: GraphDocument): Promise<number> {
    const savedAt = Date.now();
    await this.privateRecoveryDir();
    const body: RecoveryFile = { format: RECOVERY_FORMAT, version: 1, savedAt, document };
    await writeFileAtomic(this.recoveryFile(document.id), stringifyJson(body) as string, { mode: PRIVATE_FILE });
    return savedAt;
  }

  /**
   * Creates the recovery folder 0700, or checks the one there: it must be a real folder (not a
   * symbolic link) owned by this user. One left readable by others (by an earlier version, or a
   * umask) is narrowed to 0700 and its copies to 0600. Done once per host.
   */
  private privateRecoveryDir(): Promise<void> {
    this.recoveryReady ??= (async () => {
      await mkdir(this.dir, { recursive: true, mode: PRIVATE_DIR });
      await mkdir(this.recoveryDir, { mode: PRIVATE_DIR }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      const info = await lstat(this.recoveryDir);
      if (!info.isDirectory()) throw new Error(`${this.recoveryDir} is not a folder; recovery copies are not written through a link`);
      if (ownUid !== null && info.uid !== ownUid) {
        throw new Error(`${this.recoveryDir} belongs to user ${info.uid}, not to you; recovery copies are not written there`);
      }
      if ((info.mode & 0o077) !== 0) await chmod(this.recoveryDir, PRIVATE_DIR);
      for (const name of await readdir(this.recoveryDir)) {
        const file = join(this.recoveryDir, name);
        const entry = await lstat(file).catch(() => null);
        if (entry?.isFile() && (entry.mode & 0o077) !== 0) await chmod(file, entry.mode & PRIVATE_FILE);
      }
    })();
    // A failure is reported to this save and tried again by the next one.
    this.recoveryReady.catch(() => (this.recoveryReady = undefined));
    return this.recoveryReady;
  }

  private async readRecovery(file: string): Promise<RecoveryFile | null> {
    let text: string;
    try {
      text = await readRegularText(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      if (!(err instanceof FileRefusedError)) throw err;
      this.warn(`Ignoring recovery copy ${file}: ${err.reason}.`);
      return null;
    }
    const parsed = readJsonText(text);
    const body = parsed.ok ? (parsed.value as Partial<RecoveryFile>) : undefined;
    if (
      !body ||
      body.format !== RECOVERY_FORMAT ||
      typeof body.savedAt !== 'number' ||
      typeof body.document !== 'object' ||
      body.document === null ||
      typeof body.document.id !== 'string'
    ) {
      this.warn(`Ignoring unreadable recovery copy ${file}.`);
      return null;
    }
    return body as RecoveryFile;
  }

  async recoveryFor(documentId: string): Promise<RecoveryFile | null> {
    const body = await this.readRecovery(this.recoveryFile(documentId));
    return body && body.document.id === documentId ? body : null;
  }

  async listRecoveries(): Promise<RecoveryInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.recoveryDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: RecoveryInfo[] = [];
    for (const name of names.filter((n) => /^[0-9a-f]{40}\.json$/.test(n))) {
      const body = await this.readRecovery(join(this.recoveryDir, name));
      if (body) out.push(recoveryInfo(body));
    }
    return out.sort((a, b) => b.savedAt - a.savedAt);
  }

  /** Deletes a recovery copy; resolves to whether there was one. */
  async discardRecovery(documentId: string): Promise<boolean> {
    const file = this.recoveryFile(documentId);
    const existed = await stat(file).then(
      () => true,
      () => false,
    );
    await rm(file, { force: true });
    return existed;
  }
}

/** The file a document belongs to, or null for one without a file. */
export function documentPath(document: GraphDocument): string | null {
  const o = document.origin;
  switch (o.kind) {
    case 'example':
    case 'untitled':
      return null;
    case 'app':
      return o.dir;
    case 'property':
    case 'graph':
      return o.file;
  }
}

export function recoveryInfo(body: { savedAt: number; document: GraphDocument }): RecoveryInfo {
  return {
    documentId: body.document.id,
    title: body.document.title,
    path: documentPath(body.document),
    savedAt: body.savedAt,
  };
}
