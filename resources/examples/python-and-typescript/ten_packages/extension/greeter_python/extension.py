"""A sync TEN Extension: callbacks run on the group's Python dispatch thread, each lifecycle step
ends with its on_*_done."""

import platform

from ten_runtime import Cmd, CmdResult, Data, Extension, StatusCode, TenEnv


class GreeterExtension(Extension):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name
        self.ticks = 0
        self.pings = 0
        self.greeting = "pong"

    def on_init(self, ten_env: TenEnv) -> None:
        self.greeting, _ = ten_env.get_property_string("greeting")
        ten_env.log_info(f"Python {platform.python_version()} greeter ready: answering with '{self.greeting}'")
        ten_env.on_init_done()

    def on_cmd(self, ten_env: TenEnv, cmd: Cmd) -> None:
        self.pings += 1
        result = CmdResult.create(StatusCode.OK, cmd)
        result.set_property_string("detail", f"{self.greeting} #{self.pings} from Python after {self.ticks} ticks")
        ten_env.return_result(result)
        if self.pings % 10 == 0:
            ten_env.log_info(f"answered {self.pings} pings", fields={"ticks": self.ticks})

    def on_data(self, ten_env: TenEnv, data: Data) -> None:
        self.ticks += 1
        data.set_property_int("seen_by_python", self.ticks)
        ten_env.send_data(data)

    def on_stop(self, ten_env: TenEnv) -> None:
        ten_env.log_info(f"stopping after {self.ticks} ticks and {self.pings} pings")
        ten_env.on_stop_done()
