/**
 * Two apps in one graph over real sockets (TEN's BasicTest.MultiApp and its variants): the
 * start_graph propagates to the other app, cmds cross and their results come back, data crosses
 * exactly as sent and in order, and both apps close with nothing left.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { TenExtensionNode } from '../../../src/shared/graph/types';
import { closeAndCheck, cmdFlow, connectionEvents, mesh } from './apps';
import { trackResources } from './peer';

const tracked = trackResources();

describe('a graph across two apps', () => {
  it('starts through app 1, forwards hello_world to ext2 in app 2, and both apps close cleanly', async () => {
    const [a, b] = await tracked.apps(2);
    const graph = {
      nodes: [mesh('ext1', a.uri), mesh('ext2', b.uri, { answer: 'hello world, too' })],
      connections: [cmdFlow('ext1', a.uri, 'hello_world', 'ext2', b.uri)],
    };
    const { client, graphId, started } = await tracked.clientWithGraph(a, graph);
    expect(graphId).toMatch(/^[0-9a-f-]{36}$/);
    // As TEN answers (fixture 24): from the graph it started, to the client's identity.
    expect(started.src).toEqual({ app: a.uri, graph: graphId, extension: null });
    expect(started.dests[0]!.app).toMatch(/^[0-9a-f-]{36}$/);
    // Both apps run the same graph id; each runs only its own node.
    expect(a.app.graphs()).toEqual([graphId]);
    expect(b.app.graphs()).toEqual([graphId]);

    const r = await client.cmd('hello_world', { app: a.uri, graph: '', extension: 'ext1' });
    expect(r.status).toBe(0);
    expect(r.props).toMatchObject({ detail: 'hello world, too', from: 'ext2' });
    // The result comes from ext1 in app 1, to the client.
    expect(r.src).toMatchObject({ app: a.uri, graph: graphId, extension: 'ext1' });

    // A remote link between the apps, and the client's own.
    expect(connectionEvents(a.events).some((e) => e.state === 'attached' && e.uri === b.uri)).toBe(true);
    expect(connectionEvents(b.events).some((e) => e.state === 'attached' && e.uri === a.uri)).toBe(true);
    await client.close();
    await closeAndCheck(a, b);
  });

  it('data cross exactly as sent and in order, forwarded from another group (buffers still views of their batch) and written into frames straight from the runtime messages', async () => {
    const [a, b] = await tracked.apps(2);
    // The probes report on this channel (test/fixtures/runtime/app/ten_packages/extension/probe).
    const reports: Record<string, unknown>[] = [];
    const channel = new BroadcastChannel('ten-runtime-test');
    let arrived: (() => void) | null = null;
    channel.onmessage = (m) => {
      reports.push((m as { data: Record<string, unknown> }).data);
      arrived?.();
    };
    const report = async (ext: string, kind: string): Promise<Record<string, unknown>> => {
      for (;;) {
        const r = reports.find((x) => x.ext === ext && x.kind === kind);
        if (r) return r;
        await new Promise<void>((resolve) => (arrived = resolve));
      }
    };
    const N = 600;
    try {
      const node = (name: string, app: string, addon: string, group: string, probe?: Record<string, unknown>): TenExtensionNode => ({
        type: 'extension',
        name,
        addon,
        extension_group: group,
        app,
        ...(probe ? { property: { probe } } : {}),
      });
      const graph = {
        nodes: [
          // Six kinds in turn: small and large buffers, 70-deep properties, 64-bit integers, text, a property buffer.
          node('src', a.uri, 'probe', 'g0', { actions: [{ op: 'sendMixed', name: 'mix', ms: N, wire: true }] }),
          // Forwards what it gets, from another group of the same app: small buffers arrive through the ring as views of the drained batch.
          node('fwd', a.uri, 'mesh', 'g1'),
          node('dst', b.uri, 'probe', 'g2', { expectSeq: N, verifyMixed: 'wire' }),
        ],
        connections: [
          { app: a.uri, extension: 'src', data: [{ name: 'mix', dest: [{ app: a.uri, extension: 'fwd' }] }] },
          { app: a.uri, extension: 'fwd', data: [{ name: 'mix', dest: [{ app: b.uri, extension: 'dst' }] }] },
        ],
      };
      await a.app.startGraph({ graph, name: 'mixed' });
      await report('src', 'sent_mixed');
      expect(await report('dst', 'order')).toMatchObject({ inOrder: true, count: N, bad: [] });
      expect(a.events.filter((e) => e.type === 'error')).toEqual([]);
      expect(b.events.filter((e) => e.type === 'error')).toEqual([]);
    } finally {
      channel.close();
    }
    await closeAndCheck(a, b);
  });
});
