// The studio's replay stand-in (`ten_studio:replay`): runs in place of a node for one run and
// sends, on the recording's clock, what the real node sent in a recording (each message to the
// extension it went to then), and answers the cmds it receives with the results the real node
// returned, in order. The host builds its plan from the recording (node property `replay`).
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
  type Msg,
  type TenError,
} from "ten-runtime-nodejs";
import type { TracePayload } from "../../../../shared/ipc/runs";
import type { ReplayConfig, ReplayResult, ReplaySend } from "../../../../shared/talk/replay";
import { StandIn } from "../../common";

/** Messages due within this many ms of a timer's firing go out with it (timers fire a little early or late). */
const TICK_MS = 1;

/** Sets a message's properties from a payload: JSON for plain values, buffers where `$ten_buf` stood. */
function setProps(msg: Msg, props: Record<string, unknown>): void {
  const bufs: [string, ArrayBuffer][] = [];
  const walk = (v: unknown, path: string): unknown => {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && typeof (v as { $ten_buf?: unknown }).$ten_buf === "string") {
      const bytes = Buffer.from((v as { $ten_buf: string }).$ten_buf, "base64");
      bufs.push([path, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer]);
      return null;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`));
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, path ? `${path}.${k}` : k);
      return out;
    }
    return v;
  };
  const plain = walk(props, "") as Record<string, unknown>;
  if (Object.keys(plain).length) msg.setPropertyFromJson("", JSON.stringify(plain));
  for (const [path, buf] of bufs) msg.setPropertyBuf(path, buf);
}

function fillBuf(msg: Data | AudioFrame | VideoFrame, p: TracePayload): void {
  if (p.buf !== undefined) {
    const bytes = Buffer.from(p.buf, "base64");
    msg.allocBuf(bytes.byteLength);
    new Uint8Array(msg.lockBuf()).set(bytes);
  } else if (p.bufBytes) {
    // Too large to have been kept: as many zeros keep the message's shape.
    msg.allocBuf(p.bufBytes);
  }
}

class ReplayStandIn extends StandIn {
  private config: ReplayConfig | null = null;
  private next = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly answered = new Map<string, number>();
  private warnedSend = new Set<string>();

  constructor(name: string) {
    super(name, `replay of ${name}`);
  }

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    const [json, err] = await tenEnv.getPropertyToJson("replay");
    if (err) {
      tenEnv.logError(`replay of ${this.name}: no "replay" property (${err.errorMessage}); it sends nothing.`);
      return;
    }
    this.config = JSON.parse(json) as ReplayConfig;
  }

  async onStart(tenEnv: TenEnv): Promise<void> {
    const c = this.config;
    if (!c) return;
    const last = c.sends.at(-1)?.atMs ?? 0;
    const answered = Object.entries(c.answers).map(([n, l]) => `${n} ×${l.length}`);
    tenEnv.logInfo(
      `replay of ${this.name} from ${c.recording}: ${c.sends.length} message(s) over ${(last / 1000).toFixed(1)} s` +
        (answered.length ? `; recorded results for ${answered.join(", ")}` : ""),
    );
    this.running = true;
    this.startedAt = performance.now();
    this.schedule(tenEnv);
  }

  async onStop(tenEnv: TenEnv): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    const c = this.config;
    if (c) tenEnv.logInfo(`replay of ${this.name}: sent ${this.next} of ${c.sends.length} message(s). ${this.log.summary()}`);
  }

  private schedule(tenEnv: TenEnv): void {
    const c = this.config!;
    if (!this.running || this.next >= c.sends.length) return;
    const due = this.startedAt + c.sends[this.next]!.atMs;
    this.timer = setTimeout(() => this.sendDue(tenEnv), Math.max(0, due - performance.now()));
  }

  private sendDue(tenEnv: TenEnv): void {
    const c = this.config!;
    const now = performance.now() - this.startedAt + TICK_MS;
    while (this.running && this.next < c.sends.length && c.sends[this.next]!.atMs <= now) this.send(tenEnv, c.sends[this.next++]!);
    this.schedule(tenEnv);
  }

  private send(tenEnv: TenEnv, s: ReplaySend): void {
    const p = s.payload;
    const dests = [{ extensionName: s.dest }];
    const report = (err: TenError | undefined) => {
      const key = `${s.type} '${s.name}' to ${s.dest}`;
      if (err && !this.warnedSend.has(key)) {
        this.warnedSend.add(key);
        tenEnv.logWarn(`replay of ${this.name}: sending ${key} failed: ${err.errorMessage}`);
      }
    };
    switch (s.type) {
      case "cmd": {
        const cmd = Cmd.Create(s.name);
        setProps(cmd, p.props);
        cmd.setDests(dests);
        void tenEnv.sendCmd(cmd).then(([result, err]) => {
          if (err) report(err);
          else if (result) tenEnv.logInfo(`replay of ${this.name}: '${s.name}' sent to ${s.dest} was answered ${result.getStatusCode() === StatusCode.OK ? "OK" : "ERROR"}`);
        });
        return;
      }
      case "data": {
        const data = Data.Create(s.name);
        setProps(data, p.props);
        fillBuf(data, p);
        data.setDests(dests);
        void tenEnv.sendData(data).then(report);
        return;
      }
      case "audio_frame": {
        const f = AudioFrame.Create(s.name);
        const a = p.audio;
        if (a) {
          f.setSampleRate(a.sampleRate);
          f.setBytesPerSample(a.bytesPerSample);
          f.setSamplesPerChannel(a.samplesPerChannel);
          f.setNumberOfChannels(a.channels);
          f.setDataFmt(a.dataFmt);
          f.setLineSize(a.lineSize);
          f.setEof(a.eof);
        }
        f.setTimestamp(Date.now());
        setProps(f, p.props);
        fillBuf(f, p);
        f.setDests(dests);
        void tenEnv.sendAudioFrame(f).then(report);
        return;
      }
      case "video_frame": {
        const f = VideoFrame.Create(s.name);
        const v = p.video;
        if (v) {
          f.setWidth(v.width);
          f.setHeight(v.height);
          f.setPixelFmt(v.pixelFmt);
          f.setEof(v.eof);
        }
        f.setTimestamp(Date.now());
        setProps(f, p.props);
        fillBuf(f, p);
        f.setDests(dests);
        void tenEnv.sendVideoFrame(f).then(report);
        return;
      }
    }
  }

  async onCmd(tenEnv: TenEnv, cmd: Cmd): Promise<void> {
    const c = this.config;
    const name = cmd.getName();
    const lists = c?.answers[name];
    const n = this.answered.get(name) ?? 0;
    this.answered.set(name, n + 1);
    const recorded: ReplayResult[] | undefined = lists?.length ? lists[Math.min(n, lists.length - 1)] : undefined;
    if (recorded) {
      this.log.note(tenEnv, "cmd", cmd, ` → ${recorded.length} recorded result(s)`);
      for (let i = 0; i < recorded.length; i++) {
        const r = recorded[i]!;
        await new Promise((resolve) => setTimeout(resolve, r.afterMs - (recorded[i - 1]?.afterMs ?? 0)));
        if (!this.running) return;
        const result = CmdResult.Create(r.status === 0 ? StatusCode.OK : StatusCode.ERROR, cmd);
        setProps(result, r.props);
        result.setFinal(r.isFinal);
        await tenEnv.returnResult(result);
      }
      return;
    }
    const fb = c?.fallback ?? null;
    this.log.note(tenEnv, "cmd", cmd, fb === null ? " (no recorded result: not answered, as the package's language does)" : " (no recorded result: answered as the package's language does)");
    if (fb === null) return;
    const result = CmdResult.Create(fb.status === 0 ? StatusCode.OK : StatusCode.ERROR, cmd);
    if (fb.detail !== undefined) result.setPropertyString("detail", fb.detail);
    await tenEnv.returnResult(result);
  }
}

@RegisterAddonAsExtension("ten_studio:replay")
export class ReplayStandInAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new ReplayStandIn(instanceName);
  }
}
