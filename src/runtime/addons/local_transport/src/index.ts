// Built-in addon `local_transport`: a real-time transport on this machine, in place of TEN's
// agora_rtc. The studio (or `ten-studio run --audio-in`) talks to it over a BroadcastChannel
// named by `talk_channel`: it sends audio to feed (microphone or WAV, 16-bit mono at
// `sample_rate`) and join/leave; the transport paces frames of `frame_ms` into the graph in real
// time (silence while the user is joined but quiet, as a connected microphone would), sends
// on_user_joined/on_user_left, detects the user's speech by energy (for the turn latency), and
// hands every audio frame the graph sends it back to the studio, which plays and records it.
import { BroadcastChannel } from "node:worker_threads";
import {
  Addon,
  AudioFrame,
  AudioFrameDataFmt,
  Cmd,
  CmdResult,
  Data,
  Extension,
  RegisterAddonAsExtension,
  StatusCode,
  TenEnv,
} from "ten-runtime-nodejs";
import type { FromTransport, ToTransport } from "../../../../shared/talk/link";

/** After a stall (a debugger pause, a loaded machine) at most this many late frames go out at once. */
const MAX_CATCH_UP_FRAMES = 20;
/** How often the feed's progress is reported to the studio. */
const PROGRESS_MS = 100;

