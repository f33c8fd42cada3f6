// Benchmark-only extension: on a {run} message on its control BroadcastChannel it sends `count`
// cmds (after `warmup` untimed ones), `concurrency` at a time, timing each round trip, and posts
// the timings back on the same channel.
import { BroadcastChannel } from "node:worker_threads";
import {
  Addon,
  Cmd,
  Extension,
  RegisterAddonAsExtension,
  StatusCode,
  TenEnv,
} from "ten-runtime-nodejs";

export interface CmdDriverRun {
  count: number;
  warmup: number;
  concurrency: number;
}

/** What the driver posts when a run is done. */
export interface CmdDriverReport {
  extension: string;
  /** Round trip of each measured cmd, ms. */
  rtts: Float64Array;
  /** Wall time of the measured phase, ms. */
  elapsedMs: number;
  ok: number;
  errors: number;
  firstError?: string;
}

/** Control messages: the bench asks for a run, the driver says ready and reports. */
export type DriverControl = { run: CmdDriverRun } | { ready: string } | { report: CmdDriverReport };

class CmdDriver extends Extension {
  /** The instance name (TEN's Extension keeps none for its subclasses). */
  private readonly name: string;

  constructor(name: string) {
    super(name);
    this.name = name;
  }

  private cmdName = "ping";
  private controlName = "ten-bench-control";
  private control: BroadcastChannel | undefined;

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    const [cmdName, e1] = await tenEnv.getPropertyString("cmd_name");
    if (!e1) this.cmdName = cmdName;
    const [control, e2] = await tenEnv.getPropertyString("control_channel");
    if (!e2) this.controlName = control;
  }

  async onStart(tenEnv: TenEnv): Promise<void> {
    const control = new BroadcastChannel(this.controlName);
    this.control = control;
    control.onmessage = (event) => {
      const m = (event as { data: DriverControl }).data;
      if ("run" in m) void this.run(tenEnv, m.run);
    };
    control.postMessage({ ready: this.name } satisfies DriverControl);
  }

  async onStop(_tenEnv: TenEnv): Promise<void> {
    this.control?.close();
    this.control = undefined;
  }

  private async run(tenEnv: TenEnv, run: CmdDriverRun): Promise<void> {
    const report: CmdDriverReport = {
      extension: this.name,
      rtts: new Float64Array(run.count),
      elapsedMs: 0,
      ok: 0,
      errors: 0,
    };
    await this.phase(tenEnv, run.warmup, run.concurrency, undefined);
    const t0 = performance.now();
    await this.phase(tenEnv, run.count, run.concurrency, report);
    report.elapsedMs = performance.now() - t0;
    this.control?.postMessage({ report } satisfies DriverControl);
  }

  /** Sends `total` cmds from `concurrency` loops; records timings into `report` when given. */
  private async phase(tenEnv: TenEnv, total: number, concurrency: number, report: CmdDriverReport | undefined): Promise<void> {
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
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, loop));
  }
}

@RegisterAddonAsExtension("bench_cmd_driver")
export class CmdDriverAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new CmdDriver(instanceName);
  }
}
