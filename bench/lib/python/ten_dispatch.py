"""Baseline: TEN's dispatch pattern for Python AsyncExtensions, in one process (no IPC at all).

TEN's extension thread (C) hands every message to an AsyncExtension with one
`asyncio.run_coroutine_threadsafe` onto the process-wide asyncio thread; the handler's
`await ten_env.send_data(...)` posts the message back to the extension thread (a C task), which
routes it to the next extension. Here: a thread with a queue plays the extension thread, the
asyncio loop (uvloop when importable, as TEN) runs the handlers. Prints one JSON line:
{"msgs_per_s": …} for `count` messages through `stages` pass-through extensions, at most
`window` in flight (a source sending in bursts, as the runtime's bench source does).
"""

import asyncio
import json
import queue
import sys
import threading
import time

stages = int(sys.argv[1])
count = int(sys.argv[2])
window = int(sys.argv[3]) if len(sys.argv) > 3 else 1024

try:
    import uvloop  # type: ignore[import-not-found]

    loop = uvloop.new_event_loop()
except ImportError:
    loop = asyncio.new_event_loop()
threading.Thread(target=loop.run_forever, daemon=True).start()

ext_thread_queue: "queue.SimpleQueue[tuple[int, dict]]" = queue.SimpleQueue()
done = threading.Event()
room = threading.Semaphore(window)


async def on_data(stage: int, msg: dict) -> None:
    # await ten_env.send_data(msg): fire-and-forget, posted to the extension thread.
    ext_thread_queue.put((stage + 1, msg))


def extension_thread() -> None:
    arrived = 0
    while True:
        stage, msg = ext_thread_queue.get()
        if stage == stages:
            arrived += 1
            room.release()
            if arrived == count:
                done.set()
                return
            continue
        asyncio.run_coroutine_threadsafe(on_data(stage, msg), loop)


threading.Thread(target=extension_thread, daemon=True).start()
started = time.perf_counter()
for i in range(count):
    room.acquire()
    ext_thread_queue.put((0, {"i": i, "payload": "x" * 64}))
done.wait()
elapsed = time.perf_counter() - started
print(json.dumps({"msgs_per_s": count / elapsed, "stages": stages, "count": count}))
