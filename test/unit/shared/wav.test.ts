/** WAV reading (what recorders write, and clear refusals), writing, and resampling. */
import { describe, expect, it } from 'vitest';
import { decodeWav, encodeWav16, resample, Resampler, WavError, wavToMono16 } from '../../../src/shared/talk/wav';

interface Fmt {
  tag?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  blockAlign?: number;
  extensibleSub?: number;
}

/** A WAV file from chunks; `fmt` builds a 16- (or 40-, extensible) byte fmt chunk. */
function wav(opts: { fmt?: Fmt | null; data?: Uint8Array; dataSize?: number; before?: Uint8Array[]; riff?: string; form?: string; dataFirst?: boolean }): Uint8Array {
  const chunks: Uint8Array[] = [...(opts.before ?? [])];
  const f = opts.fmt === undefined ? {} : opts.fmt;
  let fmtChunk: Uint8Array | null = null;
  if (f) {
    const tag = f.tag ?? 1;
    const channels = f.channels ?? 1;
    const bits = f.bits ?? 16;
    const ext = f.extensibleSub !== undefined;
    const body = new Uint8Array(ext ? 40 : 16);
    const v = new DataView(body.buffer);
    v.setUint16(0, ext ? 0xfffe : tag, true);
    v.setUint16(2, channels, true);
    v.setUint32(4, f.rate ?? 16000, true);
    v.setUint32(8, (f.rate ?? 16000) * channels * (bits / 8), true);
    v.setUint16(12, f.blockAlign ?? channels * (bits / 8), true);
    v.setUint16(14, bits, true);
    if (ext) {
      v.setUint16(16, 22, true);
      v.setUint16(24, f.extensibleSub!, true);
    }
    fmtChunk = chunk('fmt ', body);
  }
  const dataChunk = chunk('data', opts.data ?? new Uint8Array(0), opts.dataSize);
  if (opts.dataFirst) chunks.push(dataChunk, ...(fmtChunk ? [fmtChunk] : []));
  else chunks.push(...(fmtChunk ? [fmtChunk] : []), dataChunk);
  const total = 4 + chunks.reduce((n, c) => n + c.length, 0);
  const head = new Uint8Array(12);
  const hv = new DataView(head.buffer);
  ascii(head, 0, opts.riff ?? 'RIFF');
  hv.setUint32(4, total, true);
  ascii(head, 8, opts.form ?? 'WAVE');
  return concat([head, ...chunks]);
}

function chunk(id: string, body: Uint8Array, declared?: number): Uint8Array {
  const out = new Uint8Array(8 + body.length + (body.length & 1));
  ascii(out, 0, id);
  new DataView(out.buffer).setUint32(4, declared ?? body.length, true);
  out.set(body, 8);
  return out;
}

function ascii(b: Uint8Array, at: number, s: string): void {
  for (let i = 0; i < 4; i++) b[at + i] = s.charCodeAt(i);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function int16Bytes(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 2);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setInt16(i * 2, x, true));
  return b;
}

function sine(hz: number, rate: number, n: number, amp = 0.5): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * hz * i) / rate);
  return x;
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (to - from));
}

function errorOf(bytes: Uint8Array): WavError {
  try {
    decodeWav(bytes, 'in.wav');
  } catch (e) {
    if (e instanceof WavError) return e;
    throw e;
  }
  throw new Error('decoded without an error');
}

