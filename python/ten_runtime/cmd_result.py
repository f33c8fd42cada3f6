from enum import IntEnum
from typing import TypeVar, cast

from .cmd import Cmd
from .msg import Msg, _invalidated

T = TypeVar("T", bound="CmdResult")


class StatusCode(IntEnum):
    OK = 0
    ERROR = 1


class CmdResult(Msg):
    _type = "cmd_result"
    _orig_type: str = "cmd"

    def __init__(self, status_code: int, target_cmd: Cmd):
        raise NotImplementedError("Use CmdResult.create instead.")

    @classmethod
    def create(cls: type[T], status_code: StatusCode, target_cmd: Cmd) -> T:
        if not target_cmd._valid:
            raise _invalidated(target_cmd)
        # Msg._new, inline: a responder makes one per cmd.
        r = object.__new__(cls)
        r._name = target_cmd._name
        r._props = {}
        r._status = int(status_code)
        r._cmd_id = target_cmd._cmd_id
        if target_cmd._seq_id:
            r._seq_id = target_cmd._seq_id
        r._orig_type = target_cmd._type
        r._dests = [target_cmd._src]
        return r  # type: ignore[return-value]  # (no typing.cast call: one per result)

    def clone(self) -> "CmdResult":
        if not self._valid:
            raise _invalidated(self)
        r = type(self)._new(self._name)
        r._cmd_id = self._cmd_id
        r._orig_type = self._orig_type
        return cast("CmdResult", self._copy_into(r))

    def get_status_code(self) -> StatusCode:
        if not self._valid:
            raise _invalidated(self)
        return StatusCode.OK if self._status == 0 else StatusCode.ERROR

    def set_final(self, is_final: bool) -> None:
        if not self._valid:
            raise _invalidated(self)
        self._final = bool(is_final)

    def is_final(self) -> bool:
        if not self._valid:
            raise _invalidated(self)
        return self._final

    def is_completed(self) -> bool:
        if not self._valid:
            raise _invalidated(self)
        return self._completed
