/**
 * Baseline: Node-RED 4 embedded through its runtime API (no HTTP editor, no file storage), running
 * the chain topology of suites (a)/(b): a source junction, 8 forwarding junctions and a function
 * node as sink. Messages are injected with `node.receive()` on the source; delivery settings are
 * Node-RED's defaults (asynchronous hop-by-hop delivery), which is what its users run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface NodeRedNode {
  receive(msg: Record<string, unknown>): void;
}

/** The part of Node-RED's embedding API these benchmarks use (the package ships no types). */
interface NodeRed {
  init(settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  nodes: { getNode(id: string): NodeRedNode | null };
}

export interface NodeRedChain {
  /** Injects `count` messages carrying a `bytes`-byte Buffer; resolves with end-to-end msgs/s. */
  throughput(count: number, bytes: number): Promise<number>;
  close(): Promise<void>;
}

/** Messages injected per event-loop turn, so injection interleaves with delivery as a timer would. */
const INJECT_BATCH = 256;

/** Node-RED keeps process-wide state: start it once per process and reuse the flow. */
export async function startNodeRedChain(forwarders = 8): Promise<NodeRedChain> {
  const RED = createRequire(import.meta.url)('node-red') as NodeRed;
  const userDir = mkdtempSync(join(tmpdir(), 'ten-bench-node-red-'));
  let received = 0;
  let onSinkTarget: (() => void) | undefined;
  let target = 0;

  const tab = 'bench_tab';
  const ids = ['source', ...Array.from({ length: forwarders }, (_, i) => `fwd${i + 1}`), 'sink'];
  const flows: Record<string, unknown>[] = [{ id: tab, type: 'tab', label: 'bench' }];
  for (let i = 0; i < ids.length - 1; i++) {
    flows.push({ id: ids[i], type: 'junction', z: tab, x: 0, y: 0, wires: [[ids[i + 1]]] });
  }
  flows.push({
    id: 'sink',
    type: 'function',
    z: tab,
    x: 0,
    y: 0,
    name: 'sink',
    func: "global.get('benchSink')(msg);\nreturn null;",
    outputs: 0,
    wires: [],
  });

  const storage = {
    init: async () => {},
    getFlows: async () => flows,
    saveFlows: async () => {},
    getCredentials: async () => ({}),
    saveCredentials: async () => {},
    getSettings: async () => ({}),
    saveSettings: async () => {},
    getSessions: async () => ({}),
    saveSessions: async () => {},
    getLibraryEntry: async () => [],
    saveLibraryEntry: async () => {},
  };

  RED.init({
    userDir,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    storageModule: storage,
    logging: { console: { level: 'off', metrics: false, audit: false } },
    functionGlobalContext: {
      benchSink: () => {
        if (++received === target && onSinkTarget) onSinkTarget();
      },
    },
  });
  await RED.start();
  const source = await waitForNode(RED, 'source');

  return {
    async throughput(count, bytes) {
      received = 0;
      target = count;
      const payload = Buffer.alloc(bytes, 7);
      const done = new Promise<void>((resolve) => {
        onSinkTarget = resolve;
      });
      const t0 = performance.now();
      let sent = 0;
      const pump = () => {
        const end = Math.min(count, sent + INJECT_BATCH);
        for (; sent < end; sent++) source.receive({ payload, seq: sent });
        if (sent < count) setImmediate(pump);
      };
      pump();
      await done;
      return (count / (performance.now() - t0)) * 1000;
    },
    async close() {
      await RED.stop();
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}

/** Flows start asynchronously after `start()` resolves; poll briefly for the source node. */
async function waitForNode(RED: NodeRed, id: string): Promise<NodeRedNode> {
  for (let i = 0; i < 200; i++) {
    const node = RED.nodes.getNode(id);
    if (node) return node;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Node-RED did not start node "${id}" within 5 s.`);
}
