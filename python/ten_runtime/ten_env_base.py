"""Logging shared by every env (extension, async extension, tester): the caller's file, function
and line come from the frame `option.skip` levels up, as in TEN."""

import sys
from typing import Any

from .error import TenError, TenErrorCode
from .log_level import LogLevel
from .log_option import DefaultLogOption, LogOption
from .value import Value

FieldsType = Value | dict[str, Any] | None


def _plain_fields(fields: FieldsType) -> Any:
    if fields is None:
        return None
    if isinstance(fields, Value):
        return fields._to_plain()
    if isinstance(fields, dict):
        return Value.from_python(fields)._to_plain()
    raise TypeError(f"fields must be a dict or a Value, not {type(fields).__name__}")


class TenEnvBase:
    _internal: Any

    def __init__(self, internal_obj: Any) -> None:
        self._internal = internal_obj

    def log_debug(self, msg: str, category: str | None = None, fields: FieldsType = None,
                  option: LogOption = DefaultLogOption) -> TenError | None:
        return self._log_internal(LogLevel.DEBUG, msg, category, fields, option)

    def log_info(self, msg: str, category: str | None = None, fields: FieldsType = None,
                 option: LogOption = DefaultLogOption) -> TenError | None:
        return self._log_internal(LogLevel.INFO, msg, category, fields, option)

    def log_warn(self, msg: str, category: str | None = None, fields: FieldsType = None,
                 option: LogOption = DefaultLogOption) -> TenError | None:
        return self._log_internal(LogLevel.WARN, msg, category, fields, option)

    def log_error(self, msg: str, category: str | None = None, fields: FieldsType = None,
                  option: LogOption = DefaultLogOption) -> TenError | None:
        return self._log_internal(LogLevel.ERROR, msg, category, fields, option)

    def log(self, level: LogLevel, msg: str, category: str | None = None, fields: FieldsType = None,
            option: LogOption = DefaultLogOption) -> TenError | None:
        return self._log_internal(level, msg, category, fields, option)

    def _log_internal(self, level: LogLevel, msg: str, category: str | None, fields: FieldsType,
                      option: LogOption) -> TenError | None:
        try:
            plain = _plain_fields(fields)
        except Exception as e:  # noqa: BLE001 - TEN returns the failure as an error
            return TenError.create(TenErrorCode.ErrorCodeGeneric, f"failed to convert fields: {e}")
        # skip counts the frames above _log_internal: 1 = log_*(), 2 = its caller (the default).
        try:
            frame = sys._getframe(option.skip)
        except ValueError:
            frame = None
        if frame is not None:
            code = frame.f_code
            return self._internal.log(int(level), code.co_name, code.co_filename, frame.f_lineno,
                                      category, str(msg), option.sync, plain)
        return self._internal.log(int(level), None, None, 0, category, str(msg), option.sync, plain)
