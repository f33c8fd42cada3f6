// ExtensionTester (§8): an extension package run standalone against a tester on this thread.
import { describe, expect, it } from 'vitest';
import { Cmd, CmdResult, ExtensionTester, StatusCode, TenErrorCode, type TenEnvTester } from 'ten-runtime-nodejs';
import { FIXTURE_APP } from './harness';

const ADDONS = [`${FIXTURE_APP}/ten_packages/extension`];

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
        await env.returnResult(r);
        if (seen.length >= 2) env.stopTest();
      }
    }
    const t = new Tester();
    t.setAddonDirs(ADDONS);
    t.setTestModeSingle('probe', JSON.stringify({ probe: { actions: [{ op: 'sendCmd', name: 'up' }] } }));
    t.setTimeout(20_000_000);
    const err = await t.run();
    expect(err).toBeUndefined();
    expect(seen).toContain('result:0:ten:test_extension:');
    expect(seen).toContain('cmd:up');
  });

  it('fails with a Timeout error when the test never stops', async () => {
    const t = new ExtensionTester();
    t.setAddonDirs(ADDONS);
    t.setTestModeSingle('plain', '{}');
    t.setTimeout(300_000);
    const err = await t.run();
    expect(err?.errorCode).toBe(TenErrorCode.ErrorCodeTimeout);
  });
});
