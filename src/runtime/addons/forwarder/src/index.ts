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

/** What every data and frame handler returns: one settled promise, never one per message. */
const DONE: Promise<void> = Promise.resolve();

class Forwarder extends Extension {
  private tenEnv: TenEnv | undefined;
  /** Each distinct cmd failure is logged once. */
  private readonly warned = new Set<string>();

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    this.tenEnv = tenEnv;
  }

  async onDeinit(_tenEnv: TenEnv): Promise<void> {
    this.tenEnv = undefined;
  }

  /**
   * Data and frames are forwarded as received: the extension owns them, and sending moves them on
   * without a copy. This is the hot path of chain graphs, so it allocates nothing: the send's
   * outcome is not awaited, because the runtime itself reports every way forwarding can fail
   * (unconnected sends are logged, ownership and closed-env misuse are violations).
   */
  onData(tenEnv: TenEnv, data: Data): Promise<void> {
    void tenEnv.sendData(data);
    return DONE;
  }

  onAudioFrame(tenEnv: TenEnv, frame: AudioFrame): Promise<void> {
    void tenEnv.sendAudioFrame(frame);
    return DONE;
  }

  onVideoFrame(tenEnv: TenEnv, frame: VideoFrame): Promise<void> {
    void tenEnv.sendVideoFrame(frame);
    return DONE;
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
      this.warnOnce(err);
    }
    await tenEnv.returnResult(back);
  }

  /** The runtime's error text names the message kind and name, so it is the dedupe key. */
  private warnOnce(err: TenError | undefined): void {
    if (!err || !this.tenEnv) return;
    const text = err.errorMessage ?? `error code ${err.errorCode}`;
    if (this.warned.has(text)) return;
    this.warned.add(text);
    this.tenEnv.logWarn(`forwarder: forwarding a cmd failed: ${text}`);
  }
}

@RegisterAddonAsExtension("forwarder")
export class ForwarderAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new Forwarder(instanceName);
  }
}
