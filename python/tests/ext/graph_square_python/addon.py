"""The second stage of TEN's basic standalone graph test: answers with `data` squared, then sends
`hello_world` (which the graph routes to the tester) from a thread of its own."""

import threading

from ten_runtime import Addon, Cmd, CmdResult, Extension, StatusCode, TenEnv, register_addon_as_extension


class Square(Extension):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.thread: threading.Thread | None = None

    def on_cmd(self, ten_env: TenEnv, cmd: Cmd) -> None:
        n, _ = cmd.get_property_int("data")
        r = CmdResult.create(StatusCode.OK, cmd)
        r.set_property_int("data", n * n)
        ten_env.return_result(r)
        self.thread = threading.Thread(target=lambda: ten_env.send_cmd(Cmd.create("hello_world")))
        self.thread.start()

    def on_stop(self, ten_env: TenEnv) -> None:
        if self.thread is not None:
            self.thread.join()
        ten_env.on_stop_done()


@register_addon_as_extension("graph_square_python")
class SquareAddon(Addon):
    def on_create_instance(self, ten_env: TenEnv, name: str, context: object) -> None:
        ten_env.on_create_instance_done(Square(name), context)
