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
  VideoFrame,
} from "ten-runtime-nodejs";

class Forwarder extends Extension {
  /** Each failing message name is logged once; the runtime itself reports unconnected sends. */
  private readonly warned = new Set<string>();

  /**
   * Data and frames are forwarded as received: the extension owns them, and sending moves them on
   * without a copy (this is the hot path of chain graphs).
   */
  async onData(tenEnv: TenEnv, data: Data): Promise<void> {
    const err = await tenEnv.sendData(data);
    if (err) this.warnOnce(tenEnv, `data '${data.getName()}'`, err.errorMessage);
  }

  async onAudioFrame(tenEnv: TenEnv, frame: AudioFrame): Promise<void> {
    const err = await tenEnv.sendAudioFrame(frame);
    if (err) this.warnOnce(tenEnv, `audio_frame '${frame.getName()}'`, err.errorMessage);
  }

  async onVideoFrame(tenEnv: TenEnv, frame: VideoFrame): Promise<void> {
    const err = await tenEnv.sendVideoFrame(frame);
    if (err) this.warnOnce(tenEnv, `video_frame '${frame.getName()}'`, err.errorMessage);
  }

  /**
   * A cmd is re-sent as a new cmd with the same name and properties, and the downstream result
   * (first error, else the last OK when it fans out) is returned to the upstream sender.
   */
  async onCmd(tenEnv: TenEnv, cmd: Cmd): Promise<void> {
    const name = cmd.getName();
    const out = Cmd.Create(name);
    const [props] = cmd.getPropertyToJson("");
    if (props) out.setPropertyFromJson("", props);
    const [result, err] = await tenEnv.sendCmd(out);
    const back = CmdResult.Create(result ? result.getStatusCode() : StatusCode.ERROR, cmd);
    if (result) {
      const [resultProps] = result.getPropertyToJson("");
      if (resultProps) back.setPropertyFromJson("", resultProps);
    } else {
      back.setPropertyString("detail", err?.errorMessage ?? "forwarder: no result");
      if (err) this.warnOnce(tenEnv, `cmd '${name}'`, err.errorMessage);
    }
    await tenEnv.returnResult(back);
  }

  private warnOnce(tenEnv: TenEnv, what: string, message: string | undefined): void {
    if (this.warned.has(what)) return;
    this.warned.add(what);
    tenEnv.logWarn(`forwarder: forwarding ${what} failed: ${message ?? "unknown error"}`);
  }
}

@RegisterAddonAsExtension("forwarder")
export class ForwarderAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new Forwarder(instanceName);
  }
}
