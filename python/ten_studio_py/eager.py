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

# The handler running its first step, if any: (loop, coro, site, msg, context, thread ident); a
# tuple, not a Step: most handlers end in their first step and never need one.
_running: "tuple[Any, ...] | None" = None
# The Step made for it while it runs (its Task was asked for), if any.
_made: "Step | None" = None


class Site(Protocol):
    """Where handlers of one kind run (one extension's `on_data`, say): its task name, and what
    settles a call."""

    name: str

    def error(self, e: BaseException, msg: Any) -> None:
        """The handler raised `e` (not its task's cancellation) while handling `msg`."""

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


def current_task(loop: asyncio.AbstractEventLoop | None = None) -> "asyncio.Task[Any] | None":
    """`asyncio.current_task`, which also sees a handler in its first step (and makes its Task)."""
    t = _c_current_task(loop)
    if t is None:
        r = _running
        if r is not None and threading.get_ident() == r[5] and (loop is None or loop is r[0]):
            return _materialize(r)
    return t


def _materialize(r: "tuple[Any, ...]") -> "asyncio.Task[Any]":
    """The Task of a handler asked for during its first step; it is current from now on."""
    global _made
    s = _made
    if s is None:
        s = _made = Step(r[0], r[1], r[2], r[3], r[4])
        # Not loop.create_task: an eager task factory (3.12+) would start it now, inside the step.
        s.task = asyncio.Task(_Rest(s), loop=s.loop, name=s.site.name, context=s.ctx)
        _enter_task(s.loop, s.task)
    return s.task  # type: ignore[return-value]


def running_name() -> str:
    """The task name of the handler in its first step on this thread ('' if none): for log lines,
    without making its Task."""
    r = _running
    return r[2].name if r is not None and threading.get_ident() == r[5] else ""


def was_cancelled(task: "asyncio.Task[Any] | None") -> bool:
    """Whether a CancelledError out of `task`'s coroutine is the task's cancellation (`cancel()`,
    the group closing) rather than one the code raised or got from something else it awaited.
    Python 3.10 cannot tell (no `Task.cancelling`): there it counts as the task's."""
    cancelling = getattr(task, "cancelling", None)
    return cancelling is None or cancelling() > 0


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
    global _running, _made
    coro = awaitable if type(awaitable) is _CoroutineType else _awaiting(awaitable)
    ctx = contextvars.copy_context()
    if not SUPPORTED:
        asyncio.Task(_Rest(Step(loop, coro, site, msg, ctx)), loop=loop, name=site.name)
        return
    prev, prev_made = _running, _made
    _running, _made = (loop, coro, site, msg, ctx, threading.get_ident()), None
    error: BaseException | None = None
    try:
        y = ctx.run(coro.send, None)
    except StopIteration:
        y = _ENDED
    except (Exception, asyncio.CancelledError) as e:  # noqa: BLE001 - the handler's own exception
        # Nothing can cancel a handler in its first step: a CancelledError here is one it raised
        # (or one of something it awaited), as any other exception of it (TEN catches
        # BaseException around a handler).
        y = _ENDED
        error = e
    finally:
        s = _made
        _running, _made = prev, prev_made
        if s is not None:
            _leave_task(loop, s.task)
    if y is _ENDED:
        if s is not None:
            # Its Task was made: it ends at its first step.
            s.coro = None
            s.msg = None
        if error is not None:
            site.error(error, msg)
        site.end()
        return
    if s is None:
        s = Step(loop, coro, site, msg, ctx)
        s.task = asyncio.Task(_Rest(s), loop=loop, name=site.name, context=ctx)
    s.pending = y
    s.started = True


def _ended(s: Step, e: BaseException | None) -> None:
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
        except asyncio.CancelledError as e:
            if was_cancelled(s.task):
                _ended(s, None)
                raise
            # Not the Task's cancellation: the handler's own exception, as below.
            _ended(s, e)
            raise StopIteration from None
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
_ENDED = object()
