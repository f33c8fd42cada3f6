"""An extension whose callbacks are what the test puts in HOOKS (the test and the extension run in
one process: the pytest process hosts the extension under test)."""

from typing import Any, Callable

from ten_runtime import AsyncExtension, AsyncTenEnv, Extension, TenEnv

HOOKS: dict[str, Callable[..., Any]] = {}
MODE = {"async": False}
SEEN: list[str] = []


class Scripted(Extension):
    def _phase(self, phase: str, env: TenEnv, done: Callable[[], None]) -> None:
        SEEN.append(phase)
        h = HOOKS.get(phase)
        if h is None:
            done()
        else:
            h(self, env)

    def on_configure(self, ten_env: TenEnv) -> None:
        self._phase("on_configure", ten_env, ten_env.on_configure_done)

    def on_init(self, ten_env: TenEnv) -> None:
        self._phase("on_init", ten_env, ten_env.on_init_done)

    def on_start(self, ten_env: TenEnv) -> None:
        self._phase("on_start", ten_env, ten_env.on_start_done)

    def on_stop(self, ten_env: TenEnv) -> None:
        self._phase("on_stop", ten_env, ten_env.on_stop_done)

    def on_deinit(self, ten_env: TenEnv) -> None:
        self._phase("on_deinit", ten_env, ten_env.on_deinit_done)

    def on_cmd(self, ten_env: TenEnv, cmd: Any) -> None:
        HOOKS.get("on_cmd", lambda *_: None)(self, ten_env, cmd)

    def on_data(self, ten_env: TenEnv, data: Any) -> None:
        HOOKS.get("on_data", lambda *_: None)(self, ten_env, data)

    def on_audio_frame(self, ten_env: TenEnv, frame: Any) -> None:
        HOOKS.get("on_audio_frame", lambda *_: None)(self, ten_env, frame)

    def on_video_frame(self, ten_env: TenEnv, frame: Any) -> None:
        HOOKS.get("on_video_frame", lambda *_: None)(self, ten_env, frame)


async def _nothing(*_: Any) -> None:
    return None


class AsyncScripted(AsyncExtension):
    async def _phase(self, phase: str, env: AsyncTenEnv) -> None:
        SEEN.append(phase)
        await HOOKS.get(phase, _nothing)(self, env)

    async def on_configure(self, ten_env: AsyncTenEnv) -> None:
        await self._phase("on_configure", ten_env)

    async def on_init(self, ten_env: AsyncTenEnv) -> None:
        await self._phase("on_init", ten_env)

    async def on_start(self, ten_env: AsyncTenEnv) -> None:
        await self._phase("on_start", ten_env)

    async def on_stop(self, ten_env: AsyncTenEnv) -> None:
        await self._phase("on_stop", ten_env)

    async def on_deinit(self, ten_env: AsyncTenEnv) -> None:
        await self._phase("on_deinit", ten_env)

    async def on_cmd(self, ten_env: AsyncTenEnv, cmd: Any) -> None:
        await HOOKS.get("on_cmd", _nothing)(self, ten_env, cmd)

    async def on_data(self, ten_env: AsyncTenEnv, data: Any) -> None:
        await HOOKS.get("on_data", _nothing)(self, ten_env, data)

    async def on_audio_frame(self, ten_env: AsyncTenEnv, frame: Any) -> None:
        await HOOKS.get("on_audio_frame", _nothing)(self, ten_env, frame)

    async def on_video_frame(self, ten_env: AsyncTenEnv, frame: Any) -> None:
        await HOOKS.get("on_video_frame", _nothing)(self, ten_env, frame)
