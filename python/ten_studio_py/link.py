"""Framed pipes to the TypeScript side, read on the dispatch loop and written in batches.

Reads: the loop watches the read fd (`add_reader`) and hands every complete frame to the owner,
in order, decoded straight from the buffer the read landed in (JSON with the C scanner, no copy
of the text). A frame's binary section is copied once into its own `bytearray`, so buffers of
its messages can be writable `memoryview` slices of it (`lock_buf` without a copy).

Writes: `Outbox.push` appends a record (and its buffer) from any thread. What the handlers of a
read push is flushed right after that read (`flush_after_reads`), with nothing scheduled on the
loop; any other first push of a turn schedules one flush on the loop (from another thread with
`call_soon_threadsafe`, which wakes the loop once). A flush writes one frame: one JSON text for
all its records. Batches past ~1 MiB of buffers are written at once. Writes are blocking (the
TypeScript side always reads).
"""

import asyncio
import json
import os
import struct
import threading
from typing import Any, Callable

_HEAD = struct.Struct("<IBI")
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _not_json(o: Any) -> Any:
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


# `json.dumps` builds its C encoder anew on every call and `json.loads` detects the encoding and
# matches whitespace with regular expressions around the C scanner: together about a third of
# the link's own time per small frame. These are the same C encoder and scanner, made once.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_scan = json.decoder.JSONDecoder().scan_once


def _new_encoder() -> Any:
    # The same as `_dumps`: compact, UTF-8 kept, NaN refused, cycles detected (`markers`).
    return _c_make_encoder({}, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, False)


# Made once: an encode that succeeded leaves its `markers` (the containers being written, for
# cycle detection) empty. One that raised may leave entries behind, so the encoder is dropped
# then. Were two threads ever to interleave in it (a collection running a finalizer mid-encode),
# the worst is a false "Circular reference", which sends that batch the per-record way below.
_encoder: Any = None


FLUSH_BYTES = 1 << 20
READ_SIZE = 1 << 20
# Buffers from this size on are written from where they are, not copied into the frame.
BIG_PART = 1 << 16


def encode_records(records: list[Any], on_bad: Callable[[Any, Exception], Any]) -> bytes:
    """One JSON text for the batch; a record that cannot be written (NaN, a non-JSON value) is
    replaced by what `on_bad` returns (which reports it and keeps its buffer's bytes accounted
    for), never the whole batch."""
    global _encoder
    if _c_make_encoder is None:
        try:
            return _dumps(records).encode()
        except (TypeError, ValueError, OverflowError):
            pass
    else:
        enc = _encoder
        if enc is None:
            enc = _encoder = _new_encoder()
        try:
            return "".join(enc(records, 0)).encode()
        except BaseException as e:
            _encoder = None
            if not isinstance(e, (TypeError, ValueError, OverflowError)):
                raise
    good = []
    for r in records:
        try:
            _dumps(r)
        except (TypeError, ValueError, OverflowError) as e:
            good.append(on_bad(r, e))
            continue
        good.append(r)
    return _dumps(good).encode()


_EMPTY = memoryview(b"")


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
        # True while a read's frames are handled (on the loop thread).
        self.reading = False

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
        if buf:
            # The end of a frame begun in an earlier read.
            buf += self._rview[:got]
            data: Any = buf
            view = memoryview(buf)
            n = len(buf)
        else:
            # Frames decoded where the read put them; only a partial one is kept.
            data = self._rbuf
            view = self._rview
            n = got
        pos = 0
        self.reading = True
        try:
            while n - pos >= 9:
                length, channel, jlen = _HEAD.unpack_from(data, pos)
                end = pos + 4 + length
                if end > n:
                    break
                start = pos + 9
                jend = start + jlen
                if jlen:
                    # The C scanner on the compact text the runtime writes; anything else
                    # goes to json.loads, which says what is wrong with it.
                    text = str(view[start:jend], "utf-8")
                    try:
                        records, jend2 = _scan(text, 0)
                    except StopIteration:
                        jend2 = -1
                    if jend2 != len(text):
                        records = json.loads(text)
                else:
                    records = []
                bins = memoryview(data[jend:end]) if end > jend else _EMPTY
                pos = end
                self.frames_in += 1
                self._on_frame(channel, records, bins)
        finally:
            self.reading = False
            if data is buf:
                view.release()
                if pos:
                    del buf[:pos]
            elif pos < n:
                buf += self._rview[pos:n]
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
        if not bins:
            # The usual frame: the head and the JSON in one write.
            data = _HEAD.pack(5 + len(payload), channel, len(payload)) + payload
            with self._wlock:
                if self.closed:
                    return
                try:
                    n = os.write(self.wfd, data)
                    if n < len(data):
                        _write_all(self.wfd, memoryview(data)[n:])
                except OSError:
                    self.closed = True
                    return
                self.bytes_out += len(data)
                self.frames_out += 1
            return
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
        # Flushed by the link after each read (`flush_after_reads`).
        self.by_reads = False

    def flush_after_reads(self) -> None:
        """The link flushes this outbox after each read's frames were handled: what their
        handlers push leaves in one frame right after the read, with no callback on the loop."""
        self.by_reads = True
        self.link.after_read = self.flush

    def push(self, rec: Any, buf: Any = None, more: list[Any] | None = None) -> None:
        """`more`: buffers that follow `buf` in the frame (the record's buf properties)."""
        # Lock-free under the GIL: flush clears `armed` before it takes the lists, so a record
        # appended meanwhile is either in the taken batch or has scheduled the next flush.
        self.records.append(rec)
        if more:
            # Rare (buf properties): the record's buffers as one run, `buf` first.
            if buf is not None:
                more = [buf, *more]
            for b in more:
                self.bins.append(b)
                self.nbytes += len(b) if not isinstance(b, memoryview) else b.nbytes
            buf = more[0]
        elif buf is not None:
            self.bins.append(buf)
            self.nbytes += len(buf) if not isinstance(buf, memoryview) else buf.nbytes
        if buf is not None:
            if self.nbytes >= FLUSH_BYTES and threading.get_ident() == self.loop_ident:
                self.flush()
                return
        if not self.armed:
            self.armed = True
            if threading.get_ident() == self.loop_ident:
                if self.by_reads and self.link.reading:
                    return  # the read flushes it when its frames are handled
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
