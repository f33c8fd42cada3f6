/**
 * The link between the studio's host (or `ten-studio run`) and a running `local_transport`
 * extension: a `BroadcastChannel` named by the extension's `talk_channel` property, carrying these
 * messages. PCM is 16-bit mono at the transport's sample rate towards the graph, and the graph's
 * frames as they came (any rate, any channel count) back.
 */

/** Host → transport. */
export type ToTransport =
  /** Audio to feed: appended to the transport's queue. `live` (a microphone) keeps a small jitter buffer. */
  | { t: 'audio'; pcm: Int16Array; live: boolean }
  /** The user joins (`on_user_joined` is sent, frames start flowing) or leaves (`on_user_left`, frames stop). */
  | { t: 'join' }
  | { t: 'leave' }
  /** Drops the audio queued and not yet sent. */
  | { t: 'clear_input' };

/** Transport → host. */
export type FromTransport =
  /** The transport started: what it feeds the graph. */
  | { t: 'ready'; node: string; sampleRate: number; frameMs: number; frameName: string; streamId: number }
  /** The user joined or left (the cmd was sent; `error` when sending it failed). */
  | { t: 'session'; state: 'joined' | 'left'; ts: number; error?: string }
  /** The voice detector: `ts` is when the first (start) or the last (end) voiced frame was sent; `mediaMs` its place in the fed stream. */
  | { t: 'speech'; edge: 'start' | 'end'; ts: number; mediaMs: number }
  /** Progress of the feed (every ~100 ms while joined): frames sent so far, of which voiced, and the queue. */
  | { t: 'fed'; frames: number; inputFrames: number; silentFrames: number; firstTs: number; lastTs: number; queuedMs: number }
  /** A frame the graph sent to the transport, as it came. */
  | { t: 'out'; pcm: Int16Array; sampleRate: number; channels: number; frameTs: number; at: number; src: string; name: string }
  /** A frame the transport could not take (not 16-bit interleaved PCM); reported once per source. */
  | { t: 'out_refused'; src: string; reason: string }
  /** The graph asked the transport to drop the audio it has not played (TEN's `flush` cmd: barge-in). */
  | { t: 'flush'; at: number; src: string };
