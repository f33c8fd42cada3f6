/**
 * The HostApi contract: every request the renderer can make of the host, with its parameter
 * validator, plus the one event stream. Implemented once by `src/host`, carried by two thin
 * transports (Electron IPC and the browser-mode WebSocket). Add entries here; transports and
 * clients are derived from `HOST_METHODS`, so nothing else needs to learn about a new method.
 */
import type { TenAppProperty } from '../graph/types';

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

/** A graph document as the renderer edits it: the TEN `property.json` content plus metadata. */
export interface GraphDocument {
  id: string;
  title: string;
  origin: { kind: 'example'; exampleId: string };
  property: TenAppProperty;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type HostEvent = {
  type: 'log';
  time: number;
  level: LogLevel;
  source: string;
  message: string;
};

/** Parameter and result types per method. `void` params mean the request takes none. */
export interface HostMethodTypes {
  version: { params: void; result: VersionInfo };
  listExamples: { params: void; result: ExampleSummary[] };
  openExample: { params: { id: string }; result: GraphDocument };
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

export const HOST_METHODS: { readonly [M in HostMethod]: { readonly validate: ParamsValidator } } = {
  version: { validate: noParams },
  listExamples: { validate: noParams },
  openExample: { validate: objectWith({ id: 'string' }) },
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
