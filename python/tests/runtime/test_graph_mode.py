"""`set_test_mode_graph`: the tester runs in a graph the test gives, as in TEN's standalone graph
tests (the tester is the graph's `ten:test_extension` node; messages reach it only through the
graph's connections). The graph's groups are hosted by this process, each its own group."""

import asyncio
import json

import graph_double_python  # noqa: F401  (registers the addon)
import graph_square_python  # noqa: F401

from ten_runtime import (
    AsyncExtensionTester,
    AsyncTenEnvTester,
    Cmd,
    CmdResult,
    ExtensionTester,
    TenEnvTester,
    TenError,
    TenErrorCode,
)

TESTER = {"type": "extension", "name": "ten:test_extension", "addon": "ten:test_extension",
          "extension_group": "test_extension_group"}

# ten:test_extension -> double -> square, and square's hello_world back to the tester.
BASIC = {
    "nodes": [
        {"type": "extension", "name": "double", "addon": "graph_double_python", "extension_group": "group_1"},
        {"type": "extension", "name": "square", "addon": "graph_square_python", "extension_group": "group_2"},
        TESTER,
    ],
    "connections": [
        {"extension": "ten:test_extension", "cmd": [{"name": "process", "dest": [{"extension": "double"}]}]},
        {"extension": "double", "cmd": [{"name": "process", "dest": [{"extension": "square"}]}]},
        {"extension": "square", "cmd": [{"name": "hello_world", "dest": [{"extension": "ten:test_extension"}]}]},
    ],
}


class Basic(ExtensionTester):
    def __init__(self) -> None:
        super().__init__()
        self.data: int | None = None
        self.hello = 0

    def on_start(self, env: TenEnvTester) -> None:
        cmd = Cmd.create("process")
        cmd.set_property_int("data", 3)

        def on_result(_env: TenEnvTester, result: CmdResult | None, error: TenError | None) -> None:
            assert error is None and result is not None
            self.data = result.get_property_int("data")[0]

        env.send_cmd(cmd, on_result)
        env.on_start_done()

    def on_cmd(self, env: TenEnvTester, cmd: Cmd) -> None:
        if cmd.get_name() == "hello_world":
            self.hello += 1
            env.stop_test()


def test_basic_graph_through_two_groups():
    t = Basic()
    t.set_test_mode_graph(json.dumps(BASIC))
    t.set_timeout(20_000_000)
    assert t.run() is None
    assert (t.data, t.hello) == (36, 1)


class AsyncBasic(AsyncExtensionTester):
    def __init__(self) -> None:
        super().__init__()
        self.data: int | None = None

    async def on_start(self, env: AsyncTenEnvTester) -> None:
        cmd = Cmd.create("process")
        cmd.set_property_int("data", 5)
        result, error = await env.send_cmd(cmd)
        assert error is None and result is not None
        self.data = result.get_property_int("data")[0]

    async def on_cmd(self, env: AsyncTenEnvTester, cmd: Cmd) -> None:
        await asyncio.sleep(0)
        if cmd.get_name() == "hello_world":
            env.stop_test()


def test_async_tester_in_a_graph():
    t = AsyncBasic()
    t.set_test_mode_graph(json.dumps(BASIC))
    t.set_timeout(20_000_000)
    assert t.run() is None
    assert t.data == 100


class Unconnected(ExtensionTester):
    def __init__(self) -> None:
        super().__init__()
        self.error: TenError | None = None

    def on_start(self, env: TenEnvTester) -> None:
        # No connection from the tester in this graph: the cmd has nowhere to go (no routing
        # towards the extension as in single mode).
        def on_result(_env: TenEnvTester, _result: CmdResult | None, error: TenError | None) -> None:
            self.error = error
            env.stop_test()

        env.send_cmd(Cmd.create("process"), on_result)
        env.on_start_done()


def test_messages_follow_the_graph_only():
    graph = {"nodes": BASIC["nodes"], "connections": []}
    t = Unconnected()
    t.set_test_mode_graph(json.dumps(graph))
    t.set_timeout(20_000_000)
    assert t.run() is None
    assert t.error is not None


def test_a_graph_that_is_not_json_is_an_error_of_run():
    t = Basic()
    t.set_test_mode_graph("{nodes")
    err = t.run()
    assert err is not None and err.error_code() == TenErrorCode.ErrorCodeInvalidArgument
    assert err.error_message().startswith("Invalid graph JSON: ")


def test_a_graph_without_the_tester_is_an_error_of_run():
    t = Basic()
    t.set_test_mode_graph(json.dumps({"nodes": BASIC["nodes"][:2], "connections": []}))
    err = t.run()
    assert err is not None and err.error_code() == TenErrorCode.ErrorCodeInvalidArgument
    assert err.error_message() == ("The test graph has no node of addon 'ten:test_extension': "
                                   "the tester runs as that node.")


def test_a_graph_with_an_unknown_addon_fails_to_start():
    graph = {"nodes": [*BASIC["nodes"], {"type": "extension", "name": "ghost", "addon": "no_such_addon_python",
                                         "extension_group": "group_1"}], "connections": []}
    t = Basic()
    t.set_test_mode_graph(json.dumps(graph))
    t.set_timeout(20_000_000)
    err = t.run()
    assert err is not None
    assert 'The following packages are declared in nodes but not installed: [("", Extension, "no_such_addon_python")].' in err.error_message()


def test_single_mode_after_graph_mode():
    # The mode last set holds.
    class Ask(ExtensionTester):
        def on_start(self, env: TenEnvTester) -> None:
            c = Cmd.create("process")
            c.set_property_int("data", 4)
            env.send_cmd(c, lambda e, r, err: (setattr(self, "data", r.get_property_int("data")[0]), None))
            env.on_start_done()

        def on_cmd(self, env: TenEnvTester, cmd: Cmd) -> None:
            env.stop_test()

    a = Ask()
    a.set_test_mode_graph("{nodes")
    a.set_test_mode_single("graph_square_python")
    a.set_timeout(20_000_000)
    assert a.run() is None
    assert a.data == 16


class SlowStop(AsyncBasic):
    def __init__(self) -> None:
        super().__init__()
        self.stopped = False

    async def on_stop(self, env: AsyncTenEnvTester) -> None:
        # The other groups of the graph close meanwhile, on the same loop: their end must not
        # touch this group's tasks.
        await asyncio.sleep(0.5)
        self.stopped = True


def test_groups_closing_first_leave_the_testers_tasks_alone():
    t = SlowStop()
    t.set_test_mode_graph(json.dumps(BASIC))
    t.set_timeout(20_000_000)
    assert t.run() is None
    assert t.stopped
