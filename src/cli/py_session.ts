/**
 * `ten-studio _py-session` (internal): the studio runtime for the ExtensionTesters of one Python
 * test process. That process started us with two pipes (`TEN_STUDIO_LINK_FDS=read,write`); it
 * asks for test runs on the session channel, and hosts the test graph's Python group itself: this
 * process relays the group's frames between the pipes and the group thread (a MessagePort), so
 * the extension under test runs in the test's interpreter with whatever the test patched.
 *
 * A run: the graph of the tester (`ten:test_extension`) and the extension under test (node named
 * after its addon), connected both ways for every message, as TEN builds it; or, for
 * `set_test_mode_graph`, the test's own graph, whose `ten:test_extension` node is the tester. It
 * ends when the tester calls `stop_test` (or at the timeout, `Test timeout.`), every extension
 * closes, and the outcome goes back. Logs, errors and violations go back too, for the test
 * process to print. The session ends when the test process closes it or its pipe ends.
 *
 * Every Python group of the graph is hosted by the test process, each on a channel of its own
 * (2, 3, …): the channel byte of a frame is rewritten here on the way, so the group threads keep
 * writing and reading CH_GROUP as with a spawned process.
 */
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { App } from '../runtime/app/app';
import type { RuntimeEvent } from '../runtime/core/protocol';
import type { TenGraph } from '../shared/graph/types';
import { CH_GROUP, CH_SESSION, encodeFrame, S_CLOSE, S_DONE, S_HELLO, S_LOG, S_RUN, S_STOP_TEST } from '../runtime/core/py_wire';
import { parseJsonText } from '../shared/json/text';

interface RunRequest {
  /** Single mode: the addon under test and its property (JSON text). */
  addon?: string;
  property?: string;
  /** Graph mode: the test's graph (its `ten:test_extension` node is the tester). */
  graph?: { nodes?: unknown[]; connections?: unknown[] };
  /** Folders of the Python addons the graph uses. */
  dirs: string[];
  timeoutUs: number;
}

/** The first channel of a hosted group (0 and 1 are CH_GROUP and CH_SESSION). */
const FIRST_GROUP_CHANNEL = 2;

const TESTER = 'ten:test_extension';
const TESTER_PKG = fileURLToPath(new URL('../../python/ten_studio_py/tester_pkg/', import.meta.url));

