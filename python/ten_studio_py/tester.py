"""The tester node of a test graph (`ten:test_extension`), standing for an ExtensionTester.

It is an extension of the group like the one under test: its `ten_env` is the tester's
`TenEnvTester`, its lifecycle calls the tester's `on_init` … `on_deinit`, and what it receives goes
to the tester's `on_cmd`/`on_data`/… handlers.
"""

from typing import Any, Callable

from ten_runtime.error import TenError, TenErrorCode
from ten_runtime.test import TenEnvTester

from .dispatch import ExtCtx, ExtEnv


class TesterEnv:
    """The `_internal` of a TenEnvTester: the tester node's env, handlers get the tester env."""

    def __init__(self, ext_env: ExtEnv, session: Any) -> None:
        self.e = ext_env
        self.session = session
        self.tester_env: TenEnvTester | None = None
        ext_env.env_name = "ten_env_tester"

    @property
    def closed(self) -> bool:
        return self.e.closed

    def _wrap(self, handler: Callable[..., None] | None) -> Callable[..., None] | None:
        if handler is None:
            return None
        env = self.tester_env
        return lambda _e, *args: handler(env, *args)

    def on_init_done(self) -> None:
        self.e.on_init_done()

    def on_start_done(self) -> None:
        self.e.on_start_done()

    def on_stop_done(self) -> None:
        self.e.on_stop_done()

    def on_deinit_done(self) -> None:
        self.e.on_deinit_done()

    def send_cmd(self, cmd: Any, handler: Callable[..., None] | None, is_ex: bool) -> TenError | None:
        return self.e.send_cmd(cmd, self._wrap(handler), is_ex)

    def send_data(self, data: Any, handler: Callable[..., None] | None) -> TenError | None:
        return self.e.send_data(data, self._wrap(handler))

    def send_audio_frame(self, frame: Any, handler: Callable[..., None] | None) -> TenError | None:
        return self.e.send_audio_frame(frame, self._wrap(handler))

    def send_video_frame(self, frame: Any, handler: Callable[..., None] | None) -> TenError | None:
        return self.e.send_video_frame(frame, self._wrap(handler))

    def return_result(self, result: Any, handler: Callable[..., None] | None) -> TenError | None:
        return self.e.return_result(result, self._wrap(handler))

    def stop_test(self, error: TenError | None) -> TenError | None:
        if self.e.closed:
            return TenError.create(TenErrorCode.ErrorCodeTenIsClosed,
                                   "ten_env_tester.stop_test() failed because ten_env_tester_proxy is invalid.")
        self.session.stop_test(error)
        return None

    def log(self, *args: Any) -> TenError | None:
        return self.e.log(*args)

    def spawn(self, coro: Any, phase: str) -> None:
        self.e.spawn(coro, phase)

    def handler_failed(self, phase: str, e: BaseException, msg: Any) -> None:
        self.e.handler_failed(phase, e, msg)

    def task_finished(self) -> None:
        self.e.task_finished()


class TesterExtension:
    def __init__(self, tester: Any, ctx: ExtCtx, session: Any) -> None:
        self.tester = tester
        internal = TesterEnv(ctx.internal, session)
        self.env_tester = TenEnvTester(internal)
        internal.tester_env = self.env_tester

    def _proxy_on_configure(self, ten_env: Any) -> None:
        ten_env.on_configure_done()

    def _proxy_on_init(self, _ten_env: Any) -> None:
        self.tester._proxy_on_init(self.env_tester)

    def _proxy_on_start(self, _ten_env: Any) -> None:
        self.tester._proxy_on_start(self.env_tester)

    def _proxy_on_stop(self, _ten_env: Any) -> None:
        self.tester._proxy_on_stop(self.env_tester)

    def _proxy_on_deinit(self, _ten_env: Any) -> None:
        self.tester._proxy_on_deinit(self.env_tester)

    def _proxy_on_cmd(self, _ten_env: Any, cmd: Any) -> None:
        self.tester._proxy_on_cmd(self.env_tester, cmd)

    def _proxy_on_data(self, _ten_env: Any, data: Any) -> None:
        self.tester._proxy_on_data(self.env_tester, data)

    def _proxy_on_audio_frame(self, _ten_env: Any, frame: Any) -> None:
        self.tester._proxy_on_audio_frame(self.env_tester, frame)

    def _proxy_on_video_frame(self, _ten_env: Any, frame: Any) -> None:
        self.tester._proxy_on_video_frame(self.env_tester, frame)
