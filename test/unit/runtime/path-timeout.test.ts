import { describe, expect, it } from 'vitest';
import { Cmd } from '../../../src/runtime/api/msg';
import { ExtRuntime, type ExtHost } from '../../../src/runtime/worker/extension_rt';

/** An extension with `ten` properties whose sent `ten:timer` cmd keeps an OUT path. */
function extensionWith(ten: Record<string, unknown>): { x: ExtRuntime; results: string[] } {
  const timers = { kind: 'timers', deliver: () => true };
  const group = {
    current: '',
    router: {
      locOf: (ext: string) => ({ loc: { app: 'app', graph: 'g', ext } }),
      engineTarget: () => timers,
      deliver: () => undefined,
    },
    watchOutPaths: () => undefined,
  } as unknown as ExtHost;
  const x = new ExtRuntime(group, { name: 'a', addon: 'probe', entry: '', api: {}, property: { ten } });
  const results: string[] = [];
  expect(x.sendCmd(Cmd.Create('ten:timer'), (r) => results.push(r?.getPropertyString('detail')[0] ?? ''), false)).toBeUndefined();
  return { x, results };
}

describe('ten.path_timeout', () => {
  it('is taken in microseconds when it is an integer beyond 2^53 (int64 max, "never")', () => {
    const fourHours = Date.now() + 4 * 3600_000;
    const never = extensionWith({ path_timeout: 9223372036854775807n });
    never.x.checkPaths(fourHours);
    expect(never.results).toEqual([]);
    const outOnly = extensionWith({ path_timeout: { out_path: 9223372036854775807n } });
    outOnly.x.checkPaths(fourHours);
    expect(outOnly.results).toEqual([]);
    // The default (three minutes) still applies without one.
    const plain = extensionWith({});
    plain.x.checkPaths(fourHours);
    expect(plain.results).toEqual(['Path timeout.']);
  });
});
