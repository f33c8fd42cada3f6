"""Reports a dispatch loop blocked for longer than a threshold, with the stack it is blocked in.

A blocked loop is the typical bug of an async extension (a `time.sleep`, a blocking client, a
CPU-bound loop in a handler): every extension of the process stops. The loop beats every
`period`; a daemon thread checks that the beats come. Late beats alone only mean a busy loop (a
large batch of messages is a long loop turn), so the loop counts as blocked only while the
dispatcher makes no progress either (no message handed to an extension, no handler finished)
for longer than `threshold`, and the loop thread is either waiting (asleep in a blocking call:
Linux says so in /proc; elsewhere, it used almost no CPU) or spinning (it used `threshold` of CPU
without progress). A loop thread that progresses slowly because the machine gives it little CPU
(a loaded machine) is neither. The
report goes straight to the link (the outbox needs the loop, which is blocked). When beats
resume, the total time blocked is reported too.
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
        self.stat_file = f"/proc/self/task/{threading.get_native_id()}/stat"
        try:
            clock = time.pthread_getcpuclockid(self.loop_ident)  # type: ignore[attr-defined]
            self.loop_cpu: Callable[[], float] | None = lambda: time.clock_gettime(clock)
        except (AttributeError, OSError):
            self.loop_cpu = None
        self.thread = threading.Thread(target=self._run, name="ten-studio-watchdog", daemon=True)
        self.thread._ten_studio_internal = True  # type: ignore[attr-defined]

    def start(self) -> None:
        self.loop.call_soon(self._beat)
        self.thread.start()

    def stop(self) -> None:
        self.stopped = True

    def _loop_state(self) -> str | None:
        return _read_state(self.stat_file)

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
        cpu_at_stuck = 0.0
        while not self.stopped:
            time.sleep(self.period)
            now = time.monotonic()
            if self.stalled_since:
                continue
            progress = self.progress()
            late = now - self.last - self.period
            if late <= self.period or progress != self.seen:
                self.seen = progress
                self.stuck_since = 0.0
                continue
            cpu = self.loop_cpu() if self.loop_cpu is not None else 0.0
            if not self.stuck_since:
                self.stuck_since = now - self.period
                cpu_at_stuck = cpu
                continue
            stuck = now - self.stuck_since
            used = cpu - cpu_at_stuck
            state = self._loop_state()
            waiting = state in ("S", "D") if state is not None else used < 0.1 * stuck
            spinning = used >= self.threshold
            if stuck > self.threshold and (self.loop_cpu is None or waiting or spinning):
                frame = sys._current_frames().get(self.loop_ident)
                stack = _stack(frame)
                self.stalled_since = self.stuck_since
                self.report((now - self.stuck_since) * 1000, stack, _innermost_file(frame), False)


def _read_state(path: str) -> str | None:
    """A thread's scheduler state from /proc (R running or runnable, S/D asleep), else None."""
    try:
        with open(path, "rb") as f:
            stat = f.read()
    except OSError:
        return None
    end = stat.rfind(b")")
    return stat[end + 2:end + 3].decode() if end != -1 else None


def _stack(frame: Any) -> str:
    """The blocked loop's stack: the user's frames (all of them when the loop is stuck in ours)."""
    if frame is None:
        return ""
    from .dispatch import _user_frames

    frames = list(_user_frames(traceback.extract_stack(frame)))[-30:]
    return "".join(traceback.StackSummary.from_list(frames).format())


def _innermost_file(frame: Any) -> str:
    return frame.f_code.co_filename if frame is not None else ""
