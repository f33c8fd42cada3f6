from ten_runtime import Addon, AsyncExtension, AsyncTenEnv, Cmd, CmdResult, StatusCode, TenEnv, register_addon_as_extension


class Responder(AsyncExtension):
    """Answers every cmd OK."""

    async def on_cmd(self, ten_env: AsyncTenEnv, cmd: Cmd) -> None:
        await ten_env.return_result(CmdResult.create(StatusCode.OK, cmd))


@register_addon_as_extension("py_responder")
class ResponderAddon(Addon):
    def on_create_instance(self, ten_env: TenEnv, name: str, context: object) -> None:
        ten_env.on_create_instance_done(Responder(name), context)
