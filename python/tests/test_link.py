"""Frames written by the link read back whole, whatever the sizes of their buffers (small ones
are joined into one write, big ones written from where they are)."""

import asyncio
import json
import os
import struct
import threading
from typing import Any

from ten_studio_py.link import BIG_PART, Link, Outbox, encode_records


def test_frames_with_small_and_big_buffers_read_back_intact():
    r, w = os.pipe()
    link = Link(r, w)
    sizes = [0, 1, 64, BIG_PART - 1, BIG_PART, 3 * BIG_PART + 5, 7]
    bins = [bytes([i % 251]) * n for i, n in enumerate(sizes)]
    frames = [[], bins[:3], bins, [memoryview(bytearray(bins[5]))[1:]]]

    def write() -> None:
        for i, f in enumerate(frames):
            link.write_frame(0, f'[[{i}]]'.encode(), f)
        os.close(w)

    t = threading.Thread(target=write)
    t.start()
    for i, f in enumerate(frames):
        got = link.read_frame_blocking()
        assert got is not None
        channel, records, section = got
        assert (channel, records) == (0, [[i]])
        assert bytes(section) == b"".join(bytes(b) for b in f)
    assert link.read_frame_blocking() is None
    t.join()
    os.close(r)
    assert link.frames_out == len(frames)


def _frame(channel: int, text: str, section: bytes = b"") -> bytes:
    j = text.encode()
    return struct.pack("<IBI", 5 + len(j) + len(section), channel, len(j)) + j + section


def test_a_read_hands_over_every_whole_frame_and_keeps_a_split_one():
    """Several frames in one read, then one split across three reads: each reaches the owner
    once, whole, in order, with exact big integers, text and a writable buffer of its own."""
    r, w = os.pipe()
    link = Link(r, w)
    loop = asyncio.new_event_loop()
    got: list[tuple[int, list[Any], bytes]] = []
    views: list[memoryview] = []

    def on_frame(channel: int, records: list[Any], bins: memoryview) -> None:
        got.append((channel, records, bytes(bins)))
        views.append(bins)

    try:
        link.attach(loop, on_frame, lambda: None)
        big = 2 ** 70 + 1
        os.write(w, _frame(0, f'[[3,"ü",{big}]]', b"abc") + _frame(1, "[]") + _frame(0, '[[5,{"k":[1.5,null]}]]'))
        link._readable()
        assert got == [(0, [[3, "ü", big]], b"abc"), (1, [], b""), (0, [[5, {"k": [1.5, None]}]], b"")]
        split = _frame(0, '[[7,"' + "x" * 5000 + '"]]', bytes(range(200)))
        for part in (split[:3], split[3:4000], split[4000:]):
            os.write(w, part)
            link._readable()
        assert len(got) == 4
        assert got[3] == (0, [[7, "x" * 5000]], bytes(range(200)))
        views[0][0] = ord("z")  # a buffer is a writable view of its own frame
        assert bytes(views[0]) == b"zbc"
        assert link.frames_in == 4
    finally:
        link.detach()
        loop.close()
        os.close(r)
        os.close(w)


def test_what_a_read_makes_leaves_in_one_frame_after_it_without_a_loop_callback():
    """Records pushed while a read's frames are handled leave in one frame right after the read
    (the owner's `after_read`): nothing is scheduled on the loop for them, so the loop goes back
    to waiting with nothing to run."""
    r, w = os.pipe()
    back_r, back_w = os.pipe()
    link = Link(r, back_w)
    loop = asyncio.new_event_loop()
    out = Outbox(link, loop, 0, lambda rec, e: [0, 0])
    out.flush_after_reads()

    def on_frame(_channel: int, records: list[Any], _bins: memoryview) -> None:
        for rec in records:
            out.push([6, rec[1]])

    try:
        link.attach(loop, on_frame, lambda: None)
        os.write(w, _frame(0, "[[3,1],[3,2]]") + _frame(0, "[[3,3]]"))
        link._readable()
        assert len(loop._ready) == 0  # type: ignore[attr-defined]
        data = os.read(back_r, 1 << 16)
        assert data == _frame(0, "[[6,1],[6,2],[6,3]]")
        assert link.frames_out == 1
        # Outside a read, a push still schedules one flush on the loop.
        out.push([6, 4])
        out.push([6, 5])
        assert len(loop._ready) == 1  # type: ignore[attr-defined]
        loop.run_until_complete(asyncio.sleep(0))
        assert os.read(back_r, 1 << 16) == _frame(0, "[[6,4],[6,5]]")
    finally:
        link.detach()
        loop.close()
        for fd in (r, w, back_r, back_w):
            os.close(fd)


def test_records_are_written_as_compact_json_and_a_bad_one_is_replaced():
    big = -(2 ** 80)
    text = encode_records([[4, "ü\n", {"a": big, "b": [True, None, 0.5]}]], lambda rec, e: [0, 0])
    assert text == json.dumps([[4, "ü\n", {"a": big, "b": [True, None, 0.5]}]], ensure_ascii=False,
                              separators=(",", ":")).encode()
    bad: list[Any] = []
    text = encode_records([[5, float("nan")], [6, {1j: 2}], [7, "ok"]], lambda rec, e: bad.append(rec) or [0, 9])
    assert json.loads(text) == [[0, 9], [0, 9], [7, "ok"]]
    assert [b[0] for b in bad] == [5, 6]
