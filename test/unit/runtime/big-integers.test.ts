import { describe, expect, it } from 'vitest';
import { Data } from '../../../src/runtime/api/msg';
import { TenEnv, type EnvBackend } from '../../../src/runtime/api/ten_env';
import { getProp, setProp, type PropObject } from '../../../src/runtime/core/props';

describe('integers beyond 2^53 in extension properties', () => {
  it('ten_env: *ToJson gives the exact digits, *FromJson keeps them, getPropertyNumber gives the nearest double', async () => {
    const props: PropObject = { id: 18446744073709551615n, min: -9223372036854775808n };
    const backend = {
      getProperty: (path: string) => [path === '' ? props : getProp(props, path), undefined],
      setProperty: (path: string, value: unknown) => (setProp(props, path, value), undefined),
    } as unknown as EnvBackend;
    const env = new TenEnv(backend);
    expect(await env.getPropertyToJson('')).toEqual(['{"id":18446744073709551615,"min":-9223372036854775808}', undefined]);
    expect(await env.getPropertyNumber('id')).toEqual([Number(18446744073709551615n), undefined]);
    expect(await env.setPropertyFromJson('seed', '9007199254740993')).toBeUndefined();
    expect(props.seed).toBe(9007199254740993n);
  });

  it('messages: the same on a data message', () => {
    const d = Data.Create('d');
    expect(d.setPropertyFromJson('', '{"ts_ns": 1732700000123456789, "n": 1}')).toBeUndefined();
    expect(d.getPropertyToJson('ts_ns')).toEqual(['1732700000123456789', undefined]);
    expect(d.getPropertyToJson('')).toEqual(['{"ts_ns":1732700000123456789,"n":1}', undefined]);
    expect(d.getPropertyNumber('ts_ns')).toEqual([Number(1732700000123456789n), undefined]);
    expect(d.getPropertyNumber('n')).toEqual([1, undefined]);
  });
});
