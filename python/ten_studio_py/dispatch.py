"""The extensions of one group inside a Python process, and the `ten_env` behind each of them.

One dispatch thread runs an asyncio loop; it reads the link, calls sync `Extension` callbacks
directly (TEN's extension thread) and runs `AsyncExtension` handlers as tasks on the same loop.
The TypeScript runtime stays the only routing authority: every send goes to it as a record, and
every message, result and lifecycle step comes from it. Properties live here (TypeScript resolved
`${env:}` first), so no property call waits for anything.

`ten_env` is thread-safe as in TEN: any thread may call it; records go to the outbox (which wakes
the loop once per batch), and result and error handlers always run on the dispatch loop.
"""

import asyncio
import collections
import contextvars
import importlib
import json
import math
import os
import sys
import threading
import time
import traceback
import types
from typing import Any, Callable

from . import bufprops
from ten_runtime._props import _MISSING, deep_merge, get_prop, parse_path, set_prop, to_json
from ten_runtime.addon_manager import _AddonManager
from ten_runtime.async_extension import _DEFAULTS as _ASYNC_DEFAULTS, AsyncExtension
from ten_runtime.audio_frame import AudioFrame
from ten_runtime.cmd import Cmd
from ten_runtime.cmd_result import CmdResult
from ten_runtime.data import Data
from ten_runtime.error import TenError, TenErrorCode
from ten_runtime import msg as msg_module
from ten_runtime.msg import Msg
from ten_runtime.ten_env import TenEnv
from ten_runtime.video_frame import VideoFrame

from . import eager
from . import proto as P
from .link import Link, Outbox

# The extension whose callback or task is running (None: a thread the user started, or ours).
current_ext: contextvars.ContextVar["ExtCtx | None"] = contextvars.ContextVar("ten_extension", default=None)

# Handler durations: TypeScript's log-scale histogram (src/runtime/core/histogram.ts).
HIST_BUCKETS = 96
# One data/frame handler call in this many is timed (as TypeScript does).
TIMING_SAMPLE = 8

_PHASES = ("on_configure", "on_init", "on_start", "on_stop", "on_deinit")

# Local deliveries per turn of the dispatch loop at most (a cycle of extensions sending each other
# data must not keep the loop from reading the link).
LOCAL_BATCH = 8192

# Local path gate of a destination, as the engine's lifecycle gating: held until its
# on_init_done, open, closed from on_deinit (data for it dropped, as the engine drops it).
_HELD, _OPEN, _CLOSED = 0, 1, 2

_MSG_CLASS: dict[str, type[Msg]] = {"data": Data, "audio_frame": AudioFrame, "video_frame": VideoFrame}


def _report_invalid_use(m: Msg) -> None:
    """A call on a sent message: TEN raises ValueError; we also report who did it, with the stack."""
    x = m._owner
    if isinstance(x, ExtCtx) and not x.d.link.closed:
        x.d.violation(x, f"{m._type}({m._name})", "used after it was sent (Msg is invalidated.)", _where())


_log2 = math.log2


def hist_bucket(ms: float) -> int:
    us = ms * 1000
    if not us > 1:
        return 0
    i = 1 + int(4 * math.log2(us))
    return i if i < HIST_BUCKETS else HIST_BUCKETS - 1


def _is_cmd_type(t: str) -> bool:
    return t not in ("data", "audio_frame", "video_frame", "cmd_result")


def _frame_fields(m: Msg) -> Any:
    t = m._type
    if t == "audio_frame":
        return [m._sample_rate, m._bytes_per_sample, m._samples_per_channel, m._channels,  # type: ignore[attr-defined]
                m._channel_layout, m._data_fmt, m._line_size, bool(m._eof)]  # type: ignore[attr-defined]
    if t == "video_frame":
        return [m._width, m._height, m._pixel_fmt, bool(m._eof)]  # type: ignore[attr-defined]
    return 0


def _set_frame_fields(m: Msg, t: str, f: Any) -> None:
    if not f:
        return
    if t == "audio_frame":
        (m._sample_rate, m._bytes_per_sample, m._samples_per_channel, m._channels,  # type: ignore[attr-defined]
         m._channel_layout, m._data_fmt, m._line_size, m._eof) = f  # type: ignore[attr-defined]
    elif t == "video_frame":
        m._width, m._height, m._pixel_fmt, m._eof = f  # type: ignore[attr-defined]


def _buf_len(b: Any) -> int:
    return b.nbytes if isinstance(b, memoryview) else len(b)


_OURS = (
    os.path.dirname(os.path.abspath(__file__)) + os.sep,
    os.path.dirname(os.path.abspath(msg_module.__file__)) + os.sep,
    os.path.dirname(asyncio.__file__) + os.sep,
)


def _user_frames(frames: traceback.StackSummary) -> traceback.StackSummary:
    """Frames of user code: the runtime's own (ours, asyncio's) say nothing about the bug."""
    kept = [f for f in frames if not f.filename.startswith(_OURS) and not f.filename.startswith("<frozen")]
    return traceback.StackSummary.from_list(kept or list(frames))


def _where(tb_limit: int = 12) -> str:
    """The Python stack of the caller (built only when something is reported)."""
    frames = list(_user_frames(traceback.extract_stack(sys._getframe(2))))[-tb_limit:]
    return "".join(traceback.StackSummary.from_list(frames).format())


def format_exc(e: BaseException) -> str:
    """A traceback without the runtime's frames between the loop and the user's callback."""
    te = traceback.TracebackException.from_exception(e)
    te.stack = _user_frames(te.stack)
    return "".join(te.format())


def _task_name() -> str:
    try:
        t = eager._c_current_task()
    except RuntimeError:
        return ""
    # A handler in its first step has no Task yet (a log line does not make one).
    return t.get_name() if t is not None else eager.running_name()


class ExtCtx:
    """One extension of the group, as this process knows it."""

    def __init__(self, d: "Dispatcher", spec: dict[str, Any]) -> None:
        self.d = d
        self.idx: int = spec["idx"]
        self.name: str = spec["name"]
        self.addon: str = spec["addon"]
        self.module: str = spec.get("module") or ""
        self.pkg_dir: str = spec.get("dir") or ""
        self.props: dict[str, Any] = spec.get("property") or {}
        self.inst: Any = None
        self.internal = ExtEnv(self)
        self.env = TenEnv(self.internal)
        self.closed = False
        # Lifecycle phases called and not yet acknowledged (their *_done is expected).
        self.pending: set[str] = set()
        self.is_async = False
        # Counters (read by the stats push).
        self.msgs_in = 0
        self.msgs_out = 0
        self.handler_ms = 0.0
        self.hist = [0] * HIST_BUCKETS
        self.seq = 0
        self.tasks = 0
        self.errors = 0
        self.task_names: dict[str, str] = {}
        self.sites: dict[str, _Site] = {}
        # The engine-authorised local path (Dispatcher.routes): this extension's flows the process
        # delivers itself, by message type then name; destinations its explicit dests may reach.
        self.local: dict[str, dict[str, _LocalRoute]] | None = None
        self.local_pairs: set[str] = set()
        self.gate = _HELD
        # Local deliveries waiting for this extension's on_init_done.
        self.held: list[Msg] = []
        # Local deliveries to this extension by name, since the last P_LOCAL report: the current
        # run of one name, and the names before it.
        self.li_name: str | None = None
        self.li_n = 0
        self.local_in: dict[str, int] = {}
        # What delivering data or a frame to it calls, by type: (phase, callable); set when its
        # instance is made (Dispatcher._msg_handler).
        self.handlers: dict[str, tuple[str, Callable[[Any, Any], None]]] = {}

    def add_time(self, ms: float, weight: int) -> None:
        self.handler_ms += ms * weight
        self.hist[hist_bucket(ms)] += weight


