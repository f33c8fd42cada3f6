/**
 * The `Extension` an `ExtRuntime` holds for an extension hosted by the group's Python process:
 * every lifecycle callback becomes a record for that process, and the `ExtRuntime` hands every
 * message it has checked, counted and made the extension's to `PyHost.deliver` (`adopt`'s
 * `handOver`) instead of calling a handler. All routing, paths, schemas, result policies,
 * timeouts, lifecycle states and counters stay in the `ExtRuntime`, as for TypeScript extensions.
 *
 * No handler of this class is ever called, so the runtime's TypeScript defaults (answer a cmd OK,
 * forward data) never apply: as in TEN's Python binding, a cmd the Python code does not answer
 * stays unanswered and data it does not send on stops there.
 */
import { Extension } from '../api/extension';
import type { TenEnv } from '../api/ten_env';
import type { LifecyclePhase } from '../core/protocol';

/** Runs a lifecycle phase of the extension with this index in the group's Python process. */
export interface PyPhases {
  phase(idx: number, name: LifecyclePhase): Promise<void>;
}

export class PyExtension extends Extension {
  /** Index of the extension in the process (its position in the group's Python node list). */
  readonly idx: number;
  private readonly host: PyPhases;

  constructor(name: string, idx: number, host: PyPhases) {
    super(name);
    this.idx = idx;
    this.host = host;
  }

  onConfigure(_tenEnv: TenEnv): Promise<void> {
    return this.host.phase(this.idx, 'on_configure');
  }

  onInit(_tenEnv: TenEnv): Promise<void> {
    return this.host.phase(this.idx, 'on_init');
  }

  onStart(_tenEnv: TenEnv): Promise<void> {
    return this.host.phase(this.idx, 'on_start');
  }

  onStop(_tenEnv: TenEnv): Promise<void> {
    return this.host.phase(this.idx, 'on_stop');
  }

  onDeinit(_tenEnv: TenEnv): Promise<void> {
    return this.host.phase(this.idx, 'on_deinit');
  }
}
