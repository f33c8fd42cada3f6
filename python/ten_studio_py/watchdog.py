"""Reports a dispatch loop blocked for longer than a threshold, with the stack it is blocked in.

A blocked loop is the typical bug of an async extension (a `time.sleep`, a blocking client, a
CPU-bound loop in a handler): every extension of the process stops. The loop beats every
`period`; a daemon thread checks that the beats come. Late beats alone only mean a busy loop (a
large batch of messages is a long loop turn), so the loop counts as blocked only while the
dispatcher makes no progress either (no message handed to an extension, no handler finished)
for longer than `threshold`. Only intervals in which the watchdog itself woke on time count: a
process the machine did not schedule (a loaded machine) is not a blocked loop. The report goes
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
                 progress: Callable[[], int], threshold: float = 0.25, period: float = 0.05) -> None:
        self.loop = loop
        self.report = report
        self.progress = progress
        self.seen = -1
        self.stuck_since = 0.0
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
            self.stuck_since = 0.0
            self.report(blocked * 1000, "", "", True)
        self.last = now
        if not self.stopped:
            self.loop.call_later(self.period, self._beat)

    def _run(self) -> None:
        checked = time.monotonic()
        stuck = 0.0
        while not self.stopped:
            time.sleep(self.period)
            now = time.monotonic()
            interval = now - checked
            checked = now
            if self.stalled_since:
                continue
            progress = self.progress()
            late = now - self.last - self.period
            if late <= self.period or progress != self.seen:
                self.seen = progress
                self.stuck_since = 0.0
                stuck = 0.0
                continue
            if interval > 3 * self.period:
                # This thread was not scheduled either: the machine is loaded, not the loop stuck.
                continue
            if not self.stuck_since:
                self.stuck_since = now - interval
            stuck += interval
            if stuck > self.threshold:
                frame = sys._current_frames().get(self.loop_ident)
                stack = _stack(frame)
                self.stalled_since = self.stuck_since
                self.report((now - self.stuck_since) * 1000, stack, _innermost_file(frame), False)


def _stack(frame: Any) -> str:
    """The blocked loop's stack: the user's frames (all of them when the loop is stuck in ours)."""
    if frame is None:
        return ""
    from .dispatch import _user_frames

    frames = list(_user_frames(traceback.extract_stack(frame)))[-30:]
    return "".join(traceback.StackSummary.from_list(frames).format())


def _innermost_file(frame: Any) -> str:
    return frame.f_code.co_filename if frame is not None else ""
