/**
 * The studio's per-user data: the recent-files list and recovery copies of unsaved edits.
 * Every file here is written with `writeFileAtomic`, so a crash mid-write leaves the previous
 * copy; an unreadable file is reported through `warn` and skipped, never fatal.
 */
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { stringifyJson, type FileDocumentKind, type GraphDocument, type RecentFile, type RecoveryInfo } from '../../shared';
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
      text = await readFile(this.recentFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
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
      await mkdir(this.dir, { recursive: true });
      await writeFileAtomic(this.recentFile, formatJson({ format: RECENT_FORMAT, version: 1, entries: entries.slice(0, MAX_RECENT) }));
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
    await mkdir(this.recoveryDir, { recursive: true });
    const body: RecoveryFile = { format: RECOVERY_FORMAT, version: 1, savedAt, document };
    await writeFileAtomic(this.recoveryFile(document.id), stringifyJson(body) as string);
    return savedAt;
  }

  private async readRecovery(file: string): Promise<RecoveryFile | null> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
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
