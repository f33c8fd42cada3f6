/**
 * One protocol over a real socket pair: a peer that stops reading gets its data-like messages
 * dropped past the high-water mark (counted) while cmds still go out, TCP_NODELAY is set, and
 * the two-phase close ends with the protocol CLOSED on both sides.
 */
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Protocol } from '../../../src/runtime/protocol/transport';
import { TenMsg, tenLoc } from '../../../src/runtime/protocol';

async function pair(): Promise<[Socket, Socket, () => Promise<void>]> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const { connect } = await import('node:net');
  const client = connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => client.once('connect', () => r()));
  return [client, await accepted, () => new Promise<void>((r) => server.close(() => r()))];
}

describe('protocol over a socket', () => {
  it('drops data past the high-water mark for a peer that does not read, and still sends cmds', async () => {
    const [mine, theirs, stop] = await pair();
    theirs.pause();
    const p = new Protocol('out_internal', { maxFrameBytes: 1 << 20, dropDataAboveBytes: 256 * 1024, closeAboveBytes: 1 << 30 });
    p.attach(mine);
    const d = new TenMsg('data', 'frame');
    d.dests = [tenLoc('x', 'g', 'e')];
    d.buf = new Uint8Array(64 * 1024);
    let dropped = 0;
    for (let i = 0; i < 2000 && dropped === 0; i++) {
      const err = p.send(d);
      if (typeof err === 'string' && err.startsWith('Dropped:')) dropped++;
      // Let the socket write, so what it buffers counts.
      if (i % 16 === 15) await new Promise((r) => setImmediate(r));
    }
    expect(dropped).toBe(1);
    expect(p.stats.dropsOut).toBe(1);
    const c = new TenMsg('cmd', 'still');
    c.dests = [tenLoc('x')];
    expect(p.send(c)).toBeNull();
    const closed = new Promise<void>((r) => (p.onClosed = r));
    theirs.destroy();
    p.close();
    await closed;
    expect(p.state).toBe('closed');
    await stop();
  });

  it('sets TCP_NODELAY on its socket', async () => {
    const [mine, theirs, stop] = await pair();
    const calls: boolean[] = [];
    const orig = mine.setNoDelay.bind(mine);
    mine.setNoDelay = (v?: boolean) => {
      calls.push(v ?? true);
      return orig(v);
    };
    const p = new Protocol('out_internal');
    p.attach(mine);
    expect(calls).toEqual([true]);
    const closed = new Promise<void>((r) => (p.onClosed = r));
    p.close();
    theirs.end();
    await closed;
    await stop();
  });
});
