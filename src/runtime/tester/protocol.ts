/**
 * Messages between an `ExtensionTester` (on the test's thread) and its proxy extension (in the
 * graph), over a BroadcastChannel named per run.
 */
import type { WireMsg } from '../core/wire';

export type ToTester =
  | { t: 'started' }
  | { t: 'stopping' }
  | { t: 'msg'; id: number; wire: WireMsg }
  | { t: 'result'; id: number; wire: WireMsg | null; error: { code: number; message: string } | null };

export type ToProxy =
  | { t: 'send'; id: number; wire: WireMsg; wantResults: boolean }
  | { t: 'return'; wire: WireMsg };

/** Node name of the extension under test, as in TEN. */
export const TEST_EXTENSION = 'ten:test_extension';
/** Node name and addon of the proxy standing in for the tester. */
export const TESTER_PROXY = 'ten:tester_proxy';
