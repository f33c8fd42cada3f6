import type { Extension } from './extension';
import type { TenEnv } from './ten_env';

/** Creates extension instances for the graph nodes naming this addon. */
export abstract class Addon {
  abstract onCreateInstance(tenEnv: TenEnv, instanceName: string): Promise<Extension>;
}

type AddonCtor = new () => Addon;

/**
 * The addons registered in this thread, by name. Module evaluation of an extension package runs
 * its `@RegisterAddonAsExtension` decorator, which lands here; the runtime reads it after import.
 */
const registry = new Map<string, AddonCtor>();

/** Decorator registering an `Addon` subclass under the addon name used by graph nodes. */
export function RegisterAddonAsExtension(name: string): <T extends AddonCtor>(klass: T) => T {
  return <T extends AddonCtor>(klass: T): T => {
    registry.set(name, klass);
    return klass;
  };
}

/** @internal */
export function registeredAddon(name: string): AddonCtor | undefined {
  return registry.get(name);
}

/** @internal */
export function registeredAddonNames(): string[] {
  return [...registry.keys()];
}
