"""AsyncExtension handlers run their first step at once, and become a Task only if they suspend.

A pass-through handler (`await ten_env.send_data(data)`) never waits for anything: making an
asyncio Task for it costs more than the rest of the message (Task object, registration in the
loop's task set, one loop turn before its first line runs, one more before its sends leave).
Python 3.12's eager task factory does the first half of this; 3.11 has nothing like it.

`run` sends `None` into the handler's coroutine right away, in a copy of the current context (as
`create_task` would). When it finishes there, no task is ever made. When it yields (it awaits
something pending), a Task takes over the started coroutine (`_Rest`) in the same context, and
the coroutine cannot tell the difference.

A handler is a task from its first line as far as it can see: `asyncio.current_task()` (and what
asks it: `asyncio.timeout`, `TaskGroup`, `wait_for` on 3.12) makes the Task at that moment and
makes it the current task for the rest of the first step; that Task then continues the coroutine
where the step left it. Handlers that do not ask pay nothing for this.
"""

import asyncio
import contextvars
import sys
import threading
import types
from collections.abc import Coroutine
from typing import Any, Protocol

# create_task(context=) appeared in 3.11; on 3.10 a handler starts in its task, as before.
SUPPORTED = sys.version_info >= (3, 11)

_c_current_task = asyncio.tasks.current_task
_enter_task = asyncio.tasks._enter_task
_leave_task = asyncio.tasks._leave_task
_CoroutineType = types.CoroutineType

# The handler running its first step on the dispatch loop, if any.
_running: "Step | None" = None
_running_ident = 0


class Site(Protocol):
    """Where handlers of one kind run (one extension's `on_data`, say): its task name, and what
    settles a call."""

    name: str

    def error(self, e: Exception, msg: Any) -> None:
        """The handler raised `e` (not a cancellation) while handling `msg`."""

    def end(self) -> None:
        """The handler has ended, in any way (called once per call)."""


class Step:
    """One handler call: its coroutine, where it runs, and its message."""

    __slots__ = ("loop", "coro", "site", "msg", "ctx", "task", "pending", "started")

    def __init__(self, loop: asyncio.AbstractEventLoop, coro: Any, site: Site, msg: Any,
                 ctx: contextvars.Context) -> None:
        self.loop = loop
        self.coro = coro
        self.site = site
        self.msg = msg
        self.ctx = ctx
        self.task: asyncio.Task[Any] | None = None
        # What the first step yielded (a pending future, or None for a bare yield).
        self.pending: Any = None
        # False until the coroutine has run (or ended) its first step.
        self.started = False

    def materialize(self) -> "asyncio.Task[Any]":
        """The Task of a handler asked for during its first step; it is current from now on."""
        task = self.task
        if task is None:
            # Not loop.create_task: an eager task factory (3.12+) would start it now, inside the step.
            task = self.task = asyncio.Task(_Rest(self), loop=self.loop, name=self.site.name, context=self.ctx)
            _enter_task(self.loop, task)
        return task


def current_task(loop: asyncio.AbstractEventLoop | None = None) -> "asyncio.Task[Any] | None":
    """`asyncio.current_task`, which also sees a handler in its first step (and makes its Task)."""
    t = _c_current_task(loop)
    if t is None:
        s = _running
        if s is not None and threading.get_ident() == _running_ident and (loop is None or loop is s.loop):
            return s.materialize()
    return t


def running_name() -> str:
    """The task name of the handler in its first step on this thread ('' if none): for log lines,
    without making its Task."""
    s = _running
    return s.site.name if s is not None and threading.get_ident() == _running_ident else ""


def install() -> None:
    """Makes `asyncio.current_task` see handlers in their first step (done once per process)."""
    if SUPPORTED and asyncio.current_task is not current_task:
        asyncio.current_task = current_task  # type: ignore[assignment]
        asyncio.tasks.current_task = current_task  # type: ignore[assignment]


async def _awaiting(a: Any) -> Any:
    return await a


def run(loop: asyncio.AbstractEventLoop, awaitable: Any, site: Site, msg: Any) -> None:
    """Runs a handler's coroutine: its first step now, the rest (if any) as a Task named after
    `site`, which is told of an exception and of the end."""
    global _running, _running_ident
    coro = awaitable if type(awaitable) is _CoroutineType else _awaiting(awaitable)
    s = Step(loop, coro, site, msg, contextvars.copy_context())
    if not SUPPORTED:
        asyncio.Task(_Rest(s), loop=loop, name=site.name)
        return
    prev, prev_ident = _running, _running_ident
    _running, _running_ident = s, threading.get_ident()
    try:
        s.pending = s.ctx.run(coro.send, None)
    except StopIteration:
        _ended(s, None)
        return
    except asyncio.CancelledError:
        _ended(s, None)
        return
    except Exception as e:  # noqa: BLE001 - the handler's own exception
        _ended(s, e)
        return
    finally:
        _running, _running_ident = prev, prev_ident
        s.started = True
        if s.task is not None:
            _leave_task(loop, s.task)
    if s.task is None:
        s.task = asyncio.Task(_Rest(s), loop=loop, name=site.name, context=s.ctx)


def _ended(s: Step, e: Exception | None) -> None:
    s.coro = None
    msg, s.msg = s.msg, None
    if e is not None:
        s.site.error(e, msg)
    s.site.end()


class _Rest(Coroutine):  # type: ignore[type-arg]
    """What a Task drives: the handler's coroutine from where its first step left it."""

    __slots__ = ("s",)

    def __init__(self, s: Step) -> None:
        self.s = s

    def send(self, value: Any) -> Any:
        s = self.s
        coro = s.coro
        if coro is None:
            # The handler ended in its first step (its Task was asked for, then not needed).
            raise StopIteration
        if s.started:
            if s.pending is not _TAKEN:
                # The Task's first step: hand it what the coroutine is waiting on.
                y, s.pending = s.pending, _TAKEN
                return y
        else:
            s.started = True
            s.pending = _TAKEN
        return self._step(coro.send, value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        s = self.s
        coro = s.coro
        if coro is None:
            raise typ if val is None else val
        s.started = True
        s.pending = _TAKEN
        if val is None and tb is None:
            return self._step(coro.throw, typ)
        return self._step(coro.throw, typ, val, tb)

    def _step(self, fn: Any, *args: Any) -> Any:
        s = self.s
        try:
            return fn(*args)
        except StopIteration:
            _ended(s, None)
            raise StopIteration from None
        except asyncio.CancelledError:
            _ended(s, None)
            raise
        except Exception as e:  # noqa: BLE001 - the handler's own exception
            _ended(s, e)
            raise StopIteration from None

    def close(self) -> None:
        coro = self.s.coro
        if coro is not None:
            coro.close()

    def __await__(self) -> Any:
        return self

    # What asyncio reads of a task's coroutine to show where it waits (leftover tasks).
    @property
    def cr_frame(self) -> Any:
        return getattr(self.s.coro, "cr_frame", None)

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> Any:
        return self.send(None)


_TAKEN = object()
