/**
 * The message path between an extension group's thread and other apps. Messages to another app
 * are encoded into TEN's wire frames in the sending thread (`RemoteOutbox`, a router target) and
 * handed to the host as one buffer per app per loop turn, which the host writes to that app's
 * connection as they are; messages from another app reach the group as the frames they arrived
 * in (`decodeInboundFrames`). So the host thread, shared by every graph and connection of the
 * app, neither encodes nor clones them, and a message crosses a thread boundary as bytes, not as
 * a cloned object.
 */
import type { FromWorker } from '../core/protocol';
import type { SharedLoc, WireLoc, WireMsg } from '../core/wire';
import type { MsgTarget } from '../routing/target';
import { fromTen } from './bridge';
import { BytesMemo, Writer } from './msgpack';
import { FrameDecoder } from './stream';
import type { TenMsg } from './message';
import { decodeWireBody, wireBodyReader, type LocResolver } from './wire_decode';
import { encodeWireFrame } from './wire_encode';

/** Bytes after which a buffer is handed over at once rather than at the end of the turn. */
const FLUSH_NOW_BYTES = 1 << 20;
/**
 * A buffer up to this size is handed over as a copy of its bytes and the writer keeps its
 * memory; a larger one is handed over as it is and the writer starts a new one.
 */
const COPY_MAX_BYTES = 64 * 1024;
/** A message after this long without a hand-over goes at once even within one turn (milliseconds). */
const IDLE_MS = 1;

interface AppBox {
  w: Writer;
  count: number;
  /** The runloop turn whose first message for this app was handed over at once. */
  turn: number;
}

/**
 * Messages of a thread for other apps, as TEN frames, one buffer per app. The first message
 * for an app in a runloop turn, or after a quiet spell, is handed to the host at once (a lone
 * cmd does not wait for the end of the turn); the rest of the turn's messages go together at
 * its end. When this thread owns the socket to that app (protocol/group_socket.ts), the
 * buffer is written to it instead, with the same timing.
 */
export class RemoteOutbox implements MsgTarget {
  readonly kind = 'remote';
  private readonly boxes = new Map<string, AppBox>();
  private armed = false;
  private readonly flushBound = (): void => this.flush();

  /**
   * `post` hands a message to the host (with its transfer list); `refuse` answers a message that
   * cannot be encoded (a value TEN's protocol cannot carry), as the router answers undeliverable
   * ones; `loop` is the sending thread's runloop (its turn count tells a turn's first message).
   */
  constructor(
    private readonly post: (m: FromWorker, transfer: ArrayBuffer[]) => void,
    private readonly refuse: (w: WireMsg, text: string) => void,
    private readonly loop: { readonly turns: number },
    /** The socket to an app when this thread owns it (protocol/group_socket.ts): written there, not handed to the host. */
    private readonly socketOf: (app: string) => { writeDirect(bytes: Uint8Array, length: number, count: number): boolean } | undefined = () => undefined,
  ) {}

  deliver(w: WireMsg): boolean {
    const app = w.dests[0]!.app;
    let box = this.boxes.get(app);
    if (!box) this.boxes.set(app, (box = { w: new Writer(16 * 1024), count: 0, turn: -1 }));
    const err = encodeWireFrame(box.w, w);
    if (err !== null) {
      this.refuse(w, err.message);
      return true;
    }
    box.count++;
    if (box.count === 1 && (box.turn !== this.loop.turns || performance.now() - this.lastFlush > IDLE_MS)) {
      box.turn = this.loop.turns;
      this.flushApp(app, box);
    } else if (box.w.pos >= FLUSH_NOW_BYTES) this.flushApp(app, box);
    else if (!this.armed) {
      this.armed = true;
      setImmediate(this.flushBound);
    }
    return true;
  }

  /** When the last buffer went to the host (performance.now()). */
  private lastFlush = 0;

  /** Hands every app's frames to the host. */
  flush(): void {
    this.armed = false;
    for (const [app, box] of this.boxes) this.flushApp(app, box);
  }

  private flushApp(app: string, box: AppBox): void {
    if (box.count === 0) return;
    this.lastFlush = performance.now();
    const w = box.w;
    const length = w.pos;
    const sock = this.socketOf(app);
    if (sock !== undefined && sock.writeDirect(w.b, length, box.count)) {
      w.pos = 0;
      box.count = 0;
      return;
    }
    let ab: ArrayBuffer;
    if (length <= COPY_MAX_BYTES) {
      ab = new ArrayBuffer(length);
      new Uint8Array(ab).set(w.b.subarray(0, length));
      w.pos = 0;
    } else ab = w.take().buffer as ArrayBuffer;
    const count = box.count;
    box.count = 0;
    this.post({ t: 'to_remote', app, bytes: ab, length, count }, [ab]);
  }
}

