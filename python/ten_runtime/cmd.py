from typing import TypeVar, cast

from ._builtin import _BUILTIN
from .msg import Msg, _invalidated

T = TypeVar("T", bound="Cmd")


class Cmd(Msg):
    def __init__(self, name: str):
        raise NotImplementedError("Use Cmd.create instead.")

    @classmethod
    def create(cls: type[T], name: str) -> T:
        if not isinstance(name, str) or name == "":
            raise ValueError("The cmd name must be a non-empty string.")
        m = cls._new(name)
        t = _BUILTIN.get(name)
        if t is not None:
            m._type = t
        return m  # type: ignore[no-any-return]  # (no typing.cast call: one per cmd)

    def clone(self) -> "Cmd":
        """A new cmd with the same name, properties and destinations (and a new cmd id)."""
        if not self._valid:
            raise _invalidated(self)
        m = type(self)._new(self._name)
        if self._type != "cmd":
            m._type = self._type
        return cast("Cmd", self._copy_into(m))
