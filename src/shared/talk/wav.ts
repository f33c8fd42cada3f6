/**
 * WAV files for the local transport (`--audio-in`/`--audio-out`, the Talk panel's file input):
 * a reader that takes what real recorders write (PCM 8/16/24/32-bit, IEEE float 32/64-bit,
 * G.711 µ-law and A-law, WAVE_FORMAT_EXTENSIBLE, any channel count and rate) and refuses the rest
 * with a located reason, a 16-bit PCM writer, and a windowed-sinc resampler that works on a stream
 * (the graph's audio arrives frame by frame) as well as on a whole file.
 *
 * Pure TypeScript on typed arrays: the host, the CLI and the page share it.
 */

/** What a WAV file holds, as its `fmt ` chunk says. */
export interface WavInfo {
  /** `pcm` (integer), `float`, `mulaw` or `alaw`. */
  encoding: 'pcm' | 'float' | 'mulaw' | 'alaw';
  /** The `fmt ` chunk's format tag (1, 3, 6, 7, or 0xFFFE for WAVE_FORMAT_EXTENSIBLE). */
  formatTag: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Sample frames (one sample per channel each). */
  frames: number;
  durationMs: number;
}

/** A decoded WAV file: one Float32Array per channel, samples in [-1, 1]. */
export interface DecodedWav {
  info: WavInfo;
  channels: Float32Array[];
  /** What was off but usable (a truncated data chunk, a partial last frame, extra chunks). */
  warnings: string[];
}

/** A WAV file the studio cannot use; the message names the file, the byte offset and the reason. */
export class WavError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'WavError';
  }
}

const MAX_CHANNELS = 32;
const MAX_RATE = 768_000;

/** Format tags of codecs a user may meet, for a refusal that names them. */
const CODEC_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0040: 'G.721 ADPCM',
  0x0050: 'MPEG audio',
  0x0055: 'MP3',
  0x00ff: 'AAC',
  0x0161: 'Windows Media Audio',
  0x1610: 'AAC (ADTS)',
  0x2000: 'AC-3',
  0xf1ac: 'FLAC',
};

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

function printable(tag: string): string {
  return /^[\x20-\x7e]{4}$/.test(tag) ? `'${tag}'` : `bytes ${[...tag].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ')}`;
}

/**
 * Decodes a WAV file. `label` names it in messages (`in.wav: …`).
 *
 * @throws WavError with the byte offset of what is wrong: not RIFF/WAVE, no `fmt ` or `data`
 * chunk, a codec the studio does not decode (named), impossible rates, channel counts or sizes.
 */
