// Built-in addon `counter_sink`: counts what arrives, per kind and name, and reports the counts.
import { BroadcastChannel } from "node:worker_threads";
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

interface Counter {
  count: number;
  bytes: number;
}

/** What `get_stats` answers and what is posted on `stats_channel`. */
export interface CounterStats {
  extension: string;
  /** Data and frames received (cmds are counted separately under `by_kind.cmd`). */
  total: number;
  /**
   * Arrival time of the first counted message, and of the message that completed the latest
   * periodic report (`report_every`), in ms since the epoch with sub-ms precision. Only those
   * arrivals read the clock: a clock read per message would cost more than the counting.
   */
  first_at_ms: number;
  last_at_ms: number;
  by_kind: Record<"data" | "audio_frame" | "video_frame" | "cmd", Record<string, Counter>>;
  /** Set on the report posted when the extension stops. */
  final?: boolean;
}

const DONE: Promise<void> = Promise.resolve();

/** Wall-clock milliseconds with sub-millisecond precision, comparable across worker threads. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

function bump(counters: Map<string, Counter>, name: string, bytes: number): void {
  const counter = counters.get(name);
  if (counter) {
    counter.count++;
    counter.bytes += bytes;
  } else {
    counters.set(name, { count: 1, bytes });
  }
}

class CounterSink extends Extension {
  private statsCmd = "get_stats";
  private logEveryMs = 0;
  private reportEvery = 0;
  /** Total at which the next periodic report is posted (never, when report_every is 0). */
  private nextReport = Infinity;
  private channel: BroadcastChannel | undefined;
  private logTimer: NodeJS.Timeout | undefined;

  private total = 0;
  private firstAt = 0;
  private lastAt = 0;
  private readonly data = new Map<string, Counter>();
  private readonly audio = new Map<string, Counter>();
  private readonly video = new Map<string, Counter>();
  private readonly cmds = new Map<string, Counter>();
  private readonly instanceName: string;

  constructor(name: string) {
    super(name);
    this.instanceName = name;
  }

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    const [statsCmd, statsErr] = await tenEnv.getPropertyString("stats_cmd");
    if (!statsErr && statsCmd) this.statsCmd = statsCmd;
    const [logEvery, logErr] = await tenEnv.getPropertyNumber("log_every_ms");
    if (!logErr) this.logEveryMs = Math.max(0, logEvery);
    const [reportAt, reportErr] = await tenEnv.getPropertyNumber("report_every");
    if (!reportErr) this.reportEvery = Math.max(0, reportAt);
    this.nextReport = this.reportEvery > 0 ? this.reportEvery : Infinity;
    const [channel, channelErr] = await tenEnv.getPropertyString("stats_channel");
    if (!channelErr && channel) {
      this.channel = new BroadcastChannel(channel);
      // Posting only: the channel must not keep the extension's thread alive.
      this.channel.unref();
    }
  }

  async onStart(tenEnv: TenEnv): Promise<void> {
    if (this.logEveryMs > 0) {
      this.logTimer = setInterval(() => {
        tenEnv.logInfo(`counter_sink: ${this.summary()}`);
      }, this.logEveryMs);
    }
  }

  async onStop(tenEnv: TenEnv): Promise<void> {
    if (this.logTimer) clearInterval(this.logTimer);
    this.logTimer = undefined;
    tenEnv.logInfo(`counter_sink: final ${this.summary()}`);
    this.channel?.postMessage({ ...this.stats(), final: true });
  }

  async onDeinit(_tenEnv: TenEnv): Promise<void> {
    this.channel?.close();
    this.channel = undefined;
  }

  // Data and frame handlers are plain functions returning one shared settled promise: counting
  // is the whole job, so no async frame or promise is allocated per message.
  onData(_tenEnv: TenEnv, data: Data): Promise<void> {
    bump(this.data, data.getName(), data.lockBuf().byteLength);
    this.counted();
    return DONE;
  }

  onAudioFrame(_tenEnv: TenEnv, frame: AudioFrame): Promise<void> {
    bump(this.audio, frame.getName(), frame.lockBuf().byteLength);
    this.counted();
    return DONE;
  }

  onVideoFrame(_tenEnv: TenEnv, frame: VideoFrame): Promise<void> {
    bump(this.video, frame.getName(), frame.lockBuf().byteLength);
    this.counted();
    return DONE;
  }

  async onCmd(tenEnv: TenEnv, cmd: Cmd): Promise<void> {
    const name = cmd.getName();
    if (name !== this.statsCmd) {
      bump(this.cmds, name, 0);
      await tenEnv.returnResult(CmdResult.Create(StatusCode.OK, cmd));
      return;
    }
    const result = CmdResult.Create(StatusCode.OK, cmd);
    result.setPropertyFromJson("stats", JSON.stringify(this.stats()));
    const [reset] = cmd.getPropertyBool("reset");
    if (reset) this.reset();
    await tenEnv.returnResult(result);
  }

  private counted(): void {
    if (this.total === 0) this.firstAt = now();
    if (++this.total === this.nextReport) {
      this.lastAt = now();
      this.nextReport += this.reportEvery;
      this.channel?.postMessage(this.stats());
    }
  }

  private stats(): CounterStats {
    return {
      extension: this.instanceName,
      total: this.total,
      first_at_ms: this.firstAt,
      last_at_ms: this.lastAt,
      by_kind: {
        data: Object.fromEntries(this.data),
        audio_frame: Object.fromEntries(this.audio),
        video_frame: Object.fromEntries(this.video),
        cmd: Object.fromEntries(this.cmds),
      },
    };
  }

  private summary(): string {
    const parts: string[] = [];
    for (const [kind, counters] of [
      ["data", this.data],
      ["audio_frame", this.audio],
      ["video_frame", this.video],
      ["cmd", this.cmds],
    ] as const) {
      for (const [name, c] of counters) parts.push(`${kind} '${name}' ${c.count}`);
    }
    return parts.length ? parts.join(", ") : "nothing received";
  }

  private reset(): void {
    this.total = 0;
    this.nextReport = this.reportEvery > 0 ? this.reportEvery : Infinity;
    this.firstAt = 0;
    this.lastAt = 0;
    this.data.clear();
    this.audio.clear();
    this.video.clear();
    this.cmds.clear();
  }
}

@RegisterAddonAsExtension("counter_sink")
export class CounterSinkAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new CounterSink(instanceName);
  }
}
