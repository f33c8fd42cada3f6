"""AsyncExtension and AsyncExtensionTester through the studio runtime."""

import asyncio
import contextvars
import json

import pytest

from ten_runtime import (
    AsyncExtensionTester,
    AsyncTenEnvTester,
    Cmd,
    CmdResult,
    Data,
    SendOptions,
    StatusCode,
    TenErrorCode,
)


def run(tester, props=None):
    tester.set_test_mode_single("scripted_python", json.dumps(props or {}))
    tester.set_timeout(20_000_000)
    return tester.run()


class Ask(AsyncExtensionTester):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.got: list = []

    async def on_start(self, env: AsyncTenEnvTester) -> None:
        async for result, err in env.send_cmd_ex(Cmd.create(self.name)):
            self.got.append((result.get_property_to_json("")[0] if result else None, err and err.error_code()))
        env.stop_test()

    async def on_cmd(self, env: AsyncTenEnvTester, cmd: Cmd) -> None:
        r = CmdResult.create(StatusCode.OK, cmd)
        r.set_property_string("from", "tester")
        await env.return_result(r)


def test_async_extension_awaits_results_and_properties(scripted_hooks):
    scripted_hooks.MODE["async"] = True
    order = []

    async def on_init(ext, env):
        v, err = await env.get_property_int("n")
        order.append(("n", v, err))
        assert await env.set_property_string("s", "y") is None
        order.append(("s", await env.get_property_string("s")))

    async def on_cmd(ext, env, cmd):
        # Asks the tester back before answering (a cmd out while another is in).
        result, err = await env.send_cmd(Cmd.create("ask_back"))
        order.append(("asked", result.get_property_string("from")[0], err))
        for i in range(2):
            r = CmdResult.create(StatusCode.OK, cmd)
            r.set_property_int("i", i)
            r.set_final(i == 1)
            err = await env.return_result(r, SendOptions(wait_for_result=True))
            order.append(("returned", i, err))

    scripted_hooks.HOOKS.update(on_init=on_init, on_cmd=on_cmd)
    t = Ask("q")
    assert run(t) is None
    assert t.got == [('{"i":0}', None), ('{"i":1}', None)]
    assert order == [("n", 1, None), ("s", ("y", None)), ("asked", "tester", None), ("returned", 0, None), ("returned", 1, None)]


def test_async_send_with_wait_for_result_reports_routing(scripted_hooks):
    scripted_hooks.MODE["async"] = True
    got = []

    async def on_start(ext, env):
        from ten_runtime import Loc

        d = Data.create("d")
        got.append(await env.send_data(d, SendOptions(wait_for_result=True)))
        c = Cmd.create("c")
        c.set_dests([Loc("", "", "nobody")])
        result, err = await env.send_cmd(c)
        got.append((result.get_status_code() if result else None, err))

    class Stop(AsyncExtensionTester):
        async def on_data(self, env, data):
            env.stop_test()

    scripted_hooks.HOOKS["on_start"] = on_start
    assert run(Stop()) is None
    assert got[0] is None
    assert got[1][0] == StatusCode.ERROR or (got[1][1] is not None and got[1][1].error_code() == TenErrorCode.ErrorCodeMsgNotConnected)


def test_tester_stop_during_a_pending_await_ends_the_test(scripted_hooks):
    scripted_hooks.MODE["async"] = True

    async def on_cmd(ext, env, cmd):
        await asyncio.sleep(0.05)
        await env.return_result(CmdResult.create(StatusCode.OK, cmd))

    class StopFirst(AsyncExtensionTester):
        async def on_start(self, env):
            asyncio.create_task(env.send_cmd(Cmd.create("slow")))
            env.stop_test()

    scripted_hooks.HOOKS["on_cmd"] = on_cmd
    assert run(StopFirst()) is None


class AskEach(AsyncExtensionTester):
    """Sends each cmd in turn and keeps (status, detail) of each result."""

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names
        self.got: list = []

    async def on_start(self, env: AsyncTenEnvTester) -> None:
        for name in self.names:
            result, err = await env.send_cmd(Cmd.create(name))
            detail = result.get_property_string("detail")[0] if result is not None else None
            self.got.append((result.get_status_code() if result is not None else err.error_code(), detail))
        env.stop_test()


PROBE: contextvars.ContextVar = contextvars.ContextVar("probe", default=None)


