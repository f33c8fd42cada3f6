/**
 * Two apps in one graph over real sockets (TEN's BasicTest.MultiApp and its variants): the
 * start_graph propagates to the other app, cmds cross and their results come back, and both
 * apps close with nothing left.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TenClient } from '../../../src/runtime/protocol/client';
import { closeAndCheck, cmdFlow, connectionEvents, mesh, startTestApp, type TestApp } from './apps';

let apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.map((a) => a.app.close()));
  apps = [];
});

describe('a graph across two apps', () => {
  it('starts through app 1, forwards hello_world to ext2 in app 2, and both apps close cleanly', async () => {
    const a = await startTestApp();
    const b = await startTestApp();
    apps = [a, b];
    const graph = {
      nodes: [mesh('ext1', a.uri), mesh('ext2', b.uri, { answer: 'hello world, too' })],
      connections: [cmdFlow('ext1', a.uri, 'hello_world', 'ext2', b.uri)],
    };
    const client = await TenClient.connect(a.uri);
    const started = await client.startGraph({ json: JSON.stringify(graph) });
    expect(started.status, String(started.props.detail)).toBe(0);
    const graphId = started.props.graph_id as string;
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
});
