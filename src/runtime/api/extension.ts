import type { AudioFrame, Cmd, Data, VideoFrame } from './msg';
import type { TenEnv } from './ten_env';

/**
 * Base class of a TEN extension. Override the async callbacks you need; the runtime calls the
 * matching `*_done` when each lifecycle method resolves. As in TEN's Node.js binding, without an
 * `onCmd` override a cmd is never answered, and without a data/frame override the message is
 * dropped.
 */
export abstract class Extension {
  /**
   * `name` is the instance name (the graph node's `name`) the addon was asked for. As in TEN the
   * base class keeps no member of its own, so a subclass may declare any field it likes.
   */
  constructor(_name: string) {}

  async onConfigure(_tenEnv: TenEnv): Promise<void> {}
  async onInit(_tenEnv: TenEnv): Promise<void> {}
  async onStart(_tenEnv: TenEnv): Promise<void> {}
  async onStop(_tenEnv: TenEnv): Promise<void> {}
  async onDeinit(_tenEnv: TenEnv): Promise<void> {}
  async onCmd(_tenEnv: TenEnv, _cmd: Cmd): Promise<void> {}
  async onData(_tenEnv: TenEnv, _data: Data): Promise<void> {}
  async onAudioFrame(_tenEnv: TenEnv, _frame: AudioFrame): Promise<void> {}
  async onVideoFrame(_tenEnv: TenEnv, _frame: VideoFrame): Promise<void> {}
}

/** @internal Whether a subclass overrides a handler (decides TEN's default behaviours). */
export function overrides(ext: Extension, method: 'onCmd' | 'onData' | 'onAudioFrame' | 'onVideoFrame'): boolean {
  return ext[method] !== Extension.prototype[method];
}