def _closed_text(api: str, env: str = "ten_env") -> str:
    """TEN's text for a call on a closed env (it differs per call)."""
    if api in ("send_cmd", "send_data", "send_audio_frame", "send_video_frame", "return_result"):
        return f"{env}.{api}() failed because the TEN is closed."
    if api in ("get_property_to_json", "get_property_int", "is_property_exist", "log"):
        return f"{env}.{api}() failed because ten is closed."
    if api in ("init_property_from_json",):
        return "ten_env is closed."
    return f"{env}.{api}() failed because ten_env_proxy is invalid."


class _LocalRoute:
    """One flow the process delivers itself: its source, name and destinations, and the sends
    along it since the last P_LOCAL report."""

    __slots__ = ("src", "loc", "name", "dests", "idxs", "sent")

    def __init__(self, src: ExtCtx, name: str, dests: list[ExtCtx]) -> None:
        self.src = src
        # The source as messages carry it (app, graph, extension).
        self.loc = src.d._src(src.name)
        self.name = name
        self.dests = dests
        self.idxs = [d.idx for d in dests]
        self.sent = 0


class _Site:
    """Where an extension's handlers of one kind run (`eager.Site`)."""

    __slots__ = ("x", "phase", "name")

    def __init__(self, x: ExtCtx, phase: str) -> None:
        self.x = x
        self.phase = phase
        self.name = f"{x.name}:{phase}"

    def error(self, e: BaseException, msg: Any) -> None:
        self.x.d.handler_failed(self.x, self.phase, e, msg)

    def end(self) -> None:
        x = self.x
        x.tasks -= 1
        x.d.progress += 1


