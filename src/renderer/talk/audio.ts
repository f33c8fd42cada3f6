/**
 * Audio in the page: the microphone captured with getUserMedia and shipped to the host as
 * 16-bit mono PCM at the transport's rate (base64, batched), and the graph's audio back played
 * with Web Audio, back to back, with a small lead against jitter and a flush on barge-in.
 *
 * No AudioWorklet: the built page's CSP allows only its own bundle as script, and a worklet is
 * a module loaded from a URL. A ScriptProcessorNode runs on the main thread; at 16 kHz mono the
 * work per callback is a resample and a copy of a few thousand samples.
 */
import { floatToInt16, Resampler } from '../../shared/talk/wav';

/** Microphone audio is sent when this much has gathered (ms). */
export const MIC_BATCH_MS = 60;
/** Playback of a burst starts this far ahead of the audio clock (s), against jitter. */
const PLAY_LEAD_S = 0.08;

/** RMS level of samples in [-1, 1] on a 0–1 scale spanning −60…0 dBFS. */
export function meterLevel(x: Float32Array | Int16Array, scale = 1): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += (x[i]! * scale) ** 2;
  const rms = Math.sqrt(sum / Math.max(1, x.length));
  if (rms <= 0) return 0;
  return Math.max(0, Math.min(1, (20 * Math.log10(rms) + 60) / 60));
}

export function int16ToBase64(pcm: Int16Array): string {
  const bytes = new Uint8Array(pcm.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < pcm.length; i++) view.setInt16(i * 2, pcm[i]!, true);
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

export function base64ToFloat(b64: string): Float32Array<ArrayBuffer> {
  const binary = atob(b64);
  const n = binary.length >> 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const lo = binary.charCodeAt(2 * i);
    const hi = binary.charCodeAt(2 * i + 1);
    const v = (hi << 8) | lo;
    out[i] = (v & 0x8000 ? v - 0x10000 : v) / 32768;
  }
  return out;
}

/** Captures the microphone and hands 16-bit mono PCM at `rate` to `send`, in batches. */
export class Microphone {
  private stream: MediaStream | null = null;
  private ctx: AudioContext | null = null;
  private node: ScriptProcessorNode | null = null;
  private resampler: Resampler | null = null;
  private pending: Int16Array[] = [];
  private pendingSamples = 0;

  constructor(
    private readonly rate: number,
    private readonly send: (pcm: Int16Array) => void,
    private readonly onLevel: (level: number) => void,
  ) {}

  async start(): Promise<void> {
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: false },
    });
    const ctx = new AudioContext();
    this.ctx = ctx;
    this.resampler = new Resampler(ctx.sampleRate, this.rate);
    const source = ctx.createMediaStreamSource(this.stream);
    const node = ctx.createScriptProcessor(2048, 1, 1);
    this.node = node;
    node.onaudioprocess = (e) => this.take(e.inputBuffer.getChannelData(0));
    // The processor runs only while connected to the output; a muted gain keeps it silent.
    const mute = ctx.createGain();
    mute.gain.value = 0;
    source.connect(node);
    node.connect(mute);
    mute.connect(ctx.destination);
    if (ctx.state !== 'running') await ctx.resume();
  }

  private take(input: Float32Array): void {
    this.onLevel(meterLevel(input));
    const pcm = floatToInt16(this.resampler!.push(input));
    if (pcm.length === 0) return;
    this.pending.push(pcm);
    this.pendingSamples += pcm.length;
    if (this.pendingSamples >= (this.rate * MIC_BATCH_MS) / 1000) this.flush();
  }

  private flush(): void {
    if (this.pendingSamples === 0) return;
    const out = new Int16Array(this.pendingSamples);
    let at = 0;
    for (const p of this.pending) {
      out.set(p, at);
      at += p.length;
    }
    this.pending = [];
    this.pendingSamples = 0;
    this.send(out);
  }

  async stop(): Promise<void> {
    this.flush();
    if (this.node) this.node.onaudioprocess = null;
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    await this.ctx?.close().catch(() => undefined);
    this.ctx = null;
    this.onLevel(0);
  }
}

/** Plays the graph's audio back to back as it arrives; `flush` stops what is scheduled (barge-in). */
export class Player {
  private ctx: AudioContext | null = null;
  private gain: GainNode | null = null;
  private analyser: AnalyserNode | null = null;
  private next = 0;
  private readonly sources = new Set<AudioBufferSourceNode>();
  playedSec = 0;
  private muted = false;

  /** Creates the audio context; call from a user gesture (a click) where the browser requires one. */
  ensure(): AudioContext {
    if (!this.ctx) {
      this.ctx = new AudioContext();
      this.gain = this.ctx.createGain();
      this.gain.gain.value = this.muted ? 0 : 1;
      this.analyser = this.ctx.createAnalyser();
      this.analyser.fftSize = 1024;
      this.gain.connect(this.analyser);
      this.analyser.connect(this.ctx.destination);
    }
    if (this.ctx.state === 'suspended') void this.ctx.resume();
    return this.ctx;
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    if (this.gain) this.gain.gain.value = muted ? 0 : 1;
  }

  /** Schedules one chunk (16-bit mono PCM, base64) right after the previous one. */
  play(b64: string, sampleRate: number): void {
    const ctx = this.ensure();
    const samples = base64ToFloat(b64);
    if (samples.length === 0) return;
    const buffer = ctx.createBuffer(1, samples.length, sampleRate);
    buffer.copyToChannel(samples, 0);
    const src = ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(this.gain!);
    const at = Math.max(this.next, ctx.currentTime + PLAY_LEAD_S);
    src.start(at);
    this.next = at + buffer.duration;
    this.playedSec += buffer.duration;
    this.sources.add(src);
    src.onended = () => this.sources.delete(src);
  }

  /** Stops everything scheduled (the graph flushed its audio). */
  flush(): void {
    for (const s of this.sources) {
      try {
        s.stop();
      } catch {
        // Already stopped.
      }
    }
    this.sources.clear();
    this.next = 0;
  }

  /** The output level now, 0–1. */
  level(): number {
    if (!this.analyser) return 0;
    const data = new Float32Array(this.analyser.fftSize);
    this.analyser.getFloatTimeDomainData(data);
    return meterLevel(data);
  }

  close(): void {
    this.flush();
    void this.ctx?.close().catch(() => undefined);
    this.ctx = null;
  }
}
