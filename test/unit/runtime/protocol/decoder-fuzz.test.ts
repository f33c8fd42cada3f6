/**
 * Fuzzing the stream decoder: random bytes, every single-byte mutation and every truncation of
 * the captured fixtures, random chunkings of the captured sessions, and random messages through
 * encode → decode. Nothing may throw, hang, or buffer beyond the frame size limit; whatever
 * decodes must encode again.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propValue } from '../../../fixtures/prop-values';
import { FrameDecoder, TenMsg, decodeAll, encodeMsg, tenLoc, type ProtocolError } from '../../../../src/runtime/protocol';

const PROTOCOL = resolve(process.cwd(), '..', 'shared', 'ten-corpus', 'protocol');
const HAS_PROTOCOL = existsSync(PROTOCOL);
const fixtureBytes: Buffer[] = HAS_PROTOCOL
  ? readdirSync(PROTOCOL)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => Buffer.from(JSON.parse(readFileSync(join(PROTOCOL, f), 'utf8')).hex, 'hex'))
  : [];

/** Decodes in the given chunks; checks the invariants every outcome must keep. */
function decodeChecked(chunks: Uint8Array[], maxFrameBytes = 1 << 20): { msgs: TenMsg[]; error: ProtocolError | null } {
  const d = new FrameDecoder({ maxFrameBytes });
  const msgs: TenMsg[] = [];
  let error: ProtocolError | null = null;
  // Plain checks, not expect(): this runs tens of thousands of times.
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new Error(`${what} (chunks ${chunks.map((c) => Buffer.from(c).toString('hex')).join(' | ')})`);
  };
  for (const c of chunks) {
    error = d.feed(c, msgs);
    check(d.buffered <= maxFrameBytes + 6, `buffered ${d.buffered} bytes past the frame size limit`);
    if (error) break;
  }
  error ??= d.end();
  if (error) {
    check(typeof error.message === 'string' && error.message.length > 0, 'an error without a message');
    check(error.offset >= error.frameOffset, 'an error before its frame');
    check(error.frame === msgs.length, 'an error frame index that is not the next message');
  }
  // Whatever decoded encodes again (or says which value it cannot carry), without throwing.
  for (const m of msgs) encodeMsg(m);
  return { msgs, error };
}

describe('decoder fuzzing', { timeout: 60_000 }, () => {
  it('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        decodeChecked([b]);
      }),
      { numRuns: 3000 },
    );
  });

  it('random bytes behind a valid ext header never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 255 }), (body) => {
        decodeChecked([Buffer.concat([Buffer.from([0xc7, body.length, 0x01]), body])]);
      }),
      { numRuns: 3000 },
    );
  });

  it.skipIf(!HAS_PROTOCOL)('every single-byte mutation of every fixture decodes or fails with a located error (needs ../shared/ten-corpus/protocol)', () => {
    let errors = 0;
    let decoded = 0;
    for (const f of fixtureBytes) {
      for (let i = 0; i < f.length; i++) {
        for (const v of new Set([0x00, 0x7f, 0xc0, 0xcf, 0xff, f[i] ^ 0x01, f[i] ^ 0x80])) {
          if (v === f[i]) continue;
          const m = Buffer.from(f);
          m[i] = v;
          const r = decodeChecked([m]);
          if (r.error) errors++;
          else decoded++;
        }
      }
    }
    // Both outcomes happen: many mutations are caught, some still form a valid message.
    expect(errors).toBeGreaterThan(1000);
    expect(decoded).toBeGreaterThan(100);
  }, 120_000);

  it.skipIf(!HAS_PROTOCOL)('every truncation of every fixture is half a message at the end (needs ../shared/ten-corpus/protocol)', () => {
    for (const f of fixtureBytes) {
      for (let n = 1; n < f.length; n++) {
        const r = decodeChecked([f.subarray(0, n)]);
        expect(r.msgs).toHaveLength(0);
        expect(r.error?.field).toBe('stream');
        expect(r.error?.found).toBe('the end of the stream');
      }
    }
  }, 60_000);

  it.skipIf(!HAS_PROTOCOL)('random insertions, deletions and duplications in a stream of fixtures (needs ../shared/ten-corpus/protocol)', () => {
    const stream = Buffer.concat(fixtureBytes);
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'delete', 'dup'), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }), len: fc.integer({ min: 1, max: 64 }) }), { minLength: 1, maxLength: 4 }),
        (edits) => {
          let b = stream;
          for (const e of edits) {
            const at = e.at % b.length;
            if (e.kind === 'insert') b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
            else if (e.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.len)]);
            else b = Buffer.concat([b.subarray(0, at + e.len), b.subarray(at)]);
          }
          decodeChecked([b]);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it.skipIf(!HAS_PROTOCOL)('any chunking of the fixture stream gives the same messages and error (needs ../shared/ten-corpus/protocol)', () => {
    const stream = Buffer.concat([...fixtureBytes, Buffer.from('c7030101c0', 'hex')]);
    const whole = decodeAll(stream);
    expect(whole.msgs).toHaveLength(fixtureBytes.length);
    expect(whole.error).not.toBeNull();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 40 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of points) {
          chunks.push(stream.subarray(prev, p));
          prev = p;
        }
        chunks.push(stream.subarray(prev));
        const r = decodeChecked(chunks);
        expect(r.msgs.map((m) => (encodeMsg(m) as Buffer).toString('hex'))).toEqual(whole.msgs.map((m) => (encodeMsg(m) as Buffer).toString('hex')));
        expect(r.error).toEqual(whole.error);
      }),
      { numRuns: 300 },
    );
  });

  it('a header announcing 4 GiB is refused without buffering it', () => {
    const r = decodeChecked([Buffer.from('c9ffffffff01', 'hex'), Buffer.alloc(1000)]);
    expect(r.error?.expected).toContain('frame size limit');
  });

  it('random messages survive encode → decode with the same bytes', () => {
    const value = propValue({ bigints: { min: -(1n << 63n), max: (1n << 64n) - 1n }, buffers: true });
    const loc = fc.record({ app: fc.option(fc.string(), { nil: null }), graph: fc.option(fc.string(), { nil: null }), extension: fc.option(fc.string(), { nil: null }) });
    fc.assert(
      fc.property(
        fc.constantFrom<TenMsg['type']>('cmd', 'cmd_result', 'data', 'audio_frame', 'video_frame', 'start_graph', 'stop_graph', 'close_app', 'timeout', 'timer', 'trigger_life_cycle'),
        fc.string(),
        fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 6 }),
        loc,
        fc.array(loc, { maxLength: 3 }),
        fc.uint8Array({ maxLength: 300 }),
        (type, name, props, src, dests, buf) => {
          const m = new TenMsg(type, type === 'cmd' || type === 'data' || type.endsWith('frame') ? name.replace(/^ten:/, '') : `ten:${type === 'cmd_result' ? 'result' : type}`);
          m.props = props;
          m.src = src;
          m.dests = dests;
          m.buf = buf;
          m.cmdId = name;
          if (type === 'start_graph') m.nodes = [props];
          const b = encodeMsg(m);
          if (!Buffer.isBuffer(b)) throw new Error(b.message);
          const { msgs, error } = decodeAll(b);
          expect(error).toBeNull();
          expect((encodeMsg(msgs[0]) as Buffer).equals(b)).toBe(true);
          expect(msgs[0].src).toEqual({ ...tenLoc(), ...src });
        },
      ),
      { numRuns: 1000 },
    );
  });
});
