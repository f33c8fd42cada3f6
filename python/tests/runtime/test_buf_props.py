"""Property values of type buf cross the link as bytes, both ways, exactly (the tester and the
extension exchange them through the studio runtime's group thread)."""

import json

from ten_runtime import CmdResult, Cmd, Data, ExtensionTester, StatusCode, TenEnvTester

ALL = bytes(range(256))
BIG = bytes(i * 7 % 251 for i in range(70_000))  # past the link's 64 KiB part size


def run(tester: ExtensionTester) -> object:
    tester.set_test_mode_single("scripted_python", json.dumps({}))
    tester.set_timeout(20_000_000)
    return tester.run()


class SendBufs(ExtensionTester):
    def __init__(self) -> None:
        super().__init__()
        self.got: dict = {}

    def on_start(self, env: TenEnvTester) -> None:
        c = Cmd.create("bufs")
        c.set_property_buf("all", ALL)
        c.set_property_buf("a.b[1]", b"\x00nested\xff")
        c.set_property_string("a.b[0]", "text")
        c.set_property_buf("big", BIG)
        c.set_property_buf("empty", b"")
        env.send_cmd(c, self.on_result)
        d = Data.create("d")
        d.set_property_buf("p", b"prop")
        d.alloc_buf(3)
        v = d.lock_buf()
        v[:] = b"abc"
        d.unlock_buf(v)
        env.send_data(d)
        env.on_start_done()

    def on_result(self, env: TenEnvTester, result: CmdResult | None, error) -> None:
        assert error is None and result is not None
        self.got["result"] = (bytes(result.get_property_buf("echo")[0]), bytes(result.get_property_buf("x[0].y")[0]),
                              result.get_property_string("s")[0])

    def on_data(self, env: TenEnvTester, data: Data) -> None:
        self.got["data"] = (bytes(data.get_property_buf("p")[0]), bytes(data.get_buf()))
        env.stop_test()


def test_buf_properties_cross_both_ways(scripted_hooks):
    seen = {}

    def on_cmd(ext, env, cmd):
        seen["cmd"] = {k: bytes(cmd.get_property_buf(k)[0]) for k in ("all", "a.b[1]", "big", "empty")}
        seen["text"] = cmd.get_property_string("a.b[0]")[0]
        seen["wrong"] = cmd.get_property_string("all")[1] is not None
        r = CmdResult.create(StatusCode.OK, cmd)
        r.set_property_buf("echo", bytes(cmd.get_property_buf("all")[0]))
        r.set_property_buf("x[0].y", BIG)
        r.set_property_string("s", "s")
        env.return_result(r)

    def on_data(ext, env, data):
        seen["data"] = (bytes(data.get_property_buf("p")[0]), bytes(data.get_buf()))
        d = Data.create("back")
        d.set_property_buf("p", bytes(data.get_property_buf("p")[0])[::-1])
        d.alloc_buf(2)
        v = d.lock_buf()
        v[:] = b"zz"
        d.unlock_buf(v)
        env.send_data(d)

    scripted_hooks.HOOKS.update(on_cmd=on_cmd, on_data=on_data)
    t = SendBufs()
    assert run(t) is None
    assert seen["cmd"] == {"all": ALL, "a.b[1]": b"\x00nested\xff", "big": BIG, "empty": b""}
    assert seen["text"] == "text" and seen["wrong"]
    assert seen["data"] == (b"prop", b"abc")
    assert t.got["result"] == (ALL, BIG, "s")
    assert t.got["data"] == (b"porp", b"zz")