def test_async_handlers_run_as_tasks_of_their_own(scripted_hooks):
    # A handler is a task of its own from its first line to its end, whether it suspends or not:
    # asyncio.current_task() names it, asyncio.timeout() works, a context variable it sets stays
    # its own (the next handler does not see it), and a task that suspends is the same task after.
    scripted_hooks.MODE["async"] = True
    seen = []

    async def on_cmd(ext, env, cmd):
        name = cmd.get_name()
        task = asyncio.current_task()
        seen.append((name, "first", PROBE.get(), task.get_name() if task is not None else None))
        PROBE.set(name)
        if name == "pending":
            async with asyncio.timeout(5):
                await asyncio.sleep(0.01)
            seen.append((name, "after", PROBE.get(), asyncio.current_task() is task))
        elif name == "yield":
            await asyncio.sleep(0)
            seen.append((name, "after", PROBE.get(), asyncio.current_task() is task))
        await env.return_result(CmdResult.create(StatusCode.OK, cmd))

    scripted_hooks.HOOKS["on_cmd"] = on_cmd
    t = AskEach(["sync", "pending", "yield", "sync"])
    assert run(t) is None
    assert t.got == [(StatusCode.OK, "")] * 4
    task = "scripted_python:on_cmd"
    assert seen == [
        ("sync", "first", None, task),
        ("pending", "first", None, task),
        ("pending", "after", "pending", True),
        ("yield", "first", None, task),
        ("yield", "after", "yield", True),
        ("sync", "first", None, task),
    ]


@pytest.mark.parametrize("when", ["early", "late"])
def test_async_handler_exceptions_before_and_after_suspending_answer_the_cmd(scripted_hooks, when):
    scripted_hooks.MODE["async"] = True

    async def on_cmd(ext, env, cmd):
        if cmd.get_name() == "late":
            await asyncio.sleep(0.01)
        raise ValueError(cmd.get_name())

    scripted_hooks.HOOKS["on_cmd"] = on_cmd
    t = AskEach([when])
    try:
        run(t)
    except ValueError as e:
        assert str(e) == when
    else:
        raise AssertionError("run() should raise the extension's exception")
    assert t.got == [(StatusCode.ERROR, f"Extension 'scripted_python' threw in on_cmd: {when}")]


@pytest.mark.parametrize("when", ["early", "late"])
def test_a_cancelled_error_a_handler_raises_itself_is_its_exception(scripted_hooks, when):
    # TEN's AsyncExtension catches BaseException around a handler (its go_app_raise_exception_python
    # raises asyncio.CancelledError from on_cmd): only the cancellation of the handler's task is no
    # failure of the handler. Before, such a cmd was never answered and nothing was reported.
    scripted_hooks.MODE["async"] = True

    async def on_cmd(ext, env, cmd):
        if cmd.get_name() == "late":
            await asyncio.sleep(0.01)
        raise asyncio.CancelledError(cmd.get_name())

    scripted_hooks.HOOKS["on_cmd"] = on_cmd
    t = AskEach([when])
    with pytest.raises(asyncio.CancelledError, match=when):
        run(t)
    assert t.got == [(StatusCode.ERROR, f"Extension 'scripted_python' threw in on_cmd: {when}")]


def test_a_cancelled_error_a_phase_raises_itself_is_its_exception_and_the_phase_goes_on(scripted_hooks):
    # As any exception of a phase: reported, and the phase is acknowledged (before, on_start never
    # ended and the graph waited for its start timeout).
    scripted_hooks.MODE["async"] = True

    async def on_start(ext, env):
        await asyncio.sleep(0.01)
        raise asyncio.CancelledError("from on_start")

    async def on_cmd(ext, env, cmd):
        await env.return_result(CmdResult.create(StatusCode.OK, cmd))

    scripted_hooks.HOOKS.update(on_start=on_start, on_cmd=on_cmd)
    t = AskEach(["q"])
    with pytest.raises(asyncio.CancelledError, match="from on_start"):
        run(t)
    assert t.got == [(StatusCode.OK, "")]


class Holder(AsyncExtensionTester):
    """Never answers 'hang'; stops the test once it has it."""

    async def on_cmd(self, env: AsyncTenEnvTester, cmd: Cmd) -> None:
        env.stop_test()


def test_a_cmd_still_waiting_when_the_extension_closes_gets_its_error_result(scripted_hooks):
    # TEN flushes a closing extension's paths: a coroutine still awaiting a result goes on with an
    # ERROR result, and its ten_env calls from then on fail (TEN's call_api_after_closing_python).
    # Before, the result never reached Python and the task was cancelled at the process's end.
    scripted_hooks.MODE["async"] = True
    got = []

    async def waiter(env):
        result, err = await env.send_cmd(Cmd.create("hang"))
        got.append((result.get_status_code(), result.get_property_string("detail")[0], err))
        got.append((await env.set_property_bool("x", True)).error_code())

    async def on_start(ext, env):
        asyncio.create_task(waiter(env))

    scripted_hooks.HOOKS["on_start"] = on_start
    assert run(Holder()) is None
    assert got == [(StatusCode.ERROR, "The extension is closed: its pending cmd results will never arrive.", None),
                   TenErrorCode.ErrorCodeTenIsClosed]
