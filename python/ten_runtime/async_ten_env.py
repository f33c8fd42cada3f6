"""The env of an `AsyncExtension`: awaitable senders and property calls.

TEN posts every call to the extension thread and hops back with `run_coroutine_threadsafe`. Here
the extension's coroutines run on the process's dispatch loop itself, so a send is a call and its
result resolves a Future on that loop: no thread hop, no Queue. Properties are local to this
process, so the property coroutines complete without waiting for anything.
"""

import asyncio
import threading
from collections import deque
from collections.abc import AsyncGenerator
from typing import Any

from .audio_frame import AudioFrame
from .cmd import Cmd
from .cmd_result import CmdResult
from .data import Data
from .error import TenError, TenErrorCode
from .send_options import SendOptions
from .ten_env import TenEnv
from .ten_env_base import TenEnvBase
from .video_frame import VideoFrame

CmdResultTuple = tuple[CmdResult | None, TenError | None]


def _closed() -> TenError:
    return TenError.create(TenErrorCode.ErrorCodeTenIsClosed, "ten_env is closed.")


def _settle(fut: "asyncio.Future[Any]", value: Any) -> None:
    """Resolves `fut` from a handler: directly on its own loop, else through that loop."""
    loop = fut.get_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        if not fut.done():
            fut.set_result(value)
    elif not loop.is_closed():
        loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(value))


class AsyncTenEnv(TenEnvBase):
    _ten_loop: asyncio.AbstractEventLoop
    _ten_thread: threading.Thread

    def __init__(self, ten_env: TenEnv, loop: asyncio.AbstractEventLoop, thread: threading.Thread,
                 global_thread_manager: Any = None) -> None:
        super().__init__(ten_env._internal)
        self._ten_env = ten_env
        self._ten_loop = loop
        self._ten_thread = thread

    # ---- messages ------------------------------------------------------------------------

    async def send_cmd(self, cmd: Cmd) -> CmdResultTuple:
        fut: asyncio.Future[CmdResultTuple] = asyncio.get_running_loop().create_future()
        err = self._internal.send_cmd(cmd, lambda _e, r, er: _settle(fut, (r, er)), False)
        if err is not None:
            return None, err
        return await fut

    async def send_cmd_ex(self, cmd: Cmd) -> AsyncGenerator[CmdResultTuple, None]:
        loop = asyncio.get_running_loop()
        items: deque[CmdResultTuple] = deque()
        waiter: list[asyncio.Future[None] | None] = [None]

        def on_result(_e: Any, r: CmdResult | None, er: TenError | None) -> None:
            items.append((r, er))
            w = waiter[0]
            if w is not None:
                waiter[0] = None
                _settle(w, None)

        err = self._internal.send_cmd(cmd, on_result, True)
        if err is not None:
            yield None, err
            return
        while True:
            while not items:
                w = loop.create_future()
                waiter[0] = w
                await w
            result, er = items.popleft()
            yield result, er
            if er is not None or (result is not None and result.is_completed()):
                return

    async def _send_other(self, method: str, msg: Any, options: SendOptions | None) -> TenError | None:
        send = getattr(self._internal, method)
        if options is None or not options.wait_for_result:
            return send(msg, None)
        fut: asyncio.Future[TenError | None] = asyncio.get_running_loop().create_future()
        err = send(msg, lambda _e, er: _settle(fut, er))
        if err is not None:
            return err
        return await fut

    # Fire-and-forget (the default) is one call, without a coroutine of its own: a forwarding
    # handler pays for this on every message.

    async def send_data(self, data: Data, options: SendOptions | None = None) -> TenError | None:
        if options is None or not options.wait_for_result:
            return self._internal.send_data(data, None)
        return await self._send_other("send_data", data, options)

    async def send_video_frame(self, video_frame: VideoFrame,
                               options: SendOptions | None = None) -> TenError | None:
        if options is None or not options.wait_for_result:
            return self._internal.send_video_frame(video_frame, None)
        return await self._send_other("send_video_frame", video_frame, options)

    async def send_audio_frame(self, audio_frame: AudioFrame,
                               options: SendOptions | None = None) -> TenError | None:
        if options is None or not options.wait_for_result:
            return self._internal.send_audio_frame(audio_frame, None)
        return await self._send_other("send_audio_frame", audio_frame, options)

    async def return_result(self, result: CmdResult, options: SendOptions | None = None) -> TenError | None:
        if options is None or not options.wait_for_result:
            return self._internal.return_result(result, None)
        return await self._send_other("return_result", result, options)

    # ---- properties (local: nothing to wait for) -------------------------------------------

    async def get_property_to_json(self, path: str | None = None) -> tuple[str, TenError | None]:
        if self._internal.closed:
            return "", _closed()
        return self._internal.get_property_to_json(path)

    async def set_property_from_json(self, path: str, json_str: str) -> TenError | None:
        if self._internal.closed:
            return _closed()
        return self._internal.set_property_from_json(path, json_str)

    async def get_property_int(self, path: str) -> tuple[int, TenError | None]:
        if self._internal.closed:
            return 0, _closed()
        return self._internal.get_property_int(path)

    async def set_property_int(self, path: str, value: int) -> TenError | None:
        if self._internal.closed:
            return _closed()
        return self._internal.set_property_int(path, value)

    async def get_property_string(self, path: str) -> tuple[str, TenError | None]:
        if self._internal.closed:
            return "", _closed()
        return self._internal.get_property_string(path)

    async def set_property_string(self, path: str, value: str) -> TenError | None:
        if self._internal.closed:
            return _closed()
        return self._internal.set_property_string(path, value)

    async def get_property_bool(self, path: str) -> tuple[bool, TenError | None]:
        if self._internal.closed:
            return False, _closed()
        return self._internal.get_property_bool(path)

    async def set_property_bool(self, path: str, value: int) -> TenError | None:
        if self._internal.closed:
            return _closed()
        return self._internal.set_property_bool(path, bool(value))

    async def get_property_float(self, path: str) -> tuple[float, TenError | None]:
        if self._internal.closed:
            return 0.0, _closed()
        return self._internal.get_property_float(path)

    async def set_property_float(self, path: str, value: float) -> TenError | None:
        if self._internal.closed:
            return _closed()
        return self._internal.set_property_float(path, value)

    async def is_property_exist(self, path: str) -> tuple[bool, TenError | None]:
        if self._internal.closed:
            return False, _closed()
        return self._internal.is_property_exist(path)

    async def init_property_from_json(self, json_str: str) -> TenError | None:
        if self._internal.closed:
            return _closed()
        return self._internal.init_property_from_json(json_str)
