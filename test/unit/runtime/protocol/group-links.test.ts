/**
 * The message path between extension groups and other apps: what a group encodes for another
 * app decodes to the same message, the direct decoder agrees with the general one on every type
 * it covers (random messages), with TEN's fill-ins for a message from a remote, the direct encoder
 * writes exactly the general one's bytes, a value TEN cannot carry is refused with its path, and
 * a lone message is handed to the host at once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newWireMsg, packedOf, type MsgType, type SharedLoc, type WireLoc, type WireMsg } from '../../../../src/runtime/core/wire';
import type { FromWorker } from '../../../../src/runtime/core/protocol';
import { propValue } from '../../../fixtures/prop-values';
import { RemoteOutbox, decodeInboundFrames, inboundLocs } from '../../../../src/runtime/protocol/group_links';
import { decodeWireBody, wireBodyReader } from '../../../../src/runtime/protocol/wire_decode';
import { decodeAll, encodeFrame } from '../../../../src/runtime/protocol';
import { fromTen, toTen } from '../../../../src/runtime/protocol/bridge';
import { Writer } from '../../../../src/runtime/protocol/msgpack';
import { encodeWireFrame } from '../../../../src/runtime/protocol/wire_encode';

const A = 'msgpack://127.0.0.1:8001/';
const B = 'msgpack://127.0.0.1:8002/';
const G = '95d85a69-8c40-48ff-b8c2-530c7e2cc3cf';

function shared(app: string, ext: string): SharedLoc {
  const loc = Object.freeze({ app, graph: G, ext }) as WireLoc;
  return { loc, dests: Object.freeze([loc]) as unknown as WireLoc[] };
}
const receivers = new Map<string, SharedLoc>();
/** This graph's shared locations, one per extension (as the group's router keeps them). */
const locOf = (ext: string): SharedLoc => {
  let l = receivers.get(ext);
  if (!l) receivers.set(ext, (l = shared(B, ext)));
  return l;
};

type Posted = Extract<FromWorker, { t: 'to_remote' }>;

/** A RemoteOutbox whose hand-overs and refusals are recorded; `loop.turns` is the runloop's turn. */
function newOutbox(): { box: RemoteOutbox; posted: Posted[]; refused: [WireMsg, string][]; loop: { turns: number } } {
  const posted: Posted[] = [];
  const refused: [WireMsg, string][] = [];
  const loop = { turns: 0 };
  const box = new RemoteOutbox(
    (m) => {
      if (m.t === 'to_remote') posted.push(m);
    },
    (w, text) => refused.push([w, text]),
    loop,
  );
  return { box, posted, refused, loop };
}

/** Encodes through a RemoteOutbox (one runloop turn) and returns what it hands to the host. */
function outbox(msgs: WireMsg[]): { posted: Posted[]; refused: [WireMsg, string][] } {
  const { box, posted, refused } = newOutbox();
  for (const w of msgs) box.deliver(w);
  box.flush();
  return { posted, refused };
}

/**
 * What a received message is, for comparing the direct decoder with the general one: every field
 * but the locations (resolved differently) and a cmd's or data's time (stamped on receipt).
 */
function project(w: WireMsg): unknown {
  const frame = w.type === 'audio_frame' || w.type === 'video_frame';
  return {
    type: w.type,
    name: w.name,
    props: w.props,
    propTypes: w.propTypes,
    ts: frame ? w.ts : 'receipt',
    tsExact: w.tsExact,
    cmdId: w.cmdId,
    seqId: w.seqId,
    status: w.status,
    isFinal: w.isFinal,
    isCompleted: w.isCompleted,
    origType: w.origType,
    buf: [...(packedOf(w) ?? (w.buf !== null ? new Uint8Array(w.buf) : []))],
    audio: w.audio,
    video: w.video,
  };
}

function msg(type: MsgType, name: string, o: Partial<WireMsg> = {}): WireMsg {
  const w = newWireMsg(type, name);
  w.src = shared(A, 'sender').loc;
  w.dests = shared(B, 'receiver').dests;
  return Object.assign(w, o);
}

