from typing import TypeVar, cast

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
        from ._builtin import builtin_type

        t = builtin_type(name)
        if t is not None:
            m._type = t
        return cast(T, m)

    def clone(self) -> "Cmd":
        """A new cmd with the same name, properties and destinations (and a new cmd id)."""
        if not self._valid:
            raise _invalidated(self)
        m = type(self)._new(self._name)
        if self._type != "cmd":
            m._type = self._type
        return cast("Cmd", self._copy_into(m))
