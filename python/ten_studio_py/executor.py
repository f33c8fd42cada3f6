"""The dispatch loop's default executor: what `run_in_executor(None, …)`, `asyncio.to_thread` and
the loop's own `getaddrinfo` run in (websockets and aiohttp resolve host names there).

Its worker threads are the runtime's, not threads an extension started: one that waits for work
is no leftover when the process ends. One that still runs a call is (user work left behind), and
is reported as any other thread. Idle workers carry `_ten_studio_internal` (what the leftover
check skips); a worker clears it while it runs a call.
"""

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable


def _run(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    th = threading.current_thread()
    th._ten_studio_internal = False  # type: ignore[attr-defined]
    try:
        return fn(*args, **kwargs)
    finally:
        th._ten_studio_internal = True  # type: ignore[attr-defined]


class LoopExecutor(ThreadPoolExecutor):
    """asyncio's default (threads named `asyncio_N`), which knows when a worker is busy."""

    def __init__(self) -> None:
        super().__init__(thread_name_prefix="asyncio")

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> "Future[Any]":
        return super().submit(_run, fn, args, kwargs)