class ExtEnv:
    """What TEN's native `_TenEnv` is for one extension (the `_internal` of its TenEnv)."""

    # How TEN's texts name this env ("ten_env_tester" for the tester's).
    env_name = "ten_env"

    def __init__(self, ctx: ExtCtx) -> None:
        self.ctx = ctx

    @property
    def closed(self) -> bool:
        return self.ctx.closed

    # ---- checks --------------------------------------------------------------------------

    def _closed_err(self, api: str) -> TenError:
        """A call after on_deinit_done: TEN's TenIsClosed error, and a violation with the stack."""
        ctx = self.ctx
        ctx.d.violation(ctx, f"TenEnv({ctx.name})", f"{api} called after ten_env was closed (on_deinit_done)",
                        _where())
        return TenError.create(TenErrorCode.ErrorCodeTenIsClosed, _closed_text(api, self.env_name))

    def _foreign(self, api: str) -> TenError | None:
        """This env used while another extension's callback or task runs: its env leaked."""
        cur = current_ext.get()
        ctx = self.ctx
        if cur is None or cur is ctx:
            return None
        proceed = ctx.d.violation(ctx, f"TenEnv({ctx.name})", f"{api} called from a callback or task of another extension",
                                  _where(), f"extension {ctx.name}", f"extension {cur.name}")
        if proceed:
            return None
        return TenError.create(TenErrorCode.ErrorCodeGeneric,
                               f"The ten_env of extension '{ctx.name}' was used by extension '{cur.name}'.")

    def _take(self, m: Msg, api: str) -> TenError | None:
        """Checks that this extension may send `m` (it is still valid and not another extension's)."""
        if not m._valid:
            raise msg_module._invalidated(m)
        owner = m._owner
        ctx = self.ctx
        if owner is not None and owner is not ctx:
            proceed = ctx.d.violation(ctx, f"{m._type}({m._name})", f"{api} by an extension that does not own the message",
                                      _where(), f"extension {owner.name}", f"extension {ctx.name}")
            if not proceed:
                return TenError.create(TenErrorCode.ErrorCodeGeneric,
                                       f"The {m._type} '{m._name}' belongs to extension '{owner.name}'.")
        # A new message belongs to whoever sends it first.
        m._owner = ctx
        return None

    # ---- lifecycle -----------------------------------------------------------------------

    def _done(self, phase: str) -> None:
        ctx = self.ctx
        if ctx.closed:
            raise ValueError(f"{self.env_name}.{phase}_done() failed because {self.env_name}_proxy is invalid.")
        if phase not in ctx.pending:
            ctx.d.log(ctx, 3, f"{phase}_done() called while {phase} is not running; ignored.", _where())
            return
        ctx.pending.discard(phase)
        if phase == "on_init":
            # Local deliveries held for it go now (on the loop: nothing may overtake them).
            d = ctx.d
            if threading.get_ident() == d.loop_ident:
                d.open_gate(ctx)
            else:
                d.loop.call_soon_threadsafe(d.open_gate, ctx)
        props = ctx.props if phase == "on_configure" else None
        if phase == "on_deinit":
            # Closed at once, from whatever thread: later calls fail with TenIsClosed.
            ctx.closed = True
        ctx.d.out.push([P.P_DONE, ctx.idx, phase, props])
        if phase == "on_deinit":
            d = ctx.d
            if threading.get_ident() == d.loop_ident:
                d.ext_closed(ctx)
            else:
                d.loop.call_soon_threadsafe(d.ext_closed, ctx)

    def on_configure_done(self) -> None:
        self._done("on_configure")

    def on_init_done(self) -> None:
        self._done("on_init")

    def on_start_done(self) -> None:
        self._done("on_start")

    def on_stop_done(self) -> None:
        self._done("on_stop")

    def on_deinit_done(self) -> None:
        self._done("on_deinit")

    def on_create_instance_done(self, instance: Any, context: object) -> None:
        raise ValueError("on_create_instance_done() belongs to the ten_env given to Addon.on_create_instance().")

    # ---- properties (local) --------------------------------------------------------------

    def _prop(self, api: str, path: str | None) -> Any:
        if self.ctx.closed:
            return self._closed_err(api)
        err = self._foreign(api)
        if err is not None:
            return err
        return get_prop(self.ctx.props, path)

    def get_property_to_json(self, path: str | None = None) -> tuple[str, TenError | None]:
        v = self._prop("get_property_to_json", path)
        if isinstance(v, TenError):
            return "", v
        if v is _MISSING:
            return "", _missing(path)
        return to_json(v), None

    def is_property_exist(self, path: str) -> tuple[bool, TenError | None]:
        v = self._prop("is_property_exist", path)
        if isinstance(v, TenError):
            return False, v
        return v is not _MISSING, None

    def get_property_int(self, path: str) -> tuple[int, TenError | None]:
        v = self._prop("get_property_int", path)
        if isinstance(v, TenError):
            return 0, v
        if v is _MISSING:
            return 0, _missing(path)
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, float) and v.is_integer():
                return int(v), None
            return 0, _wrong(path, "int")
        return v, None

    def get_property_string(self, path: str) -> tuple[str, TenError | None]:
        v = self._prop("get_property_string", path)
        if isinstance(v, TenError):
            return "", v
        if v is _MISSING:
            return "", _missing(path)
        if not isinstance(v, str):
            return "", _wrong(path, "string")
        return v, None

    def get_property_bool(self, path: str) -> tuple[bool, TenError | None]:
        v = self._prop("get_property_bool", path)
        if isinstance(v, TenError):
            return False, v
        if v is _MISSING:
            return False, _missing(path)
        if not isinstance(v, bool):
            return False, _wrong(path, "bool")
        return v, None

    def get_property_float(self, path: str) -> tuple[float, TenError | None]:
        v = self._prop("get_property_float", path)
        if isinstance(v, TenError):
            return 0.0, v
        if v is _MISSING:
            return 0.0, _missing(path)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return 0.0, _wrong(path, "float")
        return float(v), None

    def _set(self, api: str, path: str, value: Any) -> TenError | None:
        if self.ctx.closed:
            return self._closed_err(api)
        err = self._foreign(api)
        if err is not None:
            return err
        if not path or not set_prop(self.ctx.props, path, value):
            return TenError.create(TenErrorCode.ErrorCodeInvalidArgument, f"Invalid property path '{path or ''}'.")
        return None

    def set_property_from_json(self, path: str, json_str: str) -> TenError | None:
        try:
            v = json.loads(json_str)
        except (ValueError, TypeError) as e:
            return TenError.create(TenErrorCode.ErrorCodeInvalidJSON, f"Invalid JSON: {e}")
        return self._set("set_property_from_json", path, v)

    def set_property_int(self, path: str, value: int) -> TenError | None:
        return self._set("set_property_int", path, int(value))

    def set_property_string(self, path: str, value: str) -> TenError | None:
        return self._set("set_property_string", path, str(value))

    def set_property_bool(self, path: str, value: bool) -> TenError | None:
        return self._set("set_property_bool", path, bool(value))

    def set_property_float(self, path: str, value: float) -> TenError | None:
        return self._set("set_property_float", path, float(value))

    def init_property_from_json(self, json_str: str) -> TenError | None:
        ctx = self.ctx
        if ctx.closed:
            return self._closed_err("init_property_from_json")
        err = self._foreign("init_property_from_json")
        if err is not None:
            return err
        try:
            v = json.loads(json_str)
        except (ValueError, TypeError) as e:
            return TenError.create(TenErrorCode.ErrorCodeInvalidJSON, f"Invalid JSON: {e}")
        if not isinstance(v, dict):
            return TenError.create(TenErrorCode.ErrorCodeInvalidJSON, "The JSON must be an object.")
        ctx.props = deep_merge(ctx.props, v)
        return None

    # ---- messages ------------------------------------------------------------------------

    def send_cmd(self, cmd: Cmd, handler: Callable[..., None] | None, is_ex: bool) -> TenError | None:
        ctx = self.ctx
        if ctx.closed:
            return self._closed_err("send_cmd")
        err = self._foreign("send_cmd") or self._take(cmd, "send_cmd")
        if err is not None:
            return err
        return ctx.d.send(ctx, cmd, handler, "cmd_ex" if is_ex else "cmd")

    def _send_other(self, api: str, m: Msg, handler: Callable[..., None] | None) -> TenError | None:
        ctx = self.ctx
        if ctx.closed:
            return self._closed_err(api)
        # `_foreign` and `_take` where they have something to say; the usual case (this
        # extension's own callback, its own valid message) without their two calls.
        cur = current_ext.get()
        if cur is not None and cur is not ctx:
            err = self._foreign(api)
            if err is not None:
                return err
        if not m._valid or (m._owner is not None and m._owner is not ctx):
            err = self._take(m, api)
            if err is not None:
                return err
        else:
            m._owner = ctx
        return ctx.d.send(ctx, m, handler, "msg")

    def send_data(self, data: Data, error_handler: Callable[..., None] | None) -> TenError | None:
        if not isinstance(data, Data):
            raise TypeError("Invalid argument type when send data.")
        return self._send_other("send_data", data, error_handler)

    def send_audio_frame(self, frame: AudioFrame, error_handler: Callable[..., None] | None) -> TenError | None:
        if not isinstance(frame, AudioFrame):
            raise TypeError("Invalid argument type when send audio_frame.")
        return self._send_other("send_audio_frame", frame, error_handler)

    def send_video_frame(self, frame: VideoFrame, error_handler: Callable[..., None] | None) -> TenError | None:
        if not isinstance(frame, VideoFrame):
            raise TypeError("Invalid argument type when send video_frame.")
        return self._send_other("send_video_frame", frame, error_handler)

    def return_result(self, result: CmdResult, error_handler: Callable[..., None] | None) -> TenError | None:
        if not isinstance(result, CmdResult):
            raise TypeError("Invalid argument type when return result.")
        ctx = self.ctx
        if ctx.closed:
            return self._closed_err("return_result")
        # `_foreign` and `_take` where they have something to say (as `_send_other`).
        cur = current_ext.get()
        if cur is not None and cur is not ctx:
            err = self._foreign("return_result")
            if err is not None:
                return err
        if not result._valid or (result._owner is not None and result._owner is not ctx):
            err = self._take(result, "return_result")
            if err is not None:
                return err
        else:
            result._owner = ctx
        return ctx.d.ret(ctx, result, error_handler)

    def log(self, level: int, func: str | None, file: str | None, line: int, category: str | None,
            msg: str, sync: bool, fields: Any = None) -> TenError | None:
        ctx = self.ctx
        if ctx.closed:
            return self._closed_err("log")
        err = self._foreign("log")
        if err is not None:
            return err
        ctx.d.push_log(ctx, level, msg, category, fields, file, line, func)
        if sync:
            ctx.d.flush_sync()
        return None

    # ---- for AsyncExtension --------------------------------------------------------------

    def spawn(self, coro: Any, phase: str) -> None:
        self.ctx.d.spawn(self.ctx, coro, phase)

    def run_handler(self, phase: str, fn: Callable[[Any, Any], Any], env: Any, msg: Any) -> None:
        """A message handler: its first step now, a task only if it suspends (`eager`)."""
        ctx = self.ctx
        site = ctx.sites.get(phase)
        if site is None:
            site = ctx.sites[phase] = _Site(ctx, phase)
        ctx.tasks += 1
        eager.run(ctx.d.loop, fn(env, msg), site, msg)

    def handler_failed(self, phase: str, e: BaseException, msg: Any) -> None:
        self.ctx.d.handler_failed(self.ctx, phase, e, msg)

    def task_finished(self) -> None:
        ctx = self.ctx
        ctx.tasks -= 1
        ctx.d.progress += 1


