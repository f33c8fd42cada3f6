/**
 * The Talk panel: talk to the running graph through its local transport (the stand-in of its RTC
 * node). Microphone on and off with a level meter, a WAV file fed instead, the graph's audio
 * played back (with its level and a mute), the chat from the graph's text messages (ASR results,
 * LLM output), and each turn's latency as a table of the last turns and a waterfall: end of the
 * user's speech → ASR final → LLM first output → first audio frame back, each stage with its
 * share.
 */
import { useEffect, useRef, useState } from 'react';
import { stageShares, type ChatMessage, type Turn } from '../../shared/talk/talk';
import { selectReplay, useDebug } from '../debugger/debugStore';
import { isActive, useRunView, type RunViewState } from '../debugger/runStore';
import { useTalk, type TalkState } from './talkStore';
import { join, leave, playFile, setMuted, startMic, stopMic } from './session';
import './talk.css';

const selectRun = (s: RunViewState) => s.run;
const selectChat = (s: TalkState) => s.chat;
const selectTurns = (s: TalkState) => s.turns;

export function TalkPanel() {
  const run = useRunView(selectRun);
  const replay = useDebug(selectReplay);
  const nodes = useTalk((s) => s.nodes);
  const hasTalk = nodes.length > 0;
  return (
    <section className="talk-panel" aria-label="Talk">
      {!run && !replay && <p className="muted talk-hint">Run a graph whose RTC node runs as the local transport (Run offers it), then talk to it here with the microphone or a WAV file.</p>}
      {run && !hasTalk && !replay && (
        <p className="muted talk-hint">This run has no local transport. Choose the transport stand-in for the graph's RTC node (Run asks for nodes that cannot run; the inspector changes it), or use a local_transport node, and run again.</p>
      )}
      {hasTalk && <Controls live={isActive(run) && !replay} />}
      {(hasTalk || replay) && (
        <div className="talk-body">
          <Chat />
          <Latency />
        </div>
      )}
    </section>
  );
}

function Meter({ level, label }: { level: number; label: string }) {
  return (
    <span className="meter" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(level * 100)} title={`${label}: ${level > 0 ? `${Math.round(level * 60 - 60)} dBFS` : 'silence'}`}>
      <span className="meter-fill" style={{ width: `${Math.round(level * 100)}%` }} />
    </span>
  );
}

