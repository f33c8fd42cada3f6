"""`App`: in a test process, what conftest.py starts once per pytest session (TEN's FakeApp).

`run(False)` starts the studio runtime session (TEN's app is running before the first test, so a
test's own time does not pay for the start), calls `on_configure` and `on_init` on the calling
thread, then blocks until `close()` (TEN blocks in its app loop). The extension testers of the
process share that session (the first `ExtensionTester.run()` starts it where no App did);
`close()` ends it. A session that cannot start is reported on stderr here and again, as a
TenError, by each tester that needs it.
"""

import json
import sys
import threading
from typing import Any

from ._props import _MISSING, deep_merge, get_prop, set_prop, to_json
from .error import TenError, TenErrorCode
from .ten_env import TenEnv


class _AppEnv:
    """The `_internal` of the env an App's callbacks get: properties and logs, nothing to send."""

    closed = False

    def __init__(self) -> None:
        self.props: dict[str, Any] = {}
        self.done: set[str] = set()

    def _mark(self, phase: str) -> None:
        self.done.add(phase)

    def on_configure_done(self) -> None:
        self._mark("on_configure")

    def on_init_done(self) -> None:
        self._mark("on_init")

    def on_deinit_done(self) -> None:
        self._mark("on_deinit")

    def on_start_done(self) -> None:
        self._mark("on_start")

    def on_stop_done(self) -> None:
        self._mark("on_stop")

    def init_property_from_json(self, json_str: str) -> TenError | None:
        try:
            v = json.loads(json_str)
        except ValueError as e:
            return TenError.create(TenErrorCode.ErrorCodeInvalidJSON, f"Invalid JSON: {e}")
        if not isinstance(v, dict):
            return TenError.create(TenErrorCode.ErrorCodeInvalidJSON, "The JSON must be an object.")
        self.props = deep_merge(self.props, v)
        return None

    def get_property_to_json(self, path: str | None = None) -> tuple[str, TenError | None]:
        v = get_prop(self.props, path)
        if v is _MISSING:
            return "", TenError.create(TenErrorCode.ErrorCodeGeneric, f"The property '{path or ''}' does not exist.")
        return to_json(v), None

    def set_property_from_json(self, path: str, json_str: str) -> TenError | None:
        try:
            v = json.loads(json_str)
        except ValueError as e:
            return TenError.create(TenErrorCode.ErrorCodeInvalidJSON, f"Invalid JSON: {e}")
        set_prop(self.props, path, v)
        return None

    def log(self, level: int, func: str | None, file: str | None, line: int, category: str | None,
            msg: str, sync: bool, fields: Any = None) -> TenError | None:
        return None

    def __getattr__(self, name: str) -> Any:
        def unsupported(*_a: Any, **_k: Any) -> Any:
            return TenError.create(TenErrorCode.ErrorCodeGeneric, f"ten_env.{name}() is not available to an app.")
        return unsupported


class App:
    def __init__(self) -> None:
        self._ten_closed = threading.Event()
        self._ten_env: TenEnv | None = None

    def run(self, run_in_background: bool) -> None:
        if "_ten_closed" not in self.__dict__:
            App.__init__(self)
        from ten_studio_py.session import ensure_session

        started = ensure_session()
        if isinstance(started, TenError):
            sys.stderr.write(f"ten_runtime.App: {started.error_message()}\n")
        env = self._ten_env = TenEnv(_AppEnv())
        self.on_configure(env)
        self.on_init(env)
        if run_in_background:
            return
        self._ten_closed.wait()
        self.on_deinit(env)

    def close(self) -> None:
        from ten_studio_py.session import close_session

        close_session()
        if "_ten_closed" in self.__dict__:
            self._ten_closed.set()

    def on_configure(self, ten_env: TenEnv) -> None:
        ten_env.on_configure_done()

    def on_init(self, ten_env: TenEnv) -> None:
        ten_env.on_init_done()

    def on_deinit(self, ten_env: TenEnv) -> None:
        ten_env.on_deinit_done()