class AddonEnv:
    """The `_internal` of the env given to `Addon.on_create_instance`."""

    def __init__(self, d: "Dispatcher", ctx: ExtCtx) -> None:
        self.d = d
        self.ctx = ctx
        self.closed = False

    def on_create_instance_done(self, instance: Any, context: object) -> None:
        self.d.instance_created(context if isinstance(context, ExtCtx) else self.ctx, instance)

    def log(self, level: int, func: str | None, file: str | None, line: int, category: str | None,
            msg: str, sync: bool, fields: Any = None) -> TenError | None:
        self.d.push_log(self.ctx, level, msg, category, fields, file, line, func)
        return None

    def __getattr__(self, name: str) -> Any:
        def unsupported(*_a: Any, **_k: Any) -> TenError:
            return TenError.create(TenErrorCode.ErrorCodeGeneric, f"ten_env.{name}() is not available to an addon.")
        return unsupported


def _missing(path: str | None) -> TenError:
    return TenError.create(TenErrorCode.ErrorCodeGeneric, f"The property '{path or ''}' does not exist.")


def _wrong(path: str, want: str) -> TenError:
    return TenError.create(TenErrorCode.ErrorCodeInvalidType, f"The property '{path}' is not of type {want}.")


def ensure_ten_packages(dirs: list[str]) -> None:
    """Makes `ten_packages.extension.<dir>` importable for packages in any of `dirs` (folders
    holding package folders), whether or not they sit in an app's `ten_packages/extension`."""
    importlib.invalidate_caches()
    top = sys.modules.get("ten_packages")
    if top is None:
        try:
            top = importlib.import_module("ten_packages")
        except ImportError:
            top = types.ModuleType("ten_packages")
            top.__path__ = []  # type: ignore[attr-defined]
            sys.modules["ten_packages"] = top
    ext = sys.modules.get("ten_packages.extension")
    if ext is None:
        try:
            ext = importlib.import_module("ten_packages.extension")
        except ImportError:
            ext = types.ModuleType("ten_packages.extension")
            ext.__path__ = []  # type: ignore[attr-defined]
            sys.modules["ten_packages.extension"] = ext
            top.extension = ext  # type: ignore[attr-defined]
    path = ext.__path__  # type: ignore[attr-defined]
    for d in dirs:
        if d not in list(path):
            path.append(d)


msg_module._on_invalid = _report_invalid_use
eager.install()


