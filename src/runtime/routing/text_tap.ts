/**
 * Ours: the text tap of a group worker. Off by default (the group holds `textTap = null` and a
 * send pays one null check). When on, every data message and cmd result an extension of the
 * thread sends whose properties hold text (`text`, `content` or `delta` as a string: ASR results,
 * LLM output, what goes to a TTS) is recorded once per send with its text fields, and the records
 * are posted with the group's events once per loop turn. The host turns them into the Talk
 * panel's chat and the turn latency. At most `MAX_PER_WINDOW` records per `WINDOW_MS` are kept;
 * the rest are counted as dropped.
 */
import { performance } from 'node:perf_hooks';
import { MAX_TEXT_CHARS, TEXT_FIELDS, type TextRecord } from '../../shared/talk/talk';
import type { WireMsg } from '../core/wire';

const MAX_PER_WINDOW = 200;
const WINDOW_MS = 50;

export class TextTap {
  records: TextRecord[] = [];
  dropped = 0;
  private windowStart = 0;
  private inWindow = 0;

  /** Records `w` (a data message or a cmd result sent by `src` to `dest`) when it carries text. */
  see(w: WireMsg, src: string, dest: string): boolean {
    const p = w.props;
    if (typeof p.text !== 'string' && typeof p.content !== 'string' && typeof p.delta !== 'string') return false;
    const now = performance.now();
    if (this.inWindow >= MAX_PER_WINDOW) {
      if (now - this.windowStart < WINDOW_MS) {
        this.dropped++;
        return false;
      }
      this.windowStart = now;
      this.inWindow = 0;
    }
    this.inWindow++;
    const fields: Record<string, unknown> = {};
    for (const k of TEXT_FIELDS) {
      const v = p[k];
      if (v === undefined) continue;
      if (typeof v === 'string') fields[k] = v.length > MAX_TEXT_CHARS ? `${v.slice(0, MAX_TEXT_CHARS)}…` : v;
      else if (typeof v === 'boolean' || typeof v === 'number') fields[k] = v;
      else if (typeof v === 'bigint') fields[k] = v.toString();
    }
    const r: TextRecord = { ts: performance.timeOrigin + now, type: w.type === 'cmd_result' ? 'cmd_result' : 'data', name: w.type === 'cmd_result' ? w.origName || w.name : w.name, src, dest, fields };
    if (w.type === 'cmd_result') {
      r.isFinal = w.isFinal;
      r.cmdId = w.cmdId;
    }
    this.records.push(r);
    return true;
  }

  /** Takes the buffered records and the drop count since the last take. */
  take(): { records: TextRecord[]; dropped: number } | null {
    if (this.records.length === 0 && this.dropped === 0) return null;
    const out = { records: this.records, dropped: this.dropped };
    this.records = [];
    this.dropped = 0;
    return out;
  }
}
