// Benchmark-only source: on a {go: count} message on its control BroadcastChannel it sends
// `count` data messages or 16-bit PCM audio frames, `burst` per event-loop turn, like the
// Node-RED baseline's injector. Rounds are closed-loop, so queues never grow without bound.
import { BroadcastChannel } from "node:worker_threads";
import {
  Addon,
  AudioFrame,
  AudioFrameDataFmt,
  Data,
  Extension,
  RegisterAddonAsExtension,
  TenEnv,
  TenError,
} from "ten-runtime-nodejs";

/** Control messages: the bench says go, the source says ready once it can take a go. */
export type SourceControl = { go: number } | { ready: string } | { error: string };

class BenchSource extends Extension {
  /** The instance name (TEN's Extension keeps none for its subclasses). */
  private readonly name: string;

  constructor(name: string) {
    super(name);
    this.name = name;
  }

  private controlName = "ten-bench-control";
  private kind: "data" | "audio_frame" = "data";
  private msgName = "tick";
  private payloadBytes = 64;
  private burst = 256;
  private control: BroadcastChannel | undefined;
  private seq = 0;
  private failed = false;
  /** A refused send is posted on the control channel once, and the bench stops. */
  private readonly onSent = (err: TenError | undefined): void => {
    if (!err || this.failed) return;
    this.failed = true;
    this.control?.postMessage({ error: err.errorMessage ?? "send failed" } satisfies SourceControl);
  };

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    const [control, e1] = await tenEnv.getPropertyString("control_channel");
    if (!e1) this.controlName = control;
    const [kind, e2] = await tenEnv.getPropertyString("kind");
    if (!e2 && kind === "audio_frame") this.kind = "audio_frame";
    const [msgName, e3] = await tenEnv.getPropertyString("msg_name");
    if (!e3) this.msgName = msgName;
    const [payload, e4] = await tenEnv.getPropertyNumber("payload_bytes");
    if (!e4) this.payloadBytes = payload;
    const [burst, e5] = await tenEnv.getPropertyNumber("burst");
    if (!e5) this.burst = Math.max(1, burst);
  }

  async onStart(tenEnv: TenEnv): Promise<void> {
    const control = new BroadcastChannel(this.controlName);
    this.control = control;
    control.onmessage = (event) => {
      const m = (event as { data: SourceControl }).data;
      if ("go" in m) this.pump(tenEnv, m.go);
    };
    control.postMessage({ ready: this.name } satisfies SourceControl);
  }

  async onStop(_tenEnv: TenEnv): Promise<void> {
    this.control?.close();
    this.control = undefined;
  }

  /**
   * Only the first send of a round is checked (a misconfigured graph fails there); checking every
   * send would add a promise per message that the Node-RED injector does not pay either.
   */
  private pump(tenEnv: TenEnv, remaining: number, first = true): void {
    if (this.failed) return;
    const n = Math.min(remaining, this.burst);
    for (let i = 0; i < n; i++) {
      const sent = this.kind === "data" ? this.sendData(tenEnv) : this.sendAudio(tenEnv);
      if (first && i === 0) void sent.then(this.onSent);
    }
    if (remaining > n) setImmediate(() => this.pump(tenEnv, remaining - n, false));
  }

  private sendData(tenEnv: TenEnv): Promise<TenError | undefined> {
    const data = Data.Create(this.msgName);
    data.setPropertyNumber("seq", this.seq++);
    data.allocBuf(this.payloadBytes);
    return tenEnv.sendData(data);
  }

  private sendAudio(tenEnv: TenEnv): Promise<TenError | undefined> {
    const frame = AudioFrame.Create(this.msgName);
    const samples = this.payloadBytes / 2;
    frame.setSampleRate(16000);
    frame.setBytesPerSample(2);
    frame.setNumberOfChannels(1);
    frame.setSamplesPerChannel(samples);
    frame.setDataFmt(AudioFrameDataFmt.INTERLEAVE);
    frame.setLineSize(this.payloadBytes);
    frame.setTimestamp(this.seq++);
    frame.allocBuf(this.payloadBytes);
    return tenEnv.sendAudioFrame(frame);
  }
}

@RegisterAddonAsExtension("bench_source")
export class BenchSourceAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new BenchSource(instanceName);
  }
}
