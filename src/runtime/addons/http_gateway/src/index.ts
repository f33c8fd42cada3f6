// Built-in addon `http_gateway`: POSTed JSON becomes a cmd, the cmd's result the HTTP response.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import {
  Addon,
  Cmd,
  CmdResult,
  Extension,
  RegisterAddonAsExtension,
  StatusCode,
  TenEnv,
  TenErrorCode,
} from "ten-runtime-nodejs";

/** Loopback only, never configurable: the gateway has no authentication. */
const HOST = "127.0.0.1";
const CMD_PREFIX = "/cmd/";
const CMD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

class HttpGateway extends Extension {
  private tenEnv: TenEnv | undefined;
  private server: http.Server | undefined;
  private port = 0;
  private timeoutMs = 10_000;
  private maxBodyBytes = 1 << 20;
  private allowCloseApp = false;

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    const [port, portErr] = await tenEnv.getPropertyNumber("port");
    if (!portErr) this.port = port;
    const [timeoutMs, timeoutErr] = await tenEnv.getPropertyNumber("timeout_ms");
    if (!timeoutErr && timeoutMs > 0) this.timeoutMs = timeoutMs;
    const [maxBody, maxErr] = await tenEnv.getPropertyNumber("max_body_bytes");
    if (!maxErr && maxBody > 0) this.maxBodyBytes = maxBody;
    const [allowClose, allowErr] = await tenEnv.getPropertyBool("allow_close_app");
    if (!allowErr) this.allowCloseApp = allowClose;
  }

  /** Listening completes before on_start_done, so the graph is reachable once it reports started. */
  async onStart(tenEnv: TenEnv): Promise<void> {
    this.tenEnv = tenEnv;
    const server = http.createServer((req, res) => {
      this.handle(req).then(
        (reply) => send(res, reply),
        (err: unknown) => send(res, { status: 500, body: { error: `http_gateway: ${String(err)}` } }),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err: NodeJS.ErrnoException) => {
        reject(new Error(`http_gateway: cannot listen on ${HOST}:${this.port}: ${err.code ?? err.message}`));
      });
      server.listen(this.port, HOST, () => resolve());
    });
    this.server = server;
    const bound = (server.address() as AddressInfo).port;
    tenEnv.logInfo(`http_gateway: listening on http://${HOST}:${bound}/ (POST ${CMD_PREFIX}<name>)`, undefined, {
      port: bound,
    });
  }

  async onStop(tenEnv: TenEnv): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive clients would hold close() open; the graph is stopping, so drop them.
      server.closeAllConnections();
    });
    tenEnv.logInfo("http_gateway: closed");
  }

  async onDeinit(_tenEnv: TenEnv): Promise<void> {
    this.tenEnv = undefined;
  }

  private async handle(req: http.IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? "/", `http://${HOST}`);
    if (req.method === "GET" && url.pathname === "/health") {
      const address = this.server?.address() as AddressInfo | null | undefined;
      return { status: 200, body: { extension: this.name, port: address?.port ?? 0 } };
    }
    if (req.method !== "POST") return { status: 405, body: { error: "Use POST /cmd/<name> with a JSON object body." } };

    const raw = await readBody(req, this.maxBodyBytes);
    if (raw === undefined) return { status: 413, body: { error: `The body exceeds ${this.maxBodyBytes} bytes.` } };
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw) : {};
    } catch (err) {
      return { status: 400, body: { error: `The body is not valid JSON: ${(err as Error).message}` } };
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return { status: 400, body: { error: "The body must be a JSON object." } };
    }

    const props = { ...(body as Record<string, unknown>) };
    if (url.pathname === "/" && isCloseApp(props.ten)) return this.closeApp();
    let name: string;
    if (url.pathname.startsWith(CMD_PREFIX)) {
      name = decodeURIComponent(url.pathname.slice(CMD_PREFIX.length));
    } else if (url.pathname === "/" && isTenEnvelope(props.ten)) {
      // TEN's HTTP example format: {"ten": {"name": "<cmd>"}, ...properties}.
      name = props.ten.name;
      delete props.ten;
    } else {
      return { status: 404, body: { error: "Use POST /cmd/<name>, or POST / with {\"ten\": {\"name\": ...}}." } };
    }
    if (!CMD_NAME.test(name)) return { status: 400, body: { error: `'${name}' is not a valid cmd name.` } };
    return this.sendCmd(name, props);
  }

  /**
   * Sends the cmd and waits for its completing result. Streaming (non-final) results arrive
   * first; their properties are returned too, in order, as `partial_results`.
   */
  private async collect(tenEnv: TenEnv, cmd: Cmd, name: string): Promise<Reply> {
    const partials: Record<string, unknown>[] = [];
    for await (const [result, err] of tenEnv.sendCmdEx(cmd)) {
      if (err) {
        const status = err.errorCode === TenErrorCode.ErrorCodeMsgNotConnected ? 404 : 502;
        return { status, body: { error: err.errorMessage } };
      }
      if (!result) break;
      const properties = propertiesOf(result);
      if (!result.isCompleted()) {
        partials.push(properties);
        continue;
      }
      const ok = result.getStatusCode() === StatusCode.OK;
      return {
        status: ok ? 200 : 500,
        body: {
          status_code: result.getStatusCode(),
          ...(ok ? {} : { detail: properties.detail ?? "" }),
          properties,
          ...(partials.length ? { partial_results: partials } : {}),
        },
      };
    }
    return { status: 502, body: { error: `No result for '${name}'.` } };
  }

  /** TEN's HTTP example lets a client close the app; here only when allow_close_app is set. */
  private async closeApp(): Promise<Reply> {
    const tenEnv = this.tenEnv;
    if (!this.allowCloseApp) return { status: 403, body: { error: "close_app is disabled (set allow_close_app)." } };
    if (!tenEnv) return { status: 503, body: { error: "The graph is stopping." } };
    const [result, err] = await tenEnv.sendCmd(Cmd.Create("ten:close_app"));
    if (err) return { status: 502, body: { error: err.errorMessage } };
    return { status: 200, body: { status_code: result?.getStatusCode() ?? StatusCode.OK } };
  }

  private async sendCmd(name: string, props: Record<string, unknown>): Promise<Reply> {
    const tenEnv = this.tenEnv;
    if (!tenEnv) return { status: 503, body: { error: "The graph is stopping." } };
    const cmd = Cmd.Create(name);
    const setErr = cmd.setPropertyFromJson("", JSON.stringify(props));
    if (setErr) return { status: 400, body: { error: setErr.errorMessage } };

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Reply>((resolve) => {
      timer = setTimeout(
        () => resolve({ status: 504, body: { error: `No result for '${name}' within ${this.timeoutMs} ms.` } }),
        this.timeoutMs,
      );
    });
    const answer = this.collect(tenEnv, cmd, name);
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function propertiesOf(result: CmdResult): Record<string, unknown> {
  const [json] = result.getPropertyToJson("");
  return json ? (JSON.parse(json) as Record<string, unknown>) : {};
}

function isCloseApp(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { type?: unknown }).type === "close_app";
}

function isTenEnvelope(value: unknown): value is { name: string } {
  return typeof value === "object" && value !== null && typeof (value as { name?: unknown }).name === "string";
}

/** The request body as text, or undefined when it is larger than `limit` bytes. */
function readBody(req: http.IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Answer 413 at once and discard the rest of the upload (the socket stays usable).
        req.off("data", onData);
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: http.ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

@RegisterAddonAsExtension("http_gateway")
export class HttpGatewayAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new HttpGateway(instanceName);
  }
}
