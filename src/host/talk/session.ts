/**
 * Talking to a running graph from the host: one `TalkRun` per run with local transports. It
 * links to each `local_transport` extension over its BroadcastChannel (src/shared/talk/link.ts),
 * feeds it audio (the page's microphone, a WAV file), takes the audio the graph sends back onto a
 * playout timeline (what a listener hears: frames back to back from their arrival, a `flush`
 * drops what has not played), reads the runtime's text tap into text events with the graph's
 * roles, and folds everything into turns. Everything leaves through a `TalkSink`: the run's
 * telemetry (stream, history, recordings) in the studio, the console and files in the CLI.
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { App } from '../../runtime';
import { readText, TurnTracker, type TalkEvent, type TalkRoles, type Turn } from '../../shared/talk/talk';
import type { FromTransport, ToTransport } from '../../shared/talk/link';
import { decodeWav, encodeWav16, floatToInt16, int16ToFloat, Resampler, wavToMono16, type DecodedWav, type WavInfo } from '../../shared/talk/wav';

/** Where a run's talk goes. */
export interface TalkSink {
  event(ev: TalkEvent): void;
  /** Audio the graph sent back, mono 16-bit at the transport's rate, in playout order. */
  audio(node: string, pcm: Int16Array, sampleRate: number): void;
}

/** What the host knows about one transport of a run. */
export interface TransportState {
  node: string;
  graph: string;
  /** Set once the extension has started (`ready`). */
  sampleRate: number | null;
  frameMs: number | null;
  frameName: string | null;
  joined: boolean;
  /** Frames fed so far (input and silence). */
  frames: number;
  inputFrames: number;
  silentFrames: number;
  /** Timestamps of the first and the last frame fed (join time + n × frame_ms). */
  firstTs: number;
  lastTs: number;
  queuedMs: number;
  /** Audio back from the graph, in ms of playout. */
  outMs: number;
  outFrames: number;
}

/** A burst of the graph's audio ends when nothing is left to play for this long. */
const BURST_GAP_MS = 300;
/**
 * A burst starts playing this long after its first frame arrived (a jitter buffer): frames that
 * arrive in real time, a little early or late, then play back to back instead of with a gap of a
 * few samples each time one is late.
 */
export const PLAYOUT_DELAY_MS = 60;
/** The studio keeps at most this much of the graph's audio for `--audio-out` (one hour at 16 kHz is 110 MiB). */
const MAX_RECORD_MS = 60 * 60 * 1000;

/**
 * The graph's audio on a timeline from the user's joining, as a listener hears it: a burst starts
 * `PLAYOUT_DELAY_MS` after its first frame arrives, and each later frame plays right after the one
 * before, or (when it came later than that: an underrun) `PLAYOUT_DELAY_MS` after it arrived.
 */
export class Playout {
  private buf: Int16Array;
  /** Samples written (the timeline's end). */
  private length = 0;
  /** End of what is queued to play, in samples from the origin. */
  private end = 0;
  private origin = 0;
  private readonly resamplers = new Map<string, Resampler>();
  frames = 0;
  private truncated = false;

  constructor(
    readonly rate: number,
    private readonly record: boolean,
  ) {
    this.buf = new Int16Array(record ? rate * 10 : 0);
  }

  /** Starts the timeline (the user joined). */
  start(originMs: number): void {
    this.origin = originMs;
  }

  get started(): boolean {
    return this.origin !== 0;
  }

  /** Where the queued audio ends, epoch ms. */
  endMs(): number {
    return this.origin + (this.end * 1000) / this.rate;
  }

