from ten_runtime import Addon, TenEnv, register_addon_as_extension

from .extension import LevelMeterExtension


@register_addon_as_extension("level_meter_python")
class LevelMeterAddon(Addon):
    def on_create_instance(self, ten_env: TenEnv, name: str, context: object) -> None:
        ten_env.on_create_instance_done(LevelMeterExtension(name), context)
