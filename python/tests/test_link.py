"""Frames written by the link read back whole, whatever the sizes of their buffers (small ones
are joined into one write, big ones written from where they are)."""

import os
import threading

from ten_studio_py.link import BIG_PART, Link


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