  /**
   * Places one frame that arrived at `at` (epoch ms) and returns its samples as played (mono, at
   * the timeline's rate) and whether it starts a burst (nothing was playing when it came).
   */
  add(pcm: Int16Array, sampleRate: number, channels: number, at: number, key: string): { mono: Int16Array; startsBurst: boolean } {
    this.frames++;
    let mono: Int16Array = pcm;
    if (channels > 1) {
      const n = Math.floor(pcm.length / channels);
      mono = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let c = 0; c < channels; c++) s += pcm[i * channels + c]!;
        mono[i] = Math.round(s / channels);
      }
    }
    if (sampleRate !== this.rate) {
      const rkey = `${key}\u0000${sampleRate}`;
      let r = this.resamplers.get(rkey);
      if (!r) this.resamplers.set(rkey, (r = new Resampler(sampleRate, this.rate)));
      mono = floatToInt16(r.push(int16ToFloat(mono)));
    }
    if (!this.started) this.start(at);
    const arrival = Math.max(0, Math.round(((at - this.origin) * this.rate) / 1000));
    const startsBurst = arrival >= this.end + Math.round((BURST_GAP_MS * this.rate) / 1000) || this.end === 0;
    const pos = arrival > this.end ? arrival + Math.round((PLAYOUT_DELAY_MS * this.rate) / 1000) : this.end;
    this.end = pos + mono.length;
    if (this.record) this.write(pos, mono);
    return { mono, startsBurst };
  }

  /** Drops what is queued after `at` (a flush); returns the ms dropped. */
  flush(at: number): number {
    const cut = Math.max(0, Math.round(((at - this.origin) * this.rate) / 1000));
    if (cut >= this.end) return 0;
    const dropped = ((this.end - cut) * 1000) / this.rate;
    this.end = cut;
    if (this.record && this.length > cut) {
      this.buf.fill(0, cut, this.length);
      this.length = cut;
    }
    return dropped;
  }

  private write(pos: number, mono: Int16Array): void {
    const need = pos + mono.length;
    if (need > (MAX_RECORD_MS / 1000) * this.rate) {
      this.truncated = true;
      return;
    }
    if (need > this.buf.length) {
      const grown = new Int16Array(Math.max(need, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(mono, pos);
    this.length = Math.max(this.length, need);
  }

  /** The recorded timeline as a WAV file (silence where nothing played), padded to `untilMs` after the origin. */
  wav(untilMs = 0): { bytes: Uint8Array; ms: number; truncated: boolean } {
    const n = Math.max(this.length, Math.min(Math.round((untilMs * this.rate) / 1000), (MAX_RECORD_MS / 1000) * this.rate));
    const out = new Int16Array(n);
    out.set(this.buf.subarray(0, Math.min(this.length, n)));
    return { bytes: encodeWav16(out, this.rate), ms: (n * 1000) / this.rate, truncated: this.truncated };
  }
}

/** The link to one `local_transport` extension. */
export class TransportLink {
  readonly state: TransportState;
  private readonly channel: BroadcastChannel;
  /** Messages for the extension before it has started (a BroadcastChannel does not keep them). */
  private pending: ToTransport[] = [];
  private ready = false;
  private readyWaiters: (() => void)[] = [];
  playout: Playout | null = null;
  private burstEnd: NodeJS.Timeout | null = null;
  private lastSrc = '';
  /**
   * The next frame back is reported as a start even in the middle of a burst: set when the user's
   * words were recognised (the answer's first frame ends a turn) and after a flush.
   */
  wantFirstFrame = false;
  /** Senders whose frames were refused, with why. */
  readonly refused = new Map<string, string>();
  private closed = false;

  constructor(
    readonly node: string,
    graph: string,
    readonly channelName: string,
    private readonly record: boolean,
    private readonly onEvent: (ev: TalkEvent) => void,
    private readonly onAudio: (node: string, pcm: Int16Array, sampleRate: number) => void,
  ) {
    this.state = { node, graph, sampleRate: null, frameMs: null, frameName: null, joined: false, frames: 0, inputFrames: 0, silentFrames: 0, firstTs: 0, lastTs: 0, queuedMs: 0, outMs: 0, outFrames: 0 };
    this.channel = new BroadcastChannel(channelName);
    this.channel.onmessage = (ev: unknown) => this.fromTransport((ev as { data: FromTransport }).data);
  }

  /** Resolves once the extension has started (its sample rate is known). */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  get isReady(): boolean {
    return this.ready;
  }

  send(m: ToTransport): void {
    if (this.closed) return;
    if (!this.ready) this.pending.push(m);
    else this.channel.postMessage(m);
  }

  join(): void {
    this.send({ t: 'join' });
  }

  leave(): void {
    this.send({ t: 'leave' });
  }

  /** Queues audio (16-bit mono at the transport's rate) to feed; joins first when needed. */
  feed(pcm: Int16Array, live: boolean): void {
    this.send({ t: 'audio', pcm, live });
    if (!this.state.joined) this.join();
  }

  /**
   * Feeds a WAV file: decoded, mixed down and resampled to the transport's rate (after it
   * started). Returns what the file holds and the reader's warnings.
   */
  async feedWav(bytes: Uint8Array, label: string): Promise<{ info: WavInfo; warnings: string[]; samples: number }> {
    return this.feedDecoded(decodeWav(bytes, label));
  }

  /** Feeds a decoded WAV file (see `feedWav`). */
  async feedDecoded(wav: DecodedWav): Promise<{ info: WavInfo; warnings: string[]; samples: number }> {
    await this.whenReady();
    const pcm = wavToMono16(wav, this.state.sampleRate!);
    // One message per second of audio keeps each clone small.
    const step = this.state.sampleRate!;
    for (let i = 0; i < pcm.length; i += step) this.send({ t: 'audio', pcm: pcm.slice(i, i + step), live: false });
    if (!this.state.joined) this.join();
    return { info: wav.info, warnings: wav.warnings, samples: pcm.length };
  }

  clearInput(): void {
    this.send({ t: 'clear_input' });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.burstEnd) clearTimeout(this.burstEnd);
    this.channel.close();
    for (const w of this.readyWaiters.splice(0)) w();
  }

  private fromTransport(m: FromTransport): void {
    if (this.closed) return;
    const s = this.state;
    switch (m.t) {
      case 'ready':
        s.sampleRate = m.sampleRate;
        s.frameMs = m.frameMs;
        s.frameName = m.frameName;
        this.playout = new Playout(m.sampleRate, this.record);
        this.ready = true;
        for (const p of this.pending.splice(0)) this.channel.postMessage(p);
        for (const w of this.readyWaiters.splice(0)) w();
        return;
      case 'session':
        s.joined = m.state === 'joined';
        if (m.state === 'joined' && this.playout && !this.playout.started) this.playout.start(m.ts);
        this.onEvent({ kind: 'session', ts: m.ts, node: this.node, state: m.state, ...(m.error ? { detail: m.error } : {}) });
        return;
      case 'speech':
        this.onEvent({ kind: 'speech', ts: m.ts, node: this.node, edge: m.edge, mediaMs: m.mediaMs });
        return;
      case 'fed':
        s.frames = m.frames;
        s.inputFrames = m.inputFrames;
        s.silentFrames = m.silentFrames;
        s.firstTs = m.firstTs;
        s.lastTs = m.lastTs;
        s.queuedMs = m.queuedMs;
        return;
      case 'out': {
        const p = this.playout;
        if (!p) return;
        const { mono, startsBurst } = p.add(m.pcm, m.sampleRate, m.channels, m.at, m.src);
        s.outFrames++;
        s.outMs += (mono.length * 1000) / p.rate;
        this.lastSrc = m.src;
        if (startsBurst || this.wantFirstFrame) this.onEvent({ kind: 'audio_out', ts: m.at, node: this.node, edge: 'start', src: m.src });
        this.wantFirstFrame = false;
        this.armBurstEnd();
        if (mono.length) this.onAudio(this.node, mono, p.rate);
        return;
      }
      case 'out_refused':
        this.refused.set(m.src, m.reason);
        return;
      case 'flush': {
        const dropped = this.playout?.flush(m.at) ?? 0;
        this.wantFirstFrame = true;
        this.onEvent({ kind: 'flush', ts: m.at, node: this.node, src: m.src, droppedMs: Math.round(dropped) });
        this.armBurstEnd();
        return;
      }
    }
  }

  /** Reports the end of a burst when the queued audio has played out. */
  private armBurstEnd(): void {
    const p = this.playout;
    if (!p) return;
    if (this.burstEnd) clearTimeout(this.burstEnd);
    const endMs = p.endMs();
    this.burstEnd = setTimeout(() => {
      this.burstEnd = null;
      this.onEvent({ kind: 'audio_out', ts: endMs, node: this.node, edge: 'end', src: this.lastSrc });
    }, Math.max(0, endMs - Date.now()) + BURST_GAP_MS);
    this.burstEnd.unref();
  }
}

/** One transport of a run, as the run is planned. */
export interface TransportSpec {
  graph: string;
  node: string;
  channel: string;
}

/**
 * The talk of one run: its transports, its text (from the runtime's text tap, read with the
 * graph's roles) and its turns.
 */
export class TalkRun {
  readonly links = new Map<string, TransportLink>();
  readonly turns: Turn[] = [];
  private readonly tracker = new TurnTracker();
  private readonly offs: (() => void)[] = [];
  private ended = false;

  constructor(
    app: App,
    transports: readonly TransportSpec[],
    private readonly roles: TalkRoles,
    private readonly sink: TalkSink,
    opts: { record?: boolean } = {},
  ) {
    for (const t of transports) {
      this.links.set(t.node, new TransportLink(t.node, t.graph, t.channel, opts.record ?? false, (ev) => this.emit(ev), (node, pcm, rate) => sink.audio(node, pcm, rate)));
    }
    this.offs.push(
      app.onText((_graphId, records) => {
        for (const r of records) {
          const ev = readText(r, this.roles);
          if (ev) this.emit(ev);
        }
      }),
    );
  }

  /** The link of `node`, or of the only transport when `node` is not given. */
  link(node?: string): TransportLink {
    if (node !== undefined) {
      const l = this.links.get(node);
      if (!l) throw new Error(`'${node}' is not a transport of this run (transports: ${[...this.links.keys()].join(', ') || 'none'}).`);
      return l;
    }
    const [first, ...rest] = this.links.values();
    if (!first) throw new Error('This run has no local transport.');
    if (rest.length) throw new Error(`Name the transport: this run has ${this.links.size} (${[...this.links.keys()].join(', ')}).`);
    return first;
  }

  get roleMap(): TalkRoles {
    return this.roles;
  }

  private emit(ev: TalkEvent): void {
    if (this.ended) return;
    if (ev.kind === 'text' && ev.stage === 'asr' && ev.final === true) for (const l of this.links.values()) l.wantFirstFrame = true;
    this.sink.event(ev);
    for (const t of this.tracker.push(ev)) this.emitTurn(t);
  }

  private emitTurn(t: Turn): void {
    this.turns.push(t);
    this.sink.event({ kind: 'turn', ts: t.audioBack ?? t.asrFinal ?? t.speechEnd ?? t.speechStart, turn: t });
  }

  /** The run ended: an open turn is reported, the links close. */
  end(): void {
    if (this.ended) return;
    for (const t of this.tracker.end()) this.emitTurn(t);
    this.ended = true;
    for (const off of this.offs.splice(0)) off();
    for (const l of this.links.values()) l.close();
  }
}