class Dispatcher:
    """The group's extensions in this process and the records to and from the TypeScript side."""

    def __init__(self, link: Link, loop: asyncio.AbstractEventLoop, config: dict[str, Any],
                 channel: int = P.CH_GROUP, on_closed: Callable[[], None] | None = None) -> None:
        self.link = link
        self.loop = loop
        self.loop_ident = threading.get_ident()
        self.out = Outbox(link, loop, channel, self._on_bad_record)
        self.policy: str = config.get("policy", "fail")
        self.app: str = config.get("appUri", "")
        self.graph: str = config.get("graphId", "")
        self.group: str = config.get("group", "")
        self.exts = [ExtCtx(self, s) for s in config["exts"]]
        self.by_name = {x.name: x for x in self.exts}
        self.cbs: dict[int, tuple[ExtCtx, str, Callable[..., None] | None]] = {}
        self.next_cb = 1
        self.srcs: dict[str, tuple[str, str, str]] = {}
        self.on_closed = on_closed
        self.created = 0
        self.create_failed = False
        self.stats_dirty = False
        self.stats_armed = False
        self.stalls = 0
        # Ours: counts handler calls and finished tasks (the watchdog tells busy from blocked).
        self.progress = 0
        # Ours: extension factories registered by the test session (the tester node).
        self.factories: dict[str, Callable[[ExtCtx], Any]] = config.get("_factories", {})
        # Ours, for test sessions: told of every exception a callback raised (fails the test).
        self.on_exception: Callable[[BaseException], None] | None = None
        # Ours: the exception that failed the creation, for a test process to raise from run().
        self.on_create_failed: Callable[[BaseException], None] | None = None
        # Ours: hosted by a test process (pytest), not a process of its own.
        self.in_session: bool = bool(config.get("_session"))
        # Set by a test session hosting several groups on one loop: whether others still run.
        self.shares_loop: Callable[[], bool] | None = None
        # The local path: messages sent along it and not delivered yet, as (dest, msg, route |
        # None) or (None, sender, error handler), appended from any thread, delivered on the loop.
        self.lq: collections.deque[Any] = collections.deque()
        self.lq_armed = False
        self.local_table = False
        self.local_routes = 0
        # Routes and destinations with counts not reported yet (P_LOCAL).
        self.local_out_dirty: list[_LocalRoute] = []
        self.local_in_dirty: list[ExtCtx] = []
        if "routes" in config:
            self.routes(*config["routes"])

    # ---- creation ------------------------------------------------------------------------

    def create(self) -> None:
        """Imports each addon (unless this process has it registered already) and creates the
        instances; READY goes out when every `on_create_instance_done` has been called."""
        dirs = sorted({os.path.dirname(x.pkg_dir) for x in self.exts if x.pkg_dir})
        if dirs:
            ensure_ten_packages(dirs)
        for x in self.exts:
            token = current_ext.set(x)
            try:
                factory = self.factories.get(x.addon)
                if factory is not None:
                    self.instance_created(x, factory(x))
                    continue
                found = _AddonManager._find(x.addon)
                if found is None and x.module:
                    try:
                        importlib.import_module(x.module)
                    except Exception as e:  # noqa: BLE001 - reported as the start failure
                        self.fail_create(x, f"Could not import {x.module} (package {x.pkg_dir}): "
                                            f"{type(e).__name__}: {e}", e)
                        return
                    found = _AddonManager._find(x.addon)
                if found is None:
                    self.fail_create(x, f"The Python package {x.module or x.pkg_dir} did not register addon "
                                        f"'{x.addon}' (missing @register_addon_as_extension(\"{x.addon}\")?).", None)
                    return
                addon_cls, _base = found
                addon_env = TenEnv(AddonEnv(self, x))
                addon = addon_cls()
                addon.on_create_instance(addon_env, x.name, x)
            except Exception as e:  # noqa: BLE001
                self.fail_create(x, f"Addon '{x.addon}' failed in on_create_instance: {type(e).__name__}: {e}", e)
                return
            finally:
                current_ext.reset(token)

    def fail_create(self, x: ExtCtx, message: str, e: BaseException | None) -> None:
        if self.create_failed:
            return
        self.create_failed = True
        if e is not None and self.on_create_failed is not None:
            self.on_create_failed(e)
        tb = "".join(traceback.format_exception(e)) if e is not None else ""
        self.out.push([P.P_CREATE_FAILED, f"Extension '{x.name}': {message}" + (f"\n{tb}" if tb else "")])
        self.out.flush()

    def _msg_handler(self, x: ExtCtx, phase: str) -> Callable[[Any, Any], None]:
        """What delivering a message (a cmd, data or a frame) to `x` calls: its `_proxy_on_*`; for
        an AsyncExtension, what that proxy does (AsyncExtension._ten_handle and
        ExtEnv.run_handler), in one call instead of three: a pass-through stage and a cmd's round
        trip pay these per message."""
        inst = x.inst
        proxy = getattr(inst, f"_proxy_{phase}")
        cls = type(inst)
        if not isinstance(inst, AsyncExtension) or getattr(cls, f"_proxy_{phase}") is not getattr(AsyncExtension, f"_proxy_{phase}"):
            return proxy
        default = _ASYNC_DEFAULTS[phase]
        loop = self.loop
        site = x.sites.get(phase)
        if site is None:
            site = x.sites[phase] = _Site(x, phase)
        run = eager.run

        def handle(ten_env: Any, m: Any) -> None:
            if getattr(cls, phase) is default:
                # Not overridden: TEN's default does nothing, so no task either.
                return
            env = inst.__dict__.get("_async_ten_env") or inst._ten_env_async(ten_env)
            x.tasks += 1
            run(loop, getattr(inst, phase)(env, m), site, m)

        return handle

    def instance_created(self, x: ExtCtx, instance: Any) -> None:
        if x.inst is not None or self.create_failed:
            return
        if instance is None or not hasattr(instance, "_proxy_on_configure"):
            self.fail_create(x, f"on_create_instance_done() got {type(instance).__name__}, not an Extension.", None)
            return
        x.inst = instance
        x.is_async = isinstance(instance, AsyncExtension)
        x.handlers = {"cmd": ("on_cmd", self._msg_handler(x, "on_cmd")),
                      "data": ("on_data", self._msg_handler(x, "on_data")),
                      "audio_frame": ("on_audio_frame", self._msg_handler(x, "on_audio_frame")),
                      "video_frame": ("on_video_frame", self._msg_handler(x, "on_video_frame"))}
        self.created += 1
        if self.created == len(self.exts):
            self.out.push([P.P_READY, {
                "pid": os.getpid(),
                "python": sys.version.split()[0],
                "exts": [{"idx": e.idx, "kind": "async" if e.is_async else "sync",
                          "class": f"{type(e.inst).__module__}.{type(e.inst).__qualname__}"} for e in self.exts],
            }])
            self.arm_stats()

    # ---- inbound -------------------------------------------------------------------------

    def on_records(self, records: list[Any], bins: memoryview) -> None:
        if self.lq:
            # Local deliveries sent before this frame was read go first (a pair whose messages
            # switched to the engine's path keeps its order).
            self.drain_local(len(self.lq))
        off = 0
        exts = self.exts
        for r in records:
            op = r[0]
            if op == P.T_DATA:
                x = exts[r[1]]
                m = object.__new__(Data)
                m._name = r[2]
                m._props = r[3]
                blen = r[4]
                if blen:
                    m._buf = bins[off:off + blen]
                    off += blen
                if len(r) > 6 and r[6]:
                    off = bufprops.put(m._props, r[6], bins, off)
                    m._has_bytes = True
                m._src = self._src(r[5])
                m._owner = x
                self._deliver(x, "on_data", x.handlers["data"][1], m)
            elif op == P.T_CMD:
                x = exts[r[1]]
                m = object.__new__(Cmd)
                m._name = r[2]
                m._props = r[3]
                blen = r[4]
                if blen:
                    m._buf = bins[off:off + blen]
                    off += blen
                if len(r) > 9 and r[9]:
                    off = bufprops.put(m._props, r[9], bins, off)
                    m._has_bytes = True
                src = self.srcs.get(r[5])
                m._src = src if src is not None else self._src(r[5])
                m._cmd_id = r[6]
                if r[7]:
                    m._seq_id = r[7]
                m._ts = r[8]
                m._owner = x
                self._deliver(x, "on_cmd", x.handlers["cmd"][1], m)
            elif op == P.T_MSG:
                x = exts[r[1]]
                t = r[2]
                cls = _MSG_CLASS.get(t, Cmd)
                m = object.__new__(cls)
                if cls is Cmd and t != "cmd":
                    m._type = t
                m._name = r[3]
                m._props = r[4]
                blen = r[5]
                if blen:
                    m._buf = bins[off:off + blen]
                    off += blen
                if len(r) > 13 and r[13]:
                    off = bufprops.put(m._props, r[13], bins, off)
                    m._has_bytes = True
                m._src = (r[6], r[7], r[8])
                if r[9]:
                    m._cmd_id = r[9]
                if r[10]:
                    m._seq_id = r[10]
                if r[11]:
                    _set_frame_fields(m, t, r[11])
                m._ts = r[12]
                m._owner = x
                if cls is Cmd:
                    self._deliver(x, "on_cmd", x.handlers["cmd"][1], m)
                elif cls is AudioFrame:
                    self._deliver(x, "on_audio_frame", x.inst._proxy_on_audio_frame, m)
                elif cls is VideoFrame:
                    self._deliver(x, "on_video_frame", x.inst._proxy_on_video_frame, m)
                else:
                    self._deliver(x, "on_data", x.inst._proxy_on_data, m)
            elif op == P.T_RESULT:
                blen = r[4]
                buf = bins[off:off + blen] if blen else None
                off += blen
                if len(r) > 10 and r[10]:
                    off = bufprops.put(r[3], r[10], bins, off)
                self._result(r, buf)
            elif op == P.T_SENT:
                self._sent(r[1], r[2], r[3])
            elif op == P.T_PHASE:
                self._phase(exts[r[1]], r[2])
            elif op == P.T_ROUTES:
                self.routes(r[1], r[2])
            elif op == P.T_EXIT:
                # A turn later: what the results read before it woke (a coroutine that awaited a
                # cmd of an extension now closed) runs its step first, as in TEN.
                self.loop.call_soon(self.exit)
            # Unknown codes are skipped: a newer TypeScript side may add records.
        if self.lq:
            # What the handlers of this frame sent locally: delivered now, so that what they send
            # on to the engine leaves with this read's frame.
            self.drain_local(LOCAL_BATCH)

    def _src(self, ext: str) -> tuple[str, str, str]:
        s = self.srcs.get(ext)
        if s is None:
            s = self.srcs[ext] = (self.app, self.graph, ext)
        return s

    def _deliver(self, x: ExtCtx, phase: str, fn: Callable[[Any, Any], None], m: Msg) -> None:
        x.msgs_in += 1
        self.stats_dirty = True
        token = current_ext.set(x)
        x.seq += 1
        timed = phase == "on_cmd" or (x.seq & (TIMING_SAMPLE - 1)) == 0
        t0 = time.perf_counter() if timed else 0.0
        try:
            fn(x.env, m)
        except Exception as e:  # noqa: BLE001 - reported; a cmd gets an error result
            self.handler_failed(x, phase, e, m)
        finally:
            current_ext.reset(token)
            self.progress += 1
            if timed:
                # ExtCtx.add_time and hist_bucket, inline (a cmd pays them every time).
                ms = (time.perf_counter() - t0) * 1000
                w = 1 if phase == "on_cmd" else TIMING_SAMPLE
                x.handler_ms += ms * w
                us = ms * 1000
                x.hist[0 if not us > 1 else min(1 + int(4 * _log2(us)), HIST_BUCKETS - 1)] += w

    def _phase(self, x: ExtCtx, phase: str) -> None:
        if x.closed:
            return
        if phase == "on_deinit":
            x.gate = _CLOSED
            x.held = []
        x.pending.add(phase)
        token = current_ext.set(x)
        try:
            getattr(x.inst, f"_proxy_{phase}")(x.env)
        except Exception as e:  # noqa: BLE001 - reported, and the phase goes on
            self.handler_failed(x, phase, e, None)
            if phase in x.pending:
                x.internal._done(phase)
        finally:
            current_ext.reset(token)

    def _result(self, r: list[Any], buf: Any) -> None:
        cb_id = r[1]
        entry = self.cbs.get(cb_id)
        if entry is None:
            return
        x, kind, handler = entry
        completed = bool(r[7])
        if kind == "cmd" and not completed:
            # send_cmd (not _ex) hands its handler the completing result only.
            return
        if completed:
            del self.cbs[cb_id]
        if handler is None:
            return
        res = object.__new__(CmdResult)
        res._name = r[2]
        res._props = r[3]
        if buf is not None:
            res._buf = buf
        if len(r) > 10 and r[10]:
            res._has_bytes = True
        res._status = r[5]
        res._final = bool(r[6])
        res._completed = completed
        res._src = self._src(r[8])
        res._cmd_id = r[9]
        res._owner = x
        self._call_handler(x, "result_handler", handler, res, None)

    def _sent(self, cb_id: int, code: int, message: str) -> None:
        entry = self.cbs.pop(cb_id, None)
        if entry is None:
            return
        x, kind, handler = entry
        err = TenError.create(TenErrorCode(code), message) if code else None
        if handler is None:
            return
        if kind in ("cmd", "cmd_ex"):
            self._call_handler(x, "result_handler", handler, None, err)
        else:
            self._call_handler(x, "error_handler", handler, err)

    def _call_handler(self, x: ExtCtx, phase: str, handler: Callable[..., None], *args: Any) -> None:
        token = current_ext.set(x)
        try:
            handler(x.env, *args)
        except Exception as e:  # noqa: BLE001
            self.handler_failed(x, phase, e, None)
        finally:
            current_ext.reset(token)
            self.progress += 1

    # ---- outbound ------------------------------------------------------------------------

    def _cb(self, x: ExtCtx, kind: str, handler: Callable[..., None] | None) -> int:
        cb = self.next_cb
        self.next_cb = cb + 1
        self.cbs[cb] = (x, kind, handler)
        return cb

    def send(self, x: ExtCtx, m: Msg, handler: Callable[..., None] | None, kind: str) -> None:
        """Hands a message to the runtime; routing errors come back to the handler later."""
        m._valid = False
        x.msgs_out += 1
        t = m._type
        dests = m._dests
        if dests is None:
            local = x.local
            if local is not None:
                by = local.get(t)
                if by is not None:
                    route = by.get(m._name)
                    if route is not None:
                        self._send_local(x, m, route, handler)
                        return None
        elif self.local_table:
            route = self._explicit_local(x, m, t, dests)
            if route is not None:
                self._send_local(x, m, route, handler)
                return None
        buf = m._buf
        blen = _buf_len(buf) if buf is not None else 0
        props = m._props
        if m._has_bytes:
            props, paths, more = bufprops.split(props)
        if t == "data" and handler is None and m._dests is None:
            rec = [P.P_DATA, x.idx, m._name, props, blen]
        else:
            # No handler, no callback id: the runtime then drops the results, or, for a received cmd
            # sent on, returns them upstream by itself (TEN's automatic forwarding).
            cb = self._cb(x, kind, handler) if handler is not None else 0
            rec = [P.P_SEND, x.idx, cb, t, m._name, props, blen, m._dests or 0, m._cmd_id, m._seq_id,
                   _frame_fields(m), m._ts, 1 if kind == "cmd_ex" else 0, 1 if handler is None else 0]
        if m._has_bytes and paths:
            rec.append(paths)
            self.out.push(rec, buf if blen else None, more)
        else:
            self.out.push(rec, buf if blen else None)
        return None

    # ---- the local path -------------------------------------------------------------------

    def routes(self, lists: list[Any] | None, pairs: list[Any]) -> None:
        """The engine's table (T_ROUTES, src/runtime/worker/py_host.ts routesRecord): the flows
        and explicit-dest pairs this process may deliver itself; None: none (tracing or the text
        tap is on). Replaces the previous table; what was sent before still arrives first."""
        exts = self.exts
        for x in exts:
            x.local = None
            x.local_pairs = set()
        self.local_routes = 0
        self.local_table = lists is not None
        if lists is None:
            return
        for s, kind, name, dsts in lists:
            x = exts[s]
            if x.local is None:
                x.local = {}
            x.local.setdefault(kind, {})[name] = _LocalRoute(x, name, [exts[d] for d in dsts])
            self.local_routes += 1
        for s, d in pairs:
            exts[s].local_pairs.add(exts[d].name)

    def _explicit_local(self, x: ExtCtx, m: Msg, t: str, dests: list[Any]) -> _LocalRoute | None:
        """Explicit dests: local when it is data or a frame and every dest is a pair the engine
        allows; otherwise it goes through the engine, and so from then on does everything else
        between those pairs (and, for a cmd, its results' way back), to keep FIFO per path."""
        targets: list[ExtCtx] = []
        ok = t in ("data", "audio_frame", "video_frame")
        for app, graph, ext in dests:
            d = self.by_name.get(ext) if (not app or app == self.app) and (not graph or graph == self.graph) else None
            if d is None:
                ok = False
                continue
            targets.append(d)
            if ext not in x.local_pairs:
                ok = False
        if ok and targets:
            return _LocalRoute(x, m._name, targets)
        for d in targets:
            self._demote(x, d)
            if _is_cmd_type(t):
                self._demote(d, x)
        return None

    def _demote(self, s: ExtCtx, d: ExtCtx) -> None:
        """From now on nothing from `s` to `d` takes the local path (nor the flows sharing a send with it)."""
        s.local_pairs.discard(d.name)
        if s.local is None:
            return
        for by in s.local.values():
            for name, r in list(by.items()):
                if d in r.dests:
                    del by[name]
                    self.local_routes -= 1
                    for other in r.dests:
                        if other is not d:
                            self._demote(s, other)

    def _send_local(self, x: ExtCtx, m: Msg, route: _LocalRoute, handler: Callable[..., None] | None) -> None:
        """Queues the message for its destinations in this process; delivered on a later step of
        the loop (never inside the send), counted there."""
        lq = self.lq
        cls = type(m)
        t = m._type
        first: _LocalRoute | None = route
        for d in route.dests:
            m2 = object.__new__(cls)
            if first is not None:
                # The first destination takes the message's contents as they are (the sender's
                # message is invalidated: nobody else can reach them). Attribute by attribute:
                # reading `__dict__` would build a dict per message.
                m2._name = m._name
                m2._props = m._props
                buf = m._buf
                if buf is not None:
                    m2._buf = buf
                if m._has_bytes:
                    m2._has_bytes = True
                if t != "data":
                    _set_frame_fields(m2, t, _frame_fields(m))
                    m2._ts = m._ts
            else:
                m._copy_into(m2)
                m2._dests = None
            m2._src = route.loc
            m2._owner = d
            lq.append((d, m2, first))
            first = None
        if handler is not None:
            lq.append((None, x, handler))
        if not self.lq_armed:
            self.lq_armed = True
            try:
                if threading.get_ident() == self.loop_ident:
                    self.loop.call_soon(self._drain_soon)
                else:
                    self.loop.call_soon_threadsafe(self._drain_soon)
            except RuntimeError:
                pass  # the loop has closed: the process is ending

    def _drain_soon(self) -> None:
        self.lq_armed = False
        self.drain_local(LOCAL_BATCH)

    def drain_local(self, limit: int) -> None:
        """Delivers up to `limit` local messages in send order; reports the counts (P_LOCAL)."""
        lq = self.lq
        popleft = lq.popleft
        set_ext = current_ext.set
        reset_ext = current_ext.reset
        perf_counter = time.perf_counter
        n = 0
        while lq and n < limit:
            d, m, route = popleft()
            n += 1
            if d is None:
                # A send's error handler: the message went out (a local send cannot fail).
                self._call_handler(m, "error_handler", route, None)
                continue
            if route is not None:
                if route.sent == 0:
                    self.local_out_dirty.append(route)
                route.sent += 1
            if d.gate != _OPEN:
                if d.gate == _HELD:
                    d.held.append(m)
                continue
            # Counted per name; a run of one name costs a compare and an increment.
            name = m._name
            if name == d.li_name:
                d.li_n += 1
            else:
                self._count_in(d, name)
            # What `_deliver` does, inline (one call less per hop).
            phase, fn = d.handlers[m._type]
            d.msgs_in += 1
            token = set_ext(d)
            d.seq += 1
            timed = (d.seq & (TIMING_SAMPLE - 1)) == 0
            t0 = perf_counter() if timed else 0.0
            try:
                fn(d.env, m)
            except Exception as e:  # noqa: BLE001 - reported
                self.handler_failed(d, phase, e, m)
            finally:
                reset_ext(token)
                self.progress += 1
                if timed:
                    d.add_time((perf_counter() - t0) * 1000, TIMING_SAMPLE)
        if lq and not self.lq_armed:
            self.lq_armed = True
            self.loop.call_soon(self._drain_soon)
        self.stats_dirty = True
        if self.local_out_dirty or self.local_in_dirty:
            self.report_local()

    def _count_in(self, d: ExtCtx, name: str) -> None:
        if d.li_n:
            d.local_in[d.li_name] = d.local_in.get(d.li_name, 0) + d.li_n  # type: ignore[index]
        elif not d.local_in:
            self.local_in_dirty.append(d)
        d.li_name = name
        d.li_n = 1

    def open_gate(self, x: ExtCtx) -> None:
        """`x` called on_init_done: what the local path held for it goes first, then the rest."""
        if x.gate != _HELD:
            return
        x.gate = _OPEN
        held = x.held
        x.held = []
        if held:
            # Counted as sent already: no route with them.
            self.lq.extendleft([(x, m, None) for m in reversed(held)])
            if not self.lq_armed:
                self.lq_armed = True
                self.loop.call_soon(self._drain_soon)

    def report_local(self) -> None:
        """The local path's sends and deliveries since the last report, for the engine's counters."""
        outs = []
        for r in self.local_out_dirty:
            outs.append([r.src.idx, r.name, r.sent, r.idxs])
            r.sent = 0
        ins = []
        for d in self.local_in_dirty:
            if d.li_n:
                d.local_in[d.li_name] = d.local_in.get(d.li_name, 0) + d.li_n  # type: ignore[index]
            for name, n in d.local_in.items():
                ins.append([d.idx, name, n])
            d.local_in = {}
            d.li_name = None
            d.li_n = 0
        self.local_out_dirty = []
        self.local_in_dirty = []
        self.out.push([P.P_LOCAL, outs, ins])

    def ret(self, x: ExtCtx, r: CmdResult, handler: Callable[..., None] | None) -> None:
        r._valid = False
        x.msgs_out += 1
        buf = r._buf
        blen = _buf_len(buf) if buf is not None else 0
        cb = self._cb(x, "msg", handler) if handler is not None else 0
        if r._has_bytes:
            props, paths, more = bufprops.split(r._props)
            if paths:
                self.out.push([P.P_RETURN, x.idx, cb, r._cmd_id, r._status, r._final, props, blen, r._name, paths],
                              buf if blen else None, more)
                return None
        self.out.push([P.P_RETURN, x.idx, cb, r._cmd_id, r._status, r._final, r._props, blen, r._name],
                      buf if blen else None)
        return None

    def push_log(self, x: ExtCtx | None, level: int, msg: str, category: str | None, fields: Any,
                 file: str | None, line: int, func: str | None) -> None:
        self.out.push([P.P_LOG, x.idx if x is not None else -1, level, msg, category, fields, file or "", line or 0,
                       func or "", threading.current_thread().name,
                       _task_name() if threading.get_ident() == self.loop_ident else ""])

    def log(self, x: ExtCtx | None, level: int, msg: str, stack: str = "") -> None:
        frame = sys._getframe(1)
        self.push_log(x, level, msg + (f"\n{stack}" if stack else ""), None, None, frame.f_code.co_filename,
                      frame.f_lineno, frame.f_code.co_name)

    def flush_sync(self) -> None:
        """`LogOption(sync=True)`: the record leaves before the call returns."""
        if threading.get_ident() == self.loop_ident:
            self.out.flush()
        else:
            done = threading.Event()

            def flush() -> None:
                self.out.flush()
                done.set()

            try:
                self.loop.call_soon_threadsafe(flush)
                done.wait(1.0)
            except RuntimeError:
                pass

    def violation(self, x: ExtCtx, obj: str, reason: str, stack: str, owner: str = "", caller: str = "") -> bool:
        """Reports an owner violation; True when the policy lets the call proceed."""
        self.out.push([P.P_VIOLATION, x.idx, obj, reason, stack, owner, caller])
        return self.policy == "report"

    def handler_failed(self, x: ExtCtx, phase: str, e: BaseException, msg: Any) -> None:
        x.errors += 1
        if self.on_exception is not None:
            self.on_exception(e)
        self.out.push([P.P_ERROR, x.idx, phase, f"{type(e).__name__}: {e}", format_exc(e)])
        if isinstance(msg, Cmd) and _is_cmd_type(msg._type) and msg._cmd_id:
            # As for TypeScript extensions: the sender gets an error instead of waiting for a
            # timeout. A cmd answered already has no IN path; the runtime ignores this one then.
            self.out.push([P.P_RETURN, x.idx, 0, msg._cmd_id, 1, True,
                           {"detail": f"Extension '{x.name}' threw in {phase}: {e}"}, 0, msg._name])

    def _on_bad_record(self, r: Any, e: Exception) -> Any:
        """A record the JSON writer refused (NaN, a non-JSON property value): reported, dropped,
        and replaced by a record that only consumes its buffer bytes."""
        op = r[0]
        blen = r[4] if op == P.P_DATA else r[6] if op == P.P_SEND else r[7] if op == P.P_RETURN else 0
        last = 5 if op == P.P_DATA else 14 if op == P.P_SEND else 9 if op == P.P_RETURN else 0
        if last and len(r) > last and isinstance(r[last], list):
            blen += bufprops.total(r[last])
        idx = r[1] if isinstance(r[1], int) else -1
        x = self.exts[idx] if 0 <= idx < len(self.exts) else None
        what = f"{r[3]} '{r[4]}'" if op == P.P_SEND else f"data '{r[2]}'" if op == P.P_DATA else f"record {op}"
        if x is not None:
            self.out.push([P.P_ERROR, x.idx, "send", f"Dropped {what}: its properties are not JSON ({e}).", ""])
        return [0, blen]

    # ---- tasks ---------------------------------------------------------------------------

    def spawn(self, x: ExtCtx, coro: Any, phase: str) -> None:
        """A handler's task; it counts itself out (`ExtEnv.task_finished`) when it ends."""
        name = x.task_names.get(phase)
        if name is None:
            name = x.task_names[phase] = f"{x.name}:{phase}"
        x.tasks += 1
        self.loop.create_task(coro, name=name)

    # ---- stats ---------------------------------------------------------------------------

    def arm_stats(self) -> None:
        if not self.stats_armed:
            self.stats_armed = True
            self.loop.call_later(0.25, self._push_stats)

    def _push_stats(self) -> None:
        self.stats_armed = False
        if self.link.closed:
            return
        self.out.push([P.P_STATS, self.stats()])
        if any(not x.closed for x in self.exts):
            self.arm_stats()

    def stats(self) -> dict[str, Any]:
        return {
            "exts": [[x.msgs_in, x.msgs_out, x.handler_ms, x.hist, x.tasks, x.errors,
                      len(x.held) + (sum(1 for it in self.lq if it[0] is x) if self.lq else 0)] for x in self.exts],
            "localRoutes": self.local_routes,
            "tasks": sum(x.tasks for x in self.exts),
            "threads": threading.active_count(),
            "stalls": self.stalls,
        }

    # ---- close ---------------------------------------------------------------------------

    def ext_closed(self, x: ExtCtx) -> None:
        x.gate = _CLOSED
        x.held = []
        x.env._on_release()
        # Callbacks of the closed extension never run again, except those of its cmds still
        # waiting: the runtime fails their paths at on_deinit_done and, as in TEN, the error
        # result reaches the handler (an awaiting coroutine goes on; its ten_env calls now fail).
        for cb, entry in list(self.cbs.items()):
            if entry[0] is x and entry[1] not in ("cmd", "cmd_ex"):
                del self.cbs[cb]
        if all(e.closed for e in self.exts):
            self.out.push([P.P_STATS, self.stats()])

    def leftovers(self) -> dict[str, Any]:
        """What user code left running after every extension closed: pending tasks, and threads
        that would keep a Python process alive (not daemon)."""
        me = asyncio.current_task(self.loop) if threading.get_ident() == self.loop_ident else None
        tasks = []
        for t in self._own_tasks():
            if t is me or t.done():
                continue
            frames = t.get_stack(limit=1)
            where = f"{frames[0].f_code.co_filename}:{frames[0].f_lineno}" if frames else ""
            tasks.append({"name": t.get_name(), "where": where})
        # In a test session the process is pytest's: its threads are not the extension's leftovers.
        threads = [] if self.in_session else [
            {"name": th.name, "daemon": th.daemon} for th in threading.enumerate()
            if th is not threading.main_thread() and th.is_alive() and not th.daemon
            and not getattr(th, "_ten_studio_internal", False)]
        return {"tasks": tasks, "threads": threads}

    def _own_tasks(self) -> list[Any]:
        """The loop's tasks this group answers for. Alone on its loop, all of them. Sharing it
        (the groups of a test graph in the test process) while other groups still run: only the
        tasks named after its extensions (`<extension>:<phase>`, its handlers and phases); tasks
        user code created are left to the last group to close."""
        tasks = list(asyncio.all_tasks(self.loop))
        if self.shares_loop is None or not self.shares_loop():
            return tasks
        prefixes = tuple(f"{x.name}:" for x in self.exts)
        return [t for t in tasks if t.get_name().startswith(prefixes)]

    def exit(self) -> None:
        self.out.push([P.P_LEFTOVER, self.leftovers()])
        self.out.flush()
        for t in self._own_tasks():
            t.cancel()
        if self.on_closed is not None:
            self.on_closed()
