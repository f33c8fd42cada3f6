"""Framed pipes to the TypeScript side, read on the dispatch loop and written in batches.

Reads: the loop watches the read fd (`add_reader`) and hands every complete frame to the owner,
in order. Each frame is copied once into its own `bytearray`, so buffers of its messages can be
writable `memoryview` slices of it (`lock_buf` without a copy).

Writes: `Outbox.push` appends a record (and its buffer) from any thread; the first push of a turn
schedules one flush on the loop (from another thread with `call_soon_threadsafe`, which wakes the
loop once), and what the handlers of a read produced is flushed right after that read. A flush
writes one frame: one `json.dumps` for all its records. Batches past ~1 MiB of buffers are
written at once. Writes are blocking (the TypeScript side always reads).
"""

import asyncio
import json
import os
import struct
import threading
from typing import Any, Callable

_HEAD = struct.Struct("<IBI")
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode

FLUSH_BYTES = 1 << 20
READ_SIZE = 1 << 20
# Buffers from this size on are written from where they are, not copied into the frame.
BIG_PART = 1 << 16


def encode_records(records: list[Any], on_bad: Callable[[Any, Exception], Any]) -> bytes:
    """One JSON text for the batch; a record that cannot be written (NaN, a non-JSON value) is
    replaced by what `on_bad` returns (which reports it and keeps its buffer's bytes accounted
    for), never the whole batch."""
    try:
        return _dumps(records).encode()
    except (TypeError, ValueError, OverflowError):
        pass
    good = []
    for r in records:
        try:
            _dumps(r)
        except (TypeError, ValueError, OverflowError) as e:
            good.append(on_bad(r, e))
            continue
        good.append(r)
    return _dumps(good).encode()


class Link:
    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd = rfd
        self.wfd = wfd
        self._buf = bytearray()
        # Reads land here: `os.read(fd, 1 MiB)` allocated (mmap) and freed (munmap) a 1 MiB bytes
        # per read, about 50 µs of system time per wake-up on a two-core VM.
        self._rbuf = bytearray(READ_SIZE)
        self._rview = memoryview(self._rbuf)
        self._wlock = threading.Lock()
        self.closed = False
        self.bytes_in = 0
        self.bytes_out = 0
        self.frames_in = 0
        self.frames_out = 0
        # Called after each read's frames were handled (the outbox flushes what they produced).
        self.after_read: Callable[[], None] | None = None

    # ---- reading ---------------------------------------------------------------------------

    def attach(self, loop: asyncio.AbstractEventLoop,
               on_frame: Callable[[int, list[Any], memoryview], None],
               on_eof: Callable[[], None]) -> None:
        self._on_frame = on_frame
        self._on_eof = on_eof
        loop.add_reader(self.rfd, self._readable)
        self._loop = loop

    def detach(self) -> None:
        try:
            self._loop.remove_reader(self.rfd)
        except (AttributeError, ValueError, OSError):
            pass

    def _readable(self) -> None:
        try:
            got = os.readv(self.rfd, (self._rbuf,))
        except BlockingIOError:
            return
        except OSError:
            got = 0
        if not got:
            self.detach()
            self._on_eof()
            return
        self.bytes_in += got
        buf = self._buf
        buf += self._rview[:got]
        pos = 0
        n = len(buf)
        while n - pos >= 9:
            length, channel, jlen = _HEAD.unpack_from(buf, pos)
            end = pos + 4 + length
            if end > n:
                break
            frame = bytearray(buf[pos + 9:end]) if end - pos - 9 > jlen else None
            records = json.loads(bytes(buf[pos + 9:pos + 9 + jlen])) if jlen else []
            bins = memoryview(frame)[jlen:] if frame is not None else memoryview(b"")
            pos = end
            self.frames_in += 1
            self._on_frame(channel, records, bins)
        if pos:
            del buf[:pos]
        after = self.after_read
        if after is not None:
            after()

    def read_frame_blocking(self) -> tuple[int, list[Any], memoryview] | None:
        """One frame, read synchronously (before any loop exists); None at end of input."""
        while True:
            buf = self._buf
            if len(buf) >= 9:
                length, channel, jlen = _HEAD.unpack_from(buf, 0)
                if len(buf) >= 4 + length:
                    frame = bytearray(buf[9:4 + length])
                    del buf[:4 + length]
                    records = json.loads(bytes(frame[:jlen])) if jlen else []
                    return channel, records, memoryview(frame)[jlen:]
            got = os.readv(self.rfd, (self._rbuf,))
            if not got:
                return None
            buf += self._rview[:got]

    # ---- writing ---------------------------------------------------------------------------

    def write_frame(self, channel: int, payload: bytes, bins: list[Any] | None = None) -> None:
        """Writes one frame (thread-safe; frames never interleave). Small buffers are joined with
        the head and the JSON into one write (a pipe write per 64-byte buffer cost more than the
        message); a buffer of 64 KiB or more goes as its own part of one writev, uncopied."""
        blen = 0
        big = False
        if bins:
            for b in bins:
                n = b.nbytes if isinstance(b, memoryview) else len(b)
                blen += n
                big = big or n >= BIG_PART
        head = _HEAD.pack(5 + len(payload) + blen, channel, len(payload))
        parts: list[Any]
        if not big:
            parts = [b"".join([head, payload, *bins]) if bins else head + payload]
        else:
            parts = []
            small: list[Any] = [head, payload]
            for b in bins or ():
                if (b.nbytes if isinstance(b, memoryview) else len(b)) < BIG_PART:
                    small.append(b)
                    continue
                parts.append(b"".join(small))
                parts.append(b)
                small = []
            if small:
                parts.append(b"".join(small))
        with self._wlock:
            if self.closed:
                return
            try:
                if len(parts) == 1:
                    _write_all(self.wfd, parts[0])
                else:
                    _writev_all(self.wfd, parts)
            except OSError:
                self.closed = True
                return
            self.bytes_out += 9 + len(payload) + blen
            self.frames_out += 1


