"""Reports a dispatch loop blocked for longer than a threshold, with the stack it is blocked in.

A blocked loop is the typical bug of an async extension (a `time.sleep`, a blocking client, a
CPU-bound loop in a handler): every extension of the process stops. The loop beats every
`period`; a daemon thread notices a beat late by more than `threshold` and writes the report
straight to the link (the outbox needs the loop, which is blocked). When beats resume, the total
time blocked is reported too.
"""

import asyncio
import sys
import threading
import time
import traceback
from typing import Any, Callable


class Watchdog:
    def __init__(self, loop: asyncio.AbstractEventLoop, report: Callable[[float, str, str, bool], None],
                 threshold: float = 0.25, period: float = 0.05) -> None:
        self.loop = loop
        self.report = report
        self.threshold = threshold
        self.period = period
        self.last = time.monotonic()
        self.stalled_since = 0.0
        self.stopped = False
        self.loop_ident = threading.get_ident()
        self.thread = threading.Thread(target=self._run, name="ten-studio-watchdog", daemon=True)
        self.thread._ten_studio_internal = True  # type: ignore[attr-defined]

    def start(self) -> None:
        self.loop.call_soon(self._beat)
        self.thread.start()

    def stop(self) -> None:
        self.stopped = True

    def _beat(self) -> None:
        now = time.monotonic()
        if self.stalled_since:
            blocked = now - self.stalled_since
            self.stalled_since = 0.0
            self.report(blocked * 1000, "", "", True)
        self.last = now
        if not self.stopped:
            self.loop.call_later(self.period, self._beat)

    def _run(self) -> None:
        while not self.stopped:
            time.sleep(self.period)
            if self.stalled_since:
                continue
            late = time.monotonic() - self.last - self.period
            if late > self.threshold:
                frame = sys._current_frames().get(self.loop_ident)
                stack = "".join(traceback.format_stack(frame, limit=30)) if frame is not None else ""
                self.stalled_since = self.last + self.period
                self.report(late * 1000, stack, _innermost_file(frame), False)


def _innermost_file(frame: Any) -> str:
    return frame.f_code.co_filename if frame is not None else ""
