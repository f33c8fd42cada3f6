/**
 * A conversation with a running graph, as the studio sees it: what the local transport fed in and
 * got back, the text messages the graph's extensions sent (ASR results, LLM output), the chat they
 * make, and per conversational turn the latency from the end of the user's speech to the first
 * audio frame back, split by stage.
 *
 * The host turns the runtime's text tap and the transport's reports into `TalkEvent`s (one
 * stream for the Talk panel, recordings, Perfetto and `ten-studio run`); this file holds the
 * pure parts: which node plays which role, how a text message is read, the chat and the turns.
 */
import type { MsgKind, TenConnection, TenGraph } from '../graph/types';
import type { PortNames } from './standin';

/** A text message one extension sent to another, as the runtime's text tap reports it. */
export interface TextRecord {
  ts: number;
  type: 'data' | 'cmd_result';
  name: string;
  src: string;
  /** The first destination ('' when the graph routes it to none). */
  dest: string;
  /** cmd_result: the result's is_final flag. */
  isFinal?: boolean;
  /** cmd_result: its cmd id (one LLM request's streamed results share it). */
  cmdId?: string;
  /** The properties that carry text and its state (`TEXT_FIELDS`), as sent. */
  fields: Record<string, unknown>;
}

/** Properties the text tap copies: the text itself and what says whether it is final, and whose. */
export const TEXT_FIELDS = [
  'text',
  'content',
  'delta',
  'final',
  'is_final',
  'end_of_segment',
  'text_input_end',
  'role',
  'type',
  'data_type',
  'stream_id',
  'request_id',
  'id',
] as const;

/** A text tap record's text fields are kept only when one of these holds a string. */
export const TEXT_KEYS = ['text', 'content', 'delta'] as const;

/** Longest text kept per message (an LLM's whole answer fits; a document pasted into a cmd does not). */
export const MAX_TEXT_CHARS = 4000;

export type TalkRole = 'user' | 'agent' | 'other';
export type TalkStage = 'asr' | 'llm' | 'tts';

export type TalkEvent =
  /** The transport told the graph a user joined or left (`on_user_joined`/`on_user_left`). */
  | { kind: 'session'; ts: number; node: string; state: 'joined' | 'left'; detail?: string }
  /** User speech fed to the graph, from the transport's voice detector: `ts` is when the first (start) or last (end) voiced frame was sent. */
  | { kind: 'speech'; ts: number; node: string; edge: 'start' | 'end'; mediaMs: number }
  /** The graph's audio reaching the transport: the first frame of a burst, or the end of one (no frame for 300 ms). */
  | { kind: 'audio_out'; ts: number; node: string; edge: 'start' | 'end'; src: string; frames?: number }
  /** The transport was asked to drop the audio it has not played (barge-in). */
  | { kind: 'flush'; ts: number; node: string; src: string; droppedMs: number }
  /** A text message, read: whose words, at which stage, final or not. */
  | { kind: 'text'; ts: number; src: string; dest: string; name: string; msgType: 'data' | 'cmd_result'; role: TalkRole; stage: TalkStage | null; text: string; final: boolean | null; streamId?: string }
  | { kind: 'turn'; ts: number; turn: Turn };

/** One conversational turn: from the end of the user's speech to the first audio frame back. */
export interface Turn {
  /** 1-based, per run. */
  index: number;
  node: string;
  speechStart: number;
  /** When the last voiced frame of the user's speech was fed to the graph. */
  speechEnd: number | null;
  /** The ASR's final result. */
  asrFinal: number | null;
  /** The LLM's first output after it. */
  llmFirst: number | null;
  /** The first audio frame back at the transport. */
  audioBack: number | null;
  /** Stage durations (ms); a stage whose marker is missing is folded into the next one and is null. */
  stages: { asr: number | null; llm: number | null; tts: number | null };
  totalMs: number | null;
  userText: string;
  /** `complete`; `interrupted`: the user spoke again before any audio came back; `no_answer`: the run or session ended first. */
  status: 'complete' | 'interrupted' | 'no_answer';
}

/** Which extensions play which part of a voice pipeline. */
export interface TalkRoles {
  transport: string[];
  asr: string[];
  llm: string[];
  tts: string[];
}

interface Edge {
  kind: MsgKind;
  src: string;
  dest: string;
  name: string;
}

function edgesOf(graph: Pick<TenGraph, 'connections'>): Edge[] {
  const out: Edge[] = [];
  for (const c of (graph.connections ?? []) as TenConnection[]) {
    if (typeof c.extension !== 'string') continue;
    for (const kind of ['cmd', 'data', 'audio_frame', 'video_frame'] as MsgKind[]) {
      for (const f of c[kind] ?? []) {
        const names = typeof f.name === 'string' ? [f.name] : Array.isArray(f.names) ? f.names.filter((n): n is string => typeof n === 'string') : [];
        for (const name of names) {
          for (const d of f.dest ?? []) if (typeof d.extension === 'string') out.push({ kind, src: c.extension, dest: d.extension, name });
          for (const s of f.source ?? []) if (typeof s.extension === 'string') out.push({ kind, src: s.extension, dest: c.extension, name });
        }
      }
    }
  }
  return out;
}

