// Built-in addon `audio_generator`: PCM audio frames at a real-time pace, like a microphone.
import {
  Addon,
  AudioFrame,
  AudioFrameDataFmt,
  Extension,
  RegisterAddonAsExtension,
  TenEnv,
} from "ten-runtime-nodejs";

const BYTES_PER_SAMPLE = 2;
/** After a stall (e.g. a debugger pause) at most this many late frames are sent at once. */
const MAX_CATCH_UP_FRAMES = 10;

async function numberProperty(tenEnv: TenEnv, name: string, fallback: number): Promise<number> {
  const [value, err] = await tenEnv.getPropertyNumber(name);
  return err ? fallback : value;
}

async function stringProperty(tenEnv: TenEnv, name: string, fallback: string): Promise<string> {
  const [value, err] = await tenEnv.getPropertyString(name);
  return err ? fallback : value;
}

/** TEN's TenEnv has no boolean getter: read the property's JSON. */
async function boolProperty(tenEnv: TenEnv, name: string, fallback: boolean): Promise<boolean> {
  const [json, err] = await tenEnv.getPropertyToJson(name);
  if (err) return fallback;
  const value: unknown = JSON.parse(json);
  return typeof value === "boolean" ? value : fallback;
}

/**
 * One second of a mono tone, so each frame is a copy out of a table instead of `Math.sin` per
 * sample. Tones with a fractional frequency get a small phase jump once per second.
 */
function toneTable(sampleRate: number, toneHz: number): Int16Array {
  const table = new Int16Array(sampleRate);
  if (toneHz <= 0) return table;
  const amplitude = 0.25 * 0x7fff;
  for (let i = 0; i < sampleRate; i++) {
    table[i] = Math.round(amplitude * Math.sin((2 * Math.PI * toneHz * i) / sampleRate));
  }
  return table;
}

class AudioGenerator extends Extension {
  private tenEnv: TenEnv | undefined;
  private sampleRate = 16000;
  private channels = 1;
  private frameMs = 20;
  private frameName = "pcm";
  private realtime = true;
  private burst = 1;
  private maxCount = 0;

  private samplesPerChannel = 320;
  private table: Int16Array = new Int16Array(0);
  private tableOffset = 0;
  private sent = 0;
  private startedAt = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private warned = false;

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    this.sampleRate = Math.max(1, await numberProperty(tenEnv, "sample_rate", this.sampleRate));
    this.channels = Math.max(1, await numberProperty(tenEnv, "channels", this.channels));
    this.frameMs = Math.max(1, await numberProperty(tenEnv, "frame_ms", this.frameMs));
    this.frameName = await stringProperty(tenEnv, "frame_name", this.frameName);
    this.realtime = await boolProperty(tenEnv, "realtime", this.realtime);
    this.burst = Math.max(1, await numberProperty(tenEnv, "burst", this.burst));
    this.maxCount = Math.max(0, await numberProperty(tenEnv, "max_count", this.maxCount));
    const toneHz = await numberProperty(tenEnv, "tone_hz", 440);
    this.samplesPerChannel = Math.max(1, Math.round((this.sampleRate * this.frameMs) / 1000));
    this.table = toneTable(this.sampleRate, toneHz);
  }

  async onStart(tenEnv: TenEnv): Promise<void> {
    this.tenEnv = tenEnv;
    this.running = true;
    this.startedAt = performance.now();
    tenEnv.logInfo(
      `audio_generator: '${this.frameName}' ${this.sampleRate} Hz × ${this.channels} ch, ` +
        `${this.frameMs} ms frames${this.realtime ? "" : ", as fast as possible"}`,
    );
    if (this.realtime) this.schedule();
    else this.immediate = setImmediate(() => this.pumpAsFastAsPossible());
  }

  async onStop(tenEnv: TenEnv): Promise<void> {
    this.halt();
    tenEnv.logInfo(`audio_generator: sent ${this.sent} frames`);
  }

  async onDeinit(_tenEnv: TenEnv): Promise<void> {
    this.tenEnv = undefined;
  }

  /** Deadline-based pacing: frame n is due at start + n × frame_ms, so timer jitter never drifts. */
  private schedule(): void {
    const due = this.startedAt + this.sent * this.frameMs;
    this.timer = setTimeout(() => this.sendDue(), Math.max(0, due - performance.now()));
  }

  private sendDue(): void {
    const tenEnv = this.tenEnv;
    if (!this.running || !tenEnv) return;
    let due = Math.floor((performance.now() - this.startedAt) / this.frameMs) + 1 - this.sent;
    if (due > MAX_CATCH_UP_FRAMES) {
      this.startedAt = performance.now() - this.sent * this.frameMs;
      due = 1;
    }
    for (let i = 0; i < due && this.running; i++) this.sendFrame(tenEnv);
    if (this.running) this.schedule();
  }

  private pumpAsFastAsPossible(): void {
    const tenEnv = this.tenEnv;
    if (!this.running || !tenEnv) return;
    for (let i = 0; i < this.burst && this.running; i++) this.sendFrame(tenEnv);
    if (this.running) this.immediate = setImmediate(() => this.pumpAsFastAsPossible());
  }

  private sendFrame(tenEnv: TenEnv): void {
    if (this.maxCount > 0 && this.sent >= this.maxCount) {
      this.halt();
      tenEnv.logInfo(`audio_generator: reached max_count ${this.maxCount}`);
      return;
    }
    const n = this.samplesPerChannel;
    const frame = AudioFrame.Create(this.frameName);
    frame.setSampleRate(this.sampleRate);
    frame.setBytesPerSample(BYTES_PER_SAMPLE);
    frame.setNumberOfChannels(this.channels);
    frame.setSamplesPerChannel(n);
    frame.setDataFmt(AudioFrameDataFmt.INTERLEAVE);
    frame.setLineSize(n * this.channels * BYTES_PER_SAMPLE);
    frame.setTimestamp(Date.now());
    frame.setEof(false);
    frame.allocBuf(n * this.channels * BYTES_PER_SAMPLE);
    this.fillSamples(new Int16Array(frame.lockBuf()), n);
    this.sent++;
    tenEnv.sendAudioFrame(frame).then((err) => {
      if (err && !this.warned) {
        this.warned = true;
        tenEnv.logWarn(`audio_generator: sending '${this.frameName}' failed: ${err.errorMessage}`);
      }
    });
  }

  private fillSamples(out: Int16Array, n: number): void {
    const table = this.table;
    let offset = this.tableOffset;
    if (this.channels === 1 && offset + n <= table.length) {
      out.set(table.subarray(offset, offset + n));
      offset += n;
    } else {
      for (let i = 0; i < n; i++) {
        const sample = table[offset]!;
        for (let c = 0; c < this.channels; c++) out[i * this.channels + c] = sample;
        if (++offset === table.length) offset = 0;
      }
    }
    this.tableOffset = offset === table.length ? 0 : offset;
  }

  private halt(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}

@RegisterAddonAsExtension("audio_generator")
export class AudioGeneratorAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new AudioGenerator(instanceName);
  }
}
