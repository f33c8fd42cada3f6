"""An App started in a test process (a conftest's) starts the studio runtime session itself, as
TEN's app is running before the first test: a test's own time window (TEN-style tests sleep a
fixed time, then expect the graph to be up) does not pay for starting the runtime."""

import os
import subprocess
import sys
import textwrap

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_app_run_starts_the_session_before_any_tester_runs():
    code = textwrap.dedent(
        """
        import threading
        from ten_runtime import App, TenEnv
        from ten_studio_py import session

        class FakeApp(App):
            def __init__(self):
                super().__init__()
                self.inited = threading.Event()

            def on_init(self, ten_env: TenEnv) -> None:
                # TEN's app has started when on_init runs: so has the session.
                print("session at on_init:", session._session is not None and session._session.hello is not None, flush=True)
                self.inited.set()
                ten_env.on_init_done()

        app = FakeApp()
        t = threading.Thread(target=app.run, args=(False,))
        t.start()
        app.inited.wait(60)
        app.close()
        t.join(60)
        print("closed:", session._session is None, not t.is_alive(), flush=True)
        """
    )
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["session at on_init: True", "closed: True True"]