function Controls({ live }: { live: boolean }) {
  const nodes = useTalk((s) => s.nodes);
  const selected = useTalk((s) => s.selected);
  const transport = useTalk((s) => (s.selected ? s.transports[s.selected] : undefined));
  const mic = useTalk((s) => s.mic);
  const micError = useTalk((s) => s.micError);
  const micLevel = useTalk((s) => s.micLevel);
  const outLevel = useTalk((s) => s.outLevel);
  const muted = useTalk((s) => s.muted);
  const playedSec = useTalk((s) => s.playedSec);
  const userSpeaking = useTalk((s) => s.userSpeaking);
  const agentSpeaking = useTalk((s) => s.agentSpeaking);
  const flushes = useTalk((s) => s.flushes);
  const [path, setPath] = useState('');
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const act = (f: () => Promise<unknown>) => () => {
    setNotice(null);
    f().then(
      (r) => typeof r === 'string' && setNotice({ text: r, error: false }),
      (e: Error) => setNotice({ text: e.message, error: true }),
    );
  };
  const joined = transport?.joined ?? false;
  return (
    <div className="talk-controls">
      <div className="talk-row">
        {nodes.length > 1 && (
          <label>
            Transport{' '}
            <select aria-label="Transport" value={selected ?? ''} onChange={(e) => useTalk.getState().select(e.target.value)}>
              {nodes.map((n) => (
                <option key={n}>{n}</option>
              ))}
            </select>
          </label>
        )}
        <button
          type="button"
          className={`mic-toggle${mic === 'on' ? ' on' : ''}`}
          aria-pressed={mic === 'on'}
          aria-label={mic === 'on' ? 'Microphone off' : 'Microphone on'}
          title={mic === 'on' ? 'Stop sending the microphone (you stay joined; silence is fed)' : 'Talk: join and send the microphone to the graph'}
          disabled={!live || mic === 'starting'}
          onClick={act(() => (mic === 'on' ? stopMic() : startMic()))}
        >
          {mic === 'on' ? 'Mic on' : mic === 'starting' ? 'Mic …' : 'Mic off'}
        </button>
        <Meter level={micLevel} label="Microphone level" />
        <span className={`speaking${userSpeaking ? ' on' : ''}`} title="The transport's voice detector hears you">
          you
        </span>
        <button type="button" aria-label={joined ? 'Leave' : 'Join'} title={joined ? 'Leave: on_user_left, no more frames' : 'Join without the microphone: on_user_joined, then silence'} disabled={!live} onClick={act(() => (joined ? leave() : join()))}>
          {joined ? 'Leave' : 'Join'}
        </button>
        <span className="talk-sep" />
        <button type="button" aria-pressed={muted} aria-label={muted ? 'Unmute playback' : 'Mute playback'} onClick={() => setMuted(!muted)}>
          {muted ? 'Muted' : 'Sound on'}
        </button>
        <Meter level={outLevel} label="Playback level" />
        <span className={`speaking agent${agentSpeaking ? ' on' : ''}`} title="The graph's audio is playing">
          agent
        </span>
        <span className="muted" data-testid="talk-played" title="The graph's audio played back in this window">
          played {playedSec.toFixed(1)} s
        </span>
        {flushes > 0 && (
          <span className="muted" title="Times the graph flushed its audio (barge-in)">
            {flushes} flush{flushes === 1 ? '' : 'es'}
          </span>
        )}
      </div>
      <div className="talk-row">
        <input aria-label="WAV file to feed" placeholder="/absolute/path/question.wav" value={path} onChange={(e) => setPath(e.target.value)} />
        <button
          type="button"
          aria-label="Feed WAV file"
          title="Feed a WAV file (any rate and channels; it is mixed down and resampled) through the transport"
          disabled={!live || !path.trim()}
          onClick={act(() => playFile(path.trim()))}
        >
          Feed WAV
        </button>
        {transport && (
          <span className="muted" data-testid="talk-status" title={`Frames of ${transport.frameMs ?? '?'} ms at ${transport.sampleRate ?? '?'} Hz named '${transport.frameName ?? '?'}'`}>
            {joined ? 'joined' : 'not joined'} · fed {((transport.frames * (transport.frameMs ?? 0)) / 1000).toFixed(1)} s ({transport.inputFrames} frames of input) · queued {Math.round(transport.queuedMs)} ms · back {(transport.outMs / 1000).toFixed(1)} s
          </span>
        )}
      </div>
      {(micError || notice) && (
        <p className={micError || notice?.error ? 'error' : 'muted'} role={micError || notice?.error ? 'alert' : 'status'}>
          {micError ?? notice?.text}
        </p>
      )}
    </div>
  );
}

function Chat() {
  const chat = useTalk(selectChat);
  const end = useRef<HTMLLIElement>(null);
  // A block body: Chromium's scrollIntoView returns a promise, which React would take for a cleanup.
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'nearest' });
  }, [chat]);
  return (
    <section className="talk-chat" aria-label="Chat">
      <ol data-testid="talk-chat">
        {chat.map((m) => (
          <Bubble key={m.id} m={m} />
        ))}
        {chat.length === 0 && <li className="muted">No words yet: what the graph's ASR hears and its LLM says shows here.</li>}
        <li ref={end} aria-hidden="true" />
      </ol>
    </section>
  );
}

