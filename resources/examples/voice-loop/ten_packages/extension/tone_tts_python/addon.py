from ten_runtime import Addon, TenEnv, register_addon_as_extension

from .extension import ToneTtsExtension


@register_addon_as_extension("tone_tts_python")
class ToneTtsAddon(Addon):
    def on_create_instance(self, ten_env: TenEnv, name: str, context: object) -> None:
        ten_env.on_create_instance_done(ToneTtsExtension(name), context)
