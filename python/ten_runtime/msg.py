"""Messages: a name, a property tree, a source and destinations; data and frames add a buffer.

Our own implementation of TEN's message objects. A message sent (or a result returned) is handed
to the runtime: every later call on it raises `ValueError("Msg is invalidated.")`, as in TEN.
Attributes are class-level defaults, so a received message sets only what it carries.
"""

import json
from typing import Any

from ._props import _MISSING, deep_copy, get_prop, parse_path, set_prop, to_json
from .error import TenError, TenErrorCode
from .loc import Loc

_INVALID = "Msg is invalidated."


# Set by the runtime: told of every call on a sent message (it reports a violation with the stack).
_on_invalid: Any = None


def _invalidated(m: Any = None) -> ValueError:
    """TEN's error for a call on a message that was sent (its native message is gone)."""
    if m is not None and _on_invalid is not None:
        _on_invalid(m)
    return ValueError(_INVALID)


def _missing(path: str | None) -> TenError:
    return TenError.create(TenErrorCode.ErrorCodeGeneric, f"The property '{path or ''}' does not exist.")


def _wrong_type(path: str, want: str) -> TenError:
    return TenError.create(TenErrorCode.ErrorCodeInvalidType, f"The property '{path}' is not of type {want}.")


def _bad_path(path: str | None) -> TenError:
    return TenError.create(TenErrorCode.ErrorCodeInvalidArgument, f"Invalid property path '{path or ''}'.")


