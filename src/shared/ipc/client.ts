import { HOST_METHOD_NAMES, type HostApi, type HostEvent, type HostMethod } from './contract';

/** Sends one request over some transport and resolves with its result. */
export type Invoke = (method: HostMethod, params: unknown) => Promise<unknown>;

/**
 * Builds a `HostApi` from a transport's invoke and subscribe functions: one named method per
 * contract entry, so neither transport exposes a generic pass-through.
 */
export function createHostApi(
  invoke: Invoke,
  subscribe: (listener: (event: HostEvent) => void) => () => void,
): HostApi {
  const api: Record<string, unknown> = { onEvent: subscribe };
  for (const method of HOST_METHOD_NAMES) {
    api[method] = (params?: unknown) => invoke(method, params);
  }
  return api as HostApi;
}