describe('decodeWav', () => {
  it('reads 16-bit PCM and round-trips through encodeWav16', () => {
    const samples = Int16Array.from([0, 1000, -1000, 32767, -32768, 12]);
    const d = decodeWav(encodeWav16(samples, 16000), 'x.wav');
    expect(d.info).toEqual({ encoding: 'pcm', formatTag: 1, sampleRate: 16000, channels: 1, bitsPerSample: 16, frames: 6, durationMs: 6 / 16 });
    expect(d.warnings).toEqual([]);
    expect(wavToMono16(d, 16000)).toEqual(samples);
  });

  it('reads 8, 24 and 32-bit PCM, float 32/64, µ-law, A-law and WAVE_FORMAT_EXTENSIBLE to the same values', () => {
    const half = new Uint8Array([0xc0]); // 8-bit unsigned: 192 → +0.5
    expect(decodeWav(wav({ fmt: { bits: 8 }, data: half })).channels[0]![0]).toBeCloseTo(0.5, 6);
    const b24 = new Uint8Array([0x00, 0x00, 0xc0]); // -0.5
    expect(decodeWav(wav({ fmt: { bits: 24 }, data: b24 })).channels[0]![0]).toBeCloseTo(-0.5, 6);
    const b32 = new Uint8Array(4);
    new DataView(b32.buffer).setInt32(0, 0x40000000, true);
    expect(decodeWav(wav({ fmt: { bits: 32 }, data: b32 })).channels[0]![0]).toBeCloseTo(0.5, 6);
    const f32 = new Uint8Array(4);
    new DataView(f32.buffer).setFloat32(0, 0.25, true);
    expect(decodeWav(wav({ fmt: { tag: 3, bits: 32 }, data: f32 })).channels[0]![0]).toBeCloseTo(0.25, 6);
    const f64 = new Uint8Array(8);
    new DataView(f64.buffer).setFloat64(0, -0.75, true);
    expect(decodeWav(wav({ fmt: { tag: 3, bits: 64 }, data: f64 })).channels[0]![0]).toBeCloseTo(-0.75, 6);
    // G.711: µ-law 0x80 is +8031 (its largest positive step), A-law 0xd5 is +8.
    expect(decodeWav(wav({ fmt: { tag: 7, bits: 8 }, data: new Uint8Array([0x80]) })).channels[0]![0]! * 32768).toBeCloseTo(32124, 0);
    expect(decodeWav(wav({ fmt: { tag: 6, bits: 8 }, data: new Uint8Array([0xd5]) })).channels[0]![0]! * 32768).toBeCloseTo(8, 0);
    const ext = decodeWav(wav({ fmt: { extensibleSub: 1, bits: 16 }, data: int16Bytes([16384]) }));
    expect(ext.info.formatTag).toBe(0xfffe);
    expect(ext.info.encoding).toBe('pcm');
    expect(ext.channels[0]![0]).toBeCloseTo(0.5, 6);
  });

  it('downmixes channels and skips odd-sized chunks by their pad byte', () => {
    const list = chunk('LIST', new Uint8Array([1, 2, 3])); // odd: padded to 4
    const d = decodeWav(wav({ before: [list], fmt: { channels: 2 }, data: int16Bytes([16384, 0, -16384, -16384]) }));
    expect(d.info.channels).toBe(2);
    expect(Array.from(wavToMono16(d, 16000))).toEqual([8192, -16384]);
  });

  it('reads a truncated or streamed data chunk with a warning and drops a partial last frame', () => {
    const cut = wav({ fmt: {}, data: int16Bytes([1, 2, 3]), dataSize: 1000 });
    const d = decodeWav(cut, 'cut.wav');
    expect(d.info.frames).toBe(3);
    expect(d.warnings[0]).toMatch(/^cut\.wav: byte 40: the 'data' chunk declares 1000 bytes but the file ends after 6; the file is truncated/);
    const streamed = decodeWav(wav({ fmt: {}, data: int16Bytes([5, 6]), dataSize: 0xffffffff }), 's.wav');
    expect(streamed.info.frames).toBe(2);
    expect(streamed.warnings[0]).toContain('written while streaming');
    const partial = decodeWav(wav({ fmt: { channels: 2 }, data: int16Bytes([1, 2, 3]) }), 'p.wav');
    expect(partial.info.frames).toBe(1);
    expect(partial.warnings[0]).toMatch(/^p\.wav: byte 48: the last 2 byte\(s\) do not make a whole sample frame/);
  });

  it('refuses what it cannot read, saying where and why', () => {
    expect(errorOf(new Uint8Array(8)).message).toBe('in.wav: byte 0: 8 bytes is too short for a WAV file (its RIFF header alone is 12 bytes).');
    const id3 = new Uint8Array(64);
    id3.set([0x49, 0x44, 0x33, 0x04]);
    expect(errorOf(id3).message).toBe("in.wav: byte 0: not a WAV file: it starts with bytes 49 44 33 04, not 'RIFF'.");
    expect(errorOf(wav({ riff: 'RIFX', data: int16Bytes([1]) })).message).toContain('big-endian (RIFX)');
    expect(errorOf(wav({ riff: 'RF64', data: int16Bytes([1]) })).message).toContain('RF64 file (WAV beyond 4 GB)');
    expect(errorOf(wav({ form: 'AVI ', data: int16Bytes([1]) })).message).toBe("in.wav: byte 8: a RIFF file of form 'AVI ', not 'WAVE'.");
    expect(errorOf(wav({ fmt: null, data: int16Bytes([1]) })).message).toBe("in.wav: byte 12: the 'data' chunk comes before any 'fmt ' chunk, so its samples cannot be read.");
    const mp3 = errorOf(wav({ fmt: { tag: 0x55, bits: 16 }, data: int16Bytes([1]) }));
    expect(mp3.message).toMatch(/^in\.wav: byte 20: MP3-compressed audio is not supported; use PCM/);
    expect(mp3.offset).toBe(20);
    expect(errorOf(wav({ fmt: { tag: 2, bits: 4, blockAlign: 256 }, data: int16Bytes([1]) })).message).toContain('Microsoft ADPCM-compressed audio is not supported');
    expect(errorOf(wav({ fmt: { bits: 12, blockAlign: 2 }, data: int16Bytes([1]) })).message).toBe('in.wav: byte 34: 12-bit pcm samples are not supported (supported: 8, 16, 24, 32-bit).');
    expect(errorOf(wav({ fmt: { blockAlign: 4 }, data: int16Bytes([1, 2]) })).message).toContain('the block align is 4 bytes, but 1 channel(s) of 16-bit samples take 2; the header is inconsistent.');
    expect(errorOf(wav({ fmt: { channels: 0, blockAlign: 0 }, data: int16Bytes([1]) })).message).toBe('in.wav: byte 22: 0 channels; a WAV file here has 1 to 32.');
    expect(errorOf(wav({ fmt: { rate: 100 }, data: int16Bytes([1]) })).message).toBe('in.wav: byte 24: a sample rate of 100 Hz; supported are 1000 to 768000 Hz.');
    expect(errorOf(wav({ fmt: {}, data: new Uint8Array(0) })).message).toBe("in.wav: byte 36: the 'data' chunk holds no complete sample frame: the file has no audio.");
    const noData = wav({ fmt: {}, data: new Uint8Array(0) }).slice(0, 36);
    expect(errorOf(noData).message).toBe("in.wav: byte 36: no 'data' chunk: the file holds no samples.");
  });
});