describe('group ↔ other app', () => {
  it('messages a group sends to another app arrive in its group as they were sent, with TEN fill-ins', () => {
    const buf = new Uint8Array([1, 2, 3, 4]).buffer;
    const sent = [
      msg('data', 'tick', { props: { seq: 7, big: 18446744073709551615n }, buf }),
      msg('cmd', 'hello', { cmdId: 'c1', seqId: 's1', props: { text: 'hi' } }),
      msg('cmd_result', 'hello', { cmdId: 'c1', status: 1, isFinal: false, origType: 'cmd', props: { detail: 'no' } }),
      msg('audio_frame', 'pcm', { ts: 1733450000123, buf, audio: { sampleRate: 16000, bytesPerSample: 2, samplesPerChannel: 2, channels: 1, channelLayout: 0, dataFmt: 1, lineSize: 4, eof: false } }),
      msg('video_frame', 'v', { ts: 5, buf, video: { width: 2, height: 1, pixelFmt: 2, eof: false } }),
      msg('timeout', 'ten:timeout', { cmdId: 'c2', props: { timer_id: 9 } }),
    ];
    const { posted, refused } = outbox(sent);
    expect(refused).toEqual([]);
    // The first message of the turn goes at once, the rest in one buffer.
    expect(posted.map((p) => [p.app, p.count])).toEqual([
      [B, 1],
      [B, sent.length - 1],
    ]);
    const got = posted.flatMap((p) => decodeInboundFrames(p.bytes, p.length, A, G, locOf));
    expect(got.map((w) => [w.type, w.name, w.cmdId, w.status, w.props])).toEqual([
      ['data', 'tick', '', 0, { seq: 7, big: 18446744073709551615n }],
      ['cmd', 'hello', 'c1', 0, { text: 'hi' }],
      ['cmd_result', 'ten:result', 'c1', 1, { detail: 'no' }],
      ['audio_frame', 'pcm', '', 0, {}],
      ['video_frame', 'v', '', 0, {}],
      ['timeout', 'ten:timeout', 'c2', 0, { timer_id: 9 }],
    ]);
    expect(got[1]!.seqId).toBe('s1');
    expect(got[2]!.isFinal).toBe(false);
    expect(got[3]!.audio).toMatchObject({ sampleRate: 16000, lineSize: 4 });
    expect(got[3]!.ts).toBe(1733450000123);
    expect(got[4]!.video).toMatchObject({ width: 2, height: 1, pixelFmt: 2 });
    for (const w of got) {
      // From the remote's URI; to this graph's shared location of the receiver.
      expect(w.src).toEqual({ app: A, graph: G, ext: 'sender' });
      expect(w.dests[0]).toBe(locOf('receiver').loc);
    }
    expect([...(packedOf(got[0]!) ?? [])]).toEqual([1, 2, 3, 4]);
  });

  it('a value TEN cannot carry is refused with where it is; the rest goes', () => {
    const { posted, refused } = outbox([msg('cmd', 'bad', { props: { a: [null] } }), msg('data', 'ok')]);
    expect(refused.map(([w, text]) => [w.name, text])).toEqual([['bad', "The properties field at .a[0] cannot be sent: null has no TEN wire type (TEN's msgpack protocol cannot carry a JSON null; a TEN peer aborts on it)."]]);
    expect(posted.reduce((n, p) => n + p.count, 0)).toBe(1);
  });

  it('the direct decoder agrees with the general one (random messages)', () => {
    const value = propValue({ noNaN: true, width: 3 });
    fc.assert(
      fc.property(fc.constantFrom<MsgType>('cmd', 'cmd_result', 'data', 'audio_frame', 'video_frame'), fc.string({ maxLength: 20 }), fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 4 }), fc.uint8Array({ maxLength: 64 }), (type, name, props, bytes) => {
        const w = msg(type, name.replace(/^ten:/, 'x'), { props, cmdId: type === 'data' ? '' : 'id', buf: bytes.buffer as ArrayBuffer });
        if (type === 'audio_frame') w.audio = { sampleRate: 1, bytesPerSample: 2, samplesPerChannel: 3, channels: 4, channelLayout: 0, dataFmt: 1, lineSize: 6, eof: false };
        if (type === 'video_frame') w.video = { width: 1, height: 2, pixelFmt: 3, eof: false };
        const { posted } = outbox([w]);
        const direct = decodeInboundFrames(posted[0]!.bytes, posted[0]!.length, A, G, locOf)[0]!;
        const general = decodeAll(new Uint8Array(posted[0]!.bytes, 0, posted[0]!.length)).msgs[0]!;
        expect(project(direct)).toEqual(project(fromTen(general, general.buf)));
        expect([...(packedOf(direct) ?? [])]).toEqual([...(general.buf ?? [])]);
      }),
      { numRuns: 300 },
    );
  });

  it('the direct decoder accepts nothing the general one refuses (every single-byte mutation)', () => {
    // What a group's own socket decodes once (group_socket.ts): a frame the direct decoder reads
    // must be one the general decoder reads too, as the same message; else it must say null.
    // One name is a byte away from a name TEN reserves for another type.
    const samples = [
      msg('cmd', 'ten:start_grapi', { cmdId: 'c1', props: { a: 1, s: 'x', n: [1.5, true] } }),
      msg('cmd_result', 'ten:result', { cmdId: 'c2', status: 1, isFinal: true, props: { detail: 'ok' } }),
      msg('data', 'd', { props: { k: -3 }, buf: new Uint8Array([1, 2, 3]).buffer as ArrayBuffer }),
    ];
    const audio = msg('audio_frame', 'pcm', { buf: new Uint8Array(4).buffer as ArrayBuffer });
    audio.audio = { sampleRate: 16000, bytesPerSample: 2, samplesPerChannel: 1, channels: 2, channelLayout: 0, dataFmt: 1, lineSize: 4, eof: false };
    const video = msg('video_frame', 'img', { buf: new Uint8Array(4).buffer as ArrayBuffer });
    video.video = { width: 1, height: 1, pixelFmt: 1, eof: false };
    samples.push(audio, video);
    const locs = inboundLocs(A, G, (_app, _graph, ext) => locOf(ext).dests);
    let taken = 0;
    let refused = 0;
    for (const w of samples) {
      const { posted } = outbox([w]);
      const frame = new Uint8Array(posted[0]!.bytes, 0, posted[0]!.length);
      const head = frame[0] === 0xc7 ? 3 : frame[0] === 0xc8 ? 4 : 6;
      for (let i = head; i < frame.length; i++) {
        for (const v of new Set([0x00, 0x01, 0x7f, 0xa0, 0xc0, 0xc2, 0xcc, 0xff, frame[i]! ^ 0x01, frame[i]! ^ 0x20])) {
          if (v === frame[i]) continue;
          const m = new Uint8Array(frame);
          m[i] = v;
          const direct = decodeWireBody(wireBodyReader(m), head, m.length - head, locs, 0);
          if (direct === null) continue;
          const general = decodeAll(m);
          if (general.error !== null) throw new Error(`the direct decoder read what the general one refuses (byte ${i} = ${v}): ${general.error.message}`);
          const g = general.msgs[0]!;
          expect(project(direct), `byte ${i} = ${v}`).toEqual(project(fromTen(g, g.buf)));
          taken++;
        }
      }
      refused++;
    }
    // Both outcomes occur: the test sees frames of both kinds.
    expect(taken).toBeGreaterThan(100);
    expect(refused).toBe(samples.length);
  });

  it('the first message of each runloop turn goes to the host at once, the rest of the turn together', () => {
    const { box, posted, loop } = newOutbox();
    box.deliver(msg('cmd', 'a', { cmdId: '1' }));
    box.deliver(msg('cmd', 'b', { cmdId: '2' }));
    box.deliver(msg('cmd', 'c', { cmdId: '3' }));
    expect(posted.map((p) => p.count)).toEqual([1]);
    box.flush();
    expect(posted.map((p) => p.count)).toEqual([1, 2]);
    // Right after (no quiet spell): a new turn's lone cmd, e.g. sent on a result, does not wait for the turn's end.
    loop.turns++;
    box.deliver(msg('cmd', 'd', { cmdId: '4' }));
    expect(posted.map((p) => p.count)).toEqual([1, 2, 1]);
    // What is handed over is exactly the frames, in a buffer of their own.
    for (const p of posted) expect(p.bytes.byteLength).toBe(p.length);
    expect(posted.flatMap((p) => decodeAll(new Uint8Array(p.bytes, 0, p.length)).msgs.map((m) => m.name))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('the direct encoder writes the bytes the general one writes, and refuses what it refuses (random messages)', () => {
    const senders = [shared(A, 'sender').loc, shared(A, 'other').loc];
    const receiversOf = [shared(B, 'receiver').dests, shared(B, 'r2').dests];
    const mutable: WireLoc = { app: B, graph: G, ext: 'm' };
    const mutableDests = [mutable];
    let changes = 0;
    const value = propValue({ bigints: { min: -(1n << 64n), max: 1n << 65n }, nulls: true, width: 3 });
    // Mostly integers (the fields' values); now and then one a field refuses (a fraction, beyond 2^53).
    const num = fc.oneof({ arbitrary: fc.integer(), weight: 10 }, { arbitrary: fc.double(), weight: 1 }, { arbitrary: fc.constant(2 ** 60), weight: 1 });
    fc.assert(
      fc.property(
        fc.constantFrom<MsgType>('cmd', 'cmd_result', 'data', 'audio_frame', 'video_frame', 'timeout', 'close_app'),
        fc.string({ maxLength: 20 }),
        fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 4 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom('own', 'packed', 'arena'),
        fc.array(num, { minLength: 9, maxLength: 9 }),
        fc.constantFrom<MsgType>('cmd', 'start_graph', 'close_app'),
        fc.nat({ max: 2 }),
        fc.nat({ max: 2 }),
        (type, name, props, bytes, packed, n, origType, from, to) => {
          const w = msg(type, name, { props, cmdId: 'id', seqId: 's', status: n[0]!, isFinal: n[1]! > 0, origType, ts: n[2]! });
          // Shared locations repeat from message to message (the encoder keeps the bytes of the
          // last fields in front of the properties); a message's own ones may change after a send.
          if (from < 2) w.src = senders[from]!;
          if (to < 2) w.dests = receiversOf[to]!;
          else {
            mutable.ext = `m${++changes}`;
            w.dests = mutableDests;
          }
          // A buffer of its own, a view into a batch it arrived in, or bytes still in the copy of
          // the ring it arrived through (WireMsg.arena).
          if (packed === 'packed') w.packed = Uint8Array.from([9, 9, ...bytes]).subarray(2);
          else if (packed === 'arena') {
            w.arena = new DataView(Uint8Array.from([9, 9, 9, ...bytes, 9]).buffer);
            w.arenaAt = 3;
            w.arenaLen = bytes.length;
          } else w.buf = Uint8Array.from(bytes).buffer;
          if (type === 'audio_frame') w.audio = { sampleRate: n[3]!, bytesPerSample: n[4]!, samplesPerChannel: n[5]!, channels: n[6]!, channelLayout: 0, dataFmt: n[7]!, lineSize: n[8]!, eof: false };
          if (type === 'video_frame') w.video = { width: n[3]!, height: n[4]!, pixelFmt: n[5]!, eof: false };
          const general = new Writer(64);
          const direct = new Writer(64);
          general.byte(0xc0);
          direct.byte(0xc0);
          const e2 = encodeWireFrame(direct, w);
          const buf = packedOf(w) ?? (w.buf !== null ? new Uint8Array(w.buf) : null);
          expect(buf === null ? [] : [...buf]).toEqual([...bytes]);
          const e1 = encodeFrame(general, toTen(w, buf));
          expect(e2).toEqual(e1);
          expect([...direct.bytes()]).toEqual([...general.bytes()]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("the fields in front of the properties are written again when a message's own location changed since the last send", () => {
    const own: WireLoc = { app: B, graph: G, ext: 'first' };
    const dests = [own];
    const src = shared(A, 'sender').loc;
    for (const ext of ['first', 'second', 'second']) {
      own.ext = ext;
      const w = msg('data', 'd', { src, dests });
      const direct = new Writer(64);
      expect(encodeWireFrame(direct, w)).toBeNull();
      expect(decodeAll(direct.bytes()).msgs[0]!.dests[0]!.extension).toBe(ext);
    }
  });

  it('frames of every header size follow each other in one writer without gaps (small, ext 16, ext 32, small again)', () => {
    const sizes = [10, 300, 70_000, 0, 5000, 1, 200_000, 20];
    const w = new Writer(64);
    for (const n of sizes) expect(encodeWireFrame(w, msg('data', `d${n}`, { buf: new Uint8Array(n).fill(n & 0xff).buffer as ArrayBuffer }))).toBeNull();
    const { msgs, error } = decodeAll(w.bytes());
    expect(error).toBeNull();
    expect(msgs.map((m) => [m.name, m.buf?.byteLength, m.buf?.[m.buf.length - 1]])).toEqual(sizes.map((n) => [`d${n}`, n, n === 0 ? undefined : n & 0xff]));
  });

  it('a location already seen resolves as before: per sending app, with more receivers than are remembered, across batches', () => {
    // 20 receivers (more than are remembered), twice, interleaved with two senders.
    const sent = Array.from({ length: 40 }, (_, i) => {
      const w = msg('data', 'd', { props: { i } });
      w.src = shared(A, `s${i % 2}`).loc;
      w.dests = locOf(`r${i % 20}`).dests;
      return w;
    });
    const { posted } = outbox(sent);
    const C = 'msgpack://127.0.0.1:8003/';
    for (const srcApp of [A, C, A]) {
      const got = posted.flatMap((p) => decodeInboundFrames(p.bytes.slice(0), p.length, srcApp, G, locOf));
      expect(got.map((w) => [w.props.i, w.src, w.dests[0]])).toEqual(sent.map((_w, i) => [i, { app: srcApp, graph: G, ext: `s${i % 2}` }, locOf(`r${i % 20}`).loc]));
      // The receivers' shared locations, as the router has them.
      for (const w of got) expect(w.dests).toBe(locOf(w.dests[0]!.ext).dests);
    }
  });
});
