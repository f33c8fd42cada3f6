from ten_runtime import Addon, TenEnv, register_addon_as_extension

from .extension import EchoLlmExtension


@register_addon_as_extension("echo_llm_python")
class EchoLlmAddon(Addon):
    def on_create_instance(self, ten_env: TenEnv, name: str, context: object) -> None:
        ten_env.on_create_instance_done(EchoLlmExtension(name), context)
