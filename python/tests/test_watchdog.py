"""The blocked-loop watchdog: blocked (asleep in a call) and spinning are reported, busy is not."""

import asyncio
import threading
import time

from ten_studio_py.watchdog import Watchdog


def run_with_watchdog(work) -> list:
    loop = asyncio.new_event_loop()
    reports: list = []
    progress = [0]
    dog = Watchdog(loop, lambda ms, stack, where, ended: reports.append((ended, stack)), lambda: progress[0])
    dog.start()

    def job() -> None:
        work(progress)
        loop.call_later(0.2, loop.stop)

    loop.call_later(0.1, job)
    loop.run_forever()
    dog.stop()
    loop.close()
    return reports


def test_a_loop_asleep_in_a_call_is_reported_with_its_stack_then_its_end():
    reports = run_with_watchdog(lambda progress: time.sleep(2))
    assert [ended for ended, _ in reports] == [False, True]
    assert "time.sleep(2)" in reports[0][1]


def test_a_loop_spinning_without_progress_is_reported():
    def spin(progress):
        until = time.thread_time() + 0.6
        while time.thread_time() < until:
            pass

    reports = run_with_watchdog(spin)
    assert reports and reports[0][0] is False and "spin" in reports[0][1]


def test_a_busy_loop_that_progresses_is_not_blocked():
    def busy(progress):
        until = time.monotonic() + 0.8
        while time.monotonic() < until:
            progress[0] += 1  # a long batch of messages, each handed to its extension
            time.sleep(0.001)

    assert run_with_watchdog(busy) == []


def test_the_watchdog_thread_is_a_daemon_and_ends():
    before = threading.active_count()
    run_with_watchdog(lambda progress: None)
    time.sleep(0.2)
    assert threading.active_count() <= before
