/**
 * `ten-runtime-nodejs`: the extension API, with the names and signatures of TEN's Node.js
 * binding (held to TEN's by test/unit/runtime/api-surface.test.ts). Extension packages import
 * this module by name; the runtime maps the name here.
 */
export { App } from './app';
export { TenEnv } from './ten_env';
export { Addon } from './addon';
export { Extension } from './extension';
export { AddonManager, RegisterAddonAsExtension } from './addon_manager';
export {
  Msg,
  Cmd,
  CmdResult,
  StatusCode,
  StartGraphCmd,
  StopGraphCmd,
  TriggerLifeCycleCmd,
  Data,
  AudioFrame,
  AudioFrameDataFmt,
  VideoFrame,
  PixelFmt,
} from './msg';
export { ExtensionTester, TenEnvTester } from './extension_tester';
export { TenError, TenErrorCode } from './error';
export { Value, ValueType } from './value';
export { LogLevel } from './log_level';
export { DefaultLogOption, type LogOption } from './log_option';
export { Loc } from './loc';
export { type SendOptions } from './send_options';
