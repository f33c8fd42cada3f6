"""Python debugging as in TEN: `TEN_ENABLE_PYTHON_DEBUG=true` starts debugpy and waits for a client.

TEN's Python addon loader, when its app starts the interpreter, runs `debugpy.listen((host, port))`
and `debugpy.wait_for_client()` before it imports any extension (host `TEN_PYTHON_DEBUG_HOST`,
default `localhost`; port `TEN_PYTHON_DEBUG_PORT`, default 5678), so breakpoints hold from the
first import on. Here a process hosts one extension group: the runtime chooses each process's port
(the configured one for the first, the next free ones after it) and passes it in the group's
configuration; `start` listens there and waits. In a test process (`ExtensionTester`), which
TEN's loader never starts, a process already under debugpy (launched by an IDE) is left as it is,
and one that is not listens on the configured port and waits the same way.
"""

import os
import sys
from typing import Callable

ENABLE = "TEN_ENABLE_PYTHON_DEBUG"
HOST = "TEN_PYTHON_DEBUG_HOST"
PORT = "TEN_PYTHON_DEBUG_PORT"
DEFAULT_PORT = 5678
# TEN listens on `localhost`, which debugpy binds as IPv4 loopback; named so that it is one address.
DEFAULT_HOST = "127.0.0.1"


def missing_text(exe: str) -> str:
    return (f"Python debugging is on, but debugpy is not installed for {exe}. "
            f"Install it with: {exe} -m pip install debugpy")


def enabled() -> bool:
    return os.environ.get(ENABLE) == "true"


def address_from_env() -> tuple[str, int]:
    """TEN's variables (host, port); a port that is not one is an error that says so."""
    host = os.environ.get(HOST) or DEFAULT_HOST
    raw = os.environ.get(PORT)
    if raw is None or raw == "":
        return host, DEFAULT_PORT
    try:
        port = int(raw, 10)
    except ValueError:
        port = -1
    if not 0 < port <= 65535:
        raise ValueError(f"{PORT} is '{raw}', which is not a port (1 to 65535).")
    return host, port


def start(host: str, port: int, report: Callable[[str, str], None]) -> bool:
    """Listens on host:port and waits for a client; `report(state, text)` is called with
    `listening` before the wait, `attached` after it, or `error`. False when debugging could not
    start (the process then runs without it)."""
    try:
        import debugpy  # type: ignore[import-not-found]
    except ImportError:
        report("error", missing_text(sys.executable))
        return False
    # debugpy's adapter is a daemon that outlives this process while a client is attached; it must
    # not hold this process's stdout and stderr, which the runtime reads until they close.
    saved = (os.dup(1), os.dup(2))
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        debugpy.listen((host, port))
    except Exception as e:  # noqa: BLE001 - debugpy raises RuntimeError and OSError alike
        report("error", f"The Python debugger could not listen on {host}:{port}: {e}")
        return False
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)
    report("listening", f"Python debugger (debugpy {debugpy.__version__}) listening on {host}:{port} (pid {os.getpid()}); "
                        f"waiting for a client to attach")
    debugpy.wait_for_client()
    report("attached", f"Python debugger attached on {host}:{port} (pid {os.getpid()})")
    return True


def under_debugger() -> bool:
    """Whether debugpy already runs in this process (an IDE launched it)."""
    if "debugpy" not in sys.modules:
        return False
    try:
        import pydevd  # type: ignore[import-not-found]

        return pydevd.get_global_debugger() is not None
    except Exception:  # noqa: BLE001 - debugpy's vendored pydevd may be absent or differ
        return False


def debug_this_thread() -> None:
    """TEN calls this in on_configure so that breakpoints hold in threads debugpy did not start."""
    try:
        import debugpy  # type: ignore[import-not-found]

        debugpy.debug_this_thread()
    except Exception:  # noqa: BLE001 - without debugpy there is nothing to do
        pass
