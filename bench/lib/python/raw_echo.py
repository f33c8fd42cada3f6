"""Baseline: the limit of a Node ↔ Python round trip. Echoes every frame (u32 length + bytes) read
from fd 3 back on fd 4, with nothing else in between (no JSON, no dispatch)."""

import os
import struct

buf = bytearray()
while True:
    chunk = os.read(3, 1 << 16)
    if not chunk:
        break
    buf += chunk
    while len(buf) >= 4:
        (n,) = struct.unpack_from("<I", buf, 0)
        if len(buf) < 4 + n:
            break
        frame = bytes(buf[: 4 + n])
        del buf[: 4 + n]
        os.write(4, frame)
