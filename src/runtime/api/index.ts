/**
 * `ten-runtime-nodejs`: the extension API, with the names and signatures of TEN's Node.js
 * binding. Extension packages import this module by name; the runtime maps the name here.
 */
export { TenError, TenErrorCode } from './error';
export { Loc } from './loc';
export { LogLevel, DefaultLogOption, type LogOption, type SendOptions } from './log_level';
export {
  Msg,
  Cmd,
  CmdResult,
  Data,
  AudioFrame,
  VideoFrame,
  StartGraphCmd,
  StopGraphCmd,
  TriggerLifeCycleCmd,
  StatusCode,
  AudioFrameDataFmt,
  PixelFmt,
} from './msg';
export { TenEnv, type ResultHandler } from './ten_env';
export { Extension } from './extension';
export { Addon, RegisterAddonAsExtension } from './addon';
export { ExtensionTester, TenEnvTester } from './extension_tester';
