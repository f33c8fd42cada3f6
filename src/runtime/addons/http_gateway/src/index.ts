// Built-in addon `http_gateway`: POSTed JSON becomes a cmd, the cmd's result the HTTP response.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import {
  Addon,
  Cmd,
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
  /** The response body as JSON text. */
  json: string;
}

class HttpGateway extends Extension {
  private readonly instanceName: string;
  private tenEnv: TenEnv | undefined;
  private server: http.Server | undefined;
  private port = 0;
  private timeoutMs = 10_000;
  private maxBodyBytes = 1 << 20;
  private allowCloseApp = false;

  constructor(name: string) {
    super(name);
    this.instanceName = name;
  }

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    const [port, portErr] = await tenEnv.getPropertyNumber("port");
    if (!portErr) this.port = port;
    const [timeoutMs, timeoutErr] = await tenEnv.getPropertyNumber("timeout_ms");
    if (!timeoutErr && timeoutMs > 0) this.timeoutMs = timeoutMs;
    const [maxBody, maxErr] = await tenEnv.getPropertyNumber("max_body_bytes");
    if (!maxErr && maxBody > 0) this.maxBodyBytes = maxBody;
    // TEN's TenEnv has no boolean getter: read the property's JSON.
    const [allowClose, allowErr] = await tenEnv.getPropertyToJson("allow_close_app");
    if (!allowErr) this.allowCloseApp = JSON.parse(allowClose) === true;
  }

  /** Listening completes before on_start_done, so the graph is reachable once it reports started. */
  async onStart(tenEnv: TenEnv): Promise<void> {
    this.tenEnv = tenEnv;
    const server = http.createServer((req, res) => {
      this.handle(req).then(
        (answer) => send(res, answer),
        (err: unknown) => send(res, reply(500, { error: `http_gateway: ${String(err)}` })),
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
      return reply(200, { extension: this.instanceName, port: address?.port ?? 0 });
    }
    if (req.method !== "POST") return reply(405, { error: "Use POST /cmd/<name> with a JSON object body." });

    const raw = await readBody(req, this.maxBodyBytes);
    if (raw === undefined) return reply(413, { error: `The body exceeds ${this.maxBodyBytes} bytes.` });
    // JSON.parse checks the shape; the cmd gets the text itself, so big integers keep their digits.
    const json = raw.length ? raw : "{}";
    let body: unknown;
    try {
      body = JSON.parse(json);
    } catch (err) {
      return reply(400, { error: `The body is not valid JSON: ${(err as Error).message}` });
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return reply(400, { error: "The body must be a JSON object." });
    }

    const ten = (body as { ten?: unknown }).ten;
    if (url.pathname === "/" && isCloseApp(ten)) return this.closeApp();
    let name: string;
    let props = json;
    if (url.pathname.startsWith(CMD_PREFIX)) {
      name = decodeURIComponent(url.pathname.slice(CMD_PREFIX.length));
    } else if (url.pathname === "/" && isTenEnvelope(ten)) {
      // TEN's HTTP example format: {"ten": {"name": "<cmd>"}, ...properties}.
      name = ten.name;
      props = withoutMember(json, "ten");
    } else {
      return reply(404, { error: "Use POST /cmd/<name>, or POST / with {\"ten\": {\"name\": ...}}." });
    }
    if (!CMD_NAME.test(name)) return reply(400, { error: `'${name}' is not a valid cmd name.` });
    return this.sendCmd(name, props);
  }

  /**
   * Sends the cmd and waits for its completing result. Streaming (non-final) results arrive
   * first; their properties are returned too, in order, as `partial_results`.
   */
  private async collect(tenEnv: TenEnv, cmd: Cmd, name: string): Promise<Reply> {
    const partials: string[] = [];
    for await (const [result, err] of tenEnv.sendCmdEx(cmd)) {
      if (err) {
        const status = err.errorCode === TenErrorCode.ErrorCodeMsgNotConnected ? 404 : 502;
        return reply(status, { error: err.errorMessage });
      }
      if (!result) break;
      // Properties go into the response as the runtime's exact JSON text, never through a JS number.
      const properties = result.getPropertyToJson("")[0] || "{}";
      if (!result.isCompleted()) {
        partials.push(properties);
        continue;
      }
      const ok = result.getStatusCode() === StatusCode.OK;
      const members = [`"status_code":${result.getStatusCode()}`];
      if (!ok) members.push(`"detail":${result.getPropertyToJson("detail")[0] || '""'}`);
      members.push(`"properties":${properties}`);
      if (partials.length) members.push(`"partial_results":[${partials.join(",")}]`);
      return { status: ok ? 200 : 500, json: `{${members.join(",")}}` };
    }
    return reply(502, { error: `No result for '${name}'.` });
  }

  /** TEN's HTTP example lets a client close the app; here only when allow_close_app is set. */
  private async closeApp(): Promise<Reply> {
    const tenEnv = this.tenEnv;
    if (!this.allowCloseApp) return reply(403, { error: "close_app is disabled (set allow_close_app)." });
    if (!tenEnv) return reply(503, { error: "The graph is stopping." });
    const [result, err] = await tenEnv.sendCmd(Cmd.Create("ten:close_app"));
    if (err) return reply(502, { error: err.errorMessage });
    return reply(200, { status_code: result?.getStatusCode() ?? StatusCode.OK });
  }

  /** `props` is the cmd's properties as JSON object text. */
  private async sendCmd(name: string, props: string): Promise<Reply> {
    const tenEnv = this.tenEnv;
    if (!tenEnv) return reply(503, { error: "The graph is stopping." });
    const cmd = Cmd.Create(name);
    const setErr = cmd.setPropertyFromJson("", props);
    if (setErr) return reply(400, { error: setErr.errorMessage });

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Reply>((resolve) => {
      timer = setTimeout(
        () => resolve(reply(504, { error: `No result for '${name}' within ${this.timeoutMs} ms.` })),
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

function reply(status: number, body: Record<string, unknown>): Reply {
  return { status, json: JSON.stringify(body) };
}

/**
 * `text`, a JSON object that JSON.parse accepted, without its top-level members named `key`; the
 * other members are kept exactly as written (JSON.parse + JSON.stringify would round big integers).
 */
function withoutMember(text: string, key: string): string {
  const kept: string[] = [];
  let depth = 0;
  let start = text.indexOf("{") + 1;
  for (let i = start; depth >= 0; i++) {
    const c = text[i];
    if (c === '"') i = closingQuote(text, i);
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    if ((c === "," && depth === 0) || depth < 0) {
      const member = text.slice(start, i);
      const open = member.indexOf('"');
      // `{}` has one blank member; a member's key is its first string (escapes decoded).
      if (open >= 0 && JSON.parse(member.slice(open, closingQuote(member, open) + 1)) !== key) kept.push(member);
      start = i + 1;
    }
  }
  return `{${kept.join(",")}}`;
}

/** The index of the quote closing the JSON string that opens at `open`. */
function closingQuote(text: string, open: number): number {
  let i = open + 1;
  while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i;
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

function send(res: http.ServerResponse, answer: Reply): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(answer.status, { "content-type": "application/json", "content-length": Buffer.byteLength(answer.json) });
  res.end(answer.json);
}

@RegisterAddonAsExtension("http_gateway")
export class HttpGatewayAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new HttpGateway(instanceName);
  }
}