function Bubble({ m }: { m: ChatMessage }) {
  return (
    <li className={`bubble ${m.role}${m.final ? '' : ' interim'}`} data-testid={`chat-${m.role}`} title={`${m.role === 'user' ? 'Recognised by' : 'Said by'} ${m.src}${m.final ? '' : ' (still changing)'}`}>
      <span className="who">{m.role === 'user' ? 'You' : 'Agent'}</span>
      <span className="words">{m.text}</span>
    </li>
  );
}

const ms = (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`);
const pct = (v: number | null) => (v === null ? '' : `${Math.round(v * 100)}%`);

function Latency() {
  const turns = useTalk(selectTurns);
  const shown = useTalk((s) => s.shownTurn);
  const turn = (shown !== null ? turns.find((t) => t.index === shown) : undefined) ?? [...turns].reverse().find((t) => t.totalMs !== null) ?? turns.at(-1);
  return (
    <section className="talk-latency" aria-label="Turn latency">
      {turn ? <Waterfall turn={turn} /> : <p className="muted">Each turn's latency shows here: end of your speech → ASR final → LLM first output → first audio back.</p>}
      {turns.length > 0 && (
        <table className="turn-table" data-testid="turn-table">
          <thead>
            <tr>
              <th scope="col">turn</th>
              <th scope="col">total</th>
              <th scope="col">ASR</th>
              <th scope="col">LLM</th>
              <th scope="col">TTS</th>
              <th scope="col">you said</th>
            </tr>
          </thead>
          <tbody>
            {[...turns].reverse().map((t) => {
              const sh = stageShares(t);
              return (
                <tr
                  key={t.index}
                  className={`${t === turn ? 'shown' : ''} ${t.status}`}
                  data-testid={`turn-row-${t.index}`}
                  tabIndex={0}
                  aria-selected={t === turn}
                  onClick={() => useTalk.getState().showTurn(t.index)}
                  onKeyDown={(e) => e.key === 'Enter' && useTalk.getState().showTurn(t.index)}
                >
                  <td>{t.index}</td>
                  <td>{t.status === 'complete' ? ms(t.totalMs) : t.status.replace('_', ' ')}</td>
                  <td title={pct(sh.asr)}>{ms(t.stages.asr)}</td>
                  <td title={pct(sh.llm)}>{ms(t.stages.llm)}</td>
                  <td title={pct(sh.tts)}>{ms(t.stages.tts)}</td>
                  <td className="words">{t.userText}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

const STAGES = [
  ['asr', 'ASR', 'end of speech → ASR final result'],
  ['llm', 'LLM', 'ASR final → LLM first output'],
  ['tts', 'TTS', 'LLM first output → first audio frame back'],
] as const;

function Waterfall({ turn }: { turn: Turn }) {
  const sh = stageShares(turn);
  const total = turn.totalMs ?? 0;
  let offset = 0;
  return (
    <figure className="waterfall" aria-label={`Turn ${turn.index} latency`} data-testid="waterfall">
      <figcaption>
        Turn {turn.index}: <b>{turn.status === 'complete' ? ms(turn.totalMs) : turn.status.replace('_', ' ')}</b> from the end of your speech to the first audio back
      </figcaption>
      {STAGES.map(([key, label, what]) => {
        const v = turn.stages[key];
        const left = total > 0 ? (offset / total) * 100 : 0;
        const width = total > 0 && v !== null ? (v / total) * 100 : 0;
        if (v !== null) offset += v;
        return (
          <div className="wf-row" key={key} title={what}>
            <span className="wf-label">{label}</span>
            <span className="wf-track">
              <span className={`wf-bar wf-${key}`} style={{ left: `${left}%`, width: `${Math.max(width, v === null ? 0 : 0.5)}%` }} />
            </span>
            <span className="wf-value" data-testid={`waterfall-${key}`}>
              {ms(v)} {v !== null && <span className="muted">{pct(sh[key])}</span>}
            </span>
          </div>
        );
      })}
    </figure>
  );
}
