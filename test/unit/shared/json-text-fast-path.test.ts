import { beforeEach, describe, expect, it, vi } from 'vitest';
import { parseJson } from '../../../src/shared/json/located';
import { parseJsonText, stringifyJson } from '../../../src/shared/json/text';

vi.mock('../../../src/shared/json/located', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../src/shared/json/located')>();
  return { ...actual, parseJson: vi.fn(actual.parseJson) };
});

/** A telemetry frame as the WebSocket carries it: trace previews of messages with µs/ns timestamps. */
const frame = {
  type: 'event',
  event: { traces: [1, 2].map((seq) => ({ ts: 1000.5, preview: `{"seq":${seq},"timestamp_ns":1732700000123456789,"us":1732700000123456}` })) },
};

beforeEach(() => {
  vi.mocked(parseJson).mockClear();
});

describe('JSON text with long digit runs only inside strings', () => {
  it('is read by JSON.parse, not by the located parser (20x slower on telemetry batches)', () => {
    const text = JSON.stringify(frame);
    expect(parseJsonText(text)).toEqual(frame);
    expect(parseJson).not.toHaveBeenCalled();
  });

  it('is written as JSON.stringify writes it', () => {
    expect(stringifyJson(frame)).toBe(JSON.stringify(frame));
  });

  it('is told apart however long and full of escapes a string is', () => {
    const value = { s: `${'\\"'.repeat(1_000_000)}12345678901234567890`, n: 1 };
    const text = JSON.stringify(value);
    expect(parseJsonText(text)).toEqual(value);
    expect(stringifyJson(value)).toBe(text);
    expect(parseJson).not.toHaveBeenCalled();
  });

  it('still reads an integer literal beyond 2^53 next to such strings exactly', () => {
    expect(parseJsonText('{"p":"1732700000123456789","id":18446744073709551615,"q":"\\"12345678901234567890"}')).toEqual({
      p: '1732700000123456789',
      id: 18446744073709551615n,
      q: '"12345678901234567890',
    });
    expect(parseJson).toHaveBeenCalledTimes(1);
    expect(stringifyJson({ p: '1732700000123456789', id: 18446744073709551615n, big: 2 ** 60 })).toBe(
      '{"p":"1732700000123456789","id":18446744073709551615,"big":1.152921504606847e+18}',
    );
  });
});