/**
 * The resolver of the frames from each app for each graph of this thread, kept across batches
 * for the locations it remembers (a thread serves one graph; an entry is as small as its eight
 * remembered locations).
 */
const resolvers = new Map<string, LocResolver & { locOf: (ext: string) => SharedLoc }>();

/** Shared locations of extensions of other apps, by app and extension (frozen, like `locOf`'s). */
const remoteLocs = new Map<string, Map<string, SharedLoc>>();

function remoteLoc(app: string, graph: string, ext: string): WireLoc {
  let byExt = remoteLocs.get(app);
  if (!byExt) remoteLocs.set(app, (byExt = new Map()));
  let l = byExt.get(ext);
  if (l === undefined || l.loc.graph !== graph) {
    const loc = Object.freeze({ app, graph, ext }) as WireLoc;
    l = { loc, dests: Object.freeze([loc]) as unknown as WireLoc[] };
    byExt.set(ext, l);
  }
  return l.loc;
}

/**
 * The locations of frames from the app `srcApp` for this graph (`graphId`), as TEN fills them in
 * for a message from a remote: the source app is the remote's URI, and an empty source graph is
 * this graph; `dests` gives the receiver's shared dests (or none: see LocResolver).
 */
export function inboundLocs(srcApp: string, graphId: string, dests: LocResolver['dests']): LocResolver {
  return { src: (_app, graph, ext) => remoteLoc(srcApp, graph || graphId, ext), dests, srcMemo: new BytesMemo<WireLoc>(), destMemo: new BytesMemo<WireLoc[]>() };
}

/**
 * TEN frames received from the app `srcApp` for extensions of this graph, as runtime messages,
 * with what TEN fills in for a message from a remote: the source app is the remote's URI, an
 * empty source graph and a destination graph that is empty or a graph's name become this graph.
 * Locations are the shared ones (`locOf` for this graph's extensions), and frame buffers are
 * views of `bytes` (the transferred batch, or a socket's chunk: from `offset`), materialised only
 * when read.
 */
export function decodeInboundFrames(bytes: ArrayBuffer, length: number, srcApp: string, graphId: string, locOf: (ext: string) => SharedLoc, offset = 0): WireMsg[] {
  const b = new Uint8Array(bytes, offset, length);
  const key = `${srcApp}\u0000${graphId}`;
  let locs = resolvers.get(key);
  if (locs === undefined || locs.locOf !== locOf) {
    const r = { ...inboundLocs(srcApp, graphId, (_app, _graph, ext) => locOf(ext).dests), locOf };
    resolvers.set(key, r);
    locs = r;
  }
  const out: WireMsg[] = [];
  const vr = wireBodyReader(b);
  const now = Date.now();
  let pos = 0;
  while (pos < length) {
    const h = frameAt(b, pos);
    if (h === null) break;
    const end = pos + h.head + h.body;
    const w = decodeWireBody(vr, pos + h.head, h.body, locs, now) ?? generalDecode(b.subarray(pos, end), locs);
    if (w !== null) out.push(w);
    pos = end;
  }
  return out;
}

/** The header of the frame at `pos` (the host checked it; null only past the end). */
function frameAt(b: Uint8Array, pos: number): { head: number; body: number } | null {
  const t = b[pos];
  if (t === undefined) return null;
  if (t >= 0xd4 && t <= 0xd8) return { head: 2, body: 1 << (t - 0xd4) };
  if (t === 0xc7) return { head: 3, body: b[pos + 1]! };
  if (t === 0xc8) return { head: 4, body: (b[pos + 1]! << 8) | b[pos + 2]! };
  if (t === 0xc9) return { head: 6, body: ((b[pos + 1]! << 24) >>> 0) + ((b[pos + 2]! << 16) | (b[pos + 3]! << 8) | b[pos + 4]!) };
  return null;
}

/** A frame of a type the direct decoder does not cover: the general one, then the same locations. */
function generalDecode(frame: Uint8Array, locs: LocResolver): WireMsg | null {
  const msgs: TenMsg[] = [];
  new FrameDecoder({ maxFrameBytes: Number.MAX_SAFE_INTEGER }).feed(frame, msgs);
  const m = msgs[0];
  if (m === undefined) return null;
  const w = fromTen(m, m.buf);
  w.src = locs.src(m.src.app ?? '', m.src.graph ?? '', m.src.extension ?? '');
  const d = m.dests[0];
  if (d !== undefined) w.dests = locs.dests(d.app ?? '', d.graph ?? '', d.extension ?? '');
  return w;
}
