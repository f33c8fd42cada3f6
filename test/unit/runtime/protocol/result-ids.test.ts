// finalResultIds reads the cmd ids of final results out of frames an extension group encoded,
// skipping everything else: the host uses it to know which cmds of a peer are still inside a group.
import { describe, expect, it } from 'vitest';
import { Writer } from '../../../../src/runtime/protocol/msgpack';
import { TenMsg, encodeFrame, tenLoc } from '../../../../src/runtime/protocol';
import { finalResultIds } from '../../../../src/runtime/protocol/result_ids';

function result(id: string, isFinal: boolean, props: Record<string, unknown>): TenMsg {
  const r = new TenMsg('cmd_result', 'ten:result');
  r.cmdId = id;
  r.seqId = '7';
  r.isFinal = isFinal;
  r.props = props;
  r.src = tenLoc('msgpack://127.0.0.1:1/', 'g', 'a');
  r.dests = [tenLoc('msgpack://127.0.0.1:2/', 'g', 'b')];
  return r;
}

describe('finalResultIds', () => {
  it('finds the final results among cmds, data and partial results, whatever their properties', () => {
    const w = new Writer(64);
    const cmd = new TenMsg('cmd', 'ping');
    cmd.cmdId = 'not-a-result';
    cmd.dests = [tenLoc('x', 'g', 'e')];
    const data = new TenMsg('data', 'tick');
    data.dests = [tenLoc('x', 'g', 'e')];
    data.buf = new Uint8Array(70_000);
    const nested = { a: [1, -2, 2.5, 'x'.repeat(300), { b: true, c: 18446744073709551615n }], d: new Uint8Array(3).buffer };
    for (const m of [cmd, result('one', true, { detail: 'ok' }), data, result('partial', false, {}), result('two', true, nested), result('three', true, {})]) {
      expect(encodeFrame(w, m)).toBeNull();
    }
    const ids: string[] = [];
    finalResultIds(w.bytes(), (id) => ids.push(id));
    expect(ids).toEqual(['one', 'two', 'three']);
  });

  it('stops quietly at bytes that are not frames', () => {
    const w = new Writer(64);
    encodeFrame(w, result('one', true, {}));
    const bytes = Buffer.concat([w.bytes(), Buffer.from('garbage')]);
    const ids: string[] = [];
    finalResultIds(bytes, (id) => ids.push(id));
    expect(ids).toEqual(['one']);
    finalResultIds(bytes.subarray(0, 10), (id) => ids.push(id));
    expect(ids).toEqual(['one']);
  });
});