/**
 * The roles of a graph's extensions around its transports: ASR nodes take the transport's audio
 * (directly or through audio-only adapters such as TEN's `streamid_adapter`) and send text; TTS
 * nodes send audio to a transport; LLM nodes declare TEN's LLM interface (`chat_completion`) or
 * take the ASR's text and send text on towards a TTS. `ports` gives what each node declares
 * (its manifest), when known; the graph's connections are always used.
 */
export function talkRoles(graph: Pick<TenGraph, 'connections'> & { nodes?: TenGraph['nodes'] }, transports: readonly string[], ports: (node: string) => PortNames | undefined): TalkRoles {
  const edges = edgesOf(graph);
  const roles: TalkRoles = { transport: [...transports], asr: [], llm: [], tts: [] };
  const tset = new Set(transports);
  const sendsText = (n: string) => edges.some((e) => e.src === n && (e.kind === 'data' || e.kind === 'cmd')) || (ports(n)?.data_out.length ?? 0) > 0;
  const add = (list: string[], n: string) => {
    if (!tset.has(n) && !list.includes(n)) list.push(n);
  };
  // ASR: follow audio from the transports until a node that sends text.
  const seen = new Set<string>(transports);
  let frontier = [...transports];
  while (frontier.length) {
    const next: string[] = [];
    for (const n of frontier) {
      for (const e of edges) {
        if (e.kind !== 'audio_frame' || e.src !== n || seen.has(e.dest)) continue;
        seen.add(e.dest);
        if (sendsText(e.dest)) add(roles.asr, e.dest);
        else next.push(e.dest);
      }
    }
    frontier = next;
  }
  // TTS: follow audio back from the transports until a node that receives text.
  const back = new Set<string>(transports);
  frontier = [...transports];
  const takesText = (n: string) => edges.some((e) => e.dest === n && (e.kind === 'data' || e.kind === 'cmd')) || (ports(n)?.data_in.length ?? 0) > 0;
  while (frontier.length) {
    const next: string[] = [];
    for (const n of frontier) {
      for (const e of edges) {
        if (e.kind !== 'audio_frame' || e.dest !== n || back.has(e.src)) continue;
        back.add(e.src);
        if (takesText(e.src)) add(roles.tts, e.src);
        else next.push(e.src);
      }
    }
    frontier = next;
  }
  // LLM: TEN's LLM interface, or the node between the ASR's text and the TTS's.
  // Nodes a main extension addresses by name (TEN's main_control sends to "llm" with explicit dests) are in no connection.
  const all = new Set([...(graph.nodes ?? []).flatMap((n) => (n.type === 'extension' ? [n.name] : [])), ...edges.flatMap((e) => [e.src, e.dest])]);
  for (const n of all) {
    const p = ports(n);
    if (p && (p.cmd_in.includes('chat_completion') || p.data_out.includes('llm_stat'))) add(roles.llm, n);
  }
  if (roles.llm.length === 0) {
    for (const n of all) {
      if (roles.asr.includes(n) || roles.tts.includes(n)) continue;
      const fromAsr = edges.some((e) => e.dest === n && roles.asr.includes(e.src) && e.kind !== 'audio_frame');
      const toTts = edges.some((e) => e.src === n && roles.tts.includes(e.dest) && e.kind !== 'audio_frame');
      if (fromAsr && toTts) add(roles.llm, n);
    }
  }
  return roles;
}

function boolOf(v: unknown): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

/** Reads a text tap record: whose words, which stage, the text, whether final. Null when it has no text. */
export function readText(r: TextRecord, roles: TalkRoles): Extract<TalkEvent, { kind: 'text' }> | null {
  const f = r.fields;
  const content = typeof f.content === 'string' ? f.content : null;
  const text = typeof f.text === 'string' ? f.text : (content ?? (typeof f.delta === 'string' ? f.delta : null));
  if (text === null || text === '') return null;
  let role: TalkRole = 'other';
  let stage: TalkStage | null = null;
  if (roles.asr.includes(r.src)) {
    role = 'user';
    stage = 'asr';
  } else if (roles.llm.includes(r.src)) {
    role = 'agent';
    stage = 'llm';
  } else if (roles.tts.includes(r.dest)) {
    role = 'agent';
    stage = 'tts';
  } else if (f.role === 'user') role = 'user';
  else if (f.role === 'assistant' || f.role === 'agent') role = 'agent';
  let final = boolOf(f.final) ?? boolOf(f.is_final) ?? boolOf(f.end_of_segment) ?? boolOf(f.text_input_end);
  if (r.type === 'cmd_result') {
    if (f.type === 'message_content_done') final = true;
    else if (final === null && r.isFinal !== undefined) final = r.isFinal;
  }
  const ev: Extract<TalkEvent, { kind: 'text' }> = { kind: 'text', ts: r.ts, src: r.src, dest: r.dest, name: r.name, msgType: r.type, role, stage, text, final };
  const stream = r.type === 'cmd_result' ? r.cmdId : typeof f.request_id === 'string' ? f.request_id : undefined;
  if (stream) ev.streamId = stream;
  return ev;
}

