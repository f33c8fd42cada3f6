"""`AsyncExtensionTester`: the tester with `async def` callbacks.

TEN runs them on a thread of their own with `asyncio.run`; here they are tasks on the process's
dispatch loop, next to the extension under test, and `run()` blocks the calling thread.
"""

import asyncio
from typing import Any, Awaitable, Callable, final

from .async_ten_env import AsyncTenEnv
from .audio_frame import AudioFrame
from .cmd import Cmd
from .data import Data
from .test import TenEnvTester, _TesterBase
from .test_base import TenEnvTesterBase
from .video_frame import VideoFrame


class AsyncTenEnvTester(TenEnvTesterBase):
    def __init__(self, ten_env_tester: TenEnvTester, loop: asyncio.AbstractEventLoop | None = None,
                 thread: Any = None) -> None:
        super().__init__(ten_env_tester._internal)
        self._ten_loop = loop
        self._ten_thread = thread

    # The senders are AsyncTenEnv's: they only use `_internal`.
    send_cmd = AsyncTenEnv.send_cmd
    send_cmd_ex = AsyncTenEnv.send_cmd_ex
    _send_other = AsyncTenEnv._send_other
    send_data = AsyncTenEnv.send_data
    send_audio_frame = AsyncTenEnv.send_audio_frame
    send_video_frame = AsyncTenEnv.send_video_frame
    return_result = AsyncTenEnv.return_result


class AsyncExtensionTester(_TesterBase):
    def __init__(self) -> None:
        self._ten_stop_event = asyncio.Event()
        self._async_ten_env_tester: AsyncTenEnvTester | None = None

    def _ten_env_async(self, env: TenEnvTester) -> AsyncTenEnvTester:
        a = self.__dict__.get("_async_ten_env_tester")
        if a is None:
            a = self.__dict__["_async_ten_env_tester"] = AsyncTenEnvTester(env, asyncio.get_running_loop())
        return a

    def _ten_phase(self, env: TenEnvTester, phase: str, fn: Callable[[AsyncTenEnvTester], Awaitable[None]],
                   done: Callable[[], None]) -> None:
        a = self._ten_env_async(env)
        internal = env._internal

        async def run() -> None:
            try:
                await fn(a)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - fails the test (run() raises it)
                internal.handler_failed(phase, e, None)
            finally:
                internal.task_finished()
            done()

        internal.spawn(run(), phase)

    def _ten_handle(self, env: TenEnvTester, phase: str, fn: Callable[[AsyncTenEnvTester, Any], Awaitable[None]],
                    msg: Any) -> None:
        a = self._ten_env_async(env)
        internal = env._internal

        async def run() -> None:
            try:
                await fn(a, msg)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001
                internal.handler_failed(phase, e, msg)
            finally:
                internal.task_finished()

        internal.spawn(run(), phase)

    @final
    def run(self) -> Any:
        return self._ten_run()

    @final
    def _proxy_on_init(self, ten_env_tester: TenEnvTester) -> None:
        self._ten_phase(ten_env_tester, "on_init", self.on_init, ten_env_tester.on_init_done)

    @final
    def _proxy_on_start(self, ten_env_tester: TenEnvTester) -> None:
        self._ten_phase(ten_env_tester, "on_start", self.on_start, ten_env_tester.on_start_done)

    @final
    def _proxy_on_stop(self, ten_env_tester: TenEnvTester) -> None:
        self._ten_phase(ten_env_tester, "on_stop", self.on_stop, ten_env_tester.on_stop_done)

    @final
    def _proxy_on_deinit(self, ten_env_tester: TenEnvTester) -> None:
        stop = self.__dict__.get("_ten_stop_event")
        if stop is not None:
            stop.set()
        self._ten_phase(ten_env_tester, "on_deinit", self.on_deinit, ten_env_tester.on_deinit_done)

    @final
    def _proxy_on_cmd(self, ten_env_tester: TenEnvTester, cmd: Cmd) -> None:
        self._ten_handle(ten_env_tester, "on_cmd", self.on_cmd, cmd)

    @final
    def _proxy_on_data(self, ten_env_tester: TenEnvTester, data: Data) -> None:
        self._ten_handle(ten_env_tester, "on_data", self.on_data, data)

    @final
    def _proxy_on_audio_frame(self, ten_env_tester: TenEnvTester, audio_frame: AudioFrame) -> None:
        self._ten_handle(ten_env_tester, "on_audio_frame", self.on_audio_frame, audio_frame)

    @final
    def _proxy_on_video_frame(self, ten_env_tester: TenEnvTester, video_frame: VideoFrame) -> None:
        self._ten_handle(ten_env_tester, "on_video_frame", self.on_video_frame, video_frame)

    async def on_init(self, _ten_env: AsyncTenEnvTester) -> None:
        pass

    async def on_start(self, _ten_env: AsyncTenEnvTester) -> None:
        pass

    async def on_stop(self, _ten_env: AsyncTenEnvTester) -> None:
        pass

    async def on_deinit(self, _ten_env: AsyncTenEnvTester) -> None:
        pass

    async def on_cmd(self, _ten_env: AsyncTenEnvTester, _cmd: Cmd) -> None:
        pass

    async def on_data(self, _ten_env: AsyncTenEnvTester, _data: Data) -> None:
        pass

    async def on_audio_frame(self, _ten_env: AsyncTenEnvTester, _audio_frame: AudioFrame) -> None:
        pass

    async def on_video_frame(self, _ten_env: AsyncTenEnvTester, _video_frame: VideoFrame) -> None:
        pass
