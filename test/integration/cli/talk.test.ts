// Talking to a graph headless (`ten-studio run --audio-in/--audio-out`) through the local
// transport standing in for an RTC node, and the interface and replay stand-ins, as a user runs
// them: a child process, real worker threads, real WAV files.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeWav, encodeWav16, floatToInt16, wavToMono16 } from '../../../src/shared/talk/wav';
import { cli } from './cli';

const tmp = mkdtempSync(join(tmpdir(), 'ten-cli-talk-it-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function readEvents(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function app(name: string, graph: unknown, extra: Record<string, unknown> = {}): string {
  const dir = join(tmp, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ type: 'app', name, version: '0.1.0' }));
  writeFileSync(join(dir, 'property.json'), JSON.stringify({ ten: { predefined_graphs: [{ name: 'main', auto_start: true, graph }] }, ...extra }));
  return dir;
}

/** An RTC node (agora_rtc, not installed here) whose audio an echo sends straight back. */
const ECHO = {
  nodes: [
    { type: 'extension', name: 'rtc', addon: 'agora_rtc', property: { remote_stream_id: 123 } },
    { type: 'extension', name: 'echo', addon: 'forwarder', extension_group: 'echo_group' },
  ],
  connections: [
    { extension: 'rtc', audio_frame: [{ name: 'pcm_frame', dest: [{ extension: 'echo' }] }] },
    { extension: 'echo', audio_frame: [{ name: 'pcm_frame', dest: [{ extension: 'rtc' }] }] },
  ],
};

/**
 * One second at 16 kHz: a loud burst over 0–0.3 s and 0.6–1.0 s, faint noise between. No sample
 * is 0, so the echo's samples are found in the output file however playout spaced them.
 */
function speechLike(): Int16Array {
  const rate = 16000;
  const out = new Int16Array(rate);
  for (let i = 0; i < rate; i++) {
    const t = i / rate;
    const loud = t < 0.3 || (t >= 0.6 && t < 1.0);
    out[i] = loud ? 12000 + Math.round(8000 * Math.sin(2 * Math.PI * 300 * t)) : i % 2 ? 5 : -5;
  }
  return out;
}

