from typing import TypeVar, cast

from .cmd import Cmd

T = TypeVar("T", bound="StartGraphCmd")


class StartGraphCmd(Cmd):
    _type = "start_graph"

    def __init__(self):
        raise NotImplementedError("Use StartGraphCmd.create instead.")

    @classmethod
    def create(cls: type[T]) -> T:  # type: ignore[override]
        return cast(T, cls._new("ten:start_graph"))

    def set_predefined_graph_name(self, predefined_graph_name: str) -> bool:
        return self.set_property_string("predefined_graph_name", predefined_graph_name) is None

    def set_graph_from_json(self, json_str: str) -> bool:
        return self.set_property_string("graph_json", json_str) is None

    def set_sync_stop_before_deinit(self, sync_stop_before_deinit: bool) -> bool:
        return self.set_property_bool("sync_stop_before_deinit", sync_stop_before_deinit) is None
