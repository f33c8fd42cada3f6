// http_gateway turns POSTs into cmds; cmd_echo, cmd_responder and counter_sink answer them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, freePort, graphOf, startGraph, type RunningGraph } from './harness';

let graph: RunningGraph;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  graph = await startGraph(
    graphOf(
      [
        { name: 'gateway', addon: 'http_gateway', property: { port, timeout_ms: 5000 } },
        { name: 'echo', addon: 'cmd_echo' },
        { name: 'relay', addon: 'forwarder' },
        { name: 'refuser', addon: 'cmd_responder', property: { status: 'error', detail: 'not today', delay_ms: 20 } },
        { name: 'fine', addon: 'cmd_responder', property: { error_every: 2 } },
        { name: 'streamer', addon: 'cmd_responder', property: { partial_results: 2, detail: 'done' } },
        { name: 'stats', addon: 'counter_sink' },
      ],
      [
        { from: 'gateway', kind: 'cmd', name: 'ping', to: ['echo'] },
        { from: 'gateway', kind: 'cmd', name: 'refuse', to: ['relay'] },
        { from: 'relay', kind: 'cmd', name: 'refuse', to: ['refuser'] },
        { from: 'gateway', kind: 'cmd', name: 'flaky', to: ['fine'] },
        { from: 'gateway', kind: 'cmd', name: 'stream', to: ['streamer'] },
        { from: 'gateway', kind: 'cmd', name: 'get_stats', to: ['stats'] },
        { from: 'gateway', kind: 'cmd', name: 'count_me', to: ['stats'] },
      ],
    ),
  );
  await graph.waitFor((e) => e.type === 'lifecycle' && e.extension === 'gateway' && e.phase === 'on_start_done', 'gateway listening');
});

afterAll(closeAll);

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** POSTs JSON text and returns the response's text as is (res.json() would round big integers). */
async function postText(path: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, text: await res.text() };
}

/** Integers a double cannot hold (uint64 max, int64 min, 2^53 + 1), as a body's members. */
const BIG = '"id":18446744073709551615,"ts":-9223372036854775808,"nested":{"a":[9007199254740993]}';

describe('http_gateway with cmd_echo', () => {
  it('answers a POST with the echoed properties', async () => {
    const { status, json } = await post('/cmd/ping', { seq: 7, text: 'hi', nested: { a: [1, 2] } });
    expect(status).toBe(200);
    expect(json).toEqual({ status_code: 0, properties: { seq: 7, text: 'hi', nested: { a: [1, 2] } } });
  });

  it("accepts TEN's {ten: {name}} envelope on /", async () => {
    const { status, json } = await post('/', { ten: { name: 'ping' }, seq: 1 });
    expect(status).toBe(200);
    expect(json.properties).toEqual({ seq: 1 });
  });

  it('keeps integers beyond 2^53 exact from the request to the response on /cmd/<name>', async () => {
    expect(await postText('/cmd/ping', `{${BIG}}`)).toEqual({ status: 200, text: `{"status_code":0,"properties":{${BIG}}}` });
  });

  it('keeps integers beyond 2^53 exact in the envelope form, wherever the ten key is', async () => {
    const answers = await Promise.all([
      postText('/', `{"ten":{"name":"ping"},${BIG}}`),
      postText('/', ` { ${BIG} , "ten" : { "name" : "ping", "x": [1, {"y": "},["}] } } `),
      postText('/', `{"q":"say \\"hi\\", {ok}","t\\u0065n":{"name":"ping"},${BIG}}`),
      postText('/', '{"ten":{"name":"ping"}}'),
    ]);
    expect(answers).toEqual([
      { status: 200, text: `{"status_code":0,"properties":{${BIG}}}` },
      { status: 200, text: `{"status_code":0,"properties":{${BIG}}}` },
      { status: 200, text: `{"status_code":0,"properties":{"q":"say \\"hi\\", {ok}",${BIG}}}` },
      { status: 200, text: '{"status_code":0,"properties":{}}' },
    ]);
  });

  it('reports an ERROR result (through a forwarder) as HTTP 500 with its detail', async () => {
    const { status, json } = await post('/cmd/refuse', {});
    expect(status).toBe(500);
    expect(json.status_code).toBe(1);
    expect(json.detail).toBe('not today');
  });

  it('cmd_responder fails every error_every-th cmd', async () => {
    const first = await post('/cmd/flaky', {});
    const second = await post('/cmd/flaky', {});
    expect([first.status, second.status]).toEqual([200, 500]);
  });

  it('waits for the final result of a streaming cmd and returns the partial ones too', async () => {
    const { status, json } = await post('/cmd/stream', {});
    expect(status).toBe(200);
    expect(json).toEqual({ status_code: 0, properties: { detail: 'done' }, partial_results: [{ partial: 0 }, { partial: 1 }] });
  });

  it('maps an unconnected cmd to 404 and bad requests to 4xx', async () => {
    expect((await post('/cmd/nobody_listens', {})).status).toBe(404);
    expect((await post('/cmd/ping', '{ not json')).status).toBe(400);
    expect((await post('/cmd/ping', [1, 2])).status).toBe(400);
    expect((await post('/cmd/bad name', {})).status).toBe(400);
    const get = await fetch(`${base}/cmd/ping`, { signal: AbortSignal.timeout(10_000) });
    expect(get.status).toBe(405);
    await get.body?.cancel();
  });

  it('refuses close_app unless allow_close_app is set', async () => {
    const { status, json } = await post('/', { ten: { type: 'close_app' } });
    expect(status).toBe(403);
    expect(json.error).toContain('allow_close_app');
  });

  it('answers GET /health with the bound port', async () => {
    const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(10_000) });
    expect(await res.json()).toEqual({ extension: 'gateway', port: Number(new URL(base).port) });
  });
});

describe('counter_sink stats cmd', () => {
  it('counts cmds and answers get_stats', async () => {
    await post('/cmd/count_me', {});
    await post('/cmd/count_me', {});
    const { status, json } = await post('/cmd/get_stats', {});
    expect(status).toBe(200);
    const stats = (json.properties as { stats: { by_kind: { cmd: Record<string, { count: number }> } } }).stats;
    expect(stats.by_kind.cmd.count_me?.count).toBe(2);
  });
});

describe('the graph', () => {
  it('ran without errors or violations, and the gateway port is closed after stop', async () => {
    expect(graph.events.filter((e) => e.type === 'error' || e.type === 'violation')).toEqual([]);
    await graph.close();
    await expect(fetch(`${base}/health`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
  });
});