/** One bubble of the chat. */
export interface ChatMessage {
  id: number;
  role: 'user' | 'agent';
  text: string;
  final: boolean;
  ts: number;
  /** The extension whose message it comes from. */
  src: string;
}

/**
 * Builds the chat from text events. The user's words come from the ASR (its results restate the
 * whole utterance so far, so an interim result replaces the open bubble). The agent's come from
 * the LLM's output, or, when the graph has no recognisable LLM, from the text sent to the TTS;
 * streamed chunks (TEN's `delta`s, or sentences) are appended, a `content` with the whole text
 * so far replaces them.
 */
export class ChatBuilder {
  readonly messages: ChatMessage[] = [];
  private nextId = 1;
  /** Which stages have spoken so far: an LLM's output wins over the text sent to a TTS, the ASR over `role` fields. */
  private asrSeen = false;
  private llmSeen = false;
  private ttsSeen = false;
  private openUser: ChatMessage | null = null;
  private openAgent: { msg: ChatMessage; stream: string | undefined } | null = null;

  /** Applies an event; returns the message it created or changed, if any. */
  push(ev: TalkEvent): ChatMessage | null {
    if (ev.kind !== 'text') return null;
    if (ev.stage === 'asr' || (ev.stage === null && ev.role === 'user' && !this.asrSeen)) return this.user(ev);
    if (ev.stage === 'llm') this.llmSeen = true;
    const agentSource = ev.stage === 'llm' || (ev.stage === 'tts' && !this.llmSeen) || (ev.stage === null && ev.role === 'agent' && !this.llmSeen && !this.ttsSeen);
    if (agentSource) return this.agent(ev);
    return null;
  }

  private user(ev: Extract<TalkEvent, { kind: 'text' }>): ChatMessage {
    if (ev.stage === 'asr') this.asrSeen = true;
    let m = this.openUser;
    if (!m) {
      m = { id: this.nextId++, role: 'user', text: '', final: false, ts: ev.ts, src: ev.src };
      this.messages.push(m);
      this.openUser = m;
      // The user speaking closes the agent's answer (a barge-in cuts it).
      if (this.openAgent) this.openAgent.msg.final = true;
      this.openAgent = null;
    }
    m.text = ev.text;
    if (ev.final !== false) {
      m.final = ev.final === true || ev.final === null;
      if (m.final) this.openUser = null;
    }
    return m;
  }

  private agent(ev: Extract<TalkEvent, { kind: 'text' }>): ChatMessage {
    if (ev.stage === 'tts') this.ttsSeen = true;
    const open = this.openAgent;
    let m: ChatMessage;
    if (open && !open.msg.final && (open.stream === undefined || ev.streamId === undefined || open.stream === ev.streamId)) {
      m = open.msg;
      if (ev.msgType === 'cmd_result' && ev.text === m.text) {
        // A result restating the whole text (content) adds nothing.
      } else if (ev.msgType === 'cmd_result' && ev.text.startsWith(m.text)) m.text = ev.text;
      else m.text = joinChunks(m.text, ev.text);
    } else {
      m = { id: this.nextId++, role: 'agent', text: ev.text, final: false, ts: ev.ts, src: ev.src };
      this.messages.push(m);
      this.openAgent = { msg: m, stream: ev.streamId };
      if (this.openUser) {
        this.openUser.final = true;
        this.openUser = null;
      }
    }
    if (ev.final === true) {
      m.final = true;
      this.openAgent = null;
    }
    return m;
  }
}

function joinChunks(a: string, b: string): string {
  if (a === '' || /\s$/.test(a) || /^[\s,.;:!?)]/.test(b)) return a + b;
  return `${a} ${b}`;
}

/**
 * Folds talk events into turns. A turn opens when the user starts speaking; the end of speech,
 * the ASR's final result, the LLM's first output after it and the first audio frame back close
 * it. Events may arrive out of order (the voice detector reports the end of speech after its
 * hangover, which can come after the ASR's final result): a turn completes when both its end of
 * speech and its first audio back are known.
 */
