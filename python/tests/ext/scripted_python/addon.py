from ten_runtime import Addon, TenEnv, register_addon_as_extension

from .extension import AsyncScripted, Scripted


@register_addon_as_extension("scripted_python")
class ScriptedAddon(Addon):
    def on_create_instance(self, ten_env: TenEnv, name: str, context: object) -> None:
        from . import extension

        cls = AsyncScripted if extension.MODE["async"] else Scripted
        ten_env.on_create_instance_done(cls(name), context)
