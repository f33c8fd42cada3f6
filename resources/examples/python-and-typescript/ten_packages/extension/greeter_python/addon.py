from ten_runtime import Addon, TenEnv, register_addon_as_extension

from .extension import GreeterExtension


@register_addon_as_extension("greeter_python")
class GreeterAddon(Addon):
    def on_create_instance(self, ten_env: TenEnv, name: str, context: object) -> None:
        ten_env.on_create_instance_done(GreeterExtension(name), context)
