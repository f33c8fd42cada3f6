"""An AsyncExtension: its handlers are coroutines on the group's Python dispatch loop."""

import math
from array import array

from ten_runtime import AsyncExtension, AsyncTenEnv, AudioFrame, Data


class LevelMeterExtension(AsyncExtension):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.report_every = 50
        self.frames = 0
        self.sum_squares = 0.0
        self.samples = 0

    async def on_configure(self, ten_env: AsyncTenEnv) -> None:
        every, err = await ten_env.get_property_int("report_every")
        if err is None and every > 0:
            self.report_every = every

    async def on_audio_frame(self, ten_env: AsyncTenEnv, audio_frame: AudioFrame) -> None:
        # The frame's bytes, without a copy: 16-bit little-endian samples.
        pcm = audio_frame.lock_buf()
        samples = array("h", pcm[: len(pcm) // 2 * 2].tobytes())
        audio_frame.unlock_buf(pcm)
        self.sum_squares += sum(s * s for s in samples)
        self.samples += len(samples)
        self.frames += 1
        await ten_env.send_audio_frame(audio_frame)
        if self.frames % self.report_every == 0:
            rms = math.sqrt(self.sum_squares / max(1, self.samples))
            dbfs = 20 * math.log10(rms / 32768) if rms > 0 else -120.0
            level = Data.create("level")
            level.set_property_float("dbfs", round(dbfs, 2))
            level.set_property_int("frames", self.frames)
            await ten_env.send_data(level)
            ten_env.log_debug(f"level {dbfs:.1f} dBFS over {self.samples} samples")
            self.sum_squares = 0.0
            self.samples = 0