export function decodeWav(bytes: Uint8Array, label = 'WAV file'): DecodedWav {
  const fail = (offset: number, what: string): never => {
    throw new WavError(`${label}: byte ${offset}: ${what}`, offset);
  };
  if (bytes.length < 12) fail(0, `${bytes.length} bytes is too short for a WAV file (its RIFF header alone is 12 bytes).`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riff = fourcc(bytes, 0);
  if (riff === 'RIFX') fail(0, 'a big-endian (RIFX) WAV file; only little-endian RIFF WAV is supported. Convert it, e.g. with `sox in.wav -L out.wav`.');
  if (riff === 'RF64' || riff === 'BW64') fail(0, `an ${riff} file (WAV beyond 4 GB); only RIFF WAV is supported.`);
  if (riff !== 'RIFF') fail(0, `not a WAV file: it starts with ${printable(riff)}, not 'RIFF'.`);
  const form = fourcc(bytes, 8);
  if (form !== 'WAVE') fail(8, `a RIFF file of form ${printable(form)}, not 'WAVE'.`);

  const warnings: string[] = [];
  let fmt: { at: number; size: number } | null = null;
  let data: { at: number; size: number } | null = null;
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const id = fourcc(bytes, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (fmt) warnings.push(`${label}: byte ${pos}: a second 'fmt ' chunk is ignored.`);
      else fmt = { at: body, size: Math.min(size, bytes.length - body) };
    } else if (id === 'data') {
      if (!fmt) fail(pos, "the 'data' chunk comes before any 'fmt ' chunk, so its samples cannot be read.");
      if (data) {
        warnings.push(`${label}: byte ${pos}: a second 'data' chunk is ignored.`);
      } else {
        const available = bytes.length - body;
        // Streaming writers leave the size 0 or 0xFFFFFFFF; a cut file has fewer bytes than it declares.
        if (size === 0xffffffff || (size === 0 && available > 0)) {
          data = { at: body, size: available };
          warnings.push(`${label}: byte ${pos + 4}: the 'data' chunk's size is ${size === 0 ? 0 : '0xFFFFFFFF'} (written while streaming); reading to the end of the file (${available} bytes).`);
        } else if (size > available) {
          data = { at: body, size: available };
          warnings.push(`${label}: byte ${pos + 4}: the 'data' chunk declares ${size} bytes but the file ends after ${available}; the file is truncated, reading what is there.`);
        } else {
          data = { at: body, size };
        }
      }
    }
    // Chunks are padded to an even length.
    const next = body + size + (size & 1);
    if (next <= pos || size === 0xffffffff) break;
    pos = next;
  }
  if (!fmt) fail(12, "no 'fmt ' chunk: the file does not say how its samples are stored.");
  if (!data) fail(pos, "no 'data' chunk: the file holds no samples.");
  const f = fmt!;
  if (f.size < 16) fail(f.at - 8, `the 'fmt ' chunk is ${f.size} bytes; it needs at least 16.`);
  let tag = view.getUint16(f.at, true);
  const channels = view.getUint16(f.at + 2, true);
  const sampleRate = view.getUint32(f.at + 4, true);
  const blockAlign = view.getUint16(f.at + 12, true);
  const bits = view.getUint16(f.at + 14, true);
  const formatTag = tag;
  if (tag === 0xfffe) {
    if (f.size < 40) fail(f.at, `WAVE_FORMAT_EXTENSIBLE needs a 40-byte 'fmt ' chunk; this one is ${f.size} bytes.`);
    // The sub-format GUID begins with the format tag it stands for.
    tag = view.getUint16(f.at + 24, true);
  }
  let encoding: WavInfo['encoding'];
  if (tag === 1) encoding = 'pcm';
  else if (tag === 3) encoding = 'float';
  else if (tag === 7) encoding = 'mulaw';
  else if (tag === 6) encoding = 'alaw';
  else {
    const name = CODEC_NAMES[tag];
    fail(f.at, `${name ? `${name}-compressed` : `format tag 0x${tag.toString(16).padStart(4, '0')}`} audio is not supported; use PCM (8, 16, 24 or 32-bit), IEEE float, µ-law or A-law WAV (e.g. \`ffmpeg -i in.wav -c:a pcm_s16le out.wav\`).`);
  }
  if (channels < 1 || channels > MAX_CHANNELS) fail(f.at + 2, `${channels} channels; a WAV file here has 1 to ${MAX_CHANNELS}.`);
  if (sampleRate < 1000 || sampleRate > MAX_RATE) fail(f.at + 4, `a sample rate of ${sampleRate} Hz; supported are 1000 to ${MAX_RATE} Hz.`);
  const okBits: Record<WavInfo['encoding'], number[]> = { pcm: [8, 16, 24, 32], float: [32, 64], mulaw: [8], alaw: [8] };
  if (!okBits[encoding!].includes(bits)) fail(f.at + 14, `${bits}-bit ${encoding!} samples are not supported (supported: ${okBits[encoding!].join(', ')}-bit).`);
  const bytesPerSample = bits / 8;
  if (blockAlign !== channels * bytesPerSample) {
    fail(f.at + 12, `the block align is ${blockAlign} bytes, but ${channels} channel(s) of ${bits}-bit samples take ${channels * bytesPerSample}; the header is inconsistent.`);
  }
  const d = data!;
  let frames = Math.floor(d.size / blockAlign);
  if (d.size % blockAlign !== 0) warnings.push(`${label}: byte ${d.at + frames * blockAlign}: the last ${d.size % blockAlign} byte(s) do not make a whole sample frame and are ignored.`);
  if (frames === 0) fail(d.at - 8, "the 'data' chunk holds no complete sample frame: the file has no audio.");
  const out: Float32Array[] = [];
  for (let c = 0; c < channels; c++) out.push(new Float32Array(frames));
  let p = d.at;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      out[c]![i] = readSample(view, bytes, p, encoding!, bits);
      p += bytesPerSample;
    }
  }
  frames = out[0]!.length;
  return {
    info: { encoding: encoding!, formatTag, sampleRate, channels, bitsPerSample: bits, frames, durationMs: (frames * 1000) / sampleRate },
    channels: out,
    warnings,
  };
}

