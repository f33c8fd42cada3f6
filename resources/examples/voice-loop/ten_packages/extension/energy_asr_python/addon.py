from ten_runtime import Addon, TenEnv, register_addon_as_extension

from .extension import EnergyAsrExtension


@register_addon_as_extension("energy_asr_python")
class EnergyAsrAddon(Addon):
    def on_create_instance(self, ten_env: TenEnv, name: str, context: object) -> None:
        ten_env.on_create_instance_done(EnergyAsrExtension(name), context)