def _write_all(fd: int, data: bytes) -> None:
    n = os.write(fd, data)
    if n < len(data):
        view = memoryview(data)
        while n < len(data):
            n += os.write(fd, view[n:])


def _writev_all(fd: int, parts: list[Any]) -> None:
    views = [memoryview(p).cast("B") for p in parts if len(p)]
    while views:
        n = os.writev(fd, views[:512])
        while n > 0 and views:
            first = views[0]
            if n >= len(first):
                n -= len(first)
                views.pop(0)
            else:
                views[0] = first[n:]
                n = 0


class Outbox:
    """Records and buffers of one turn, written as one frame."""

    def __init__(self, link: Link, loop: asyncio.AbstractEventLoop, channel: int,
                 on_bad: Callable[[Any, Exception], Any]) -> None:
        self.link = link
        self.loop = loop
        self.channel = channel
        self.loop_ident = threading.get_ident()
        self.on_bad = on_bad
        self.records: list[Any] = []
        self.bins: list[Any] = []
        self.nbytes = 0
        self.armed = False

    def push(self, rec: Any, buf: Any = None) -> None:
        # Lock-free under the GIL: flush clears `armed` before it takes the lists, so a record
        # appended meanwhile is either in the taken batch or has scheduled the next flush.
        self.records.append(rec)
        if buf is not None:
            self.bins.append(buf)
            self.nbytes += len(buf) if not isinstance(buf, memoryview) else buf.nbytes
            if self.nbytes >= FLUSH_BYTES and threading.get_ident() == self.loop_ident:
                self.flush()
                return
        if not self.armed:
            self.armed = True
            if threading.get_ident() == self.loop_ident:
                self.loop.call_soon(self.flush)
            else:
                try:
                    self.loop.call_soon_threadsafe(self.flush)
                except RuntimeError:
                    pass  # the loop has closed: the process is ending

    def flush(self) -> None:
        self.armed = False
        records = self.records
        if not records:
            return
        bins = self.bins
        self.records = []
        self.bins = []
        self.nbytes = 0
        self.link.write_frame(self.channel, encode_records(records, self.on_bad), bins)
