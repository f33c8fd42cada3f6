// Built-in addon `forwarder`: passes every message on along its own outgoing connections.
import {
  Addon,
  AudioFrame,
  Cmd,
  CmdResult,
  Data,
  Extension,
  RegisterAddonAsExtension,
  StatusCode,
  TenEnv,
  TenError,
  VideoFrame,
} from "ten-runtime-nodejs";

class Forwarder extends Extension {
  private tenEnv: TenEnv | undefined;
  /** Each distinct failure is logged once; the runtime itself also reports unconnected sends. */
  private readonly warned = new Set<string>();

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    this.tenEnv = tenEnv;
  }

  async onDeinit(_tenEnv: TenEnv): Promise<void> {
    this.tenEnv = undefined;
  }

  /**
   * Data and frames are forwarded as received: the extension owns them, and sending moves them on
   * without a copy. This is the hot path of chain graphs, so it allocates nothing beyond the
   * promise chain of the send itself (no async function, no closure per message).
   */
  onData(tenEnv: TenEnv, data: Data): Promise<void> {
    return tenEnv.sendData(data).then(this.checkSent);
  }

  onAudioFrame(tenEnv: TenEnv, frame: AudioFrame): Promise<void> {
    return tenEnv.sendAudioFrame(frame).then(this.checkSent);
  }

  onVideoFrame(tenEnv: TenEnv, frame: VideoFrame): Promise<void> {
    return tenEnv.sendVideoFrame(frame).then(this.checkSent);
  }

  /**
   * A cmd is re-sent as a new cmd with the same name and properties, and the downstream result
   * (first error, else the last OK when it fans out) is returned to the upstream sender.
   */
  async onCmd(tenEnv: TenEnv, cmd: Cmd): Promise<void> {
    const out = Cmd.Create(cmd.getName());
    const [props] = cmd.getPropertyToJson("");
    if (props && props !== "{}") out.setPropertyFromJson("", props);
    const [result, err] = await tenEnv.sendCmd(out);
    // Pending cmds fail once this extension has closed; ten_env can no longer answer them then.
    if (!this.tenEnv) return;
    const back = CmdResult.Create(result ? result.getStatusCode() : StatusCode.ERROR, cmd);
    if (result) {
      const [resultProps] = result.getPropertyToJson("");
      if (resultProps && resultProps !== "{}") back.setPropertyFromJson("", resultProps);
    } else {
      back.setPropertyString("detail", err?.errorMessage ?? "forwarder: no result");
      this.checkSent(err);
    }
    await tenEnv.returnResult(back);
  }

  /** The runtime's error text names the message kind and name, so it is the dedupe key. */
  private readonly checkSent = (err: TenError | undefined): void => {
    if (!err || !this.tenEnv) return;
    const text = err.errorMessage ?? `error code ${err.errorCode}`;
    if (this.warned.has(text)) return;
    this.warned.add(text);
    this.tenEnv.logWarn(`forwarder: forwarding failed: ${text}`);
  };
}

@RegisterAddonAsExtension("forwarder")
export class ForwarderAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new Forwarder(instanceName);
  }
}