function readSample(view: DataView, bytes: Uint8Array, p: number, encoding: WavInfo['encoding'], bits: number): number {
  switch (encoding) {
    case 'pcm':
      switch (bits) {
        case 8:
          return (bytes[p]! - 128) / 128;
        case 16:
          return view.getInt16(p, true) / 32768;
        case 24: {
          const v = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16);
          return ((v << 8) >> 8) / 8388608;
        }
        default:
          return view.getInt32(p, true) / 2147483648;
      }
    case 'float': {
      const v = bits === 32 ? view.getFloat32(p, true) : view.getFloat64(p, true);
      return Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) : 0;
    }
    case 'mulaw':
      return mulaw(bytes[p]!) / 32768;
    case 'alaw':
      return alaw(bytes[p]!) / 32768;
  }
}

/** G.711 µ-law byte → 16-bit linear. */
function mulaw(u: number): number {
  const x = ~u & 0xff;
  const t = (((x & 0x0f) << 3) + 0x84) << ((x & 0x70) >> 4);
  return x & 0x80 ? 0x84 - t : t - 0x84;
}

/** G.711 A-law byte → 16-bit linear. */
function alaw(a: number): number {
  const x = a ^ 0x55;
  let t = (x & 0x0f) << 4;
  const seg = (x & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return x & 0x80 ? t : -t;
}

/** The file as one mono channel at `rate` Hz, 16-bit: channels averaged, then resampled. */
export function wavToMono16(wav: DecodedWav, rate: number): Int16Array {
  const n = wav.info.frames;
  const chans = wav.channels;
  let mono: Float32Array;
  if (chans.length === 1) mono = chans[0]!;
  else {
    mono = new Float32Array(n);
    for (const ch of chans) for (let i = 0; i < n; i++) mono[i]! += ch[i]!;
    const k = 1 / chans.length;
    for (let i = 0; i < n; i++) mono[i]! *= k;
  }
  return floatToInt16(wav.info.sampleRate === rate ? mono : resample(mono, wav.info.sampleRate, rate));
}

export function floatToInt16(x: Float32Array): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = Math.round(x[i]! * 32768);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

export function int16ToFloat(x: Int16Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! / 32768;
  return out;
}

/** A 16-bit PCM WAV file (interleaved when `channels` > 1). */
export function encodeWav16(samples: Int16Array, sampleRate: number, channels = 1): Uint8Array {
  const dataBytes = samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const v = new DataView(out.buffer);
  const put = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  v.setUint32(4, 36 + dataBytes, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * channels * 2, true);
  v.setUint16(32, channels * 2, true);
  v.setUint16(34, 16, true);
  put(36, 'data');
  v.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) v.setInt16(44 + i * 2, samples[i]!, true);
  return out;
}

// ---- resampling ---------------------------------------------------------------------------

/** Zero crossings of the sinc on each side (filter half-width at the output's cutoff). */
const ZEROS = 12;
/** Fractional positions tabulated per input sample; between them the kernel is interpolated. */
const PHASES = 256;

/**
 * A windowed-sinc (Blackman) resampler over a stream: `push` returns every output sample whose
 * window of input has arrived, `flush` the rest. Downsampling low-passes at the new Nyquist
 * frequency (no aliasing); equal rates pass samples through untouched.
 */
