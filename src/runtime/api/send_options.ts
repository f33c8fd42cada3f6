/**
 * Options of the fire-and-forget senders (`sendData`, `sendAudioFrame`, `sendVideoFrame`,
 * `returnResult`). Routing is decided during the call here, so the error comes back either way;
 * `waitForResult` is accepted for TEN compatibility.
 */
export interface SendOptions {
  waitForResult?: boolean;
}
