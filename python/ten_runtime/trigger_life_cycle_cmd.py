from typing import TypeVar, cast

from .cmd import Cmd

T = TypeVar("T", bound="TriggerLifeCycleCmd")


class TriggerLifeCycleCmd(Cmd):
    _type = "trigger_life_cycle"

    def __init__(self):
        raise NotImplementedError("Use TriggerLifeCycleCmd.create instead.")

    @classmethod
    def create(cls: type[T]) -> T:  # type: ignore[override]
        return cast(T, cls._new("ten:trigger_life_cycle"))

    def set_stage(self, stage: str) -> bool:
        return self.set_property_string("stage", stage) is None
