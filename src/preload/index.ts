/**
 * Sandboxed preload: exposes one typed `HostApi` object, with one method per contract entry
 * bound to that entry's own IPC channel. No generic `ipcRenderer` access leaks to the page.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { createHostApi } from '../shared/ipc/client';
import { IPC_EVENT_CHANNEL, ipcChannel, type HostEvent } from '../shared/ipc/contract';
import { HostError } from '../shared/ipc/errors';
import type { ResponseMessage } from '../shared/ipc/wire';

const api = createHostApi(
  async (method, params) => {
    const response = (await ipcRenderer.invoke(ipcChannel(method), params)) as ResponseMessage;
    if (response.ok) return response.result;
    throw new HostError(response.error.code, response.error.message);
  },
  (listener) => {
    const handler = (_e: IpcRendererEvent, event: HostEvent) => listener(event);
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
    };
  },
);

contextBridge.exposeInMainWorld('tenStudio', api);