export class Resampler {
  private readonly step: number;
  private readonly half: number;
  private readonly table: Float32Array;
  /** Input not yet consumed, starting at absolute input index `base`. */
  private buf = new Float32Array(0);
  private base = 0;
  private filled = 0;
  /** Absolute input position of the next output sample. */
  private t = 0;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    this.step = fromRate / toRate;
    const cutoff = Math.min(1, toRate / fromRate);
    this.half = Math.ceil(ZEROS / cutoff);
    // table[phase * width + j] = kernel at distance (j - half + 1 - phase/PHASES) input samples.
    const width = 2 * this.half;
    this.table = new Float32Array((PHASES + 1) * width);
    for (let ph = 0; ph <= PHASES; ph++) {
      for (let j = 0; j < width; j++) {
        const dist = j - this.half + 1 - ph / PHASES;
        this.table[ph * width + j] = kernel(dist, cutoff, this.half);
      }
    }
  }

  /** Output samples for `input` (any length), as far as the input reaches. */
  push(input: Float32Array): Float32Array {
    if (this.fromRate === this.toRate) return input.slice();
    this.append(input);
    return this.drain(this.base + this.filled - this.half);
  }

  /** The remaining output once the input has ended (as if followed by silence). */
  flush(): Float32Array {
    if (this.fromRate === this.toRate) return new Float32Array(0);
    const end = this.base + this.filled;
    this.append(new Float32Array(this.half + 1));
    return this.drain(end - 1e-9);
  }

  private append(input: Float32Array): void {
    if (this.filled + input.length > this.buf.length) {
      const grown = new Float32Array(Math.max(this.buf.length * 2, this.filled + input.length, 1024));
      grown.set(this.buf.subarray(0, this.filled));
      this.buf = grown;
    }
    this.buf.set(input, this.filled);
    this.filled += input.length;
  }

  /** Emits outputs while their position is below `limit` (absolute input index). */
  private drain(limit: number): Float32Array {
    const count = Math.max(0, Math.ceil((limit - this.t) / this.step));
    const out = new Float32Array(count);
    const width = 2 * this.half;
    const buf = this.buf;
    for (let o = 0; o < count; o++) {
      const t = this.t;
      const i0 = Math.floor(t);
      const frac = (t - i0) * PHASES;
      const ph = Math.floor(frac);
      const w = frac - ph;
      const rowA = ph * width;
      const rowB = rowA + width;
      let acc = 0;
      // Input indices i0 - half + 1 … i0 + half.
      const first = i0 - this.half + 1 - this.base;
      for (let j = 0; j < width; j++) {
        const k = first + j;
        if (k < 0 || k >= this.filled) continue;
        const a = this.table[rowA + j]!;
        acc += buf[k]! * (a + (this.table[rowB + j]! - a) * w);
      }
      out[o] = acc;
      this.t += this.step;
    }
    // Drop input no later output can reach.
    const keepFrom = Math.floor(this.t) - this.half + 1 - this.base;
    if (keepFrom > 4096) {
      buf.copyWithin(0, keepFrom, this.filled);
      this.filled -= keepFrom;
      this.base += keepFrom;
    }
    return out;
  }
}

function kernel(x: number, cutoff: number, half: number): number {
  if (Math.abs(x) >= half) return 0;
  const s = x === 0 ? 1 : Math.sin(Math.PI * cutoff * x) / (Math.PI * cutoff * x);
  const n = (x + half) / (2 * half);
  const blackman = 0.42 - 0.5 * Math.cos(2 * Math.PI * n) + 0.08 * Math.cos(4 * Math.PI * n);
  return cutoff * s * blackman;
}

/** Resamples a whole signal. */
export function resample(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (fromRate === toRate) return input.slice();
  const r = new Resampler(fromRate, toRate);
  const a = r.push(input);
  const b = r.flush();
  const expected = Math.round((input.length * toRate) / fromRate);
  const out = new Float32Array(expected);
  out.set(a.subarray(0, expected));
  if (a.length < expected) out.set(b.subarray(0, expected - a.length), a.length);
  return out;
}
