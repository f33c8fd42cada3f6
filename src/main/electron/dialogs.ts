/**
 * What the system's file dialog shows for each purpose the renderer asks for (`choosePath`):
 * plain data, so main.ts only hands it to Electron's `dialog` and the choices are tested without
 * the Electron binary. Linux and Windows cannot offer files and folders in one open dialog, so
 * there Open picks a file; a TEN app is opened by picking its `property.json` (the renderer opens
 * the app folder when the file's folder is one).
 */
import type { NativeDialogPurpose } from '../../shared';

type OpenProperty = 'openFile' | 'openDirectory' | 'createDirectory' | 'dontAddToRecent';
type SaveProperty = 'createDirectory' | 'showOverwriteConfirmation' | 'dontAddToRecent';

interface Common {
  title: string;
  buttonLabel: string;
  defaultPath?: string;
  filters: { name: string; extensions: string[] }[];
}

export type NativeDialogSpec =
  | { kind: 'open'; options: Common & { properties: OpenProperty[] } }
  | { kind: 'save'; options: Common & { properties: SaveProperty[] } };

const JSON_FILTERS = [
  { name: 'TEN JSON (property.json, graphs)', extensions: ['json'] },
  { name: 'All files', extensions: ['*'] },
];
const RECORDING_FILTERS = [
  { name: 'Recordings', extensions: ['json'] },
  { name: 'All files', extensions: ['*'] },
];
const TRACE_FILTERS = [
  { name: 'Chrome trace JSON', extensions: ['json'] },
  { name: 'All files', extensions: ['*'] },
];

export function nativeDialogSpec(purpose: NativeDialogPurpose, defaultPath: string | undefined, platform: NodeJS.Platform): NativeDialogSpec {
  const at = defaultPath === undefined ? {} : { defaultPath };
  // Replacing an existing file is confirmed by the dialog (GTK only asks when told to).
  const save = (title: string, buttonLabel: string, filters: Common['filters']): NativeDialogSpec => ({
    kind: 'save',
    options: { title, buttonLabel, filters, properties: ['createDirectory', 'showOverwriteConfirmation'], ...at },
  });
  switch (purpose) {
    case 'open':
      return {
        kind: 'open',
        options: {
          title: platform === 'darwin' ? 'Open a TEN app folder, a property.json or a graph JSON file' : "Open a property.json (a TEN app's opens the app) or a graph JSON file",
          buttonLabel: 'Open',
          filters: JSON_FILTERS,
          properties: platform === 'darwin' ? ['openFile', 'openDirectory'] : ['openFile'],
          ...at,
        },
      };
    case 'openRecording':
      return { kind: 'open', options: { title: 'Open a recording', buttonLabel: 'Open', filters: RECORDING_FILTERS, properties: ['openFile'], ...at } };
    case 'saveAs':
      return save('Save As', 'Save', JSON_FILTERS);
    case 'export':
      return save('Export TEN JSON', 'Export', JSON_FILTERS);
    case 'saveRecording':
      return save('Save recording', 'Save', RECORDING_FILTERS);
    case 'exportTrace':
      return save('Export Perfetto trace', 'Export', TRACE_FILTERS);
  }
}