describe('resampling', () => {
  it('keeps a 1 kHz tone and removes a 10 kHz one when going from 48 kHz to 16 kHz', () => {
    const n = 48000;
    const low = resample(sine(1000, 48000, n), 48000, 16000);
    expect(low.length).toBe(16000);
    const ref = sine(1000, 16000, 16000);
    let err = 0;
    for (let i = 1000; i < 15000; i++) err = Math.max(err, Math.abs(low[i]! - ref[i]!));
    expect(err).toBeLessThan(0.01);
    // Above the new Nyquist (8 kHz): it would alias to 6 kHz; the filter removes it.
    const high = resample(sine(10000, 48000, n), 48000, 16000);
    expect(rms(high, 1000, 15000)).toBeLessThan(0.005);
  });

  it('upsamples 8 kHz to 16 kHz and 22.05 kHz to 16 kHz with the tone intact', () => {
    for (const from of [8000, 22050, 44100]) {
      const out = resample(sine(440, from, from), from, 16000);
      expect(out.length).toBe(16000);
      const ref = sine(440, 16000, 16000);
      let err = 0;
      for (let i = 1000; i < 15000; i++) err = Math.max(err, Math.abs(out[i]! - ref[i]!));
      expect(err, `${from} Hz`).toBeLessThan(0.01);
    }
  });

  it('gives the same samples pushed in frames as in one piece', () => {
    const x = sine(700, 24000, 24000);
    const whole = resample(x, 24000, 16000);
    const r = new Resampler(24000, 16000);
    const parts: Float32Array[] = [];
    for (let i = 0; i < x.length; i += 480) parts.push(r.push(x.subarray(i, i + 480)));
    parts.push(r.flush());
    const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    expect(joined.length).toBeGreaterThanOrEqual(whole.length);
    let diff = 0;
    for (let i = 0; i < whole.length; i++) diff = Math.max(diff, Math.abs(joined[i]! - whole[i]!));
    expect(diff).toBeLessThan(1e-6);
  });

  it('resamples a 44.1 kHz stereo file to 16 kHz mono', () => {
    const left = sine(500, 44100, 4410);
    const stereo = new Int16Array(4410 * 2);
    for (let i = 0; i < 4410; i++) stereo[2 * i] = stereo[2 * i + 1] = Math.round(left[i]! * 32767);
    const d = decodeWav(encodeWav16(stereo, 44100, 2));
    const mono = wavToMono16(d, 16000);
    expect(mono.length).toBe(1600);
    expect(Math.abs(mono[800]! / 32768 - sine(500, 16000, 1600)[800]!)).toBeLessThan(0.01);
  });
});
