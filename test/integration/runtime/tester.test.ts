// ExtensionTester (§8): an extension package run standalone against a tester on this thread. As
// in TEN, the package is found in the app base dir: TEN_APP_BASE_DIR here, the standalone
// `.ten/app` layout in app-api.test.ts.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Cmd, CmdResult, Data, ExtensionTester, StatusCode, TenErrorCode, Value, type TenEnvTester } from 'ten-runtime-nodejs';
import { FIXTURE_APP } from './harness';

let savedBaseDir: string | undefined;
beforeAll(() => {
  savedBaseDir = process.env.TEN_APP_BASE_DIR;
  process.env.TEN_APP_BASE_DIR = FIXTURE_APP;
});
afterAll(() => {
  if (savedBaseDir === undefined) delete process.env.TEN_APP_BASE_DIR;
  else process.env.TEN_APP_BASE_DIR = savedBaseDir;
});

describe('ExtensionTester', () => {
  it('sends a cmd to the extension under test and answers the cmd it sends back', async () => {
    const seen: string[] = [];
    class Tester extends ExtensionTester {
      async onStart(env: TenEnvTester): Promise<void> {
        const [r, e] = await env.sendCmd(Cmd.Create('hello'));
        seen.push(`result:${r?.getStatusCode()}:${r?.getPropertyString('from')[0]}:${e?.errorMessage ?? ''}`);
        if (seen.length >= 2) env.stopTest();
      }
      async onCmd(env: TenEnvTester, cmd: Cmd): Promise<void> {
        seen.push(`cmd:${cmd.getName()}`);
        const r = CmdResult.Create(StatusCode.OK, cmd);
        r.setPropertyString('from', 'tester');
        await env.returnResult(r, { waitForResult: true });
        if (seen.length >= 2) env.stopTest();
      }
    }
    const t = new Tester();
    t.setTestModeSingle('probe', JSON.stringify({ probe: { actions: [{ op: 'sendCmd', name: 'up' }] } }));
    t.setTimeout(20_000_000);
    const err = await t.run();
    expect(err).toBeUndefined();
    expect(seen).toContain('result:0:ten:test_extension:');
    expect(seen).toContain('cmd:up');
  });

  it("TenEnvTester takes TEN's send options and log arguments (category, fields as Value or object)", async () => {
    const logged: (string | undefined)[] = [];
    class Tester extends ExtensionTester {
      async onStart(env: TenEnvTester): Promise<void> {
        const data = Data.Create('d');
        logged.push(
          (await env.sendData(data, { waitForResult: true }))?.errorMessage,
          env.logDebug('debug', 'cat', { a: 1 })?.errorMessage,
          env.logInfo('info', undefined, Value.fromNative({ b: [1, 2] }))?.errorMessage,
          env.logWarn('warn', 'cat', undefined, { skip: 1 })?.errorMessage,
        );
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        logged.push(env.logError('cyclic', 'cat', cyclic)?.errorMessage?.split(':')[0]);
        env.stopTest();
      }
    }
    const t = new Tester();
    t.setTestModeSingle('probe', '{}');
    t.setTimeout(20_000_000);
    expect(await t.run()).toBeUndefined();
    expect(logged).toEqual([undefined, undefined, undefined, undefined, 'failed to convert fields']);
  });

  it('fails with a Timeout error when the test never stops', async () => {
    const t = new ExtensionTester();
    t.setTestModeSingle('plain', '{}');
    t.setTimeout(300_000);
    const err = await t.run();
    expect(err?.errorCode).toBe(TenErrorCode.ErrorCodeTimeout);
    expect(err?.errorMessage).toBe('Test timeout.');
  });

  it("a test without setTimeout gets TEN's default of 3 minutes, and setTimeout(0) none", async () => {
    const armed = (ms: number): number => spy.mock.calls.filter((c) => c[1] === ms).length;
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      class Quick extends ExtensionTester {
        override async onStart(env: TenEnvTester): Promise<void> {
          env.stopTest();
        }
      }
      const t = new Quick();
      t.setTestModeSingle('plain', '{}');
      expect(await t.run()).toBeUndefined();
      expect(armed(180_000)).toBe(1);
      const u = new Quick();
      u.setTestModeSingle('plain', '{}');
      u.setTimeout(0);
      expect(await u.run()).toBeUndefined();
      expect(armed(180_000)).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('an addon the app base dir does not hold ends the run with an error naming it', async () => {
    const t = new ExtensionTester();
    t.setTestModeSingle('no_such_addon', '{}');
    t.setTimeout(20_000_000);
    const err = await t.run();
    expect(err?.errorCode).toBe(TenErrorCode.ErrorCodeGeneric);
    expect(err?.errorMessage).toMatch(/no_such_addon/);
  });
});
