"""`python -m ten_studio_py.host`: hosts one extension group for a TypeScript group thread.

The runtime's host thread starts this process before it knows the group (a spare, or at the
graph's start): the process listens on a Unix socket of its own (a private folder; the path is its
first line on stdout), imports our runtime, and waits for one connection — the group thread's — or
for the end of its stdin (the runtime is gone: it exits). Until then it knows nothing of any graph:
the group's paths and environment are applied from the first frame, the group's configuration.
The process then imports the packages, creates the instances, answers READY, and runs its
dispatch loop until the group closes (or the link ends: the runtime is gone). stdout and stderr of
Python code become log events of the extension whose code printed.
"""

import asyncio
import faulthandler
import io
import os
import select
import signal
import socket
import tempfile
import sys
import threading
import traceback
from typing import Any

MIN_PYTHON = (3, 10)
# The first line on stdout: the socket the group thread connects to.
LISTEN_MARK = "ten-studio-link "


class _LogStream(io.TextIOBase):
    """print() and sys.stderr as log records, tagged with the extension running, one per line."""

    def __init__(self, d: Any, level: int, real: Any) -> None:
        self.d = d
        self.level = level
        self.real = real
        self.parts: list[str] = []
        self.lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            s = str(s)
        with self.lock:
            if "\n" not in s:
                self.parts.append(s)
                return len(s)
            text = "".join(self.parts) + s
            lines = text.split("\n")
            last = lines.pop()
            self.parts = [last] if last else []
        from .dispatch import current_ext

        x = current_ext.get()
        frame = sys._getframe(1)
        for line in lines:
            self.d.push_log(x, self.level, line, "stdout" if self.level == 2 else "stderr", None,
                            frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
        return len(s)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self.real.fileno()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


def _new_loop() -> asyncio.AbstractEventLoop:
    if os.environ.get("TEN_STUDIO_NO_UVLOOP") != "1":
        try:
            import uvloop  # type: ignore[import-not-found]

            return uvloop.new_event_loop()
        except ImportError:
            pass
    return asyncio.new_event_loop()


def _listen() -> tuple[socket.socket, str]:
    """A socket in a folder only this user can enter; its path is the first line on stdout."""
    folder = tempfile.mkdtemp(prefix="ten-py-")
    where = os.path.join(folder, "link")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(where)
    listener.listen(1)
    os.write(1, f"{LISTEN_MARK}{where}\n".encode())
    return listener, where


def _accept(listener: socket.socket, where: str) -> int:
    """The group thread's connection (its fd, blocking), or exit when stdin ends first."""
    conn = None
    try:
        while conn is None:
            ready, _, _ = select.select([listener, 0], [], [])
            if listener in ready:
                conn, _ = listener.accept()
            elif not os.read(0, 4096):
                break
    finally:
        listener.close()
        os.unlink(where)
        os.rmdir(os.path.dirname(where))
    if conn is None:
        os._exit(0)
    conn.setblocking(True)
    # Extensions reading stdin get its end, as before a process was kept waiting.
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return conn.detach()


def main() -> None:
    if sys.version_info < MIN_PYTHON:
        sys.stderr.write(f"Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer is needed; this is {sys.version.split()[0]}.\n")
        os._exit(3)
    listener, where = _listen()
    # Imported while the runtime decides which group this process hosts.
    from . import proto as P
    from .dispatch import Dispatcher
    from .executor import LoopExecutor
    from .link import Link, encode_records
    from .watchdog import Watchdog
    import ten_runtime  # noqa: F401 - what every extension imports first

    fd = _accept(listener, where)
    link = Link(fd, fd)
    first = link.read_frame_blocking()
    if first is None:
        os._exit(0)
    _channel, records, _bins = first
    config = records[0][1]
    for p in reversed(config.get("paths", [])):
        if p not in sys.path:
            sys.path.insert(0, p)
    if config.get("pythonpath") is not None:
        # What a process the extensions start inherits, as if this one had been started for them.
        os.environ["PYTHONPATH"] = config["pythonpath"]
    os.environ.setdefault("TEN_PYTHON_THREAD_MODE", "single_thread")
    dbg = config.get("debug")
    if dbg:
        from . import debug

        def report(state: str, text: str) -> None:
            link.write_frame(P.CH_GROUP, encode_records([[P.P_DEBUG, state, dbg["host"], dbg["port"], text]],
                                                         lambda r, e: [0, 0]))

        debug.start(dbg["host"], dbg["port"], report)

    loop = _new_loop()
    asyncio.set_event_loop(loop)
    # Its idle worker threads are the runtime's, not leftovers of the extensions (executor.py).
    loop.set_default_executor(LoopExecutor())
    # Python 3.12+: a handler runs its first step at once, and one that does not suspend needs no
    # extra loop turn (a task is made only when it awaits something pending).
    eager = getattr(asyncio, "eager_task_factory", None)
    if eager is not None:
        loop.set_task_factory(eager)
    stopping = False

    def closed() -> None:
        nonlocal stopping
        stopping = True
        loop.stop()

    d = Dispatcher(link, loop, config, on_closed=closed)
    sys.stdout = _LogStream(d, 2, sys.__stdout__)
    sys.stderr = _LogStream(d, 3, sys.__stderr__)
    # A hang is killed by the runtime; SIGUSR1 first dumps every thread's stack to the real stderr.
    faulthandler.register(signal.SIGUSR1, file=sys.__stderr__, all_threads=True)

    def on_loop_error(_loop: Any, context: dict[str, Any]) -> None:
        from .dispatch import current_ext

        e = context.get("exception")
        task = context.get("task") or context.get("future")
        name = task.get_name() if isinstance(task, asyncio.Task) else ""
        x = d.by_name.get(name.rsplit(":", 1)[0]) if name else current_ext.get()
        tb = "".join(traceback.format_exception(e)) if isinstance(e, BaseException) else ""
        d.out.push([P.P_ERROR, x.idx if x is not None else -1, "task", f"{context.get('message', '')}"
                    + (f": {type(e).__name__}: {e}" if e is not None else "") + (f" ({name})" if name else ""), tb])

    loop.set_exception_handler(on_loop_error)

    def on_thread_error(args: Any) -> None:
        tb = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        name = args.thread.name if args.thread is not None else "?"
        d.out.push([P.P_ERROR, -1, "thread", f"Uncaught exception in thread {name}: {args.exc_type.__name__}: {args.exc_value}", tb])

    threading.excepthook = on_thread_error

    def on_stall(ms: float, stack: str, where: str, ended: bool) -> None:
        x = None
        if where:
            for e in d.exts:
                if e.pkg_dir and where.startswith(e.pkg_dir):
                    x = e
                    break
        if ended:
            d.out.push([P.P_STALL, x.idx if x is not None else -1, ms, "", 1])
            return
        d.stalls += 1
        # Written now: the outbox flushes on the loop, which is the thing blocked.
        from .link import encode_records

        link.write_frame(P.CH_GROUP, encode_records([[P.P_STALL, x.idx if x is not None else -1, ms, stack, 0]],
                                                     lambda r, e: [0, 0]))

    dog = Watchdog(loop, on_stall, lambda: d.progress)

    def on_eof() -> None:
        # The group thread is gone: nothing can reach this process any more.
        os._exit(0)

    link.attach(loop, lambda ch, recs, bins: d.on_records(recs, bins), on_eof)
    d.out.flush_after_reads()
    loop.call_soon(d.create)
    dog.start()
    try:
        loop.run_forever()
    finally:
        dog.stop()
        d.out.flush()
        sys.__stdout__.flush()
        sys.__stderr__.flush()
    # Threads user code left running do not hold the process (they were reported at exit).
    os._exit(0)


if __name__ == "__main__":
    main()
