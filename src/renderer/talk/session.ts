/**
 * The Talk panel's link to the host: follows the run the debugger follows, takes its talk events
 * and audio from the telemetry stream (playing the audio), rebuilds the chat and turns after a
 * reload, and carries the panel's actions (join, leave, microphone, a WAV file, mute).
 */
import { useEffect } from 'react';
import type { HostApi, HostEvent } from '../../shared';
import { useDebug } from '../debugger/debugStore';
import { useRunView } from '../debugger/runStore';
import { int16ToBase64, Microphone, Player } from './audio';
import { useTalk } from './talkStore';

let host: HostApi | null = null;
const player = new Player();
let mic: Microphone | null = null;
let meterTimer: number | null = null;

function api(): HostApi {
  if (!host) throw new Error('The studio host is not connected yet.');
  return host;
}

function target(): { runId: string; node: string } {
  const s = useTalk.getState();
  const run = useRunView.getState().run;
  if (!run || s.runId !== run.runId || useDebug.getState().replay) throw new Error('Talking needs a running graph: press Run first.');
  if (!s.selected) throw new Error('This run has no local transport: choose the transport stand-in for its RTC node (Run asks, or the node\'s inspector) and run again.');
  return { runId: run.runId, node: s.selected };
}

function onHostEvent(event: HostEvent): void {
  if (event.type !== 'telemetry' || useDebug.getState().replay) return;
  const talk = useTalk.getState();
  for (const batch of event.batches) {
    if (batch.runId !== talk.runId) continue;
    talk.apply(batch);
    // A flush (barge-in) drops what is scheduled before the new audio of the same batch plays.
    if (batch.talk?.some((e) => e.kind === 'flush')) player.flush();
    for (const a of batch.audio ?? []) if (a.node === talk.selected) player.play(a.pcm, a.sampleRate);
    if (batch.audio?.length) useTalk.getState().set({ playedSec: player.playedSec });
  }
}

async function resume(hostApi: HostApi): Promise<void> {
  const run = useRunView.getState().run;
  if (!run?.talk || useDebug.getState().replay) return;
  const snap = await hostApi.getRun({ runId: run.runId });
  useTalk.getState().fromRecording(snap.run, snap.talk ?? [], Infinity);
  if (snap.transports) useTalk.setState({ transports: Object.fromEntries(snap.transports.map((t) => [t.node, t])) });
}

/** Meters while the microphone or the playback may be live: ten times a second. */
function startMeters(): void {
  if (meterTimer !== null) return;
  meterTimer = window.setInterval(() => useTalk.getState().set({ outLevel: player.level() }), 100);
}

/** Connects the Talk panel to the host for the lifetime of the app. */
export function useTalkSync(hostApi: HostApi): void {
  useEffect(() => {
    host = hostApi;
    const off = hostApi.onEvent(onHostEvent);
    // The followed run changes with Run, a reload's resume, and a replay.
    const offRun = useRunView.subscribe((s, prev) => {
      if (s.run === prev.run) return;
      const replaying = useDebug.getState().replay !== null;
      if (!replaying) useTalk.getState().follow(s.run);
      if (s.run?.runId !== prev.run?.runId) {
        void stopMic();
        player.flush();
        // A run found again after a reload: its talk so far comes from the host's history.
        if (!replaying && s.run?.talk && Date.now() - s.run.startedAt > 2000) resume(hostApi).catch(() => undefined);
      }
    });
    return () => {
      off();
      offRun();
      if (host === hostApi) host = null;
    };
  }, [hostApi]);
}

export async function join(): Promise<void> {
  const t = target();
  player.ensure();
  startMeters();
  await api().talkControl({ ...t, action: 'join' });
}

export async function leave(): Promise<void> {
  const t = target();
  await stopMic();
  await api().talkControl({ ...t, action: 'leave' });
}

/** Switches the microphone on: joins, captures, and ships its audio to the transport. */
export async function startMic(): Promise<void> {
  const t = target();
  if (mic) return;
  const talk = useTalk.getState();
  const rate = talk.transports[t.node]?.sampleRate ?? 16000;
  talk.set({ mic: 'starting', micError: null });
  player.ensure();
  startMeters();
  const m = new Microphone(
    rate,
    (pcm) => {
      api()
        .talkAudio({ ...t, pcm: int16ToBase64(pcm) })
        .catch((e: Error) => useTalk.getState().set({ micError: e.message }));
    },
    (level) => useTalk.getState().set({ micLevel: level }),
  );
  mic = m;
  try {
    await m.start();
    await api().talkControl({ ...t, action: 'join' });
    useTalk.getState().set({ mic: 'on' });
  } catch (e) {
    mic = null;
    await m.stop();
    const why = (e as Error).name === 'NotAllowedError' ? 'the microphone was not allowed (check the browser\'s site permissions)' : (e as Error).message;
    useTalk.getState().set({ mic: 'error', micError: `Could not start the microphone: ${why}` });
  }
}

export async function stopMic(): Promise<void> {
  const m = mic;
  mic = null;
  if (m) await m.stop();
  if (useTalk.getState().mic !== 'off') useTalk.getState().set({ mic: 'off', micLevel: 0 });
}

/** Feeds a WAV file on the host to the transport. */
export async function playFile(path: string): Promise<string> {
  const t = target();
  player.ensure();
  startMeters();
  const r = await api().talkFile({ ...t, path });
  return `Feeding ${path} (${(r.durationMs / 1000).toFixed(2)} s)${r.warnings.length ? `: ${r.warnings.join(' ')}` : ''}`;
}

export function setMuted(muted: boolean): void {
  player.setMuted(muted);
  useTalk.getState().set({ muted });
}
