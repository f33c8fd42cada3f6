"""An extension with `async def` callbacks.

Each lifecycle coroutine is followed by its `on_*_done`; each message handler runs as its own
task (its first step at once: a handler that does not suspend costs no Task object). TEN runs them on one process-wide asyncio thread and hops to it per call; here they run on
the process's dispatch loop, the thread that receives the messages, so a message costs no hop. An
exception is reported with its traceback (an `error` event), the cmd being handled is answered
with an error, and a lifecycle phase is acknowledged anyway: the graph goes on (TEN ends the
process instead).
"""

import asyncio
import threading
from typing import Any, Awaitable, Callable, final

from ten_studio_py.eager import was_cancelled

from .async_ten_env import AsyncTenEnv
from .audio_frame import AudioFrame
from .cmd import Cmd
from .data import Data
from .extension import _new_extension
from .ten_env import TenEnv
from .video_frame import VideoFrame


class AsyncExtension:
    name: str
    _async_ten_env: AsyncTenEnv | None
    _ten_loop: asyncio.AbstractEventLoop | None
    _ten_thread: threading.Thread | None

    def __new__(cls, name: str, *args: object, **kwargs: object):
        return _new_extension(cls)

    def __init__(self, name: str) -> None:
        self.name = name
        self._ten_stop_event = asyncio.Event()
        self._ten_loop = None
        self._ten_thread = None
        self._async_ten_env = None

    def _ten_env_async(self, ten_env: TenEnv) -> AsyncTenEnv:
        env = self.__dict__.get("_async_ten_env")
        if env is None:
            loop = asyncio.get_running_loop()
            self._ten_loop = loop
            self._ten_thread = threading.current_thread()
            env = self._async_ten_env = AsyncTenEnv(ten_env, loop, self._ten_thread)
        return env

    def _ten_phase(self, ten_env: TenEnv, phase: str, fn: Callable[[AsyncTenEnv], Awaitable[None]],
                   done: Callable[[], None]) -> None:
        env = self._ten_env_async(ten_env)
        internal = ten_env._internal

        async def run() -> None:
            try:
                await fn(env)
            except asyncio.CancelledError as e:
                if was_cancelled(asyncio.current_task()):
                    raise
                # One the phase raised itself (TEN catches BaseException): as any exception.
                internal.handler_failed(phase, e, None)
            except Exception as e:  # noqa: BLE001 - reported, the phase goes on
                internal.handler_failed(phase, e, None)
            finally:
                internal.task_finished()
            done()

        internal.spawn(run(), phase)

    def _ten_handle(self, ten_env: TenEnv, phase: str, fn: Callable[[AsyncTenEnv, Any], Awaitable[None]],
                    msg: Any) -> None:
        if getattr(type(self), phase) is _DEFAULTS[phase]:
            # Not overridden: TEN's default does nothing, so no task either.
            return
        env = self.__dict__.get("_async_ten_env") or self._ten_env_async(ten_env)
        # Runs it as its own task; one that does not suspend needs no Task object at all.
        ten_env._internal.run_handler(phase, fn, env, msg)

    @final
    def _proxy_on_configure(self, ten_env: TenEnv) -> None:
        self._ten_phase(ten_env, "on_configure", self.on_configure, ten_env.on_configure_done)

    @final
    def _proxy_on_init(self, ten_env: TenEnv) -> None:
        self._ten_phase(ten_env, "on_init", self.on_init, ten_env.on_init_done)

    @final
    def _proxy_on_start(self, ten_env: TenEnv) -> None:
        self._ten_phase(ten_env, "on_start", self.on_start, ten_env.on_start_done)

    @final
    def _proxy_on_stop(self, ten_env: TenEnv) -> None:
        self._ten_phase(ten_env, "on_stop", self.on_stop, ten_env.on_stop_done)

    @final
    def _proxy_on_deinit(self, ten_env: TenEnv) -> None:
        stop = self.__dict__.get("_ten_stop_event")
        if stop is not None:
            stop.set()
        self._ten_phase(ten_env, "on_deinit", self.on_deinit, ten_env.on_deinit_done)

    @final
    def _proxy_on_cmd(self, ten_env: TenEnv, cmd: Cmd) -> None:
        self._ten_handle(ten_env, "on_cmd", self.on_cmd, cmd)

    @final
    def _proxy_on_data(self, ten_env: TenEnv, data: Data) -> None:
        self._ten_handle(ten_env, "on_data", self.on_data, data)

    @final
    def _proxy_on_video_frame(self, ten_env: TenEnv, video_frame: VideoFrame) -> None:
        self._ten_handle(ten_env, "on_video_frame", self.on_video_frame, video_frame)

    @final
    def _proxy_on_audio_frame(self, ten_env: TenEnv, audio_frame: AudioFrame) -> None:
        self._ten_handle(ten_env, "on_audio_frame", self.on_audio_frame, audio_frame)

    # Override these in your extension.

    async def on_configure(self, _ten_env: AsyncTenEnv) -> None:
        pass

    async def on_init(self, _ten_env: AsyncTenEnv) -> None:
        pass

    async def on_start(self, _ten_env: AsyncTenEnv) -> None:
        pass

    async def on_stop(self, _ten_env: AsyncTenEnv) -> None:
        pass

    async def on_deinit(self, _ten_env: AsyncTenEnv) -> None:
        pass

    async def on_cmd(self, _ten_env: AsyncTenEnv, _cmd: Cmd) -> None:
        pass

    async def on_data(self, _ten_env: AsyncTenEnv, _data: Data) -> None:
        pass

    async def on_video_frame(self, _ten_env: AsyncTenEnv, _video_frame: VideoFrame) -> None:
        pass

    async def on_audio_frame(self, _ten_env: AsyncTenEnv, _audio_frame: AudioFrame) -> None:
        pass


_DEFAULTS = {name: getattr(AsyncExtension, name) for name in ("on_cmd", "on_data", "on_audio_frame", "on_video_frame")}
