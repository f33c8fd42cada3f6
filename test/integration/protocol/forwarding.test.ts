/**
 * A TEN app's messages sent on by extensions of ours, over real sockets (interop run 19, FAIL A
 * and B): a scripted peer plays the TEN app (a raw socket writing TEN's frames, with INT32,
 * FLOAT32, UINT8 and INT64 properties and INT64-extreme frame timestamps), one of our apps runs
 * two relays in two groups (decoded in the first, across a thread hop, encoded in the second)
 * that send each message on to the peer as they received it. What comes back carries the same
 * TEN types and the exact timestamps; a message an extension makes itself is typed by inference.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame, tenLoc, TenMsg, TenType, Writer, type TypeTree } from '../../../src/runtime/protocol';
import { closeAndCheck } from './apps';
import { trackResources } from './peer';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

const tracked = trackResources();

/** Properties as a TEN app sends them, and the types our inference would not give them. */
const PROPS = { i32: -2147483648, f32: 0.5, u8: 7, i64: INT64_MAX, i64small: 5, d: 2, nested: { a: [1, -1, 3.25] }, s: 'x' };
const TYPES: TypeTree = { i32: TenType.INT32, f32: TenType.FLOAT32, u8: TenType.UINT8, i64: TenType.INT64, i64small: TenType.INT64, d: TenType.FLOAT64, nested: { a: { 0: TenType.INT16, 1: TenType.INT8, 2: TenType.FLOAT32 } } };

describe('a TEN app’s messages sent on by extensions of ours', () => {
  it('come back to it with their TEN property types and exact frame timestamps; a message made here is typed by inference', async () => {
    const s = await tracked.app();
    // A TEN app on a raw socket: answers start_graph and cmds OK, and keeps every frame it gets.
    const peer = await tracked.peer({ answerCmds: (m) => ({ seen: m.name }) });
    const P = peer.uri;
    const flows = (from: string, fromApp: string, to: string, toApp: string) => ({
      app: fromApp,
      extension: from,
      data: [{ name: 't_data', dest: [{ app: toApp, extension: to }] }, { name: 'copy', dest: [{ app: toApp, extension: to }] }, { name: 'fresh', dest: [{ app: toApp, extension: to }] }],
      audio_frame: [{ name: 't_audio_frame', dest: [{ app: toApp, extension: to }] }],
      video_frame: [{ name: 't_video_frame', dest: [{ app: toApp, extension: to }] }],
      cmd: [{ name: 't_cmd', dest: [{ app: toApp, extension: to }] }, { name: 'edit', dest: [{ app: toApp, extension: to }] }],
    });
    const graph = {
      nodes: [
        { type: 'extension', name: 'src', addon: 'ten_src', extension_group: 'p', app: P },
        { type: 'extension', name: 'sink', addon: 'ten_sink', extension_group: 'p', app: P },
        // Two groups: the first decodes what the peer sends, the second encodes it for the peer.
        { type: 'extension', name: 'relay1', addon: 'relay', extension_group: 'g1', app: s.uri },
        { type: 'extension', name: 'relay2', addon: 'relay', extension_group: 'g2', app: s.uri },
      ],
      connections: [flows('src', P, 'relay1', s.uri), flows('relay1', s.uri, 'relay2', s.uri), flows('relay2', s.uri, 'sink', P)],
    };
    const { client: c, started } = await tracked.clientWithGraph(s, graph);
    expect([started.status, started.props.detail]).toEqual([0, undefined]);
    const G = peer.graphId;
    expect(G).not.toBe('');

    /** A message of the peer's `src` to relay1, as TEN writes it. */
    const fromSrc = (type: 'data' | 'audio_frame' | 'video_frame' | 'cmd', name: string, ts: bigint = 0n): TenMsg => {
      const m = new TenMsg(type, name);
      m.src = tenLoc(P, G, 'src');
      m.dests = [tenLoc(s.uri, G, 'relay1')];
      m.props = structuredClone(PROPS);
      m.propTypes = TYPES;
      if (type === 'cmd') {
        m.cmdId = `c-${name}`;
        m.seqId = '';
      } else m.buf = new Uint8Array([1, 2, 3, 4]);
      if (type === 'audio_frame') Object.assign(m, { timestamp: ts, sampleRate: 16000, bytesPerSample: 2, samplesPerChannel: 1, channels: 2, dataFmt: 1, lineSize: 4 });
      if (type === 'video_frame') Object.assign(m, { timestamp: ts, pixelFmt: 2, width: 1, height: 1 });
      return m;
    };
    const sent = [
      fromSrc('data', 't_data'),
      fromSrc('audio_frame', 't_audio_frame', INT64_MAX),
      fromSrc('video_frame', 't_video_frame', INT64_MIN),
      fromSrc('cmd', 't_cmd'),
      fromSrc('cmd', 'edit'),
      fromSrc('data', 'copy'),
    ];
    for (const m of sent) peer.send(m);

    const back = (name: string) => peer.until(() => peer.received.find((m) => m.name === name && m.dests[0]?.extension === 'sink'), name);
    for (const m of sent.slice(0, 3)) {
      const got = await back(m.name);
      // The very frame the peer sent, but from relay2 to sink: same types, same timestamp, same bytes.
      const want = fromSrc(m.type as 'data' | 'audio_frame' | 'video_frame', m.name, typeof m.timestamp === 'bigint' ? m.timestamp : 0n);
      want.src = tenLoc(s.uri, G, 'relay2');
      want.dests = [tenLoc(P, G, 'sink')];
      const w = new Writer(256);
      encodeFrame(w, want);
      expect(got.propTypes, m.name).toEqual(TYPES);
      expect(got.timestamp, m.name).toBe(want.timestamp);
      expect([...got.raw!], m.name).toEqual([...w.bytes()]);
    }
    const cmd = await back('t_cmd');
    expect([cmd.props, cmd.propTypes]).toEqual([PROPS, TYPES]);
    // Changed by the relay: an INT32 that still fits stays INT32; a UINT8 set to 300 is inferred.
    const edit = await back('edit');
    expect(edit.props).toMatchObject({ i32: 100, u8: 300 });
    const { u8: _u8, ...editTypes } = TYPES;
    expect(edit.propTypes).toEqual(editTypes);
    // A data message the relay made itself, with the properties copied: inferred, as before.
    const fresh = await back('fresh');
    expect(fresh.props).toEqual(PROPS);
    expect(fresh.propTypes).toBeNull();
    // The cmds were answered through both relays back to the peer's src.
    await peer.until(() => peer.received.filter((m) => m.type === 'cmd_result' && m.dests[0]?.extension === 'src').length >= 2, 'the results of both cmds');
    expect(s.events.filter((e) => e.type === 'error')).toEqual([]);
    await c.close();
    await peer.close();
    await closeAndCheck(s);
  });
});
