/** Roles of a voice graph's nodes, reading text messages, the chat, and turn latency. */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flattenManifestApi, type FileSource, type TenAppProperty, type TenGraph, type TenManifest } from '../../../src/shared';
import { portsOfApi, type PortNames } from '../../../src/shared/talk/standin';
import { ChatBuilder, formatTurn, readText, stageShares, talkRoles, TurnTracker, type TalkEvent, type TalkRoles, type TextRecord, type Turn } from '../../../src/shared/talk/talk';
import { CORPUS, HAS_CORPUS } from '../graph/corpus';

/** The example's shape: transport → asr → llm → tts → transport. */
const LOOP: Pick<TenGraph, 'connections'> = {
  connections: [
    { extension: 'rtc', audio_frame: [{ name: 'pcm_frame', dest: [{ extension: 'adapter' }] }], cmd: [{ names: ['on_user_joined', 'on_user_left'], dest: [{ extension: 'llm' }] }] },
    { extension: 'adapter', audio_frame: [{ name: 'pcm_frame', dest: [{ extension: 'asr' }] }] },
    { extension: 'asr', data: [{ name: 'asr_result', dest: [{ extension: 'llm' }] }] },
    { extension: 'llm', data: [{ name: 'text_data', dest: [{ extension: 'tts' }] }], cmd: [{ name: 'flush', dest: [{ extension: 'tts' }, { extension: 'rtc' }] }] },
    { extension: 'tts', audio_frame: [{ name: 'pcm_frame', dest: [{ extension: 'rtc' }] }] },
  ],
};
const ROLES: TalkRoles = { transport: ['rtc'], asr: ['asr'], llm: ['llm'], tts: ['tts'] };

function rec(partial: Partial<TextRecord> & { fields: Record<string, unknown> }): TextRecord {
  return { ts: 0, type: 'data', name: 'x', src: 'asr', dest: 'llm', ...partial };
}

describe('talkRoles', () => {
  it('follows the audio from the transport to the ASR and back from the TTS, and finds the LLM between', () => {
    expect(talkRoles(LOOP, ['rtc'], () => undefined)).toEqual(ROLES);
  });

  it.skipIf(!HAS_CORPUS)("reads TEN's voice-assistant: stt, llm (its LLM interface) and tts around agora_rtc (needs ../shared/ten-corpus)", async () => {
    const property = JSON.parse(readFileSync(join(CORPUS, 'apps', 'voice-assistant', 'property.json'), 'utf8')) as TenAppProperty;
    const graph = property.ten!.predefined_graphs![0]!.graph as TenGraph;
    const disk: FileSource = { readText: async (p) => readFile(p, 'utf8').catch(() => null), listDir: async () => null };
    const ports = new Map<string, PortNames>();
    for (const n of graph.nodes) {
      if (n.type !== 'extension') continue;
      const dir = join(CORPUS, 'packages', 'extension', n.addon);
      let manifest: TenManifest;
      try {
        manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as TenManifest;
      } catch {
        continue;
      }
      const flat = await flattenManifestApi(manifest.api, { files: disk, baseDir: dir });
      ports.set(n.name, portsOfApi(flat.api));
    }
    expect(talkRoles(graph, ['agora_rtc'], (n) => ports.get(n))).toEqual({ transport: ['agora_rtc'], asr: ['stt'], llm: ['llm'], tts: ['tts'] });
  });
});

describe('readText', () => {
  it("reads TEN's asr_result, text_data, message and chat_completion results", () => {
    expect(readText(rec({ name: 'asr_result', fields: { text: 'hello', final: false, id: 'a' } }), ROLES)).toMatchObject({ role: 'user', stage: 'asr', text: 'hello', final: false });
    expect(readText(rec({ src: 'llm', dest: 'tts', name: 'text_data', fields: { text: 'Hi.', is_final: false, end_of_segment: true } }), ROLES)).toMatchObject({ role: 'agent', stage: 'llm', final: false });
    expect(readText(rec({ src: 'main', dest: 'collector', name: 'message', fields: { text: 'hey', role: 'assistant', is_final: true } }), ROLES)).toMatchObject({ role: 'agent', stage: null, final: true });
    const delta = readText(rec({ src: 'llm', dest: 'main', type: 'cmd_result', name: 'chat_completion', cmdId: 'c1', isFinal: false, fields: { type: 'message_content_delta', delta: ' there', content: 'Hi there' } }), ROLES);
    expect(delta).toMatchObject({ role: 'agent', stage: 'llm', text: 'Hi there', final: false, streamId: 'c1' });
    expect(readText(rec({ src: 'main', dest: 'tts', name: 'tts_text_input', fields: { text: 'Hi.', text_input_end: true, request_id: 'r1' } }), ROLES)).toMatchObject({ stage: 'tts', final: true, streamId: 'r1' });
    expect(readText(rec({ fields: { text: '' } }), ROLES)).toBeNull();
  });
});

