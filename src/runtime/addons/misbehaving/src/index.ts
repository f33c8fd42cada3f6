// Built-in addon `misbehaving`: breaks the runtime's rules on purpose, for the violation panel.
import {
  Addon,
  Cmd,
  CmdResult,
  Data,
  Extension,
  RegisterAddonAsExtension,
  StatusCode,
  TenEnv,
} from "ten-runtime-nodejs";

type Mode =
  | "none"
  | "mutate_after_send"
  | "use_after_close"
  | "throw_in_handler"
  | "throw_in_phase"
  | "hang_in_stop"
  | "ask_unanswered"
  | "never_answer";
type Phase = "configure" | "init" | "start" | "stop" | "deinit";

const MODES: readonly Mode[] = [
  "none",
  "mutate_after_send",
  "use_after_close",
  "throw_in_handler",
  "throw_in_phase",
  "hang_in_stop",
  "ask_unanswered",
  "never_answer",
];
const PHASES: readonly Phase[] = ["configure", "init", "start", "stop", "deinit"];

class Misbehaving extends Extension {
  private mode: Mode = "none";
  private everyN = 10;
  private phase: Phase = "start";
  private received = 0;

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    const [mode, modeErr] = await tenEnv.getPropertyString("mode");
    if (!modeErr) {
      if ((MODES as readonly string[]).includes(mode)) this.mode = mode as Mode;
      else tenEnv.logWarn(`misbehaving: unknown mode '${mode}' (one of ${MODES.join(", ")}); behaving`);
    }
    const [everyN, everyErr] = await tenEnv.getPropertyNumber("every_n");
    if (!everyErr) this.everyN = Math.max(1, everyN);
    const [phase, phaseErr] = await tenEnv.getPropertyString("phase");
    if (!phaseErr) {
      if ((PHASES as readonly string[]).includes(phase)) this.phase = phase as Phase;
      else tenEnv.logWarn(`misbehaving: unknown phase '${phase}' (one of ${PHASES.join(", ")}); using 'start'`);
    }
    tenEnv.logInfo(`misbehaving: mode '${this.mode}'`);
    this.maybeThrowIn("configure");
  }

  async onInit(_tenEnv: TenEnv): Promise<void> {
    this.maybeThrowIn("init");
  }

  async onStart(_tenEnv: TenEnv): Promise<void> {
    this.maybeThrowIn("start");
  }

  async onStop(tenEnv: TenEnv): Promise<void> {
    this.maybeThrowIn("stop");
    if (this.mode === "hang_in_stop") {
      tenEnv.logWarn("misbehaving: on_stop will never finish; the runtime's stop timeout has to end this thread");
      await new Promise<never>(() => {});
    }
  }

  async onDeinit(tenEnv: TenEnv): Promise<void> {
    this.maybeThrowIn("deinit");
    if (this.mode === "use_after_close") {
      // on_deinit_done follows this promise on the runloop, and a timer can fire before it does:
      // probe until ten_env reports itself closed, then keep using it. Every call after the close
      // must fail and be reported.
      const probe = async (): Promise<void> => {
        const [, err] = await tenEnv.getPropertyString("mode");
        if (!err) {
          setTimeout(() => void probe(), 1);
          return;
        }
        tenEnv.logInfo("misbehaving: logging through a closed ten_env");
        void tenEnv.sendData(Data.Create("tick"));
      };
      setTimeout(() => void probe(), 0);
    }
  }

  async onData(tenEnv: TenEnv, data: Data): Promise<void> {
    this.received++;
    const due = this.received % this.everyN === 0;
    if (this.mode === "ask_unanswered") {
      if (due) void this.ask(tenEnv);
      return;
    }
    if (this.mode === "throw_in_handler" && due) {
      throw new Error(`misbehaving: deliberate exception in onData (message #${this.received})`);
    }
    await tenEnv.sendData(data);
    if (this.mode === "mutate_after_send" && due) {
      // The message now belongs to its receiver: this write is an ownership violation.
      const err = data.setPropertyNumber("seq", -1);
      tenEnv.logWarn(`misbehaving: mutated '${data.getName()}' after sending it → ${err ? err.errorMessage : "allowed"}`);
    }
  }

  /** Sends a `question` cmd and logs its result, which a `never_answer` receiver never gives. */
  private async ask(tenEnv: TenEnv): Promise<void> {
    const [result, err] = await tenEnv.sendCmd(Cmd.Create("question"));
    if (err) tenEnv.logWarn(`misbehaving: question failed: ${err.errorMessage}`);
    else if (result) tenEnv.logInfo(`misbehaving: question answered with status ${result.getStatusCode()}`);
  }

  async onCmd(tenEnv: TenEnv, cmd: Cmd): Promise<void> {
    this.received++;
    if (this.mode === "never_answer") {
      // As a TEN Node.js or Python extension without onCmd/on_cmd: the sender waits until its
      // path times out (3 minutes); the studio shows the wait on the sender long before that.
      if (this.received === 1) tenEnv.logInfo(`misbehaving: '${cmd.getName()}' received; never answering cmds`);
      return;
    }
    if (this.mode === "throw_in_handler" && this.received % this.everyN === 0) {
      throw new Error(`misbehaving: deliberate exception in onCmd '${cmd.getName()}'`);
    }
    await tenEnv.returnResult(CmdResult.Create(StatusCode.OK, cmd));
  }

  private maybeThrowIn(phase: Phase): void {
    if (this.mode === "throw_in_phase" && this.phase === phase) {
      throw new Error(`misbehaving: deliberate exception in on_${phase}`);
    }
  }
}

@RegisterAddonAsExtension("misbehaving")
export class MisbehavingAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new Misbehaving(instanceName);
  }
}