export class TurnTracker {
  private open: Turn | null = null;
  private nextIndex = 1;
  private speaking = false;

  /** Applies an event; returns the turns it completed or abandoned. */
  push(ev: TalkEvent): Turn[] {
    const out: Turn[] = [];
    switch (ev.kind) {
      case 'speech':
        if (ev.edge === 'start') {
          this.speaking = true;
          const t = this.open;
          // Speaking again after the ASR's final result and before any audio came back: the
          // previous turn got no answer in time (the user barged in or went on).
          if (t && t.asrFinal !== null && t.audioBack === null) {
            out.push(this.close(t, 'interrupted'));
          }
          if (!this.open) this.open = this.newTurn(ev.node, ev.ts);
        } else {
          this.speaking = false;
          const t = this.open ?? (this.open = this.newTurn(ev.node, ev.ts));
          t.speechEnd = ev.ts;
          if (t.audioBack !== null) out.push(this.close(t, 'complete'));
        }
        break;
      case 'text': {
        const t = this.open;
        if (!t) break;
        if (ev.stage === 'asr' && ev.final === true && t.asrFinal === null) {
          t.asrFinal = ev.ts;
          t.userText = ev.text;
        } else if (ev.stage === 'llm' && t.asrFinal !== null && t.llmFirst === null && ev.ts >= t.asrFinal) {
          t.llmFirst = ev.ts;
        }
        break;
      }
      case 'audio_out': {
        const t = this.open;
        if (!t || ev.edge !== 'start' || t.audioBack !== null) break;
        // Audio back before the user's words were recognised belongs to an earlier answer.
        if (t.asrFinal === null || ev.ts < t.asrFinal) break;
        t.audioBack = ev.ts;
        if (t.speechEnd !== null && !this.speaking) out.push(this.close(t, 'complete'));
        break;
      }
      case 'session':
        if (ev.state === 'left' && this.open && this.open.asrFinal !== null) out.push(this.close(this.open, 'no_answer'));
        if (ev.state === 'left') this.open = null;
        break;
      default:
        break;
    }
    return out;
  }

  /** The run or session ended: an open turn that reached the ASR's final result is reported unanswered. */
  end(): Turn[] {
    const t = this.open;
    this.open = null;
    return t && t.asrFinal !== null ? [this.close(t, t.audioBack !== null && t.speechEnd !== null ? 'complete' : 'no_answer')] : [];
  }

  private newTurn(node: string, ts: number): Turn {
    return { index: 0, node, speechStart: ts, speechEnd: null, asrFinal: null, llmFirst: null, audioBack: null, stages: { asr: null, llm: null, tts: null }, totalMs: null, userText: '', status: 'complete' };
  }

  private close(t: Turn, status: Turn['status']): Turn {
    if (this.open === t) this.open = null;
    t.index = this.nextIndex++;
    t.status = status;
    computeStages(t);
    return t;
  }
}

/** Fills a turn's stage durations and total from its markers (a negative span counts as 0). */
export function computeStages(t: Turn): void {
  const span = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.max(0, b - a));
  const end = t.speechEnd;
  t.totalMs = span(end, t.audioBack);
  // A missing marker folds its stage into the next one.
  t.stages.asr = span(end, t.asrFinal);
  t.stages.llm = span(t.asrFinal ?? end, t.llmFirst);
  t.stages.tts = span(t.llmFirst ?? t.asrFinal ?? end, t.audioBack);
  if (t.asrFinal === null) t.stages.llm = null;
}

/** Each stage's share of the turn's total, 0–1 (null when the stage or the total is unknown). */
export function stageShares(t: Turn): { asr: number | null; llm: number | null; tts: number | null } {
  const total = t.totalMs;
  const share = (ms: number | null) => (ms === null || !total ? null : ms / total);
  return { asr: share(t.stages.asr), llm: share(t.stages.llm), tts: share(t.stages.tts) };
}

/** A turn as one table row of text (CLI): index, total, stages with shares, the user's words. */
export function formatTurn(t: Turn): string {
  const ms = (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`);
  const sh = stageShares(t);
  const pct = (v: number | null) => (v === null ? '' : ` (${Math.round(v * 100)}%)`);
  const status = t.status === 'complete' ? '' : ` [${t.status.replace('_', ' ')}]`;
  const words = t.userText ? ` "${t.userText.length > 40 ? `${t.userText.slice(0, 39)}…` : t.userText}"` : '';
  return `turn ${t.index}: ${ms(t.totalMs)} = ASR ${ms(t.stages.asr)}${pct(sh.asr)} + LLM ${ms(t.stages.llm)}${pct(sh.llm)} + TTS ${ms(t.stages.tts)}${pct(sh.tts)}${status}${words}`;
}