export async function pySession(): Promise<number> {
  const fds = (process.env.TEN_STUDIO_LINK_FDS ?? '').split(',').map(Number);
  if (fds.length !== 2 || fds.some((n) => !Number.isInteger(n) || n < 0)) {
    process.stderr.write('ten-studio _py-session is started by ten_runtime (Python) with TEN_STUDIO_LINK_FDS.\n');
    return 2;
  }
  // Sockets, not fs streams: a pipe read through fs blocks a thread-pool thread until data or EOF.
  const input = new Socket({ fd: fds[0], readable: true, writable: false });
  const output = new Socket({ fd: fds[1], readable: false, writable: true });
  const write = (parts: Uint8Array[]): void => {
    output.cork();
    for (const p of parts) output.write(p);
    output.uncork();
  };
  const session = (record: unknown[]): void => write(encodeFrame(CH_SESSION, [record], []));

  const relays = new Map<number, MessagePort>();
  let app: App | null = null;
  let appDirs = '';
  let current: { graphId: string; stop: (code: number, message: string) => void } | null = null;
  const forward = (ev: RuntimeEvent): void => {
    if (ev.type === 'log' || ev.type === 'error' || ev.type === 'violation' || ev.type === 'worker_terminated') session([S_LOG, ev]);
    if (ev.type === 'graph' && ev.state === 'start_failed') current?.stop(1, ev.detail ?? 'The test graph failed to start.');
  };
  const appFor = async (dirs: string[]): Promise<App> => {
    const key = dirs.join('\u0000');
    if (app && appDirs === key) return app;
    if (app) await app.close();
    appDirs = key;
    app = new App({
      addonDirs: [...dirs, TESTER_PKG],
      onEvent: forward,
      pythonRelay: () => {
        const ch = new MessageChannel();
        let channel = FIRST_GROUP_CHANNEL;
        while (relays.has(channel)) channel++;
        if (channel > 255) throw new Error('A test graph may have at most 254 Python extension groups.');
        relays.set(channel, ch.port1);
        ch.port1.on('message', (frame: Uint8Array) => {
          frame[4] = channel;
          write([frame]);
        });
        ch.port1.on('close', () => {
          if (relays.get(channel) === ch.port1) relays.delete(channel);
        });
        return ch.port2;
      },
    });
    return app;
  };

  const run = async (req: RunRequest): Promise<void> => {
    let outcome: [number, string] | null = null;
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    let graphId = '';
    let timer: NodeJS.Timeout | undefined;
    const a = await appFor(req.dirs);
    const stop = (code: number, message: string): void => {
      if (outcome) return;
      outcome = [code, message];
      clearTimeout(timer);
      finish();
    };
    current = { graphId, stop };
    if (req.timeoutUs > 0) timer = setTimeout(() => stop(8, 'Test timeout.'), req.timeoutUs / 1000);
    let graph: TenGraph;
    if (req.graph) {
      graph = req.graph as TenGraph;
    } else {
      const addon = req.addon ?? '';
      const kinds = ['cmd', 'data', 'audio_frame', 'video_frame'] as const;
      let property: Record<string, unknown>;
      try {
        property = parseJsonText(req.property || '{}') as Record<string, unknown>;
      } catch (e) {
        session([S_DONE, 2, `Invalid property JSON: ${(e as Error).message}`]);
        return;
      }
      graph = {
        nodes: [
          { type: 'extension' as const, name: TESTER, addon: TESTER, extension_group: 'test_extension_group' },
          { type: 'extension' as const, name: addon, addon, extension_group: 'test_extension_group', property },
        ],
        connections: kinds.flatMap((kind) => [
          { extension: TESTER, [kind]: [{ name: '*', dest: [{ extension: addon }] }] },
          { extension: addon, [kind]: [{ name: '*', dest: [{ extension: TESTER }] }] },
        ]),
      };
    }
    const starting = a.startGraph({ graph, name: 'ten:extension_tester' }).then(
      (id) => {
        graphId = id;
        current!.graphId = id;
      },
      (e: unknown) => stop(1, e instanceof Error ? e.message : String(e)),
    );
    await Promise.race([starting, finished]);
    if (!graphId && outcome) {
      // Stopped before the graph finished starting (its Python group could not be hosted, say):
      // nothing will answer that start, so the app holding it is closed, which fails the start.
      await a.close();
      if (app === a) app = null;
      await starting;
    }
    await finished;
    if (graphId && a.graphs().includes(graphId)) await a.stopGraph(graphId);
    current = null;
    const [code, message] = outcome ?? [0, ''];
    session([S_DONE, code, message]);
  };

  let closing: (() => void) | null = null;
  const closed = new Promise<void>((r) => (closing = r));
  const onSession = (records: unknown[][]): void => {
    for (const r of records) {
      switch (r[0]) {
        case S_RUN:
          void run(r[1] as RunRequest).catch((e: unknown) => session([S_DONE, 1, e instanceof Error ? (e.stack ?? e.message) : String(e)]));
          break;
        case S_STOP_TEST:
          current?.stop(r[1] as number, r[2] as string);
          break;
        case S_CLOSE:
          closing?.();
          break;
      }
    }
  };

  // Frames: the session's are decoded here, the group's relayed whole to the group thread.
  let pending: Buffer | null = null;
  input.on('data', (chunk: Buffer | string) => {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (pending) buf = Buffer.concat([pending, buf]);
    pending = null;
    let pos = 0;
    while (buf.length - pos >= 9) {
      const end = pos + 4 + buf.readUInt32LE(pos);
      if (end > buf.length) break;
      const channel = buf.readUInt8(pos + 4);
      if (channel !== CH_SESSION) {
        // A group's: copied out of the chunk (which may hold other frames) into a buffer of its
        // own, moved to that group's thread.
        const relay = relays.get(channel);
        if (relay) {
          const frame = new Uint8Array(buf.subarray(pos, end));
          frame[4] = CH_GROUP;
          relay.postMessage(frame, [frame.buffer]);
        }
      } else {
        const jlen = buf.readUInt32LE(pos + 5);
        onSession(parseJsonText(buf.toString('utf8', pos + 9, pos + 9 + jlen)) as unknown[][]);
      }
      pos = end;
    }
    if (pos < buf.length) pending = Buffer.from(buf.subarray(pos));
  });
  input.on('end', () => closing?.());
  input.on('error', () => closing?.());

  session([S_HELLO, { pid: process.pid }]);
  await closed;
  (current as { stop: (code: number, message: string) => void } | null)?.stop(1, 'The session was closed.');
  if (app) await (app as App).close();
  input.destroy();
  output.end();
  output.destroy();
  return 0;
}
