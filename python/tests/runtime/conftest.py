"""TEN-style: one App for the pytest session (the testers share its runtime session), and after
every test the check that nothing of the test graph is left in this process."""

import asyncio
import os
import sys
import threading

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ext"))

import scripted_python.extension as scripted  # noqa: E402  (registers the addon)
from ten_runtime import App, TenEnv  # noqa: E402


class FakeApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.event = threading.Event()

    def on_init(self, ten_env: TenEnv) -> None:
        self.event.set()
        ten_env.on_init_done()


@pytest.fixture(scope="session", autouse=True)
def app():
    a = FakeApp()
    t = threading.Thread(target=a.run, args=(False,))
    t.start()
    a.event.wait()
    yield a
    a.close()
    t.join()
    from ten_studio_py import session

    assert session._session is None


@pytest.fixture(autouse=True)
def scripted_hooks():
    scripted.HOOKS.clear()
    scripted.SEEN.clear()
    scripted.MODE["async"] = False
    yield scripted
    scripted.HOOKS.clear()


@pytest.fixture(autouse=True)
def no_leftovers():
    threads = {t.ident for t in threading.enumerate()}
    yield
    from ten_studio_py import session

    s = session._session
    if s is None:
        return
    # The test graph is gone: no group hosted here, no task left on the dispatch loop, no thread
    # started by the test's extensions still running.
    assert s.dispatchers == {}
    pending = asyncio.run_coroutine_threadsafe(_tasks(), s.loop).result(5)
    assert pending == []
    left = [t.name for t in threading.enumerate() if t.ident not in threads and t.is_alive()
            and not getattr(t, "_ten_studio_internal", False)]
    assert left == []


async def _tasks() -> list[str]:
    me = asyncio.current_task()
    return [t.get_name() for t in asyncio.all_tasks() if t is not me and not t.done()]