describe('ten-studio run --audio-in/--audio-out', () => {
  it('feeds a WAV file through the transport stand-in in 10 ms frames and records exactly what comes back', async () => {
    const dir = app('echo', ECHO);
    const input = speechLike();
    const inFile = join(tmp, 'in.wav');
    const outFile = join(tmp, 'out.wav');
    const events = join(tmp, 'echo.jsonl');
    writeFileSync(inFile, encodeWav16(input, 16000));
    const { code, stdout, stderr } = await cli(['run', dir, '--stand-in', 'rtc=transport', '--audio-in', inFile, '--audio-out', outFile, '--audio-tail', '1', '--events', events], 60_000);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain('Stand-in: rtc (agora_rtc) runs as local transport');
    expect(stdout).toContain('Run ended cleanly (audio_done)');

    const ev = readEvents(events);
    const transport = ev.find((e) => e.type === 'talk_transport') as Record<string, number>;
    // Every frame is 10 ms of input or of silence; the 1 s file is exactly 100 frames; timestamps
    // are the join time plus n × 10 ms, whatever the timers did.
    expect(transport).toMatchObject({ node: 'rtc', sampleRate: 16000, frameMs: 10, frameName: 'pcm_frame', inputFrames: 100 });
    expect(transport.frames).toBe(transport.inputFrames + transport.silentFrames);
    expect(transport.lastTs - transport.firstTs).toBe((transport.frames - 1) * 10);
    expect(transport.outFrames).toBeGreaterThanOrEqual(100);

    // The voice detector puts the user's speech where the file has it, to the frame.
    const speech = ev.filter((e) => e.type === 'talk' && e.kind === 'speech').map((e) => [e.edge, e.mediaMs]);
    expect(speech).toEqual([
      ['start', 0],
      ['end', 300],
      ['start', 600],
      ['end', 1000],
    ]);
    const kinds = ev.filter((e) => e.type === 'talk').map((e) => `${String(e.kind)}:${String(e.state ?? e.edge ?? '')}`);
    expect(kinds[0]).toBe('session:joined');
    expect(kinds).toContain('audio_out:start');
    expect(kinds).toContain('session:left');

    // What came back is the input, sample for sample, in order (playout may only add silence).
    const out = decodeWav(readFileSync(outFile), 'out.wav');
    expect(out.info).toMatchObject({ sampleRate: 16000, channels: 1, bitsPerSample: 16 });
    const got = wavToMono16(out, 16000).filter((s) => s !== 0);
    expect(got.length).toBe(input.length);
    expect(Buffer.from(got.buffer).equals(Buffer.from(input.buffer))).toBe(true);
  });

  it('mixes down and resamples a 48 kHz stereo float WAV to the transport\'s 16 kHz, in 20 ms frames', async () => {
    const dir = app('echo20', ECHO);
    const n = 48000;
    const bytes = new Uint8Array(44 + n * 2 * 4);
    const v = new DataView(bytes.buffer);
    const ascii = (at: number, s: string) => [...s].forEach((c, i) => (bytes[at + i] = c.charCodeAt(0)));
    ascii(0, 'RIFF');
    v.setUint32(4, bytes.length - 8, true);
    ascii(8, 'WAVEfmt ');
    v.setUint32(16, 16, true);
    v.setUint16(20, 3, true);
    v.setUint16(22, 2, true);
    v.setUint32(24, 48000, true);
    v.setUint32(28, 48000 * 8, true);
    v.setUint16(32, 8, true);
    v.setUint16(34, 32, true);
    ascii(36, 'data');
    v.setUint32(40, n * 8, true);
    for (let i = 0; i < n; i++) {
      const s = 0.25 + 0.2 * Math.sin((2 * Math.PI * 440 * i) / 48000);
      v.setFloat32(44 + i * 8, s, true);
      v.setFloat32(48 + i * 8, s, true);
    }
    const inFile = join(tmp, 'stereo48.wav');
    const outFile = join(tmp, 'stereo48-out.wav');
    const events = join(tmp, 'echo20.jsonl');
    writeFileSync(inFile, bytes);
    const { code, stdout, stderr } = await cli(['run', dir, '--stand-in', 'rtc=transport:20', '--audio-in', inFile, '--audio-out', outFile, '--audio-tail', '1', '--events', events], 60_000);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const transport = readEvents(events).find((e) => e.type === 'talk_transport') as Record<string, number>;
    expect(transport).toMatchObject({ frameMs: 20, inputFrames: 50 });
    expect(transport.lastTs - transport.firstTs).toBe((transport.frames - 1) * 20);
    const expected = wavToMono16(decodeWav(bytes), 16000);
    const got = wavToMono16(decodeWav(readFileSync(outFile)), 16000).filter((s) => s !== 0);
    expect(Buffer.from(got.buffer).equals(Buffer.from(expected.filter((s) => s !== 0).buffer))).toBe(true);
  });

  it('refuses what it cannot use before starting anything, saying why', async () => {
    const dir = app('refusals', ECHO);
    const mp3 = encodeWav16(floatToInt16(new Float32Array(160)), 16000);
    new DataView(mp3.buffer).setUint16(20, 0x55, true);
    writeFileSync(join(tmp, 'mp3.wav'), mp3);
    let r = await cli(['run', dir, '--audio-in', join(tmp, 'mp3.wav')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--audio-in: ${join(tmp, 'mp3.wav')}: byte 20: MP3-compressed audio is not supported`);
    r = await cli(['run', dir, '--audio-in', join(tmp, 'nope.wav')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.wav does not exist');
    r = await cli(['run', dir, '--stand-in', 'rtc=teleport']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--stand-in: "rtc=teleport" is not NODE=interface');
    const noRtc = app('no-rtc', { nodes: [{ type: 'extension', name: 'ticker', addon: 'data_generator' }] });
    writeFileSync(join(tmp, 'ok.wav'), encodeWav16(new Int16Array(160), 16000));
    r = await cli(['run', noRtc, '--audio-in', join(tmp, 'ok.wav')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--audio-in/--audio-out need a transport: the graph has no RTC node');
  });
});

describe('stand-ins', () => {
  /** Packages the studio cannot run: a C++ one and a Python one (manifests only). */
  function nativePackages(dir: string): void {
    const pkg = (name: string, runtime: string, api: Record<string, unknown>, file: [string, string]) => {
      const p = join(dir, 'ten_packages', 'extension', name);
      mkdirSync(p, { recursive: true });
      writeFileSync(join(p, 'manifest.json'), JSON.stringify({ type: 'extension', name, version: '1.2.3', dependencies: [{ type: 'system', name: runtime, version: '0.11' }], api }));
      writeFileSync(join(p, file[0]), file[1]);
    };
    pkg('native_cpp', 'ten_runtime', { cmd_in: [{ name: 'ping' }] }, ['BUILD.gn', '# C++\n']);
    pkg('tool_python', 'ten_runtime_python', { cmd_in: [{ name: 'ping', result: { property: { properties: { answer: { type: 'string' }, n: { type: 'int32' } } } } }] }, ['addon.py', '# Python\n']);
  }

  it('runs interface stand-ins that answer as their language does, or from the result schema, and log what they receive', async () => {
    const graph = {
      nodes: [
        { type: 'extension', name: 'ticker', addon: 'data_generator', property: { interval_ms: 50, cmd_name: 'ping', cmd_every: 2, max_count: 6 } },
        { type: 'extension', name: 'cpp', addon: 'native_cpp' },
        { type: 'extension', name: 'py', addon: 'tool_python' },
      ],
      connections: [{ extension: 'ticker', cmd: [{ name: 'ping', dest: [{ extension: 'cpp' }, { extension: 'py' }] }], data: [{ name: 'tick', dest: [{ extension: 'py' }] }] }],
    };
    const dir = app('interfaces', graph);
    nativePackages(dir);
    const events = join(tmp, 'interfaces.jsonl');
    const { code, stdout, stderr } = await cli(['run', dir, '--stand-in', 'cpp=interface,py=interface:schema', '--duration', '1.5', '--events', events]);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain('Stand-in: cpp (native_cpp) runs as interface stand-in: answers as C++ does (OK, detail "default")');
    expect(stdout).toContain('Stand-in: py (tool_python) runs as interface stand-in: answers OK with generated results');
    const logs = readEvents(events).filter((e) => e.type === 'log').map((e) => `${String(e.extension)}: ${String(e.message)}`);
    expect(logs).toContain('cpp: stand-in for cpp (native_cpp, C++): answers every cmd OK detail "default", as a C++ extension without on_cmd does; interface from the manifest of native_cpp 1.2.3.');
    expect(logs.some((l) => l.startsWith("cpp: stand-in for cpp: received cmd 'ping' from ticker") && l.endsWith('→ OK detail "default"'))).toBe(true);
    expect(logs.some((l) => l.startsWith("py: stand-in for py: received cmd 'ping' from ticker") && l.endsWith('→ OK with answer, n'))).toBe(true);
    expect(logs.some((l) => l.startsWith("py: stand-in for py: received data 'tick' from ticker"))).toBe(true);

    // Without a stand-in, a node that cannot run refuses the run before anything starts, saying why.
    const r = await cli(['run', dir, '--duration', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Run refused: 1 of the graph's 3 extension nodes cannot run here:\n- cpp (native_cpp): a C++ extension;");
  });

  it('replays what a node sent in a recording on its clock, from a recording with payloads', async () => {
    const recorded = app('recorded', {
      nodes: [
        { type: 'extension', name: 'source', addon: 'data_generator', property: { interval_ms: 40, max_count: 10, payload_bytes: 8 } },
        { type: 'extension', name: 'sink', addon: 'counter_sink' },
      ],
      connections: [{ extension: 'source', data: [{ name: 'tick', dest: [{ extension: 'sink' }] }] }],
    });
    const rec = join(tmp, 'rec.json');
    let r = await cli(['run', recorded, '--duration', '1', '--record', rec, '--trace', 'source>', '--trace-payloads']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const recording = JSON.parse(readFileSync(rec, 'utf8')) as { traces: { stage: string; src: string; payload?: { props: Record<string, unknown>; bufBytes?: number } }[] };
    const sent = recording.traces.filter((s) => s.stage === 'sent' && s.src === 'source');
    expect(sent).toHaveLength(10);
    expect(sent[0]!.payload).toMatchObject({ props: { seq: 0 }, bufBytes: 8 });

    // The same graph with the source replayed instead of generating: the sink gets the same ten.
    const replayed = app('replayed', {
      nodes: [
        { type: 'extension', name: 'source', addon: 'no_longer_installed' },
        { type: 'extension', name: 'sink', addon: 'counter_sink' },
      ],
      connections: [{ extension: 'source', data: [{ name: 'tick', dest: [{ extension: 'sink' }] }] }],
    });
    const events = join(tmp, 'replayed.jsonl');
    r = await cli(['run', replayed, '--stand-in', `source=replay:${rec}`, '--duration', '1.5', '--events', events]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`Stand-in: source (no_longer_installed) runs as replays 10 message(s) from ${rec}`);
    const logs = readEvents(events).filter((e) => e.type === 'log').map((e) => String(e.message));
    expect(logs.some((l) => l.includes('replay of source: sent 10 of 10 message(s)'))).toBe(true);
    expect(logs).toContain("counter_sink: final data 'tick' 10");

    // A recording without payloads cannot be replayed, and says how to record one.
    const bare = join(tmp, 'bare.json');
    r = await cli(['run', recorded, '--duration', '0.6', '--record', bare, '--trace', 'source>']);
    expect(r.code).toBe(0);
    r = await cli(['run', replayed, '--stand-in', `source=replay:${bare}`, '--duration', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("message(s) sent by 'source' but without what they carried: record with payloads");
  });
});

describe.skipIf(!existsSync('python/ten_runtime'))("the voice-loop example, headless (needs the studio's Python runtime, python/ten_runtime)", () => {
  it('hears three bursts as "one two three", answers in tones, and splits the turn into ASR, LLM and TTS', async () => {
    // 0.5 s of quiet, three 150 ms bursts 300 ms apart, then quiet: one utterance of three words.
    const rate = 16000;
    const pcm = new Int16Array(rate * 3);
    for (let b = 0; b < 3; b++) {
      const from = Math.round(rate * (0.5 + b * 0.3));
      for (let i = 0; i < rate * 0.15; i++) pcm[from + i] = Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / rate));
    }
    const inFile = join(tmp, 'question.wav');
    const outFile = join(tmp, 'answer.wav');
    const events = join(tmp, 'voice-loop.jsonl');
    const rec = join(tmp, 'voice-loop.json');
    const traceFile = join(tmp, 'voice-loop.trace.json');
    writeFileSync(inFile, encodeWav16(pcm, rate));
    const { code, stdout, stderr } = await cli(['run', 'resources/examples/voice-loop', '--audio-in', inFile, '--audio-out', outFile, '--audio-tail', '1.5', '--events', events, '--record', rec], 90_000);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    // The example's sidecar stands agora_rtc in with the local transport.
    expect(stdout).toContain('Stand-in: agora_rtc (agora_rtc) runs as local transport');
    expect(stdout).toMatch(/user :\s+one two three/);
    expect(stdout).toMatch(/agent:\s+You said one two three\./);
    expect(stdout).toMatch(/turn 1: \d+ ms = ASR \d+ ms \(\d+%\) \+ LLM \d+ ms \(\d+%\) \+ TTS \d+ ms \(\d+%\) "one two three"/);

    const turn = readEvents(events).find((e) => e.type === 'talk' && e.kind === 'turn')?.turn as { status: string; totalMs: number; stages: Record<string, number>; userText: string };
    expect(turn).toMatchObject({ status: 'complete', userText: 'one two three' });
    // The stages add up to the total; the echo LLM's 200 ms to first token is its stage's floor.
    expect(turn.stages.asr + turn.stages.llm + turn.stages.tts).toBeCloseTo(turn.totalMs, 6);
    expect(turn.stages.llm).toBeGreaterThanOrEqual(200);

    // The answer is in the output file: the greeting and "You said one two three." as six tones.
    const out = wavToMono16(decodeWav(readFileSync(outFile)), rate);
    let loudMs = 0;
    for (let i = 0; i + 160 <= out.length; i += 160) {
      let sum = 0;
      for (let j = i; j < i + 160; j++) sum += out[j]! * out[j]!;
      if (Math.sqrt(sum / 160) > 1000) loudMs += 10;
    }
    expect(loudMs).toBeGreaterThan(600);

    // The recording keeps the talk; its Chrome trace has the conversation with the turn and its stages.
    const t = await cli(['trace', rec, '--out', traceFile]);
    expect(t.code, t.stderr).toBe(0);
    const trace = JSON.parse(readFileSync(traceFile, 'utf8')) as { traceEvents: { name: string; ph: string; args?: Record<string, unknown> }[] };
    expect(trace.traceEvents.some((e) => e.ph === 'M' && e.name === 'process_name' && e.args?.name === 'conversation')).toBe(true);
    const slices = trace.traceEvents.filter((e) => e.ph === 'X').map((e) => e.name);
    expect(slices.some((n) => /^turn 1: \d+ ms$/.test(n))).toBe(true);
    for (const stage of ['ASR', 'LLM', 'TTS']) expect(slices).toContain(stage);
  });
});
