/**
 * The seam between the API classes and the runtime of the current thread. The worker runtime
 * installs its hooks at start; without a runtime (e.g. messages built on the host thread) the
 * defaults apply: a sent message stays read-only and nothing is reported.
 */
export interface RuntimeHooks {
  /**
   * A sender tried to mutate a message it already sent. Reports the violation and returns true
   * when the policy lets the call proceed (`report`), false when it must fail.
   */
  sentMutation(object: string, method: string): boolean;
}

let current: RuntimeHooks = { sentMutation: () => false };

export function runtimeHooks(): RuntimeHooks {
  return current;
}

export function installRuntimeHooks(hooks: RuntimeHooks): void {
  current = hooks;
}
