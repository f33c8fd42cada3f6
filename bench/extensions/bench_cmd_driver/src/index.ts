// Benchmark-only extension: sends `count` cmds (after `warmup`), `concurrency` at a time, timing
// each round trip, and posts the timings on a worker_threads BroadcastChannel for the bench.
import { BroadcastChannel } from "node:worker_threads";
import {
  Addon,
  Cmd,
  Extension,
  RegisterAddonAsExtension,
  StatusCode,
  TenEnv,
} from "ten-runtime-nodejs";

/** What the driver posts when it is done. */
export interface CmdDriverReport {
  kind: "cmd_driver";
  extension: string;
  /** Round trip of each measured cmd, ms. */
  rtts: Float64Array;
  /** Wall time of the measured phase, ms. */
  elapsedMs: number;
  ok: number;
  errors: number;
  firstError?: string;
}

class CmdDriver extends Extension {
  private cmdName = "ping";
  private count = 10_000;
  private warmup = 1000;
  private concurrency = 1;
  private channelName = "ten-bench";

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    const [cmdName, e1] = await tenEnv.getPropertyString("cmd_name");
    if (!e1) this.cmdName = cmdName;
    const [count, e2] = await tenEnv.getPropertyNumber("count");
    if (!e2) this.count = count;
    const [warmup, e3] = await tenEnv.getPropertyNumber("warmup");
    if (!e3) this.warmup = warmup;
    const [concurrency, e4] = await tenEnv.getPropertyNumber("concurrency");
    if (!e4) this.concurrency = Math.max(1, concurrency);
    const [channel, e5] = await tenEnv.getPropertyString("channel");
    if (!e5) this.channelName = channel;
  }

  async onStart(tenEnv: TenEnv): Promise<void> {
    setImmediate(() => void this.run(tenEnv));
  }

  private async run(tenEnv: TenEnv): Promise<void> {
    const report: CmdDriverReport = {
      kind: "cmd_driver",
      extension: this.name,
      rtts: new Float64Array(this.count),
      elapsedMs: 0,
      ok: 0,
      errors: 0,
    };
    await this.phase(tenEnv, this.warmup, undefined);
    const t0 = performance.now();
    await this.phase(tenEnv, this.count, report);
    report.elapsedMs = performance.now() - t0;
    const channel = new BroadcastChannel(this.channelName);
    channel.postMessage(report);
    channel.close();
  }

  /** Sends `total` cmds with `concurrency` loops; records timings into `report` when given. */
  private async phase(tenEnv: TenEnv, total: number, report: CmdDriverReport | undefined): Promise<void> {
    let next = 0;
    const loop = async () => {
      while (next < total) {
        const seq = next++;
        const cmd = Cmd.Create(this.cmdName);
        cmd.setPropertyNumber("seq", seq);
        const t0 = performance.now();
        const [result, err] = await tenEnv.sendCmd(cmd);
        const rtt = performance.now() - t0;
        if (!report) continue;
        report.rtts[seq] = rtt;
        if (!err && result?.getStatusCode() === StatusCode.OK) report.ok++;
        else {
          report.errors++;
          report.firstError ??= err?.errorMessage ?? result?.getPropertyString("detail")[0] ?? "ERROR";
        }
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, loop));
  }
}

@RegisterAddonAsExtension("bench_cmd_driver")
export class CmdDriverAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new CmdDriver(instanceName);
  }
}
