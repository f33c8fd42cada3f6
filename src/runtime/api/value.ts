/**
 * A typed value, as TEN's Node.js binding has it: what log `fields` carry when given as a
 * `Value` (a plain object is converted with `Value.fromNative`). Getters return TEN's tuple
 * `[value, TenError | undefined]`; asking for the wrong type is an `InvalidType` error.
 */
import { parseJsonText } from '../../shared/json/text';
import { TenError, TenErrorCode } from './error';

export enum ValueType {
  INVALID = 0,
  NULL = 1,
  BOOLEAN = 2,
  NUMBER = 3,
  STRING = 4,
  BYTES = 5,
  ARRAY = 6,
  OBJECT = 7,
  JSON_STRING = 8,
}

type Payload = boolean | number | string | ArrayBuffer | Value[] | Record<string, Value>;

export class Value {
  private readonly _type: ValueType;
  private readonly _data: Payload;

  private constructor(type: ValueType, data: Payload) {
    this._type = type;
    this._data = data;
  }

  static fromBoolean(value: boolean): Value {
    return new Value(ValueType.BOOLEAN, value);
  }

  static fromNumber(value: number): Value {
    return new Value(ValueType.NUMBER, value);
  }

  static fromString(value: string): Value {
    return new Value(ValueType.STRING, value);
  }

  static fromBuf(value: ArrayBuffer): Value {
    return new Value(ValueType.BYTES, value);
  }

  static fromArray(value: Value[]): Value {
    return new Value(ValueType.ARRAY, value);
  }

  static fromObject(value: Record<string, Value>): Value {
    return new Value(ValueType.OBJECT, value);
  }

  /** A value holding JSON text (kept as text; readers parse it). */
  static fromJsonString(value: string): Value {
    return new Value(ValueType.JSON_STRING, value);
  }

  /**
   * Converts a JavaScript value: booleans, numbers, strings and ArrayBuffers as themselves,
   * arrays and objects member by member; anything else (null, undefined, bigint, functions) as
   * its `String(...)` text, as TEN does. A `Value` is copied.
   */
  static fromNative(value: unknown): Value {
    if (value instanceof Value) return new Value(value._type, value._data);
    switch (typeof value) {
      case 'boolean':
        return Value.fromBoolean(value);
      case 'number':
        return Value.fromNumber(value);
      case 'string':
        return Value.fromString(value);
      default:
        break;
    }
    if (value instanceof ArrayBuffer) return Value.fromBuf(value);
    if (Array.isArray(value)) return Value.fromArray(value.map((v) => Value.fromNative(v)));
    if (typeof value === 'object' && value !== null) {
      const members: Record<string, Value> = {};
      for (const [k, v] of Object.entries(value)) members[k] = Value.fromNative(v);
      return Value.fromObject(members);
    }
    return Value.fromString(String(value));
  }

  getType(): ValueType {
    return this._type;
  }

  getBoolean(): [boolean, TenError | undefined] {
    return this._type === ValueType.BOOLEAN ? [this._data as boolean, undefined] : [false, this.wrongType('a boolean')];
  }

  getNumber(): [number, TenError | undefined] {
    return this._type === ValueType.NUMBER ? [this._data as number, undefined] : [0, this.wrongType('a number')];
  }

  getString(): [string, TenError | undefined] {
    return this._type === ValueType.STRING ? [this._data as string, undefined] : ['', this.wrongType('a string')];
  }

  getBuf(): [ArrayBuffer, TenError | undefined] {
    return this._type === ValueType.BYTES ? [this._data as ArrayBuffer, undefined] : [new ArrayBuffer(0), this.wrongType('bytes')];
  }

  getArray(): [Value[], TenError | undefined] {
    return this._type === ValueType.ARRAY ? [this._data as Value[], undefined] : [[], this.wrongType('an array')];
  }

  getObject(): [Record<string, Value>, TenError | undefined] {
    return this._type === ValueType.OBJECT ? [this._data as Record<string, Value>, undefined] : [{}, this.wrongType('an object')];
  }

  getJsonString(): [string, TenError | undefined] {
    return this._type === ValueType.JSON_STRING ? [this._data as string, undefined] : ['', this.wrongType('a JSON string')];
  }

  private wrongType(want: string): TenError {
    return new TenError(TenErrorCode.ErrorCodeInvalidType, `Value is not ${want}, got ${ValueType[this._type]}`);
  }
}

/**
 * @internal The plain JavaScript form of a value, for runtime events (which cross threads by
 * structured clone): JSON text is parsed when it is valid JSON and kept as text otherwise.
 */
export function valueToPlain(v: Value): unknown {
  switch (v.getType()) {
    case ValueType.BOOLEAN:
      return v.getBoolean()[0];
    case ValueType.NUMBER:
      return v.getNumber()[0];
    case ValueType.STRING:
      return v.getString()[0];
    case ValueType.BYTES:
      return v.getBuf()[0];
    case ValueType.ARRAY:
      return v.getArray()[0].map(valueToPlain);
    case ValueType.OBJECT: {
      const out: Record<string, unknown> = {};
      for (const [k, m] of Object.entries(v.getObject()[0])) out[k] = valueToPlain(m);
      return out;
    }
    case ValueType.JSON_STRING: {
      const text = v.getJsonString()[0];
      try {
        return parseJsonText(text);
      } catch {
        return text;
      }
    }
    case ValueType.NULL:
      return null;
    case ValueType.INVALID:
      return undefined;
  }
}

/**
 * @internal Log `fields` as TEN takes them (a `Value`, or a plain object converted with
 * `Value.fromNative`), in plain form; a conversion failure (a cyclic object) is TEN's error.
 */
export function logFields(fields: Value | Record<string, unknown> | undefined): [unknown, TenError | undefined] {
  if (fields === undefined) return [undefined, undefined];
  try {
    return [valueToPlain(fields instanceof Value ? fields : Value.fromNative(fields)), undefined];
  } catch (e) {
    return [undefined, new TenError(TenErrorCode.ErrorCodeGeneric, `failed to convert fields: ${e instanceof Error ? e.message : String(e)}`)];
  }
}
