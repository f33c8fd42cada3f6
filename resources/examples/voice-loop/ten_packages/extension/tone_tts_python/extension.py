"""A speech synthesiser of tones: each word is a short beep whose pitch comes from the word.

Text arrives in text_data chunks; each chunk's words are synthesised in order (a chunk waits for
the one before) into 16-bit mono PCM and sent as 20 ms pcm_frame audio frames, faster than real
time, the first after first_frame_ms (a service's time to first audio). flush drops everything
not yet sent.
"""

import asyncio
import math
from array import array

from ten_runtime import AsyncExtension, AsyncTenEnv, AudioFrame, AudioFrameDataFmt, Cmd, CmdResult, Data, StatusCode

FRAME_MS = 20


class ToneTtsExtension(AsyncExtension):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.sample_rate = 16000
        self.first_frame_ms = 80
        self.word_ms = 180
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.worker: asyncio.Task[None] | None = None
        self.generation = 0
        self.frames = 0
        self.idle = True

    async def on_configure(self, ten_env: AsyncTenEnv) -> None:
        for name in ("sample_rate", "first_frame_ms", "word_ms"):
            value, err = await ten_env.get_property_int(name)
            if err is None and value > 0:
                setattr(self, name, value)

    async def on_start(self, ten_env: AsyncTenEnv) -> None:
        self.worker = asyncio.create_task(self.speak(ten_env))

    async def on_stop(self, ten_env: AsyncTenEnv) -> None:
        if self.worker is not None:
            self.worker.cancel()
        ten_env.log_info(f"tone TTS: sent {self.frames} frames")

    async def on_data(self, ten_env: AsyncTenEnv, data: Data) -> None:
        if data.get_name() != "text_data":
            return
        text, _ = data.get_property_string("text")
        if text.strip():
            self.queue.put_nowait(text)

    async def on_cmd(self, ten_env: AsyncTenEnv, cmd: Cmd) -> None:
        if cmd.get_name() == "flush":
            # Drops the queued text and the words being synthesised.
            self.generation += 1
            while not self.queue.empty():
                self.queue.get_nowait()
        await ten_env.return_result(CmdResult.create(StatusCode.OK, cmd))

    def tone(self, word: str) -> array:
        n = int(self.sample_rate * self.word_ms / 1000)
        gap = int(self.sample_rate * 0.06)
        hz = 330 + (sum(map(ord, word)) % 8) * 55
        out = array("h", bytes(2 * (n + gap)))
        for i in range(n):
            # A raised-cosine envelope: no click at either end.
            env = 0.5 - 0.5 * math.cos(2 * math.pi * i / n)
            out[i] = int(9000 * env * math.sin(2 * math.pi * hz * i / self.sample_rate))
        return out

    async def speak(self, ten_env: AsyncTenEnv) -> None:
        per_frame = self.sample_rate * FRAME_MS // 1000
        while True:
            text = await self.queue.get()
            generation = self.generation
            if self.idle:
                await asyncio.sleep(self.first_frame_ms / 1000)
            self.idle = False
            for word in text.split():
                if generation != self.generation:
                    break
                pcm = self.tone(word)
                for at in range(0, len(pcm), per_frame):
                    if generation != self.generation:
                        break
                    chunk = pcm[at : at + per_frame]
                    frame = AudioFrame.create("pcm_frame")
                    frame.set_sample_rate(self.sample_rate)
                    frame.set_bytes_per_sample(2)
                    frame.set_number_of_channels(1)
                    frame.set_samples_per_channel(len(chunk))
                    frame.set_data_fmt(AudioFrameDataFmt.INTERLEAVE)
                    frame.alloc_buf(len(chunk) * 2)
                    buf = frame.lock_buf()
                    buf[:] = chunk.tobytes()
                    frame.unlock_buf(buf)
                    await ten_env.send_audio_frame(frame)
                    self.frames += 1
                # Faster than real time, yet not all at once.
                await asyncio.sleep(0.005)
            self.idle = self.queue.empty()
