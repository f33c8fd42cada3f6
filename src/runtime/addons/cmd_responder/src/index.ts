// Built-in addon `cmd_responder`: answers cmds with a configurable status, detail and delay.
import {
  Addon,
  Cmd,
  CmdResult,
  Extension,
  RegisterAddonAsExtension,
  StatusCode,
  TenEnv,
} from "ten-runtime-nodejs";

class CmdResponder extends Extension {
  private status = StatusCode.OK;
  private detail = "";
  private delayMs = 0;
  private errorEvery = 0;
  private partialResults = 0;
  private answered = 0;
  /** Delayed answers still pending: at stop they are answered at once, so no timer outlives us. */
  private readonly pending = new Map<NodeJS.Timeout, () => void>();

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    const [status, statusErr] = await tenEnv.getPropertyString("status");
    if (!statusErr) {
      if (status === "error") this.status = StatusCode.ERROR;
      else if (status !== "ok") tenEnv.logWarn(`cmd_responder: status '${status}' is neither 'ok' nor 'error'; using 'ok'`);
    }
    const [detail, detailErr] = await tenEnv.getPropertyString("detail");
    if (!detailErr) this.detail = detail;
    const [delayMs, delayErr] = await tenEnv.getPropertyNumber("delay_ms");
    if (!delayErr) this.delayMs = Math.max(0, delayMs);
    const [errorEvery, everyErr] = await tenEnv.getPropertyNumber("error_every");
    if (!everyErr) this.errorEvery = Math.max(0, errorEvery);
    const [partial, partialErr] = await tenEnv.getPropertyNumber("partial_results");
    if (!partialErr) this.partialResults = Math.max(0, partial);
  }

  async onCmd(tenEnv: TenEnv, cmd: Cmd): Promise<void> {
    if (this.delayMs > 0) await this.sleep(this.delayMs);
    for (let i = 0; i < this.partialResults; i++) {
      const partial = CmdResult.Create(StatusCode.OK, cmd);
      partial.setFinal(false);
      partial.setPropertyNumber("partial", i);
      await tenEnv.returnResult(partial);
    }
    this.answered++;
    const failThisOne = this.errorEvery > 0 && this.answered % this.errorEvery === 0;
    const status = failThisOne ? StatusCode.ERROR : this.status;
    const result = CmdResult.Create(status, cmd);
    const detail = this.detail || (status === StatusCode.ERROR ? `cmd_responder: '${cmd.getName()}' answered with ERROR` : "");
    if (detail) result.setPropertyString("detail", detail);
    await tenEnv.returnResult(result);
  }

  async onStop(_tenEnv: TenEnv): Promise<void> {
    for (const [timer, wake] of this.pending) {
      clearTimeout(timer);
      wake();
    }
    this.pending.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve();
      }, ms);
      this.pending.set(timer, resolve);
    });
  }
}

@RegisterAddonAsExtension("cmd_responder")
export class CmdResponderAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new CmdResponder(instanceName);
  }
}
