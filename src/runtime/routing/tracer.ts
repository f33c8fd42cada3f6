/**
 * Ours: message tracing in a group worker. Off by default: the group holds `tracer = null` and
 * the message path pays one null check. When on, records for the chosen edges are buffered and
 * posted with the group's events once per loop turn. At most `MAX_PER_WINDOW` records are kept
 * per `WINDOW_MS` (a thread posts ≤ 10,000 a second); the rest are only counted as dropped, so
 * tracing a hot edge cannot flood the host thread with structured-clone work.
 */
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { MAX_PAYLOAD_BUF, type TracePayload } from '../../shared/ipc/runs';
import type { TraceConfig, TraceRecord } from '../core/protocol';
import { wireBuf, type WireMsg } from '../core/wire';

const MAX_PER_WINDOW = 500;
const WINDOW_MS = 50;
const PREVIEW_CHARS = 160;

export class Tracer {
  private readonly any: boolean;
  private readonly pairs = new Set<string>();
  private readonly fromSrc = new Set<string>();
  private readonly toDest = new Set<string>();
  private readonly sampleEvery: number;
  private readonly payloads: boolean;
  private seen = 0;
  private windowStart = 0;
  private inWindow = 0;
  records: TraceRecord[] = [];
  dropped = 0;

  constructor(
    config: TraceConfig,
    private readonly group: string,
  ) {
    this.sampleEvery = Math.max(1, Math.floor(config.sampleEvery));
    this.payloads = config.payloads === true;
    let any = false;
    for (const e of config.edges) {
      if (e.src !== undefined && e.dest !== undefined) this.pairs.add(`${e.src}\u0000${e.dest}`);
      else if (e.src !== undefined) this.fromSrc.add(e.src);
      else if (e.dest !== undefined) this.toDest.add(e.dest);
      else any = true;
    }
    this.any = any;
  }

  /** Whether a message from `src` to `dest` is traced (data sampled, cmds and results always). */
  wants(w: WireMsg, src: string, dest: string): boolean {
    if (!(this.any || this.fromSrc.has(src) || this.toDest.has(dest) || this.pairs.has(`${src}\u0000${dest}`))) return false;
    if (w.cmdId !== '' || this.sampleEvery === 1) return true;
    return this.seen++ % this.sampleEvery === 0;
  }

  /** Records one step (`durMs` for deliveries); past the window's budget it only counts a drop. */
  record(stage: TraceRecord['stage'], w: WireMsg, src: string, dest: string, durMs?: number, cmdId: string = w.cmdId): void {
    if (this.inWindow >= MAX_PER_WINDOW) {
      const now = performance.now();
      if (now - this.windowStart < WINDOW_MS) {
        this.dropped++;
        return;
      }
      this.windowStart = now;
      this.inWindow = 0;
    }
    this.inWindow++;
    const r: TraceRecord = {
      // A delivery is recorded after its handler ran: its step began durMs earlier.
      ts: performance.timeOrigin + performance.now() - (durMs ?? 0),
      stage,
      type: w.type,
      name: w.name,
      src,
      dest,
      cmdId,
      group: this.group,
      threadId,
    };
    if (w.type === 'cmd_result') r.status = w.status;
    if (stage === 'sent') {
      r.preview = preview(w.props);
      if (this.payloads) r.payload = payloadOf(w);
    }
    if (durMs !== undefined) r.durMs = durMs;
    this.records.push(r);
  }

  /** Takes the buffered records and the drop count since the last take. */
  take(): { records: TraceRecord[]; dropped: number } | null {
    if (this.records.length === 0 && this.dropped === 0) return null;
    const out = { records: this.records, dropped: this.dropped };
    this.records = [];
    this.dropped = 0;
    return out;
  }
}

function preview(props: Record<string, unknown>): string {
  try {
    const text = JSON.stringify(props, (_k, v: unknown) => (v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? `<${(v as ArrayBuffer).byteLength} bytes>` : v));
    return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
  } catch {
    return '<unserialisable>';
  }
}

/** What a message carries, for a replay: properties (buffers as base64), buffer, frame fields. */
function payloadOf(w: WireMsg): TracePayload {
  const p: TracePayload = { props: jsonable(w.props) as Record<string, unknown> };
  if (w.type === 'data' || w.type === 'audio_frame' || w.type === 'video_frame') {
    const buf = wireBuf(w);
    if (buf !== null && buf.byteLength > 0) {
      p.bufBytes = buf.byteLength;
      if (buf.byteLength <= MAX_PAYLOAD_BUF) p.buf = Buffer.from(buf).toString('base64');
    }
  }
  if (w.audio) {
    p.audio = { ...w.audio };
    p.frameTs = w.ts;
  }
  if (w.video) {
    p.video = { ...w.video };
    p.frameTs = w.ts;
  }
  return p;
}

function jsonable(v: unknown): unknown {
  if (v instanceof ArrayBuffer) return { $ten_buf: Buffer.from(v).toString('base64') };
  if (ArrayBuffer.isView(v)) return { $ten_buf: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (Array.isArray(v)) return v.map(jsonable);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonable(x);
    return out;
  }
  return v;
}
