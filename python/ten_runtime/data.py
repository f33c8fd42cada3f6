from typing import TypeVar, cast

from .msg import _BufMsg, _invalidated

T = TypeVar("T", bound="Data")


class Data(_BufMsg):
    _type = "data"

    def __init__(self, name: str):
        raise NotImplementedError("Use Data.create instead.")

    @classmethod
    def create(cls: type[T], name: str) -> T:
        if not isinstance(name, str) or name == "":
            raise ValueError("The data name must be a non-empty string.")
        return cls._new(name)  # type: ignore[no-any-return]  # (no typing.cast call: one per message)

    def clone(self) -> "Data":
        if not self._valid:
            raise _invalidated(self)
        return cast("Data", self._copy_into(type(self)._new(self._name)))
