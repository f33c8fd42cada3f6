/**
 * What the studio's stand-ins share: a log of what they receive that stays readable at any
 * message rate (the first few of each message with a preview, then counts at 10, 100, 1000…,
 * and a summary at stop).
 */
import { Extension, type AudioFrame, type Data, type Msg, type TenEnv, type VideoFrame } from 'ten-runtime-nodejs';

const PREVIEWS = 3;
const PREVIEW_CHARS = 200;

export class ReceiptLog {
  private readonly counts = new Map<string, number>();

  constructor(private readonly who: string) {}

  /** Logs the receipt of `msg` (a cmd, data or frame) when it is one of the first or a round count. */
  note(tenEnv: TenEnv, kind: string, msg: Msg, extra = ''): void {
    const key = `${kind} '${msg.getName()}'`;
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    if (n <= PREVIEWS) {
      const [json] = msg.getPropertyToJson('');
      const preview = json.length > PREVIEW_CHARS ? `${json.slice(0, PREVIEW_CHARS)}…` : json;
      tenEnv.logInfo(`${this.who}: received ${key} from ${msg.getSource().extensionName ?? '?'}${preview && preview !== '{}' ? ` ${preview}` : ''}${extra}`);
    } else if (isRound(n)) {
      tenEnv.logInfo(`${this.who}: received ${key} ×${n}${extra}`);
    }
  }

  /** One line with every message name and its count. */
  summary(): string {
    if (this.counts.size === 0) return `${this.who}: received nothing`;
    return `${this.who}: received ${[...this.counts].map(([k, n]) => `${k} ×${n}`).join(', ')}`;
  }
}

function isRound(n: number): boolean {
  if (n < 10) return false;
  let x = n;
  while (x % 10 === 0) x /= 10;
  return x === 1;
}

/**
 * A stand-in extension: it keeps its instance name (TEN's Extension keeps none for its
 * subclasses) and logs the data and frames it receives under `who`; cmds are its own to answer.
 */
export abstract class StandIn extends Extension {
  protected readonly name: string;
  protected readonly log: ReceiptLog;

  constructor(name: string, who: string) {
    super(name);
    this.name = name;
    this.log = new ReceiptLog(who);
  }

  async onData(tenEnv: TenEnv, data: Data): Promise<void> {
    this.log.note(tenEnv, 'data', data);
  }

  async onAudioFrame(tenEnv: TenEnv, frame: AudioFrame): Promise<void> {
    this.log.note(tenEnv, 'audio_frame', frame);
  }

  async onVideoFrame(tenEnv: TenEnv, frame: VideoFrame): Promise<void> {
    this.log.note(tenEnv, 'video_frame', frame);
  }
}
