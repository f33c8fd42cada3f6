"""TEN's error value: returned (never raised) by ten_env and message calls."""

from enum import IntEnum
from typing import TypeVar, cast

T = TypeVar("T", bound="TenError")


class TenErrorCode(IntEnum):
    ErrorCodeGeneric = 1
    ErrorCodeInvalidJSON = 2
    ErrorCodeInvalidArgument = 3
    ErrorCodeInvalidType = 4
    ErrorCodeInvalidGraph = 5
    ErrorCodeTenIsClosed = 6
    ErrorCodeMsgNotConnected = 7
    ErrorCodeTimeout = 8


class TenError:
    """`str()` is TEN's `error_code: N, error_message: M` (tests compare it)."""

    __slots__ = ("_code", "_message")

    def __init__(self, error_code: int, error_message: str | None):
        raise NotImplementedError("Use TenError.create instead.")

    @classmethod
    def create(
        cls: type[T],
        error_code: TenErrorCode,
        error_message: str | None = None,
    ) -> T:
        err = object.__new__(cls)
        err._code = int(error_code)
        err._message = error_message if error_message is not None else ""
        return cast(T, err)

    def error_code(self) -> int:
        return self._code

    def error_message(self) -> str:
        return self._message

    def __str__(self) -> str:
        return f"error_code: {self._code}, error_message: {self._message}"

    def __repr__(self) -> str:
        return f"TenError({self._code}, {self._message!r})"


def _err(code: TenErrorCode, message: str) -> TenError:
    return TenError.create(code, message)
