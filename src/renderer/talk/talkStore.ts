/**
 * The Talk panel's state: the followed run's transports, the chat built from its text events,
 * the last turns with their latency, who is speaking, and the microphone and playback state.
 * Fed by the same telemetry batches as the run view (`apply`), by a recording being replayed
 * (`fromRecording`), and by the microphone and the player.
 */
import { create } from 'zustand';
import type { RunBatch, RunInfo, TalkTransportState } from '../../shared';
import { ChatBuilder, type ChatMessage, type TalkEvent, type Turn } from '../../shared/talk/talk';

/** Turns kept for the table (the host and recordings keep them all). */
export const MAX_TURNS = 50;
const MAX_CHAT = 200;

export type MicState = 'off' | 'starting' | 'on' | 'error';

export interface TalkState {
  runId: string | null;
  /** The run's transports (names), from its RunInfo. */
  nodes: string[];
  transports: Record<string, TalkTransportState>;
  /** The transport the panel talks to. */
  selected: string | null;
  chat: ChatMessage[];
  turns: Turn[];
  /** The turn the waterfall shows (its index); null: the latest. */
  shownTurn: number | null;
  userSpeaking: boolean;
  agentSpeaking: boolean;
  /** Audio flushed by the graph (barge-in), counted for the panel. */
  flushes: number;
  mic: MicState;
  micError: string | null;
  /** Levels 0–1 (of full scale, on a dB scale for the meters). */
  micLevel: number;
  outLevel: number;
  /** Seconds of the graph's audio played back in this window. */
  playedSec: number;
  muted: boolean;
  follow(run: RunInfo | null): void;
  apply(batch: RunBatch): void;
  /** A recording's talk up to `cursor` (replay). */
  fromRecording(run: RunInfo, events: readonly TalkEvent[], cursor: number): void;
  select(node: string): void;
  showTurn(index: number | null): void;
  set(partial: Partial<Pick<TalkState, 'mic' | 'micError' | 'micLevel' | 'outLevel' | 'playedSec' | 'muted'>>): void;
}

let chat = new ChatBuilder();

function folded(events: readonly TalkEvent[], s: Pick<TalkState, 'turns' | 'userSpeaking' | 'agentSpeaking' | 'flushes'>) {
  let turns = s.turns;
  let { userSpeaking, agentSpeaking, flushes } = s;
  let chatChanged = false;
  for (const ev of events) {
    switch (ev.kind) {
      case 'text':
        if (chat.push(ev)) chatChanged = true;
        break;
      case 'turn':
        turns = [...turns.filter((t) => t.index !== ev.turn.index), ev.turn].slice(-MAX_TURNS);
        break;
      case 'speech':
        userSpeaking = ev.edge === 'start';
        break;
      case 'audio_out':
        agentSpeaking = ev.edge === 'start';
        break;
      case 'flush':
        flushes++;
        agentSpeaking = false;
        break;
      case 'session':
        if (ev.state === 'left') userSpeaking = false;
        break;
    }
  }
  return { turns, userSpeaking, agentSpeaking, flushes, chatChanged };
}

/** The chat's messages as new objects (the builder changes its own in place). */
function chatView(): ChatMessage[] {
  return chat.messages.slice(-MAX_CHAT).map((m) => ({ ...m }));
}

const EMPTY = { chat: [] as ChatMessage[], turns: [] as Turn[], shownTurn: null, userSpeaking: false, agentSpeaking: false, flushes: 0, transports: {} };

export const useTalk = create<TalkState>()((set, get) => ({
  runId: null,
  nodes: [],
  selected: null,
  ...EMPTY,
  mic: 'off',
  micError: null,
  micLevel: 0,
  outLevel: 0,
  playedSec: 0,
  muted: false,
  follow: (run) => {
    const nodes = run?.talk?.transports.map((t) => t.node) ?? [];
    if (run?.runId === get().runId) {
      set({ nodes, selected: get().selected ?? nodes[0] ?? null });
      return;
    }
    chat = new ChatBuilder();
    set({ runId: run?.runId ?? null, nodes, selected: nodes[0] ?? null, ...EMPTY, playedSec: 0 });
  },
  apply: (batch) => {
    const s = get();
    if (batch.runId !== s.runId) return;
    const next: Partial<TalkState> = {};
    if (batch.talk?.length) {
      const f = folded(batch.talk, s);
      next.turns = f.turns;
      next.userSpeaking = f.userSpeaking;
      next.agentSpeaking = f.agentSpeaking;
      next.flushes = f.flushes;
      if (f.chatChanged) next.chat = chatView();
    }
    if (batch.transports) next.transports = Object.fromEntries(batch.transports.map((t) => [t.node, t]));
    if (Object.keys(next).length) set(next);
  },
  fromRecording: (run, events, cursor) => {
    chat = new ChatBuilder();
    const upTo = events.filter((e) => ('turn' in e ? e.ts : e.ts) <= cursor);
    const f = folded(upTo, { turns: [], userSpeaking: false, agentSpeaking: false, flushes: 0 });
    const nodes = run.talk?.transports.map((t) => t.node) ?? [];
    set({ runId: run.runId, nodes, selected: nodes[0] ?? null, transports: {}, chat: chatView(), turns: f.turns, userSpeaking: f.userSpeaking, agentSpeaking: f.agentSpeaking, flushes: f.flushes, shownTurn: null });
  },
  select: (selected) => set({ selected }),
  showTurn: (shownTurn) => set({ shownTurn }),
  set: (partial) => set(partial),
}));
