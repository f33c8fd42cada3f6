/** TEN's msgpack protocol: wire format (this folder), connections and remotes. */
export { DecodeFail, Reader, Writer } from './msgpack';
export { MAX_DEPTH, TEN_TYPE_NAMES, TenType, inferTag, tagName, type TypeTree } from './value';
export {
  MSG_TYPE_CODE,
  STATUS_ERROR,
  STATUS_OK,
  TYPE_STRING,
  TenMsg,
  UNIQUE_NAME_TYPE,
  fieldNames,
  tenLoc,
  type EncodeError,
  type TenLoc,
} from './message';
export { DEFAULT_MAX_FRAME_BYTES, EXT_TYPE_MSG, FrameDecoder, decodeAll, encodeFrame, encodeMsg, type ProtocolError } from './stream';
