/**
 * Replay stand-ins: a node that sends again, on the recording's clock, what the real node sent in
 * a recording (`ten-studio run --record … --trace 'node>' --trace-payloads`, or the studio's Save
 * recording with payload tracing on), and answers the cmds it receives with the results the real
 * node returned, in order.
 */
import type { Recording, TracePayload, TraceStep } from '../ipc/runs';
import type { CmdAnswer } from './standin';

/** One message to send again. */
export interface ReplaySend {
  /** Milliseconds after the stand-in's start (the real node's `on_start_done` in the recording). */
  atMs: number;
  type: 'cmd' | 'data' | 'audio_frame' | 'video_frame';
  name: string;
  /** The extension it went to (sent again there, explicitly). */
  dest: string;
  payload: TracePayload;
}

/** One recorded result of a cmd the real node received. */
export interface ReplayResult {
  /** Milliseconds after the cmd arrived. */
  afterMs: number;
  status: number;
  isFinal: boolean;
  props: Record<string, unknown>;
}

/** What the replay stand-in extension is given (node property `replay`). */
export interface ReplayConfig {
  node: string;
  recording: string;
  sends: ReplaySend[];
  /** Per cmd name, the results of each received cmd in order: the nth cmd of a name gets the nth list (the last list once they run out). */
  answers: Record<string, ReplayResult[][]>;
  /** For cmds the recording has no result for: the package's language default. */
  fallback: CmdAnswer;
}

const SENDABLE = new Set(['cmd', 'data', 'audio_frame', 'video_frame']);

/**
 * Builds a replay of `node` from a recording.
 *
 * @throws Error with the fix in its text when the recording holds nothing `node` sent, or
 * holds it without payloads (traced without `payloads`).
 */
export function replayPlan(rec: Recording, node: string, file: string, fallback: CmdAnswer): { config: ReplayConfig; warnings: string[] } {
  const warnings: string[] = [];
  const started = rec.events.find((e) => e.type === 'lifecycle' && e.extension === node && e.phase === 'on_start_done');
  const t0 = started?.ts ?? rec.run.startedAt;
  if (!started) warnings.push(`The recording has no on_start_done of '${node}'; its messages are timed from the run's start.`);
  const traces = [...rec.traces].sort((a, b) => a.ts - b.ts);
  const sentByNode = traces.filter((s) => s.stage === 'sent' && s.src === node);
  const sends: ReplaySend[] = [];
  let withoutPayload = 0;
  for (const s of sentByNode) {
    if (!SENDABLE.has(s.type)) continue;
    if (!s.payload) {
      withoutPayload++;
      continue;
    }
    if (!s.dest) continue;
    sends.push({ atMs: Math.max(0, s.ts - t0), type: s.type as ReplaySend['type'], name: s.name, dest: s.dest, payload: s.payload });
  }
  // Results the node returned, paired with the cmds it received by cmd id.
  const received = new Map<string, TraceStep>();
  for (const s of traces) if (s.stage === 'delivered' && s.dest === node && s.type === 'cmd' && s.cmdId) received.set(s.cmdId, s);
  const byCmd = new Map<string, { name: string; at: number; results: ReplayResult[] }>();
  for (const s of sentByNode) {
    if (s.type !== 'cmd_result' || !s.cmdId) continue;
    const cmd = received.get(s.cmdId);
    let entry = byCmd.get(s.cmdId);
    if (!entry) {
      entry = { name: cmd?.name ?? s.name, at: cmd?.ts ?? s.ts, results: [] };
      byCmd.set(s.cmdId, entry);
    }
    const props = s.payload?.props ?? {};
    // Without payloads the status is still known (the UI shows ERROR/OK); the properties are not.
    entry.results.push({ afterMs: Math.max(0, s.ts - entry.at), status: s.status ?? 0, isFinal: true, props });
  }
  const answers: Record<string, ReplayResult[][]> = {};
  for (const e of [...byCmd.values()].sort((a, b) => a.at - b.at)) {
    // Every result but the last was streamed (non-final); the trace does not keep the flag.
    e.results.forEach((r, i) => (r.isFinal = i === e.results.length - 1));
    (answers[e.name] ??= []).push(e.results);
  }
  if (sends.length === 0 && Object.keys(answers).length === 0) {
    const names = [...new Set(rec.traces.map((s) => s.src))].filter(Boolean).sort();
    if (withoutPayload > 0) {
      throw new Error(
        `${file} has ${withoutPayload} message(s) sent by '${node}' but without what they carried: record with payloads (ten-studio run --record FILE --trace '${node}>' --trace-payloads, or tracing with "Keep payloads" in the studio).`,
      );
    }
    throw new Error(
      `${file} holds no message sent by '${node}'${names.length ? ` (it has messages from ${names.map((n) => `'${n}'`).join(', ')})` : ' (it was recorded without message tracing)'}: record with --trace '${node}>' --trace-payloads.`,
    );
  }
  if (withoutPayload > 0) warnings.push(`${withoutPayload} message(s) '${node}' sent were recorded without payloads and are not replayed.`);
  return { config: { node, recording: file, sends, answers, fallback }, warnings };
}
