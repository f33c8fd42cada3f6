"""Property trees of messages and extensions: TEN paths (`a.b[2].c`), JSON text in and out.

Integers stay exact (Python ints are unbounded; the wire writes them as literals). A float that
is a whole number comes back from the runtime as an int (JSON has one number type), so float
getters accept ints.
"""

import json
import re
from typing import Any

_SEG = re.compile(r"^([^\[\]]*)((?:\[\d+\])*)$")
_IDX = re.compile(r"\[(\d+)\]")
_cache: dict[str, list[str | int] | None] = {}

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=lambda o: _default(o)).encode


def _default(o: Any) -> Any:
    if isinstance(o, (bytes, bytearray, memoryview)):
        # TEN has no JSON form for a buf property; its length is what a reader can use.
        return f"<{len(o)} bytes>"
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def to_json(value: Any) -> str:
    """Compact JSON, as TEN writes it (`{"a":1}`), non-ASCII kept."""
    return _dumps(value)


def parse_path(path: str | None) -> list[str | int] | None:
    """`a.b[2]` → `['a', 'b', 2]`; `[]` for the root; None for a malformed path."""
    if not path:
        return []
    cached = _cache.get(path)
    if cached is not None or path in _cache:
        return cached
    out: list[str | int] | None = []
    for part in path.split("."):
        m = _SEG.match(part)
        if m is None or (m.group(1) == "" and m.group(2) == ""):
            out = None
            break
        if m.group(1):
            out.append(m.group(1))
        for idx in _IDX.findall(m.group(2)):
            out.append(int(idx))
    if len(_cache) < 4096:
        _cache[path] = out
    return out


_MISSING = object()


def get_prop(root: dict[str, Any], path: str | None) -> Any:
    """The value at `path`, or `_MISSING`."""
    segs = parse_path(path)
    if segs is None:
        return _MISSING
    cur: Any = root
    for s in segs:
        if isinstance(s, int):
            if not isinstance(cur, list) or s >= len(cur):
                return _MISSING
            cur = cur[s]
        else:
            if not isinstance(cur, dict) or s not in cur:
                return _MISSING
            cur = cur[s]
    return cur


def set_prop(root: dict[str, Any], path: str | None, value: Any) -> bool:
    """Writes `value` at `path`, creating objects and arrays on the way; False for a bad path.
    The empty path merges an object into the root."""
    segs = parse_path(path)
    if segs is None:
        return False
    if not segs:
        if not isinstance(value, dict):
            return False
        root.update(value)
        return True
    cur: Any = root
    for i, s in enumerate(segs[:-1]):
        nxt_is_idx = isinstance(segs[i + 1], int)
        if isinstance(s, int):
            if not isinstance(cur, list):
                return False
            while len(cur) <= s:
                cur.append(None)
            if not isinstance(cur[s], (dict, list)):
                cur[s] = [] if nxt_is_idx else {}
            cur = cur[s]
        else:
            if not isinstance(cur, dict):
                return False
            nxt = cur.get(s)
            if not isinstance(nxt, (dict, list)):
                nxt = [] if nxt_is_idx else {}
                cur[s] = nxt
            cur = nxt
    last = segs[-1]
    if isinstance(last, int):
        if not isinstance(cur, list):
            return False
        while len(cur) <= last:
            cur.append(None)
        cur[last] = value
    else:
        if not isinstance(cur, dict):
            return False
        cur[last] = value
    return True


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Objects merge key by key; everything else replaces."""
    out = dict(base)
    for k, v in over.items():
        b = out.get(k)
        out[k] = deep_merge(b, v) if isinstance(v, dict) and isinstance(b, dict) else v
    return out


def deep_copy(v: Any) -> Any:
    """A copy of a JSON tree (much cheaper than copy.deepcopy)."""
    if isinstance(v, dict):
        return {k: deep_copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [deep_copy(x) for x in v]
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    return v
