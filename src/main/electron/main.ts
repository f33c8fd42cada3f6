/**
 * Electron shell, kept thin: one locked-down window and an IPC adapter over the same `Host`
 * the browser mode uses. Everything with behaviour lives in `src/host`. Loaded from source by
 * `boot.ts` (through tsx), like the CLI, so the runtime finds its files next to its sources.
 */
import { app, BrowserWindow, dialog, ipcMain, session, shell, type IpcMainInvokeEvent } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Host } from '../../host';
import {
  HOST_METHOD_NAMES,
  HostError,
  IPC_EVENT_CHANNEL,
  ipcChannel,
  validateRequest,
  type NativeDialogPurpose,
  type ResponseMessage,
} from '../../shared';
import { nativeDialogSpec } from './dialogs';

const appRoot = app.getAppPath();
const rendererIndex = join(appRoot, 'out', 'renderer', 'index.html');
const rendererUrl = process.env.ELECTRON_RENDERER_URL;

let mainWindow: BrowserWindow | null = null;

/** Our own page (the built renderer, or the dev server's). */
function isOwnPage(url: string): boolean {
  return rendererUrl ? url.startsWith(rendererUrl) : url === pathToFileURL(rendererIndex).href;
}

/** Requests are accepted only from our own top-level frame showing our own page. */
function fromOwnFrame(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!mainWindow || !frame || event.sender !== mainWindow.webContents || frame.parent !== null) return false;
  return isOwnPage(frame.url);
}

function registerIpc(host: Host): void {
  for (const method of HOST_METHOD_NAMES) {
    ipcMain.handle(ipcChannel(method), async (event, params: unknown): Promise<ResponseMessage> => {
      if (!fromOwnFrame(event)) {
        return { type: 'response', id: 0, ok: false, error: { code: 'E_BAD_MESSAGE', message: 'Request from an unknown frame.' } };
      }
      const problem = validateRequest(method, params);
      if (problem) return { type: 'response', id: 0, ok: false, error: problem.toInfo() };
      try {
        return { type: 'response', id: 0, ok: true, result: await host.handle(method, params, { transport: 'electron' }) };
      } catch (err) {
        const info = err instanceof HostError ? err.toInfo() : { code: 'E_INTERNAL' as const, message: String(err) };
        return { type: 'response', id: 0, ok: false, error: info };
      }
    });
  }
  host.onEvent((event) => mainWindow?.webContents.send(IPC_EVENT_CHANNEL, event));
}

/** The system's file dialog for `choosePath`, attached to the studio's window. */
async function showFileDialog(purpose: NativeDialogPurpose, defaultPath: string | undefined): Promise<string | null> {
  const spec = nativeDialogSpec(purpose, defaultPath, process.platform);
  const win = mainWindow;
  if (spec.kind === 'open') {
    const r = win ? await dialog.showOpenDialog(win, spec.options) : await dialog.showOpenDialog(spec.options);
    return r.canceled ? null : (r.filePaths[0] ?? null);
  }
  const r = win ? await dialog.showSaveDialog(win, spec.options) : await dialog.showSaveDialog(spec.options);
  return r.canceled || !r.filePath ? null : r.filePath;
}

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1440,
    height: 900,
    title: 'TEN Graph Studio',
    icon: join(appRoot, 'resources', 'icon.png'),
    show: false,
    webPreferences: {
      preload: join(appRoot, 'out', 'preload', 'index.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
    },
  });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  const contents = mainWindow.webContents;
  // No navigation away from the studio page and no new windows; external links go to the browser.
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // The renderer listens to 'beforeunload' only while it has unsaved edits. Electron shows no
  // dialog for it and would just keep the window open; it asks here instead (closing, quitting
  // and reloading all pass through this), and leaving goes on when the user says so.
  const win = mainWindow;
  contents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(win, {
      type: 'question',
      title: 'Unsaved changes',
      message: 'The document has unsaved changes. Leave anyway?',
      detail: 'A recovery copy of the edits is kept and offered the next time the studio opens.',
      buttons: ['Leave', 'Stay'],
      defaultId: 1,
      cancelId: 1,
    });
    if (choice === 0) event.preventDefault();
  });
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  if (rendererUrl) void mainWindow.loadURL(rendererUrl);
  else void mainWindow.loadFile(rendererIndex);
}

void app.whenReady().then(() => {
  // Deny every permission request (camera, notifications, …) but the microphone, which the Talk
  // panel asks for: audio only, and only for our own page's top frame in our window.
  session.defaultSession.setPermissionRequestHandler((wc, perm, callback, details) => {
    const types = (details as { mediaTypes?: string[] }).mediaTypes ?? [];
    const microphone = perm === 'media' && types.length > 0 && types.every((t) => t === 'audio');
    callback(microphone && mainWindow !== null && wc === mainWindow.webContents && details.isMainFrame && isOwnPage(details.requestingUrl));
  });
  const host = new Host({
    resourcesDir: join(appRoot, 'resources'),
    version: app.getVersion(),
    // Electron's per-user folder, unless the user or a test points the studio elsewhere.
    dataDir: process.env.TEN_STUDIO_DATA_DIR || app.getPath('userData'),
    nativeDialog: showFileDialog,
  });
  registerIpc(host);
  // Not on 'before-quit': a window kept open for its unsaved edits cancels the quit, and its
  // host must still be there.
  app.on('will-quit', () => void host.dispose());
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
