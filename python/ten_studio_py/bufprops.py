"""Buf property values on the link: they never pass through JSON.

A message record whose properties hold buf values (`set_property_buf`) carries, as its last
field, `[[path, length], …]`: the path of each value (a list of keys and indices) and its length.
Its JSON properties hold `null` there, and the bytes follow the message's own buffer in the
frame's binary section, in that order. The other side (src/runtime/core/py_bufprops.ts) puts them
back, so a buf property crosses exactly, both ways.
"""

from typing import Any

_BYTES = (bytes, bytearray, memoryview)


def split(props: dict[str, Any]) -> tuple[dict[str, Any], list[list[Any]], list[Any]]:
    """A copy of `props` with `None` for each buf value, their paths and lengths, the values."""
    paths: list[list[Any]] = []
    bufs: list[Any] = []

    def walk(v: Any, path: list[Any]) -> Any:
        if isinstance(v, dict):
            return {k: walk(x, path + [k]) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x, path + [i]) for i, x in enumerate(v)]
        if isinstance(v, _BYTES):
            n = v.nbytes if isinstance(v, memoryview) else len(v)
            paths.append([path, n])
            if n:
                bufs.append(v)
            return None
        return v

    return walk(props, []), paths, bufs


def total(paths: list[list[Any]]) -> int:
    return sum(p[1] for p in paths)


def put(props: dict[str, Any], paths: list[list[Any]], bins: memoryview, off: int) -> int:
    """Puts the buf values of a received record back into `props` (slices of the frame, no
    copy); returns the offset after them."""
    for path, n in paths:
        cur: Any = props
        for seg in path[:-1]:
            cur = cur[seg]
        cur[path[-1]] = bins[off:off + n] if n else b""
        off += n
    return off
