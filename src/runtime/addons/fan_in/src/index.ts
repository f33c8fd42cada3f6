// Built-in addon `fan_in`: merges several upstream streams into one, optionally renamed and tagged.
import {
  Addon,
  AudioFrame,
  Cmd,
  CmdResult,
  Data,
  Extension,
  Msg,
  RegisterAddonAsExtension,
  StatusCode,
  TenEnv,
  VideoFrame,
} from "ten-runtime-nodejs";

const SOURCE_PROPERTY = "fan_in_source";

class FanIn extends Extension {
  /** Set from on_configure until on_deinit: after that ten_env is closed and must not be used. */
  private tenEnv: TenEnv | undefined;
  private outputName = "";
  private tagSource = false;
  private readonly warned = new Set<string>();

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    this.tenEnv = tenEnv;
    const [outputName, nameErr] = await tenEnv.getPropertyString("output_name");
    if (!nameErr) this.outputName = outputName;
    // TEN's TenEnv has no boolean getter: read the property's JSON.
    const [tagSource, tagErr] = await tenEnv.getPropertyToJson("tag_source");
    if (!tagErr) this.tagSource = JSON.parse(tagSource) === true;
  }

  async onDeinit(_tenEnv: TenEnv): Promise<void> {
    this.tenEnv = undefined;
  }

  async onData(tenEnv: TenEnv, data: Data): Promise<void> {
    let out = data;
    if (this.outputName) {
      out = Data.Create(this.outputName);
      copyProperties(data, out);
      out.unlockBuf(data.lockBuf());
    }
    this.tag(data, out);
    this.check(tenEnv, "data", await tenEnv.sendData(out));
  }

  async onAudioFrame(tenEnv: TenEnv, frame: AudioFrame): Promise<void> {
    let out = frame;
    if (this.outputName) {
      out = AudioFrame.Create(this.outputName);
      copyProperties(frame, out);
      out.setSampleRate(frame.getSampleRate());
      out.setBytesPerSample(frame.getBytesPerSample());
      out.setNumberOfChannels(frame.getNumberOfChannels());
      out.setSamplesPerChannel(frame.getSamplesPerChannel());
      out.setDataFmt(frame.getDataFmt());
      out.setLineSize(frame.getLineSize());
      out.setTimestamp(frame.getTimestamp());
      out.setEof(frame.isEof());
      out.unlockBuf(frame.lockBuf());
    }
    this.tag(frame, out);
    this.check(tenEnv, "audio_frame", await tenEnv.sendAudioFrame(out));
  }

  async onVideoFrame(tenEnv: TenEnv, frame: VideoFrame): Promise<void> {
    let out = frame;
    if (this.outputName) {
      out = VideoFrame.Create(this.outputName);
      copyProperties(frame, out);
      out.setWidth(frame.getWidth());
      out.setHeight(frame.getHeight());
      out.setPixelFmt(frame.getPixelFmt());
      out.setTimestamp(frame.getTimestamp());
      out.setEof(frame.isEof());
      out.unlockBuf(frame.lockBuf());
    }
    this.tag(frame, out);
    this.check(tenEnv, "video_frame", await tenEnv.sendVideoFrame(out));
  }

  /** Cmds are merged too; the downstream result goes back to whichever upstream sent the cmd. */
  async onCmd(tenEnv: TenEnv, cmd: Cmd): Promise<void> {
    const out = Cmd.Create(this.outputName || cmd.getName());
    copyProperties(cmd, out);
    this.tag(cmd, out);
    const [result, err] = await tenEnv.sendCmd(out);
    // Pending cmds fail once this extension has closed; ten_env can no longer answer them then.
    if (!this.tenEnv) return;
    const back = CmdResult.Create(result ? result.getStatusCode() : StatusCode.ERROR, cmd);
    if (result) copyProperties(result, back);
    else back.setPropertyString("detail", err?.errorMessage ?? "fan_in: no result");
    await tenEnv.returnResult(back);
  }

  private tag(received: Msg, out: Msg): void {
    if (this.tagSource) out.setPropertyString(SOURCE_PROPERTY, received.getSource().extensionName ?? "");
  }

  private check(tenEnv: TenEnv, kind: string, err: { errorMessage: string | undefined } | undefined): void {
    if (!err || this.warned.has(kind)) return;
    this.warned.add(kind);
    tenEnv.logWarn(`fan_in: forwarding ${kind} failed: ${err.errorMessage ?? "unknown error"}`);
  }
}

function copyProperties(from: Msg, to: Msg): void {
  const [json] = from.getPropertyToJson("");
  if (json && json !== "{}") to.setPropertyFromJson("", json);
}

@RegisterAddonAsExtension("fan_in")
export class FanInAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new FanIn(instanceName);
  }
}
