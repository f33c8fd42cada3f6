// TEN's graph proxy (`ten:graph_proxy`), which the runtime adds to a graph started with
// `start_graph` when the graph has `exposed_messages`: the flattener connects it to the exposed
// `*_in` extensions and connects the exposed `*_out` extensions to it. A message from outside the
// graph (addressed to the graph, or to the proxy) goes on along those connections; a message
// from inside goes to the graph's host, the extension that started the graph (`host_loc`).
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
  type Loc,
  type TenError,
} from "ten-runtime-nodejs";

class GraphProxy extends Extension {
  /** Where messages from inside the graph go: the starter (TEN's `host_loc`). */
  private host: Partial<Loc> | null = null;
  /** The graph this proxy runs in (set by the runtime as the `graph_id` property). */
  private graphId = "";

  async onInit(tenEnv: TenEnv): Promise<void> {
    const [hostJson, hostErr] = await tenEnv.getPropertyToJson("host_loc");
    if (!hostErr && hostJson) {
      const h = JSON.parse(hostJson) as { app?: unknown; graph?: unknown; extension?: unknown };
      const str = (v: unknown): string => (typeof v === "string" ? v : "");
      this.host = { appUri: str(h.app), graphId: str(h.graph), extensionName: str(h.extension) };
    } else {
      tenEnv.logInfo("graph proxy: no host_loc; messages from inside the graph have nowhere to go");
    }
    const [graphId] = await tenEnv.getPropertyString("graph_id");
    this.graphId = graphId;
  }

  /** Addresses a message from inside the graph to the host; false when there is none. */
  private toHost(tenEnv: TenEnv, msg: Cmd | Data | AudioFrame | VideoFrame): boolean {
    if (msg.getSource().graphId !== this.graphId) return true;
    if (this.host === null) {
      tenEnv.logWarn(`graph proxy: '${msg.getName()}' from inside the graph dropped: the graph has no host_loc`);
      return false;
    }
    msg.setDests([this.host]);
    return true;
  }

  private failed(tenEnv: TenEnv, what: string, err: TenError | undefined): void {
    if (err) tenEnv.logWarn(`graph proxy: ${what}: ${err.errorMessage}`);
  }

  async onCmd(tenEnv: TenEnv, cmd: Cmd): Promise<void> {
    if (!this.toHost(tenEnv, cmd)) {
      const r = CmdResult.Create(StatusCode.ERROR, cmd);
      r.setPropertyString("detail", "The graph has no host to send this cmd to.");
      await tenEnv.returnResult(r);
      return;
    }
    // Every result, final or not, goes back to the sender as a result of the cmd it sent.
    for await (const [result, err] of tenEnv.sendCmdEx(cmd)) {
      const back = CmdResult.Create(result ? result.getStatusCode() : StatusCode.ERROR, cmd);
      if (result) {
        const [props] = result.getPropertyToJson("");
        if (props && props !== "{}") back.setPropertyFromJson("", props);
        back.setFinal(result.isFinal());
      } else {
        back.setPropertyString("detail", err?.errorMessage ?? "graph proxy: no result");
      }
      await tenEnv.returnResult(back);
    }
  }

  async onData(tenEnv: TenEnv, data: Data): Promise<void> {
    if (this.toHost(tenEnv, data)) this.failed(tenEnv, `data '${data.getName()}'`, await tenEnv.sendData(data));
  }

  async onAudioFrame(tenEnv: TenEnv, frame: AudioFrame): Promise<void> {
    if (this.toHost(tenEnv, frame)) this.failed(tenEnv, `audio frame '${frame.getName()}'`, await tenEnv.sendAudioFrame(frame));
  }

  async onVideoFrame(tenEnv: TenEnv, frame: VideoFrame): Promise<void> {
    if (this.toHost(tenEnv, frame)) this.failed(tenEnv, `video frame '${frame.getName()}'`, await tenEnv.sendVideoFrame(frame));
  }
}

@RegisterAddonAsExtension("ten:graph_proxy")
export class GraphProxyAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new GraphProxy(instanceName);
  }
}
