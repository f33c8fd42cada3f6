// The microphone's way to the graph in browser mode: 16 kHz mono 16-bit PCM sent by the page as
// base64 in batched `talkAudio` requests over the HostApi WebSocket, decoded by the host and
// posted to the local transport. Measured through the real server and host: the CPU the whole
// path costs per second of audio (page encoding included, in this process), the bytes on the
// wire per second of audio against raw binary frames, and a request's round trip, for several
// batch lengths. Also the way back: the bytes a second of the graph's audio costs in the stream.
import { encodeRequest, type RunInfo, type TenGraph } from '../src/shared';
import { int16ToBase64 } from '../src/renderer/talk/audio';
import { documentOf, studio } from './lib/telemetry-host';
import { median, nowMs, quantile, report, round, rounds } from './lib/stats';

const SUITE = 'talk-audio';
const RATE = 16000;
/** Seconds of audio sent per measured round and batch length. */
const SECONDS = 10;
const BATCHES_MS = [20, 60, 200];
const measured = rounds(3);

const graph: TenGraph = {
  nodes: [
    { type: 'extension', name: 'mic', addon: 'local_transport', extension_group: 'transport' },
    { type: 'extension', name: 'echo', addon: 'forwarder', extension_group: 'echo' },
  ],
  connections: [
    { extension: 'mic', audio_frame: [{ name: 'pcm_frame', dest: [{ extension: 'echo' }] }] },
    { extension: 'echo', audio_frame: [{ name: 'pcm_frame', dest: [{ extension: 'mic' }] }] },
  ],
};

function tone(samples: number): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / RATE));
  return out;
}

interface Arm {
  batchMs: number;
  cpuMsPerAudioSec: number[];
  rttUs: number[];
  wireBytesPerAudioSec: number;
}

const s = await studio();
const arms: Arm[] = [];
let streamBytesPerSec = 0;
try {
  const run = await s.client.call<RunInfo>('startRun', { document: documentOf(graph, SUITE) });
  await s.client.call('talkControl', { runId: run.runId, action: 'join' });
  for (const batchMs of BATCHES_MS) {
    const samples = (RATE * batchMs) / 1000;
    const pcm = tone(samples);
    const batches = (SECONDS * 1000) / batchMs;
    const arm: Arm = { batchMs, cpuMsPerAudioSec: [], rttUs: [], wireBytesPerAudioSec: 0 };
    arm.wireBytesPerAudioSec = Math.round((encodeRequest(1, 'talkAudio', { runId: run.runId, pcm: int16ToBase64(pcm) }).length * 1000) / batchMs);
    for (let r = 0; r < measured + 1; r++) {
      const cpu0 = process.cpuUsage();
      for (let b = 0; b < batches; b++) {
        const t0 = nowMs();
        // As the page does: encode, then one request per batch.
        await s.client.call('talkAudio', { runId: run.runId, pcm: int16ToBase64(pcm) });
        if (r > 0) arm.rttUs.push((nowMs() - t0) * 1000);
      }
      const cpu = process.cpuUsage(cpu0);
      if (r > 0) arm.cpuMsPerAudioSec.push((cpu.user + cpu.system) / 1000 / SECONDS);
      await s.client.call('talkControl', { runId: run.runId, action: 'clear' });
    }
    arms.push(arm);
  }
  // The way back: the echo sends the fed frames back in real time; the stream carries them.
  const bytes0 = s.client.bytes;
  const t0 = nowMs();
  await s.client.call('talkAudio', { runId: run.runId, pcm: int16ToBase64(tone(RATE * 3)) });
  await new Promise((r) => setTimeout(r, 3000));
  streamBytesPerSec = ((s.client.bytes - bytes0) * 1000) / (nowMs() - t0);
  await s.client.call('stopRun', { runId: run.runId });
} finally {
  await s.close();
}

report({
  suite: SUITE,
  topology: 'page → WebSocket → host → BroadcastChannel → local_transport → forwarder → back; 16 kHz mono 16-bit',
  rounds: measured,
  audio_seconds_per_round: SECONDS,
  binary_bytes_per_audio_sec: RATE * 2,
  arms: arms.map((a) => ({
    batch_ms: a.batchMs,
    requests_per_audio_sec: 1000 / a.batchMs,
    wire_bytes_per_audio_sec: a.wireBytesPerAudioSec,
    wire_vs_binary: round(a.wireBytesPerAudioSec / (RATE * 2), 2),
    cpu_ms_per_audio_sec: round(median(a.cpuMsPerAudioSec), 2),
    cpu_pct_of_a_core_realtime: round(median(a.cpuMsPerAudioSec) / 10, 3),
    rtt_p50_us: Math.round(median(a.rttUs)),
    rtt_p99_us: Math.round(quantile(a.rttUs, 0.99)),
  })),
  stream_bytes_per_sec_playing_back: Math.round(streamBytesPerSec),
});
process.exit(0);
