from typing import Any

from .ten_env import TenEnv


class Addon:
    """Creates extension instances: `on_create_instance` must end with
    `ten_env.on_create_instance_done(instance, context)` (now or later)."""

    def on_create_instance(self, ten_env: TenEnv, name: str, context: object) -> None:
        raise NotImplementedError(
            f"Addon {type(self).__name__} does not implement on_create_instance()."
        )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
