/**
 * `ten-studio run … [--stand-in NODE=KIND,…] [--audio-in in.wav] [--audio-out out.wav]`: the
 * run's stand-ins (the layout sidecar's, as the studio runs them, and the command line's), and
 * talking to the graph headless: a WAV file fed through its local transport in real time, what
 * the graph says back recorded to a WAV file, the chat and each turn's latency printed.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { App } from '../runtime';
import { BUILTIN_ADDONS_DIR } from '../runtime/addons';
import { readFailure, readRegularFileSync, readRegularTextSync } from '../runtime/core/regular_file';
import { EditorService } from '../host/editor';
import { writeFileAtomic } from '../host/documents';
import { describeRunNodes, planStandIns, type StandInPlan } from '../host/runs/standins';
import { TalkRun, type TransportLink } from '../host/talk/session';
import { validateLayout, type DocumentLayout, type GraphDocument, type TenAppProperty } from '../shared';
import { checkStandInChoice, type StandInChoice } from '../shared/talk/choice';
import { ChatBuilder, formatTurn, type TalkEvent, type Turn } from '../shared/talk/talk';
import { decodeWav, WavError, type DecodedWav } from '../shared/talk/wav';
import { UsageError } from './args';

export interface TalkOptions {
  /** `--stand-in NODE=KIND[,…]`: interface, interface:schema, transport, transport:20, replay:FILE. */
  standIns: Record<string, StandInChoice>;
  audioIn?: { path: string; wav: DecodedWav };
  audioOut?: string;
  /** `--audio-tail S`: after the input has been fed, the run ends once no audio has come back for this long (ms). */
  tailMs?: number;
}

/** After the input has been fed and the graph's audio has gone quiet, the run ends this much later (`--audio-tail`). */
export const DEFAULT_TAIL_MS = 3000;
/** Audio back quieter than this (dBFS) is silence: an echo of the transport's own silence does not keep the run going. */
const AUDIBLE_DB = -60;

function audible(pcm: Int16Array): boolean {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  const rms = Math.sqrt(sum / Math.max(1, pcm.length)) / 32768;
  return rms > 0 && 20 * Math.log10(rms) >= AUDIBLE_DB;
}

/** Parses `--stand-in` (a comma list of NODE=KIND); a mistake is a `UsageError` saying what is allowed. */
export function parseStandIns(value: string | true | undefined): Record<string, StandInChoice> {
  if (value === undefined) return {};
  const usage = 'NODE=interface, NODE=interface:schema, NODE=transport, NODE=transport:20 or NODE=replay:/abs/recording.json, separated by commas';
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--stand-in needs ${usage}.`);
  const out: Record<string, StandInChoice> = {};
  for (const part of value.split(',')) {
    const m = /^\s*([^=\s]+)\s*=\s*(interface|transport|replay)(?::(.+))?\s*$/.exec(part);
    if (!m) throw new UsageError(`--stand-in: "${part}" is not ${usage}.`);
    const [, node, kind, arg] = m as unknown as [string, string, 'interface' | 'transport' | 'replay', string | undefined];
    let choice: unknown;
    if (kind === 'interface') choice = arg === undefined ? { kind } : { kind, answer: arg };
    else if (kind === 'transport') choice = arg === undefined ? { kind } : { kind, frameMs: Number(arg) };
    else choice = { kind, recording: arg === undefined ? '' : resolve(arg) };
    const problem = checkStandInChoice(choice, node);
    if (problem) throw new UsageError(`--stand-in ${node}: ${problem.replace(/^expects "[^"]*"/, 'expects it')}.`);
    out[node] = choice as StandInChoice;
  }
  return out;
}

/** Reads `--audio-in` now, so an unreadable or unsupported file is a usage error before anything starts. */
export function readAudioIn(path: string): { path: string; wav: DecodedWav } {
  const full = resolve(path);
  if (!existsSync(full)) throw new UsageError(`--audio-in: ${path} does not exist.`);
  try {
    return { path: full, wav: decodeWav(readRegularFileSync(full).bytes, path) };
  } catch (e) {
    if (e instanceof WavError) throw new UsageError(`--audio-in: ${e.message}`);
    throw new UsageError(`--audio-in: cannot read ${path}: ${readFailure(e)}`);
  }
}

