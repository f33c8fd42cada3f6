"""The studio runtime session of a test process (pytest): one node child for all its testers.

`ExtensionTester.run()` asks the child (`ten-studio _py-session`, on two pipes) to start the
tester graph on the studio's runtime; the child relays the graph's Python group to this process,
where a dispatch thread — an asyncio loop, TEN's extension thread — runs the extension under test
and the tester. A `set_test_mode_graph` graph may have several Python groups: each is hosted here
(a Dispatcher per group, on a link channel of its own), all on that one loop. The extension therefore runs in the pytest interpreter, with whatever the test
patched. `App.close()` (conftest teardown) or the end of the process ends the child.

Logs, errors and violations of the test graph are printed here (through `sys.stderr`, so pytest's
capture applies per test). An exception raised by the tester's callbacks or by the extension
under test fails the test: `run()` raises it once the graph has stopped (TEN ends the process).
"""

import asyncio
import atexit
import os
import shutil
import subprocess
import sys
import threading
import time
from typing import Any

from ten_runtime.error import TenError, TenErrorCode

from . import debug
from . import proto as P
from .dispatch import Dispatcher
from .link import Link, Outbox, encode_records

_LEVELS = {1: "D", 2: "I", 3: "W", 4: "E"}


def _studio_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _new_loop() -> asyncio.AbstractEventLoop:
    if os.environ.get("TEN_STUDIO_NO_UVLOOP") != "1":
        try:
            import uvloop  # type: ignore[import-not-found]

            return uvloop.new_event_loop()
        except ImportError:
            pass
    return asyncio.new_event_loop()


class _Run:
    """One `run()`: its outcome, and the first exception a callback raised."""

    def __init__(self, tester: Any) -> None:
        self.tester = tester
        self.done = threading.Event()
        self.result: TenError | None = None
        self.exception: BaseException | None = None
        self.stop_sent = False


