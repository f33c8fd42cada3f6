/**
 * The addons registered in this thread (TEN `AddonManager`). Evaluating an extension package's
 * module runs its `@RegisterAddonAsExtension(name)` decorator, which leaves a register handler
 * here under the addon name; the runtime of the thread asks for the addon when a graph node
 * names it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Addon } from './addon';
import { findAppBaseDir } from './base_dir';

type Ctor<T> = {
  new (): T;
  prototype: T;
};

/** Called with an opaque context when the runtime needs the addon; creates and hands it over. */
type addonRegisterHandler = (registerContext: unknown) => void;

/** What a register handler is given here: it leaves the addon instance in it. */
interface RegisterContext {
  addon?: Addon;
}

/** The JavaScript a package ships (TEN loads `build/index.js` of each package). */
function builtEntry(packageDir: string): string {
  return join(packageDir, 'build', 'index.js');
}

export class AddonManager {
  private static _instance: AddonManager | undefined = undefined;
  private readonly _registry = new Map<string, addonRegisterHandler>();

  private constructor() {}

  static getInstance(): AddonManager {
    AddonManager._instance ??= new AddonManager();
    return AddonManager._instance;
  }

  setRegisterHandler(name: string, handler: addonRegisterHandler): void {
    this._registry.set(name, handler);
  }

  /**
   * Imports, in this thread, every extension package of the app (`<base>/ten_packages/extension/*`
   * with a `package.json`) from its built `build/index.js`, as TEN does. A package without that
   * file is left to the runtime, which compiles its TypeScript sources for the threads running it.
   * Rejects naming the first package whose module fails to load.
   */
  async loadAllAddons(): Promise<void> {
    const folder = join(findAppBaseDir(), 'ten_packages', 'extension');
    if (!existsSync(folder)) return;
    const loads: Promise<unknown>[] = [];
    for (const entry of readdirSync(folder)) {
      if (entry.startsWith('.')) continue;
      const dir = join(folder, entry);
      if (!existsSync(join(dir, 'package.json')) || !existsSync(builtEntry(dir))) continue;
      loads.push(
        import(pathToFileURL(builtEntry(dir)).href).catch((e: unknown) => {
          throw new Error(`Failed to load addon '${entry}' from ${builtEntry(dir)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }),
      );
    }
    await Promise.all(loads);
  }

  /** Imports one package's `build/index.js`; false (with the reason on stderr) when it cannot. */
  async loadSingleAddon(name: string): Promise<boolean> {
    const dir = join(findAppBaseDir(), 'ten_packages', 'extension', name);
    if (!existsSync(join(dir, 'package.json'))) {
      console.error(`Addon ${name}: no package.json in ${dir}.`);
      return false;
    }
    try {
      await import(pathToFileURL(builtEntry(dir)).href);
      return true;
    } catch (e) {
      console.error(`Failed to load addon ${name}: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }

  /** TEN releases its native registry here; the handlers of this thread stay registered. */
  deinit(): void {}

  /** @internal A new instance of the addon registered under `name`, or undefined. */
  _create(name: string): Addon | undefined {
    const handler = this._registry.get(name);
    if (!handler) return undefined;
    const context: RegisterContext = {};
    handler(context);
    return context.addon;
  }

  /** @internal */
  _names(): string[] {
    return [...this._registry.keys()];
  }
}

/** Decorator registering an `Addon` subclass under the addon name graph nodes use. */
export function RegisterAddonAsExtension(name: string): <T extends Ctor<Addon>>(klass: T) => T {
  return <T extends Ctor<Addon>>(klass: T): T => {
    AddonManager.getInstance().setRegisterHandler(name, (context) => {
      (context as RegisterContext).addon = new klass();
    });
    return klass;
  };
}

/**
 * @internal The addon registered under `name`, as a class the runtime instantiates with `new`
 * (each instantiation goes through the addon's register handler).
 */
export function registeredAddon(name: string): (new () => Addon) | undefined {
  const manager = AddonManager.getInstance();
  if (!manager._names().includes(name)) return undefined;
  return function RegisteredAddon() {
    const addon = manager._create(name);
    if (!addon) throw new Error(`The register handler of addon '${name}' created no addon.`);
    return addon;
  } as unknown as new () => Addon;
}
