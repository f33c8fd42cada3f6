// The parts of TEN's Node.js API that need no runtime: Value/ValueType, log fields, and the
// checks Msg.setDests makes before it sets anything (TEN's ten_loc_str_check_correct).
import { describe, expect, it } from 'vitest';
import { Cmd, Data, TenErrorCode, Value, ValueType } from 'ten-runtime-nodejs';
import { logFields, valueToPlain } from '../../../src/runtime/api/value';

describe('Value', () => {
  it('holds each type and says what it holds', () => {
    const buf = new ArrayBuffer(2);
    expect(Value.fromBoolean(true).getBoolean()).toEqual([true, undefined]);
    expect(Value.fromNumber(1.5).getNumber()).toEqual([1.5, undefined]);
    expect(Value.fromString('s').getString()).toEqual(['s', undefined]);
    expect(Value.fromBuf(buf).getBuf()[0]).toBe(buf);
    expect(Value.fromJsonString('{"a":1}').getJsonString()).toEqual(['{"a":1}', undefined]);
    expect(Value.fromArray([Value.fromNumber(1)]).getType()).toBe(ValueType.ARRAY);
    expect(Value.fromObject({ a: Value.fromNumber(1) }).getType()).toBe(ValueType.OBJECT);
  });

  it('asking for the wrong type is an InvalidType error naming the type held', () => {
    const [v, err] = Value.fromString('x').getNumber();
    expect(v).toBe(0);
    expect(err?.errorCode).toBe(TenErrorCode.ErrorCodeInvalidType);
    expect(err?.errorMessage).toBe('Value is not a number, got STRING');
    expect(Value.fromNumber(1).getObject()).toEqual([{}, expect.objectContaining({ errorCode: TenErrorCode.ErrorCodeInvalidType })]);
    expect(Value.fromNumber(1).getArray()[0]).toEqual([]);
  });

  it('fromNative converts member by member; null, undefined and bigints become their text, as TEN', () => {
    const v = Value.fromNative({ n: 1, s: 'a', b: false, list: [1, 'x'], nested: { z: null }, u: undefined, big: 10n });
    expect(v.getType()).toBe(ValueType.OBJECT);
    const [members] = v.getObject();
    expect(members.n.getNumber()[0]).toBe(1);
    expect(members.list.getArray()[0].map((m) => m.getType())).toEqual([ValueType.NUMBER, ValueType.STRING]);
    expect(members.nested.getObject()[0].z.getString()).toEqual(['null', undefined]);
    expect(members.u.getString()[0]).toBe('undefined');
    expect(members.big.getString()[0]).toBe('10');
    // A Value given to fromNative is copied, not wrapped.
    expect(Value.fromNative(Value.fromNumber(3)).getNumber()[0]).toBe(3);
  });

  it('log fields: a Value or a plain object, in plain form for the log event; a cyclic object is an error', () => {
    expect(logFields(undefined)).toEqual([undefined, undefined]);
    expect(logFields({ a: 1, b: [true, 'x'], n: null })).toEqual([{ a: 1, b: [true, 'x'], n: 'null' }, undefined]);
    expect(logFields(Value.fromObject({ j: Value.fromJsonString('{"k":[1,2]}'), t: Value.fromJsonString('not json') }))).toEqual([
      { j: { k: [1, 2] }, t: 'not json' },
      undefined,
    ]);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const [, err] = logFields(cyclic);
    expect(err?.errorCode).toBe(TenErrorCode.ErrorCodeGeneric);
    expect(err?.errorMessage).toMatch(/^failed to convert fields: /);
    expect(valueToPlain(Value.fromBuf(new ArrayBuffer(3)))).toBeInstanceOf(ArrayBuffer);
  });
});

describe('Msg.setDests (TEN checks every destination before setting any)', () => {
  it('needs an appUri; "" is this app', () => {
    const cmd = Cmd.Create('c');
    const err = cmd.setDests([{ appUri: undefined, graphId: '', extensionName: 'x' }]);
    expect(err?.errorCode).toBe(TenErrorCode.ErrorCodeInvalidArgument);
    expect(err?.errorMessage).toBe('App URI cannot be empty.');
    expect(cmd.setDests([{ appUri: '', graphId: '', extensionName: 'x' }])).toBeUndefined();
    expect(cmd.setDests([{ appUri: '' }])).toBeUndefined();
  });

  it('an extensionName needs a graphId ("" is the sender\'s graph)', () => {
    const err = Data.Create('d').setDests([{ appUri: '', extensionName: 'x' }]);
    expect(err?.errorCode).toBe(TenErrorCode.ErrorCodeInvalidArgument);
    expect(err?.errorMessage).toBe('Graph ID cannot be empty when extension name is provided.');
  });

  it('a bad destination anywhere in the list leaves the dests as they were', () => {
    const cmd = Cmd.Create('c');
    expect(cmd.setDests([{ appUri: '', graphId: 'g', extensionName: 'a' }])).toBeUndefined();
    expect(cmd.setDests([{ appUri: '', graphId: 'g', extensionName: 'b' }, { extensionName: 'c' }])?.errorCode).toBe(TenErrorCode.ErrorCodeInvalidArgument);
    expect(cmd._w.dests).toEqual([{ app: '', graph: 'g', ext: 'a' }]);
    expect(cmd.setDests([])).toBeUndefined();
    expect(cmd._w.dests).toEqual([]);
  });

  it('a field that is not a string (from JavaScript) is an InvalidArgument error, not a throw', () => {
    const err = Cmd.Create('c').setDests([{ appUri: 7 as unknown as string }]);
    expect(err?.errorCode).toBe(TenErrorCode.ErrorCodeInvalidArgument);
    expect(err?.errorMessage).toBe('Failed to get appUri from Loc: expected a string, got number.');
  });
});