/** The layout sidecar next to the property.json (`property.studio-layout.json`), if any. */
function readLayout(propertyPath: string): DocumentLayout | undefined {
  const stem = basename(propertyPath).replace(/\.json$/i, '');
  const file = join(dirname(propertyPath), `${stem}.studio-layout.json`);
  if (!existsSync(file)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readRegularTextSync(file));
  } catch (e) {
    process.stderr.write(`Ignoring ${file}: ${(e as Error).message}\n`);
    return undefined;
  }
  const problem = validateLayout(value);
  if (problem) {
    process.stderr.write(`Ignoring ${file}: it ${problem}.\n`);
    return undefined;
  }
  return value as DocumentLayout;
}

/**
 * The run's stand-ins: the layout sidecar's and `--stand-in`'s. With `--audio-in`/`--audio-out`
 * and no transport chosen, the one RTC node of the graphs gets the transport stand-in.
 */
export async function planCliRun(opts: {
  runId: string;
  propertyPath: string;
  appDir: string;
  property: TenAppProperty;
  graphs: string[];
  talk: TalkOptions;
}): Promise<StandInPlan> {
  const layout = readLayout(opts.propertyPath);
  const document: GraphDocument = {
    id: `property:${opts.propertyPath}`,
    title: basename(opts.appDir),
    origin: { kind: 'property', file: opts.propertyPath },
    property: opts.property,
    ...(layout ? { layout } : {}),
  };
  const addonDirs = [BUILTIN_ADDONS_DIR, join(opts.appDir, 'ten_packages', 'extension')];
  const editor = new EditorService({ examplesDir: dirname(opts.appDir) });
  const catalogue = await editor.catalogue(existsSync(join(opts.appDir, 'manifest.json')) ? opts.appDir : undefined);
  const overrides: Record<string, Record<string, StandInChoice>> = {};
  for (const g of opts.graphs) overrides[g] = { ...opts.talk.standIns };
  const wantsAudio = opts.talk.audioIn !== undefined || opts.talk.audioOut !== undefined;
  if (wantsAudio) {
    const nodes = await describeRunNodes({ document, graphs: opts.graphs, appDir: opts.appDir, addonDirs, catalogue });
    const chosen = (n: (typeof nodes)[number]) => (overrides[n.graph]?.[n.node] ?? n.chosen)?.kind === 'transport' || n.addon === 'local_transport';
    if (!nodes.some(chosen)) {
      const rtc = nodes.filter((n) => n.rtc);
      if (rtc.length !== 1) {
        throw new UsageError(
          rtc.length === 0
            ? '--audio-in/--audio-out need a transport: the graph has no RTC node (audio out, and audio in or on_user_joined); name one with --stand-in NODE=transport.'
            : `--audio-in/--audio-out: the graph has ${rtc.length} RTC nodes (${rtc.map((n) => n.node).join(', ')}); pick one with --stand-in NODE=transport.`,
        );
      }
      overrides[rtc[0]!.graph]![rtc[0]!.node] = { kind: 'transport' };
    }
  }
  try {
    // A node that cannot run and has no stand-in fails its graph's start, as without stand-ins.
    return await planStandIns({ runId: opts.runId, document, graphs: opts.graphs, appDir: opts.appDir, addonDirs, catalogue, overrides });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Prints the conversation, feeds `--audio-in`, records `--audio-out`, and says when the talk is over. */
export class CliTalk {
  readonly run: TalkRun;
  private readonly chat = new ChatBuilder();
  private readonly turns: Turn[] = [];
  private lastOutAt = 0;
  private inputMs = 0;
  private inputFedAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    app: App,
    plan: StandInPlan,
    private readonly opts: TalkOptions,
    private readonly t0: number,
    private readonly write: (line: Record<string, unknown>) => void,
    private readonly record: ((ev: TalkEvent) => void) | undefined,
  ) {
    const audio = (_node: string, pcm: Int16Array) => {
      if (audible(pcm)) this.lastOutAt = Date.now();
    };
    this.run = new TalkRun(app, plan.transports, plan.roles!, { event: (ev) => this.onEvent(ev), audio }, { record: opts.audioOut !== undefined });
  }

  private get link(): TransportLink {
    return this.run.link();
  }

  /**
   * Feeds `--audio-in` (the transport joins first); resolves when the talk is over: the input has
   * been fed and no audio has come back for `--audio-tail`, after which the user leaves. Without
   * `--audio-in` the user joins (silence is fed, `--audio-out` records) and the talk never ends by
   * itself.
   */
  async talk(): Promise<void> {
    const link = this.link;
    const input = this.opts.audioIn;
    await link.whenReady();
    if (!input) {
      link.join();
      return new Promise<void>(() => undefined);
    }
    const { samples, warnings } = await link.feedDecoded(input.wav);
    for (const w of warnings) process.stderr.write(`--audio-in: ${w}\n`);
    this.inputMs = (samples * 1000) / link.state.sampleRate!;
    process.stdout.write(`Feeding ${input.path} (${(this.inputMs / 1000).toFixed(2)} s) to ${link.node} in ${link.state.frameMs} ms frames at ${link.state.sampleRate} Hz.\n`);
    await new Promise<void>((resolve) => {
      this.timer = setInterval(() => {
        const s = link.state;
        const now = Date.now();
        if (this.inputFedAt === 0 && s.frameMs !== null && s.inputFrames * s.frameMs >= this.inputMs) this.inputFedAt = now;
        const tail = this.opts.tailMs ?? DEFAULT_TAIL_MS;
        if (this.inputFedAt !== 0 && now - this.inputFedAt >= tail && now - this.lastOutAt >= tail) {
          this.stop();
          resolve();
        }
      }, 100);
    });
    link.leave();
    // The leave's on_user_left goes out before the graph stops.
    await new Promise((r) => setTimeout(r, 200));
  }

  private onEvent(ev: TalkEvent): void {
    this.write({ type: 'talk', ...ev });
    this.record?.(ev);
    const at = `[${((('ts' in ev ? ev.ts : Date.now()) - this.t0) / 1000).toFixed(3).padStart(8)}s]`;
    switch (ev.kind) {
      case 'session':
        process.stdout.write(`${at} talk       user ${ev.state} (${ev.node})${ev.detail ? ` — ${ev.detail}` : ''}\n`);
        return;
      case 'flush':
        process.stdout.write(`${at} talk       ${ev.src} flushed ${ev.node}: ${ev.droppedMs} ms of audio dropped\n`);
        return;
      case 'turn':
        this.turns.push(ev.turn);
        process.stdout.write(`${at} ${formatTurn(ev.turn)}\n`);
        return;
      case 'text': {
        const m = this.chat.push(ev);
        if (m && m.final && ev.final !== false) process.stdout.write(`${at} ${m.role === 'user' ? 'user ' : 'agent'}:     ${m.text}\n`);
        return;
      }
      default:
        return;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** After the run: writes `--audio-out`, prints what was fed and got back, and the turns. */
  async finish(): Promise<string[]> {
    this.stop();
    this.run.end();
    const problems: string[] = [];
    for (const l of this.run.links.values()) {
      const s = l.state;
      this.write({ type: 'talk_transport', ...s });
      process.stdout.write(
        `Transport ${s.node}: fed ${s.frames} frames of ${s.frameMs ?? '?'} ms (${s.inputFrames} of input, ${s.silentFrames} of silence); ` +
          `got back ${(s.outMs / 1000).toFixed(2)} s of audio in ${s.outFrames} frames.\n`,
      );
      for (const [src, reason] of l.refused) process.stderr.write(`Transport ${s.node}: frames from ${src} were not played: ${reason}.\n`);
    }
    if (this.opts.audioOut) {
      const p = this.link.playout;
      if (!p) problems.push(`--audio-out: the transport never started, so ${this.opts.audioOut} was not written`);
      else {
        const { bytes, ms, truncated } = p.wav(this.inputMs);
        try {
          await writeFileAtomic(this.opts.audioOut, Buffer.from(bytes));
          process.stdout.write(`Wrote ${(ms / 1000).toFixed(2)} s of the graph's audio to ${this.opts.audioOut}${truncated ? ' (cut at one hour)' : ''}.\n`);
        } catch (e) {
          problems.push(`cannot write ${this.opts.audioOut}: ${(e as Error).message}`);
        }
      }
    }
    if (this.turns.length) {
      process.stdout.write(`Turns (end of speech → first audio back):\n${this.turns.map((t) => `  ${formatTurn(t)}`).join('\n')}\n`);
    }
    return problems;
  }
}
