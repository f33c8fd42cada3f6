// Built-in addon `data_generator`: timer-driven data, written like any user extension.
import {
  Addon,
  Cmd,
  Data,
  Extension,
  RegisterAddonAsExtension,
  StatusCode,
  TenEnv,
} from "ten-runtime-nodejs";

async function numberProperty(tenEnv: TenEnv, name: string, fallback: number): Promise<number> {
  const [value, err] = await tenEnv.getPropertyNumber(name);
  return err ? fallback : value;
}

async function stringProperty(tenEnv: TenEnv, name: string, fallback: string): Promise<string> {
  const [value, err] = await tenEnv.getPropertyString(name);
  return err ? fallback : value;
}

class DataGenerator extends Extension {
  private tenEnv: TenEnv | undefined;
  private intervalMs = 100;
  private dataName = "tick";
  private payloadBytes = 0;
  private burst = 1;
  private maxCount = 0;
  private cmdName = "";
  private cmdEvery = 10;

  private seq = 0;
  private ticks = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  /** performance.now() of tick 0's schedule; moved forward when a long stall's ticks are dropped. */
  private startedAt = 0;
  private immediate: NodeJS.Immediate | undefined;
  /** Send failures are logged once per kind; the runtime already reports unconnected sends. */
  private warnedData = false;
  private warnedCmd = false;

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    this.intervalMs = Math.max(0, await numberProperty(tenEnv, "interval_ms", this.intervalMs));
    this.dataName = await stringProperty(tenEnv, "data_name", this.dataName);
    this.payloadBytes = Math.max(0, await numberProperty(tenEnv, "payload_bytes", this.payloadBytes));
    this.burst = Math.max(1, await numberProperty(tenEnv, "burst", this.burst));
    this.maxCount = Math.max(0, await numberProperty(tenEnv, "max_count", this.maxCount));
    this.cmdName = await stringProperty(tenEnv, "cmd_name", this.cmdName);
    this.cmdEvery = Math.max(1, await numberProperty(tenEnv, "cmd_every", this.cmdEvery));
  }

  async onStart(tenEnv: TenEnv): Promise<void> {
    this.tenEnv = tenEnv;
    this.running = true;
    tenEnv.logInfo(
      `data_generator: ${this.burst} × '${this.dataName}' every ${this.intervalMs} ms` +
        (this.cmdName ? `, cmd '${this.cmdName}' every ${this.cmdEvery} ticks` : ""),
    );
    if (this.intervalMs > 0) {
      this.startedAt = performance.now();
      this.timer = setTimeout(() => this.onTimer(), this.intervalMs);
    } else this.immediate = setImmediate(() => this.tickAsFastAsPossible());
  }

  async onStop(tenEnv: TenEnv): Promise<void> {
    this.halt();
    tenEnv.logInfo(`data_generator: sent ${this.seq} data messages`);
  }

  async onDeinit(_tenEnv: TenEnv): Promise<void> {
    this.tenEnv = undefined;
  }

  /**
   * Ticks on an absolute schedule: a timer that fires late (a busy thread or machine) sends the
   * ticks it missed, so the average rate stays interval_ms-exact. After a stall longer than a
   * second the missed ticks are dropped instead of sent as one flood.
   */
  private onTimer(): void {
    if (!this.running) return;
    const elapsed = performance.now() - this.startedAt;
    let due = Math.floor(elapsed / this.intervalMs) - this.ticks;
    const catchUpLimit = Math.max(1, Math.ceil(1000 / this.intervalMs));
    if (due > catchUpLimit) {
      this.startedAt += (due - 1) * this.intervalMs;
      due = 1;
    }
    for (let i = 0; i < due && this.running; i++) this.tick();
    if (!this.running) return;
    const next = this.startedAt + (this.ticks + 1) * this.intervalMs - performance.now();
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, next));
  }

  /** interval_ms 0: one burst per event-loop turn, so timers and incoming messages still run. */
  private tickAsFastAsPossible(): void {
    this.tick();
    if (this.running) this.immediate = setImmediate(() => this.tickAsFastAsPossible());
  }

  private tick(): void {
    const tenEnv = this.tenEnv;
    if (!this.running || !tenEnv) return;
    for (let i = 0; i < this.burst; i++) {
      if (this.maxCount > 0 && this.seq >= this.maxCount) {
        this.halt();
        tenEnv.logInfo(`data_generator: reached max_count ${this.maxCount}`);
        return;
      }
      this.sendOne(tenEnv);
    }
    this.ticks++;
    if (this.cmdName && this.ticks % this.cmdEvery === 0) void this.sendCmd(tenEnv, this.ticks);
  }

  private sendOne(tenEnv: TenEnv): void {
    const data = Data.Create(this.dataName);
    data.setPropertyNumber("seq", this.seq);
    if (this.payloadBytes > 0) {
      data.allocBuf(this.payloadBytes);
      new Uint8Array(data.lockBuf()).fill(this.seq & 0xff);
    }
    this.seq++;
    tenEnv.sendData(data).then((err) => {
      if (err && !this.warnedData) {
        this.warnedData = true;
        tenEnv.logWarn(`data_generator: sending '${this.dataName}' failed: ${err.errorMessage}`);
      }
    });
  }

  private async sendCmd(tenEnv: TenEnv, seq: number): Promise<void> {
    const cmd = Cmd.Create(this.cmdName);
    cmd.setPropertyNumber("seq", seq);
    const [result, err] = await tenEnv.sendCmd(cmd);
    // A cmd still pending when this extension closes fails then; ten_env is closed by that time.
    if (!this.tenEnv) return;
    if (err) {
      if (!this.warnedCmd) {
        this.warnedCmd = true;
        tenEnv.logWarn(`data_generator: cmd '${this.cmdName}' failed: ${err.errorMessage}`);
      }
      return;
    }
    if (result && result.getStatusCode() !== StatusCode.OK) {
      const [detail] = result.getPropertyString("detail");
      tenEnv.logWarn(`data_generator: cmd '${this.cmdName}' #${seq} answered ERROR: ${detail}`);
    }
  }

  private halt(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}

@RegisterAddonAsExtension("data_generator")
export class DataGeneratorAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new DataGenerator(instanceName);
  }
}
