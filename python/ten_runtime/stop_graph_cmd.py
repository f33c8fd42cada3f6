from typing import TypeVar, cast

from .cmd import Cmd

T = TypeVar("T", bound="StopGraphCmd")


class StopGraphCmd(Cmd):
    _type = "stop_graph"

    def __init__(self):
        raise NotImplementedError("Use StopGraphCmd.create instead.")

    @classmethod
    def create(cls: type[T]) -> T:  # type: ignore[override]
        return cast(T, cls._new("ten:stop_graph"))

    def set_graph_id(self, graph_id: str) -> bool:
        return self.set_property_string("graph_id", graph_id) is None