class Session:
    def __init__(self) -> None:
        node = os.environ.get("TEN_STUDIO_NODE") or shutil.which("node") or "node"
        cli = os.environ.get("TEN_STUDIO_CLI") or os.path.join(_studio_root(), "bin", "ten-studio.mjs")
        to_node_r, to_node_w = os.pipe()
        from_node_r, from_node_w = os.pipe()
        env = dict(os.environ)
        env["TEN_STUDIO_LINK_FDS"] = f"{to_node_r},{from_node_w}"
        self.proc = subprocess.Popen([node, cli, "_py-session"], pass_fds=(to_node_r, from_node_w), env=env,
                                     stdin=subprocess.DEVNULL)
        os.close(to_node_r)
        os.close(from_node_w)
        os.set_inheritable(to_node_w, False)
        os.set_inheritable(from_node_r, False)
        self.link = Link(from_node_r, to_node_w)
        self.loop = _new_loop()
        self.ready = threading.Event()
        self.hello: dict[str, Any] | None = None
        # The test graph's Python groups hosted here, by the channel of their frames.
        self.dispatchers: dict[int, Dispatcher] = {}
        self.run: _Run | None = None
        self.closed = False
        self.thread = threading.Thread(target=self._thread, name="ten-studio-dispatch", daemon=True)
        self.thread._ten_studio_internal = True  # type: ignore[attr-defined]
        self.thread.start()
        if not self.ready.wait(120) or self.hello is None:
            self.close()
            raise RuntimeError(f"The studio runtime session ({node} {cli} _py-session) did not start.")

    # ---- the dispatch thread ---------------------------------------------------------------

    def _thread(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.session_out = Outbox(self.link, self.loop, P.CH_SESSION, lambda r, e: [0, 0])
        self.link.attach(self.loop, self._on_frame, self._on_eof)
        try:
            self.loop.run_forever()
        finally:
            self.link.detach()

    def _on_eof(self) -> None:
        self.closed = True
        self.ready.set()
        r = self.run
        if r is not None and not r.done.is_set():
            r.result = TenError.create(TenErrorCode.ErrorCodeGeneric, "The studio runtime session ended during the test.")
            r.done.set()
        self.loop.stop()

    def _on_frame(self, channel: int, records: list[Any], bins: memoryview) -> None:
        if channel == P.CH_SESSION:
            for r in records:
                self._on_session(r)
            return
        if records and records[0][0] == P.T_INIT:
            try:
                self._start_group(channel, records[0][1])
            except Exception as e:  # noqa: BLE001 - any failure to host the group ends the test
                # Nothing would ever answer the group's creation: the test ends with the error
                # (run() raises it) instead of waiting for a group that is not there.
                self._on_exception(e)
                return
            records = records[1:]
        d = self.dispatchers.get(channel)
        if d is not None:
            d.on_records(records, bins)

    def _on_session(self, r: list[Any]) -> None:
        op = r[0]
        if op == P.S_HELLO:
            self.hello = r[1]
            self.ready.set()
        elif op == P.S_DONE:
            run = self.run
            if run is not None:
                run.result = TenError.create(TenErrorCode(r[1]), r[2]) if r[1] else None
                run.done.set()
        elif op == P.S_LOG:
            self._print(r[1])

    def _start_group(self, channel: int, config: dict[str, Any]) -> None:
        from .tester import TesterExtension

        run = self.run
        config["_factories"] = {"ten:test_extension": lambda ctx: TesterExtension(run.tester if run else None, ctx, self)}
        config["_session"] = True

        def closed() -> None:
            if self.dispatchers.get(channel) is d:
                del self.dispatchers[channel]

        d = Dispatcher(self.link, self.loop, config, channel, on_closed=closed)
        d.on_exception = self._on_exception  # type: ignore[attr-defined]
        d.on_create_failed = self._on_create_failed
        d.shares_loop = lambda: len(self.dispatchers) > 1
        self.dispatchers[channel] = d
        d.create()

    def _on_create_failed(self, e: BaseException) -> None:
        # The start fails and the run ends as for any start failure; run() raises the exception.
        run = self.run
        if run is not None and run.exception is None:
            run.exception = e

    def _on_exception(self, e: BaseException) -> None:
        run = self.run
        if run is not None and run.exception is None:
            run.exception = e
            if not run.stop_sent:
                self.stop_test(TenError.create(TenErrorCode.ErrorCodeGeneric, f"{type(e).__name__}: {e}"))

    def _print(self, ev: dict[str, Any]) -> None:
        t = ev.get("type")
        ext = ev.get("extension") or "-"
        if t == "log":
            loc = ev.get("loc")
            where = f" ({os.path.basename(loc['file'])}:{loc['line']})" if loc else ""
            line = f"{_LEVELS.get(ev.get('level', 2), 'I')} [{ext}] {ev.get('message', '')}{where}"
        elif t == "error":
            line = f"E [{ext}] {ev.get('phase', '')}: {ev.get('stack') or ev.get('message', '')}"
        elif t == "violation":
            line = f"W violation: {ev.get('object')}: {ev.get('reason')}\n{ev.get('stack', '')}"
        else:
            line = f"I {t}: {ev.get('reason') or ev.get('detail') or ev.get('state') or ''}"
        try:
            sys.stderr.write(line.rstrip("\n") + "\n")
        except (ValueError, OSError):
            pass

    # ---- called from the test's thread or the tester's callbacks ----------------------------

    def _send(self, rec: list[Any]) -> None:
        self.link.write_frame(P.CH_SESSION, encode_records([rec], lambda r, e: [0, 0]))

    def stop_test(self, error: TenError | None) -> None:
        run = self.run
        if run is None or run.stop_sent:
            return
        run.stop_sent = True
        self._send([P.S_STOP_TEST, error.error_code() if error is not None else 0,
                    error.error_message() if error is not None else ""])

    def run_test(self, tester: Any, cfg: dict[str, Any]) -> TenError | None:
        if self.closed:
            return TenError.create(TenErrorCode.ErrorCodeGeneric, "The studio runtime session has ended.")
        if cfg.get("graph") is not None:
            req = _graph_request(cfg["graph"])
            if isinstance(req, TenError):
                return req
        else:
            addon = cfg.get("addon")
            if not addon:
                return TenError.create(TenErrorCode.ErrorCodeInvalidArgument,
                                       "Call set_test_mode_single(addon_name) or set_test_mode_graph(graph_json) before run().")
            where = _find_addon(addon)
            if isinstance(where, TenError):
                return where
            req = {"addon": addon, "property": cfg.get("property") or "{}", "dirs": [where]}
        req["timeoutUs"] = cfg.get("timeout_us", 0)
        run = self.run = _Run(tester)
        self._send([P.S_RUN, req])
        run.done.wait()
        self.run = None
        if run.exception is not None:
            raise run.exception
        return run.result

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self._send([P.S_CLOSE])
        except OSError:
            pass
        # End of input is the child's signal too, should the close record not reach it.
        with self.link._wlock:
            self.link.closed = True
            try:
                os.close(self.link.wfd)
            except OSError:
                pass
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        try:
            self.loop.call_soon_threadsafe(self.loop.stop)
        except RuntimeError:
            pass
        self.thread.join(5)
        try:
            os.close(self.link.rfd)
        except OSError:
            pass


def _find_addon(addon: str) -> str | TenError:
    """The package folder of an addon: the registered copy if this process has one (a test imported
    the package), else `ten_packages.extension.<addon>` imported now. A package that is not there
    is an error result; one that fails to import raises (the test fails with its traceback, as on
    TEN, where it ends the process)."""
    import importlib

    from ten_runtime.addon_manager import _AddonManager

    found = _AddonManager._find(addon)
    if found is None:
        module = f"ten_packages.extension.{addon}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name is None or not (module == e.name or module.startswith(e.name + ".")):
                raise
            return TenError.create(TenErrorCode.ErrorCodeGeneric,
                                   f"Addon '{addon}' is not registered and {module} cannot be imported: {e}")
        found = _AddonManager._find(addon)
    if found is None or not found[1]:
        return TenError.create(TenErrorCode.ErrorCodeGeneric, f"Addon '{addon}' was not registered (@register_addon_as_extension).")
    return os.path.realpath(found[1])


def _graph_request(graph_json: str) -> dict[str, Any] | TenError:
    """The run of a `set_test_mode_graph` graph: the graph as given, and the folders of its Python
    addons (registered in this process or imported now, as for single mode). An addon that is no
    Python package here is left to the runtime, which reports the node that uses it."""
    import json

    try:
        graph = json.loads(graph_json)
    except (TypeError, ValueError) as e:
        return TenError.create(TenErrorCode.ErrorCodeInvalidArgument, f"Invalid graph JSON: {e}")
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    if not isinstance(nodes, list):
        return TenError.create(TenErrorCode.ErrorCodeInvalidArgument, "Invalid graph JSON: the graph has no 'nodes' array.")
    addons = [n.get("addon") for n in nodes if isinstance(n, dict) and n.get("type", "extension") == "extension"]
    if TESTER_ADDON not in addons:
        return TenError.create(TenErrorCode.ErrorCodeInvalidArgument,
                               f"The test graph has no node of addon '{TESTER_ADDON}': the tester runs as that node.")
    dirs: list[str] = []
    for addon in addons:
        if not isinstance(addon, str) or addon == TESTER_ADDON:
            continue
        where = _find_addon(addon)
        if isinstance(where, str) and where not in dirs:
            dirs.append(where)
    return {"graph": graph, "dirs": dirs}


TESTER_ADDON = "ten:test_extension"

_session: Session | None = None
_lock = threading.Lock()
_debugging = False


def _start_debugging() -> None:
    """TEN_ENABLE_PYTHON_DEBUG=true in a test process: one the IDE launched under debugpy is debugged
    already (the dispatch thread is a `threading.Thread`, which debugpy follows); any other
    listens on TEN_PYTHON_DEBUG_HOST:TEN_PYTHON_DEBUG_PORT and waits for a client before the first
    test graph starts. What goes wrong fails the test with its text (the pip command for debugpy)."""
    global _debugging
    if _debugging or not debug.enabled() or debug.under_debugger():
        return
    _debugging = True
    try:
        host, port = debug.address_from_env()
    except ValueError as e:
        raise RuntimeError(str(e)) from None
    failed: list[str] = []

    def report(state: str, text: str) -> None:
        if state == "error":
            failed.append(text)
        sys.__stderr__.write(f"ten-studio: {text}.\n")
        sys.__stderr__.flush()

    if not debug.start(host, port, report):
        raise RuntimeError(failed[0] if failed else "The Python debugger could not start.")


def ensure_session() -> Session | TenError:
    """The process's runtime session, started now if it is not running."""
    global _session
    _start_debugging()
    with _lock:
        if _session is None or _session.closed:
            started = time.monotonic()
            try:
                _session = Session()
            except (OSError, RuntimeError) as e:
                return TenError.create(TenErrorCode.ErrorCodeGeneric, f"Could not start the studio runtime: {e}")
            if os.environ.get("TEN_STUDIO_VERBOSE") == "1":
                sys.stderr.write(f"ten-studio session started in {time.monotonic() - started:.2f} s\n")
        return _session


def run_test(tester: Any, cfg: dict[str, Any]) -> TenError | None:
    s = ensure_session()
    if isinstance(s, TenError):
        return s
    return s.run_test(tester, cfg)


def close_session() -> None:
    global _session
    with _lock:
        s = _session
        _session = None
    if s is not None:
        s.close()


atexit.register(close_session)
