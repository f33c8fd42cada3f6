import type { Extension } from './extension';
import type { TenEnv } from './ten_env';

/** Creates extension instances for the graph nodes naming this addon. */
export abstract class Addon {
  abstract onCreateInstance(tenEnv: TenEnv, instanceName: string): Promise<Extension>;
}

/** @internal The runtime of a thread looks addons up here (registered through the AddonManager). */
export { registeredAddon } from './addon_manager';