async function num(tenEnv: TenEnv, name: string, fallback: number): Promise<number> {
  const [v, err] = await tenEnv.getPropertyNumber(name);
  return err ? fallback : v;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

class LocalTransport extends Extension {
  /** The instance name (TEN's Extension keeps none for its subclasses). */
  private readonly name: string;
  private tenEnv: TenEnv | undefined;
  private channel: BroadcastChannel | null = null;
  private sampleRate = 16000;
  private frameMs = 10;
  private frameName = "pcm_frame";
  private streamId = 0;
  private userCmds = true;
  private thresholdDb = -45;
  private hangoverFrames = 30;
  private jitterSamples = 1600;
  private samplesPerFrame = 160;

  /** Audio waiting to be fed: chunks as they came, read from `head` at `offset`. */
  private queue: Int16Array[] = [];
  private offset = 0;
  private queued = 0;
  /** A live source refills the jitter buffer before feeding again after running dry. */
  private live = false;
  private buffering = true;

  private joined = false;
  private joinedAt = 0;
  private sent = 0;
  private inputFrames = 0;
  private silentFrames = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastProgress = 0;
  private firstTs = 0;
  private lastTs = 0;

  private speaking = false;
  private quietFrames = 0;
  private lastVoicedAt = 0;
  private lastVoicedMediaMs = 0;

  private readonly refused = new Set<string>();
  private warnedSend = false;

  constructor(name: string) {
    super(name);
    this.name = name;
  }

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    this.sampleRate = Math.max(8000, Math.min(48000, await num(tenEnv, "sample_rate", 16000)));
    this.frameMs = (await num(tenEnv, "frame_ms", 10)) >= 20 ? 20 : 10;
    const [frameName, nameErr] = await tenEnv.getPropertyString("frame_name");
    if (!nameErr && frameName) this.frameName = frameName;
    this.streamId = Math.trunc(await num(tenEnv, "stream_id", 0));
    // TEN's TenEnv has no boolean getter: the property's JSON says it.
    const [userCmds, cmdErr] = await tenEnv.getPropertyToJson("user_cmds");
    if (!cmdErr && (userCmds === "true" || userCmds === "false")) this.userCmds = userCmds === "true";
    this.thresholdDb = await num(tenEnv, "vad_threshold_db", -45);
    this.hangoverFrames = Math.max(1, Math.round((await num(tenEnv, "vad_hangover_ms", 300)) / this.frameMs));
    this.samplesPerFrame = Math.round((this.sampleRate * this.frameMs) / 1000);
    this.jitterSamples = Math.round((this.sampleRate * (await num(tenEnv, "jitter_ms", 100))) / 1000);
  }

  async onStart(tenEnv: TenEnv): Promise<void> {
    this.tenEnv = tenEnv;
    const [name, err] = await tenEnv.getPropertyString("talk_channel");
    if (err || !name) {
      tenEnv.logWarn("local_transport: no talk_channel, so nothing feeds it: run the graph from the studio's Talk panel, or ten-studio run --audio-in FILE.wav.");
      return;
    }
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (ev: unknown) => this.fromHost((ev as { data: ToTransport }).data);
    this.post({ t: "ready", node: this.name, sampleRate: this.sampleRate, frameMs: this.frameMs, frameName: this.frameName, streamId: this.streamId });
    tenEnv.logInfo(`local_transport: ${this.frameMs} ms frames of 16-bit mono PCM at ${this.sampleRate} Hz as '${this.frameName}' (stream_id ${this.streamId}); waiting for the studio to join.`);
  }

  async onStop(tenEnv: TenEnv): Promise<void> {
    this.halt();
    this.channel?.close();
    this.channel = null;
    tenEnv.logInfo(`local_transport: fed ${this.sent} frames (${this.inputFrames} of input, ${this.silentFrames} of silence).`);
  }

  async onDeinit(): Promise<void> {
    this.tenEnv = undefined;
  }

  private post(m: FromTransport): void {
    this.channel?.postMessage(m);
  }

  private fromHost(m: ToTransport): void {
    switch (m.t) {
      case "audio":
        if (m.pcm.length === 0) return;
        this.queue.push(m.pcm);
        this.queued += m.pcm.length;
        this.live = m.live;
        return;
      case "clear_input":
        this.queue = [];
        this.offset = 0;
        this.queued = 0;
        return;
      case "join":
        this.join();
        return;
      case "leave":
        this.leave();
        return;
    }
  }

  private join(): void {
    const tenEnv = this.tenEnv;
    if (this.joined || !tenEnv) return;
    this.joined = true;
    this.joinedAt = Date.now();
    this.startedAt = performance.now();
    this.sent = 0;
    this.buffering = true;
    if (this.userCmds) this.sendUserCmd(tenEnv, "on_user_joined", "joined");
    else this.post({ t: "session", state: "joined", ts: now() });
    this.schedule();
  }

  private leave(): void {
    const tenEnv = this.tenEnv;
    if (!this.joined || !tenEnv) return;
    this.endSpeech();
    this.joined = false;
    this.halt();
    this.progress(true);
    if (this.userCmds) this.sendUserCmd(tenEnv, "on_user_left", "left");
    else this.post({ t: "session", state: "left", ts: now() });
  }

  private sendUserCmd(tenEnv: TenEnv, name: string, state: "joined" | "left"): void {
    const ts = now();
    // A graph that does not connect the cmd gets the runtime's own warning; the studio says it once more with the session.
    void tenEnv.sendCmd(Cmd.Create(name)).then(([, err]) => {
      this.post({ t: "session", state, ts, ...(err ? { error: `${name} not delivered: ${err.errorMessage}` } : {}) });
    });
  }

  /** Deadline-based pacing: frame n is due at join + n × frame_ms, so timer jitter never drifts. */
  private schedule(): void {
    const due = this.startedAt + this.sent * this.frameMs;
    this.timer = setTimeout(() => this.sendDue(), Math.max(0, due - performance.now()));
  }

  private sendDue(): void {
    const tenEnv = this.tenEnv;
    if (!this.joined || !tenEnv) return;
    let due = Math.floor((performance.now() - this.startedAt) / this.frameMs) + 1 - this.sent;
    if (due > MAX_CATCH_UP_FRAMES) {
      // Too far behind to catch up in real time: frames keep their spacing from here on.
      this.startedAt = performance.now() - this.sent * this.frameMs;
      due = 1;
    }
    for (let i = 0; i < due && this.joined; i++) this.sendFrame(tenEnv);
    this.progress(false);
    if (this.joined) this.schedule();
  }

  /** The next frame of input, or null when there is none to feed (silence goes out instead). */
  private take(): Int16Array | null {
    const n = this.samplesPerFrame;
    if (this.live && this.buffering) {
      if (this.queued < this.jitterSamples) return null;
      this.buffering = false;
    }
    if (this.queued === 0) return null;
    if (this.queued < n && this.live) {
      this.buffering = true;
      return null;
    }
    const out = new Int16Array(n);
    let filled = 0;
    while (filled < n && this.queue.length) {
      const head = this.queue[0]!;
      const take = Math.min(n - filled, head.length - this.offset);
      out.set(head.subarray(this.offset, this.offset + take), filled);
      filled += take;
      this.offset += take;
      if (this.offset === head.length) {
        this.queue.shift();
        this.offset = 0;
      }
    }
    this.queued -= filled;
    if (this.queued === 0 && this.live) this.buffering = true;
    return out;
  }

  private sendFrame(tenEnv: TenEnv): void {
    const n = this.samplesPerFrame;
    const input = this.take();
    const frame = AudioFrame.Create(this.frameName);
    frame.setSampleRate(this.sampleRate);
    frame.setBytesPerSample(2);
    frame.setNumberOfChannels(1);
    frame.setSamplesPerChannel(n);
    frame.setDataFmt(AudioFrameDataFmt.INTERLEAVE);
    frame.setLineSize(n * 2);
    // The frame's place in the stream: join time + n × frame_ms, exactly, whatever the timer did.
    const ts = this.joinedAt + this.sent * this.frameMs;
    frame.setTimestamp(ts);
    frame.setEof(false);
    frame.setPropertyNumber("stream_id", this.streamId);
    frame.allocBuf(n * 2);
    if (input) new Int16Array(frame.lockBuf()).set(input);
    const mediaMs = this.sent * this.frameMs;
    this.sent++;
    if (this.firstTs === 0) this.firstTs = ts;
    this.lastTs = ts;
    if (input) this.inputFrames++;
    else this.silentFrames++;
    tenEnv.sendAudioFrame(frame).then((err) => {
      if (err && !this.warnedSend) {
        this.warnedSend = true;
        tenEnv.logWarn(`local_transport: sending '${this.frameName}' failed: ${err.errorMessage}`);
      }
    });
    this.detect(input, mediaMs);
  }

  /** Energy voice detection on what was fed: speech starts at the first loud frame and ends after `vad_hangover_ms` of quiet. */
  private detect(input: Int16Array | null, mediaMs: number): void {
    let voiced = false;
    if (input) {
      let sum = 0;
      for (let i = 0; i < input.length; i++) sum += input[i]! * input[i]!;
      const rms = Math.sqrt(sum / input.length) / 32768;
      voiced = rms > 0 && 20 * Math.log10(rms) >= this.thresholdDb;
    }
    const t = now();
    if (voiced) {
      this.quietFrames = 0;
      this.lastVoicedAt = t;
      this.lastVoicedMediaMs = mediaMs + this.frameMs;
      if (!this.speaking) {
        this.speaking = true;
        this.post({ t: "speech", edge: "start", ts: t, mediaMs });
      }
    } else if (this.speaking && ++this.quietFrames >= this.hangoverFrames) {
      this.endSpeech();
    }
  }

  private endSpeech(): void {
    if (!this.speaking) return;
    this.speaking = false;
    this.quietFrames = 0;
    this.post({ t: "speech", edge: "end", ts: this.lastVoicedAt, mediaMs: this.lastVoicedMediaMs });
  }

  private progress(force: boolean): void {
    const t = performance.now();
    if (!force && t - this.lastProgress < PROGRESS_MS) return;
    this.lastProgress = t;
    this.post({
      t: "fed",
      frames: this.sent,
      inputFrames: this.inputFrames,
      silentFrames: this.silentFrames,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      queuedMs: (this.queued * 1000) / this.sampleRate,
    });
  }

  private halt(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  async onAudioFrame(tenEnv: TenEnv, frame: AudioFrame): Promise<void> {
    const src = frame.getSource().extensionName ?? "";
    const bytes = frame.getBytesPerSample();
    const fmt = frame.getDataFmt();
    const channels = Math.max(1, frame.getNumberOfChannels());
    if (bytes !== 2 || (channels > 1 && fmt !== AudioFrameDataFmt.INTERLEAVE)) {
      if (!this.refused.has(src)) {
        this.refused.add(src);
        const reason = `only 16-bit interleaved PCM is played (got ${bytes * 8}-bit, ${fmt === AudioFrameDataFmt.INTERLEAVE ? "interleaved" : "planar"}, ${channels} channel(s))`;
        tenEnv.logWarn(`local_transport: frames from ${src}: ${reason}.`);
        this.post({ t: "out_refused", src, reason });
      }
      return;
    }
    const buf = frame.lockBuf();
    const samples = Math.floor(buf.byteLength / 2);
    const pcm = new Int16Array(samples);
    pcm.set(new Int16Array(buf, 0, samples));
    this.post({ t: "out", pcm, sampleRate: frame.getSampleRate() || this.sampleRate, channels, frameTs: frame.getTimestamp(), at: now(), src, name: frame.getName() });
  }

  async onCmd(tenEnv: TenEnv, cmd: Cmd): Promise<void> {
    if (cmd.getName() === "flush") this.post({ t: "flush", at: now(), src: cmd.getSource().extensionName ?? "" });
    await tenEnv.returnResult(CmdResult.Create(StatusCode.OK, cmd));
  }

  async onData(_tenEnv: TenEnv, _data: Data): Promise<void> {
    // TEN's transports publish data (chat transcripts) to the remote users; the studio reads the
    // graph's text where it is sent, so there is nothing to do with it here.
  }
}

@RegisterAddonAsExtension("local_transport")
export class LocalTransportAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new LocalTransport(instanceName);
  }
}