class Msg:
    # Wire fields (class defaults; an instance holds only what differs).
    _type: str = "cmd"
    _name: str = ""
    _props: dict[str, Any]
    _src: tuple[str, str, str] = ("", "", "")
    _dests: list[tuple[str, str, str]] | None = None
    _buf: bytearray | memoryview | None = None
    _cmd_id: str = ""
    _seq_id: str = ""
    _status: int = 0
    _final: bool = True
    _completed: bool = False
    _ts: int = 0
    # Runtime state: cleared on send; the extension owning the message (None = new, unsent).
    _valid: bool = True
    _owner: Any = None
    _has_bytes: bool = False

    def __init__(self, name: str):
        raise NotImplementedError("Use [Cmd|Data|VideoFrame|AudioFrame].create instead.")

    @classmethod
    def _new(cls, name: str) -> Any:
        m = object.__new__(cls)
        m._name = name
        m._props = {}
        return m

    def get_name(self) -> str:
        if not self._valid:
            raise _invalidated(self)
        return self._name

    def set_name(self, name: str) -> None:
        if not self._valid:
            raise _invalidated(self)
        if not isinstance(name, str) or name == "":
            raise ValueError("The msg name must be a non-empty string.")
        self._name = name

    def get_source(self) -> Loc:
        if not self._valid:
            raise _invalidated(self)
        app, graph, ext = self._src
        return Loc(app or None, graph or None, ext or None)

    def set_dests(self, locs: list[Loc]) -> TenError | None:
        if not self._valid:
            raise _invalidated(self)
        # TEN checks every Loc before it sets any (a wrong one leaves the dests as they were).
        for l in locs:
            if l.app_uri is None:
                return TenError.create(TenErrorCode.ErrorCodeInvalidArgument, "App URI cannot be empty.")
            if l.extension_name is not None and l.graph_id is None:
                return TenError.create(TenErrorCode.ErrorCodeInvalidArgument,
                                       "Graph ID cannot be empty when extension name is provided.")
        self._dests = [(l.app_uri, l.graph_id or "", l.extension_name or "") for l in locs]
        return None

    # ---- properties ----------------------------------------------------------------------

    def get_property_to_json(self, path: str | None = None) -> tuple[str, TenError | None]:
        if not self._valid:
            raise _invalidated(self)
        if parse_path(path) is None:
            return "", _bad_path(path)
        v = get_prop(self._props, path)
        if v is _MISSING:
            return "", _missing(path)
        return to_json(v), None

    def set_property_from_json(self, path: str | None, json_str: str) -> TenError | None:
        if not self._valid:
            raise _invalidated(self)
        try:
            v = json.loads(json_str)
        except (ValueError, TypeError) as e:
            return TenError.create(TenErrorCode.ErrorCodeInvalidJSON, f"Invalid JSON: {e}")
        return None if set_prop(self._props, path, v) else _bad_path(path)

    def _get(self, path: str) -> Any:
        if not self._valid:
            raise _invalidated(self)
        return get_prop(self._props, path)

    def _set(self, path: str, value: Any) -> TenError | None:
        if not self._valid:
            raise _invalidated(self)
        if not path:
            return _bad_path(path)
        return None if set_prop(self._props, path, value) else _bad_path(path)

    def get_property_int(self, path: str) -> tuple[int, TenError | None]:
        v = self._get(path)
        if v is _MISSING:
            return 0, _missing(path)
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, float) and v.is_integer():
                return int(v), None
            return 0, _wrong_type(path, "int")
        return v, None

    def set_property_int(self, path: str, value: int) -> TenError | None:
        return self._set(path, int(value))

    def get_property_string(self, path: str) -> tuple[str, TenError | None]:
        v = self._get(path)
        if v is _MISSING:
            return "", _missing(path)
        if not isinstance(v, str):
            return "", _wrong_type(path, "string")
        return v, None

    def set_property_string(self, path: str, value: str) -> TenError | None:
        return self._set(path, str(value))

    def get_property_bool(self, path: str) -> tuple[bool, TenError | None]:
        v = self._get(path)
        if v is _MISSING:
            return False, _missing(path)
        if not isinstance(v, bool):
            return False, _wrong_type(path, "bool")
        return v, None

    def set_property_bool(self, path: str, value: bool) -> TenError | None:
        return self._set(path, bool(value))

    def get_property_float(self, path: str) -> tuple[float, TenError | None]:
        v = self._get(path)
        if v is _MISSING:
            return 0.0, _missing(path)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return 0.0, _wrong_type(path, "float")
        return float(v), None

    def set_property_float(self, path: str, value: float) -> TenError | None:
        return self._set(path, float(value))

    def get_property_buf(self, path: str) -> tuple[bytearray, TenError | None]:
        v = self._get(path)
        if v is _MISSING:
            return bytearray(), _missing(path)
        if not isinstance(v, (bytes, bytearray, memoryview)):
            return bytearray(), _wrong_type(path, "buf")
        return bytearray(v), None

    def set_property_buf(self, path: str, value: bytes) -> TenError | None:
        err = self._set(path, bytes(value))
        if err is None:
            self._has_bytes = True
        return err

    # ---- runtime helpers -------------------------------------------------------------------

    def _copy_into(self, m: "Msg") -> "Msg":
        m._name = self._name
        m._props = deep_copy(self._props)
        m._has_bytes = self._has_bytes
        if self._dests is not None:
            m._dests = list(self._dests)
        d = self.__dict__
        for k in ("_ts", "_seq_id", "_status", "_final", "_sample_rate", "_bytes_per_sample",
                  "_samples_per_channel", "_channels", "_channel_layout", "_data_fmt", "_line_size",
                  "_eof", "_width", "_height", "_pixel_fmt"):
            if k in d:
                setattr(m, k, d[k])
        if self._buf is not None:
            m._buf = bytearray(self._buf)
        return m

    def __repr__(self) -> str:
        state = "" if self._valid else " (sent)"
        return f"<{type(self).__name__} {self._name!r}{state}>"


class _BufMsg(Msg):
    """Data, audio and video frames: a buffer that `lock_buf` exposes without a copy."""

    def alloc_buf(self, size: int) -> None:
        if not self._valid:
            raise _invalidated(self)
        self._buf = bytearray(size)

    def lock_buf(self) -> memoryview:
        if not self._valid:
            raise _invalidated(self)
        b = self._buf
        if b is None:
            b = self._buf = bytearray(0)
        return b if isinstance(b, memoryview) else memoryview(b)

    def unlock_buf(self, buf: memoryview) -> None:
        if not self._valid:
            raise _invalidated(self)

    def get_buf(self) -> bytearray:
        if not self._valid:
            raise _invalidated(self)
        b = self._buf
        return bytearray(b) if b is not None else bytearray()
