/**
 * Electron shell, kept thin: one locked-down window and an IPC adapter over the same `Host`
 * the browser mode uses. Everything with behaviour lives in `src/host`. Loaded from source by
 * `boot.ts` (through tsx), like the CLI, so the runtime finds its files next to its sources.
 */
import { app, BrowserWindow, ipcMain, session, shell, type IpcMainInvokeEvent } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Host } from '../../host';
import {
  HOST_METHOD_NAMES,
  HostError,
  IPC_EVENT_CHANNEL,
  ipcChannel,
  validateRequest,
  type ResponseMessage,
} from '../../shared';

const appRoot = app.getAppPath();
const rendererIndex = join(appRoot, 'out', 'renderer', 'index.html');
const rendererUrl = process.env.ELECTRON_RENDERER_URL;

let mainWindow: BrowserWindow | null = null;

/** Requests are accepted only from our own top-level frame showing our own page. */
function fromOwnFrame(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!mainWindow || !frame || event.sender !== mainWindow.webContents || frame.parent !== null) return false;
  const url = frame.url;
  return rendererUrl ? url.startsWith(rendererUrl) : url === pathToFileURL(rendererIndex).href;
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
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  if (rendererUrl) void mainWindow.loadURL(rendererUrl);
  else void mainWindow.loadFile(rendererIndex);
}

void app.whenReady().then(() => {
  // Deny every permission request (camera, notifications, …): the studio needs none.
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, callback) => callback(false));
  const host = new Host({
    resourcesDir: join(appRoot, 'resources'),
    version: app.getVersion(),
    // Electron's per-user folder, unless the user or a test points the studio elsewhere.
    dataDir: process.env.TEN_STUDIO_DATA_DIR || app.getPath('userData'),
  });
  registerIpc(host);
  app.on('before-quit', () => void host.dispose());
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
