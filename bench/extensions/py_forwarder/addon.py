from ten_runtime import Addon, AsyncExtension, AsyncTenEnv, AudioFrame, Data, TenEnv, register_addon_as_extension


class Forwarder(AsyncExtension):
    """Pass-through: every data and audio frame goes on along the graph."""

    async def on_data(self, ten_env: AsyncTenEnv, data: Data) -> None:
        await ten_env.send_data(data)

    async def on_audio_frame(self, ten_env: AsyncTenEnv, audio_frame: AudioFrame) -> None:
        await ten_env.send_audio_frame(audio_frame)


@register_addon_as_extension("py_forwarder")
class ForwarderAddon(Addon):
    def on_create_instance(self, ten_env: TenEnv, name: str, context: object) -> None:
        ten_env.on_create_instance_done(Forwarder(name), context)
