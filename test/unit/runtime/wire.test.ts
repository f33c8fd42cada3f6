// The flat peer encoding between groups: compact headers, names written once per run, the long
// form for extensions outside the graph's table, small buffers packed into one, large ones
// transferred, and every field of every message kind restored.
import { describe, expect, it } from 'vitest';
import {
  cloneWire,
  decodePeer,
  newWireMsg,
  PACK_MAX_BYTES,
  PeerEncoder,
  PeerIndex,
  wireBuf,
  type MsgType,
  type SharedLoc,
  type WireMsg,
} from '../../../src/runtime/core/wire';

const locs = new Map<string, SharedLoc>();
function locOf(ext: string): SharedLoc {
  let l = locs.get(ext);
  if (!l) {
    const loc = { app: 'app', graph: 'g', ext };
    l = { loc, dests: [loc] };
    locs.set(ext, l);
  }
  return l;
}

function msg(type: MsgType, name: string, from: string, to: string): WireMsg {
  const w = newWireMsg(type, name);
  w.src = locOf(from).loc;
  w.dests = locOf(to).dests;
  w.props = { n: name, nested: { a: [1, 2] } };
  return w;
}

function roundTrip(msgs: WireMsg[]): { batch: unknown[]; transfer: ArrayBuffer[]; out: WireMsg[] } {
  const index = new PeerIndex(['c', 'a', 'b'], locOf);
  const enc = new PeerEncoder(index);
  for (const w of msgs) enc.encode(w);
  const { values, transfer } = enc.take()!;
  expect(enc.take()).toBeNull();
  const batch = [...values];
  return { batch, transfer, out: decodePeer(structuredClone(values, { transfer }), index, locOf) };
}

function bytes(b: ArrayBuffer | null): number[] | null {
  return b === null ? null : [...new Uint8Array(b)];
}

describe('peer encoding', () => {
  it('restores data, frames, cmds and results field by field', () => {
    const data = msg('data', 'd', 'a', 'b');
    data.buf = new Uint8Array([1, 2, 3]).buffer;
    const audio = msg('audio_frame', 'pcm', 'b', 'c');
    audio.audio = { sampleRate: 16000, bytesPerSample: 2, samplesPerChannel: 160, channels: 1, channelLayout: 0, dataFmt: 1, lineSize: 320, eof: false };
    const video = msg('video_frame', 'v', 'c', 'a');
    video.video = { width: 2, height: 2, pixelFmt: 1, eof: true };
    const cmd = msg('cmd', 'q', 'a', 'c');
    cmd.cmdId = 'id1';
    cmd.parentCmdId = 'p1';
    cmd.seqId = 's1';
    const result = msg('cmd_result', 'q', 'c', 'a');
    Object.assign(result, { cmdId: 'id1', status: 1, isFinal: false, isCompleted: true, origName: 'q', origType: 'cmd' });
    const timer = msg('timer', 'ten:timer', 'b', 'a');
    const all = [data, audio, video, cmd, result, timer];
    const { out } = roundTrip(all);
    expect(out).toHaveLength(all.length);
    const sent = all.map((w) => bytes(w.buf));
    for (let i = 0; i < all.length; i++) {
      const { buf: _b, packed: _p, ...rest } = all[i]!;
      const { buf: _ob, packed: _op, ...outRest } = out[i]!;
      expect(outRest).toEqual(rest);
      expect(bytes(wireBuf(out[i]!))).toEqual(sent[i]);
    }
    expect(out[0]!.src).toBe(locOf('a').loc);
    expect(out[0]!.dests).toBe(locOf('b').dests);
  });

  it('writes a name once per run and strings only for extensions outside the table', () => {
    const { batch, out } = roundTrip([msg('data', 'm', 'a', 'b'), msg('data', 'm', 'a', 'b'), msg('data', 'other', 'a', 'b'), msg('data', 'm', 'x', 'b'), msg('data', 'm', 'a', 'b')]);
    // 'm' is written by the first message, by the long form (x is not in the table) and after
    // 'other'; the second message repeats the name without writing it.
    expect(batch.filter((v) => v === 'm')).toHaveLength(3);
    expect(batch.filter((v) => v === 'x')).toHaveLength(1);
    expect(out.map((w) => [w.name, w.src.ext, w.dests[0]!.ext])).toEqual([
      ['m', 'a', 'b'],
      ['m', 'a', 'b'],
      ['other', 'a', 'b'],
      ['m', 'x', 'b'],
      ['m', 'a', 'b'],
    ]);
  });

  it('packs small buffers into one transferred buffer, materialized on first access, and transfers large ones', () => {
    const small = msg('data', 'm', 'a', 'b');
    small.buf = new Uint8Array([7, 8, 9]).buffer;
    const empty = msg('data', 'm', 'a', 'b');
    empty.buf = new ArrayBuffer(0);
    const large = msg('data', 'm', 'a', 'b');
    large.buf = new Uint8Array(PACK_MAX_BYTES + 1).fill(5).buffer;
    const none = msg('data', 'm', 'a', 'b');
    const { transfer, out } = roundTrip([small, empty, large, none]);
    expect(transfer).toHaveLength(2);
    expect(large.buf.byteLength).toBe(0);
    expect(small.buf.byteLength).toBe(3);
    const [s, e, l, n] = out as [WireMsg, WireMsg, WireMsg, WireMsg];
    expect(s.buf).toBeNull();
    expect([...s.packed!]).toEqual([7, 8, 9]);
    // A fan-out copy shares the packed view; each materializes its own buffer.
    const copy = cloneWire(s);
    const own = wireBuf(s)!;
    new Uint8Array(own)[0] = 1;
    expect(s.packed).toBeNull();
    expect(bytes(wireBuf(copy))).toEqual([7, 8, 9]);
    expect(bytes(wireBuf(e))).toEqual([]);
    expect(l.packed).toBeNull();
    expect(l.buf!.byteLength).toBe(PACK_MAX_BYTES + 1);
    expect(wireBuf(n)).toBeNull();
  });

  it('forwards a packed buffer into the next batch without materializing it', () => {
    const first = msg('data', 'm', 'a', 'b');
    first.buf = new Uint8Array([1, 2]).buffer;
    const [received] = roundTrip([first]).out as [WireMsg];
    received.src = locOf('b').loc;
    received.dests = locOf('c').dests;
    const [again] = roundTrip([received]).out as [WireMsg];
    expect(received.packed).not.toBeNull();
    expect(bytes(wireBuf(again))).toEqual([1, 2]);
  });
});