describe('ChatBuilder', () => {
  const text = (ts: number, stage: 'asr' | 'llm' | 'tts', t: string, final: boolean | null, extra: Partial<Extract<TalkEvent, { kind: 'text' }>> = {}): TalkEvent => ({
    kind: 'text',
    ts,
    src: stage,
    dest: '',
    name: 'x',
    msgType: 'data',
    role: stage === 'asr' ? 'user' : 'agent',
    stage,
    text: t,
    final,
    ...extra,
  });

  it('replaces interim ASR results, appends LLM chunks, and prefers the LLM over text sent to the TTS', () => {
    const chat = new ChatBuilder();
    for (const ev of [
      text(1, 'asr', 'one', false),
      text(2, 'asr', 'one two', false),
      text(3, 'asr', 'one two three', true),
      text(4, 'llm', 'You said', false),
      text(5, 'tts', 'You said', false),
      text(6, 'llm', 'one two three.', true),
      text(7, 'asr', 'four', true),
    ])
      chat.push(ev);
    expect(chat.messages.map((m) => [m.role, m.text, m.final])).toEqual([
      ['user', 'one two three', true],
      ['agent', 'You said one two three.', true],
      ['user', 'four', true],
    ]);
  });

  it("takes an LLM's streamed content whole and keeps requests apart", () => {
    const chat = new ChatBuilder();
    chat.push(text(1, 'llm', 'Hi', false, { msgType: 'cmd_result', streamId: 'a' }));
    chat.push(text(2, 'llm', 'Hi there', false, { msgType: 'cmd_result', streamId: 'a' }));
    chat.push(text(3, 'llm', 'Other', false, { msgType: 'cmd_result', streamId: 'b' }));
    expect(chat.messages.map((m) => m.text)).toEqual(['Hi there', 'Other']);
  });

  it('uses the text sent to the TTS when the graph has no LLM output', () => {
    const chat = new ChatBuilder();
    chat.push(text(1, 'tts', 'Hello.', false));
    chat.push(text(2, 'tts', 'How are you?', true));
    expect(chat.messages.map((m) => [m.role, m.text, m.final])).toEqual([['agent', 'Hello. How are you?', true]]);
  });
});

describe('TurnTracker', () => {
  const ev = {
    speech: (ts: number, edge: 'start' | 'end'): TalkEvent => ({ kind: 'speech', ts, node: 'rtc', edge, mediaMs: ts }),
    asr: (ts: number, text: string, final: boolean): TalkEvent => ({ kind: 'text', ts, src: 'asr', dest: 'llm', name: 'asr_result', msgType: 'data', role: 'user', stage: 'asr', text, final }),
    llm: (ts: number): TalkEvent => ({ kind: 'text', ts, src: 'llm', dest: 'tts', name: 'text_data', msgType: 'data', role: 'agent', stage: 'llm', text: 'ok', final: false }),
    back: (ts: number): TalkEvent => ({ kind: 'audio_out', ts, node: 'rtc', edge: 'start', src: 'tts' }),
  };
  const run = (events: TalkEvent[]) => {
    const t = new TurnTracker();
    const turns: Turn[] = [];
    for (const e of events) turns.push(...t.push(e));
    turns.push(...t.end());
    return turns;
  };

  it('splits a turn into ASR, LLM and TTS stages with their shares', () => {
    const [turn, ...rest] = run([ev.speech(1000, 'start'), ev.asr(1200, 'hel', false), ev.speech(1500, 'end'), ev.asr(1700, 'hello', true), ev.llm(1750), ev.back(2100)]);
    expect(rest).toEqual([]);
    expect(turn).toMatchObject({ index: 1, status: 'complete', speechEnd: 1500, asrFinal: 1700, llmFirst: 1750, audioBack: 2100, totalMs: 600, stages: { asr: 200, llm: 50, tts: 350 }, userText: 'hello' });
    const sh = stageShares(turn!);
    expect(sh.asr! + sh.llm! + sh.tts!).toBeCloseTo(1, 9);
    expect(formatTurn(turn!)).toBe('turn 1: 600 ms = ASR 200 ms (33%) + LLM 50 ms (8%) + TTS 350 ms (58%) "hello"');
  });

  it("completes when the voice detector's end of speech arrives after the answer started", () => {
    // The detector reports the end after its hangover: here after the ASR's final result and the first audio.
    const [turn] = run([ev.speech(0, 'start'), ev.asr(450, 'hi', true), ev.llm(460), ev.back(520), ev.speech(300, 'end')]);
    expect(turn).toMatchObject({ status: 'complete', totalMs: 220, stages: { asr: 150, llm: 10, tts: 60 } });
  });

  it('ignores audio before the ASR result (a greeting) and reports a turn interrupted by new speech', () => {
    const turns = run([
      ev.back(10),
      ev.speech(100, 'start'),
      ev.speech(400, 'end'),
      ev.asr(500, 'first', true),
      ev.speech(600, 'start'),
      ev.speech(900, 'end'),
      ev.asr(1000, 'second', true),
      ev.back(1300),
    ]);
    expect(turns.map((t) => [t.index, t.status, t.userText, t.totalMs])).toEqual([
      [1, 'interrupted', 'first', null],
      [2, 'complete', 'second', 400],
    ]);
    // Without an LLM marker, the TTS stage runs from the ASR's final result.
    expect(turns[1]!.stages).toEqual({ asr: 100, llm: null, tts: 300 });
  });

  it('reports an unanswered turn when the run ends', () => {
    expect(run([ev.speech(0, 'start'), ev.speech(200, 'end'), ev.asr(300, 'anyone?', true)]).map((t) => t.status)).toEqual(['no_answer']);
    expect(run([ev.speech(0, 'start'), ev.speech(200, 'end')])).toEqual([]);
  });
});
