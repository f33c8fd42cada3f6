"""The first stage of TEN's basic standalone graph test: doubles `data` and sends the cmd on."""

from ten_runtime import Addon, Cmd, Extension, TenEnv, register_addon_as_extension


class Double(Extension):
    def on_cmd(self, ten_env: TenEnv, cmd: Cmd) -> None:
        n, _ = cmd.get_property_int("data")
        cmd.set_property_int("data", n * 2)
        # Its results go back upstream by themselves (TEN's automatic forwarding).
        ten_env.send_cmd(cmd)


@register_addon_as_extension("graph_double_python")
class DoubleAddon(Addon):
    def on_create_instance(self, ten_env: TenEnv, name: str, context: object) -> None:
        ten_env.on_create_instance_done(Double(name), context)
