"""A speech recogniser that needs no model: each burst of sound is a word.

It reads 16-bit mono PCM frames, measures each frame's level, and counts bursts: a run of frames
louder than threshold_db, at least min_burst_ms long. When a burst ends it sends TEN's
asr_result with the words so far (final false); after end_of_speech_ms of quiet it sends the
utterance with final true. Times are the audio's own (ms of audio received), so the result does
not depend on how fast frames arrive.
"""

import json
import math
import uuid
from array import array

from ten_runtime import AsyncExtension, AsyncTenEnv, AudioFrame, Data


class EnergyAsrExtension(AsyncExtension):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.threshold_db = -35.0
        self.end_of_speech_ms = 400
        self.min_burst_ms = 40
        self.words = "one two three four five six seven eight nine ten".split()
        self.position_ms = 0.0
        self.utterance: str | None = None
        self.start_ms = 0.0
        self.bursts = 0
        self.burst_ms = 0.0
        self.quiet_ms = 0.0
        self.session_id = "0"

    async def on_configure(self, ten_env: AsyncTenEnv) -> None:
        value, err = await ten_env.get_property_float("threshold_db")
        if err is None:
            self.threshold_db = value
        for name in ("end_of_speech_ms", "min_burst_ms"):
            value, err = await ten_env.get_property_int(name)
            if err is None and value > 0:
                setattr(self, name, value)
        words, err = await ten_env.get_property_string("words")
        if err is None and words.split():
            self.words = words.split()

    async def on_start(self, ten_env: AsyncTenEnv) -> None:
        ten_env.log_info(f"energy ASR: a burst over {self.threshold_db} dBFS of at least {self.min_burst_ms} ms is a word; {self.end_of_speech_ms} ms of quiet ends an utterance")

    async def on_audio_frame(self, ten_env: AsyncTenEnv, audio_frame: AudioFrame) -> None:
        buf = audio_frame.lock_buf()
        samples = array("h", buf[: len(buf) // 2 * 2].tobytes())
        audio_frame.unlock_buf(buf)
        rate = audio_frame.get_sample_rate() or 16000
        channels = max(1, audio_frame.get_number_of_channels())
        if not samples:
            return
        stream_id, err = audio_frame.get_property_int("stream_id")
        if err is None:
            self.session_id = str(stream_id)
        frame_ms = len(samples) / channels * 1000.0 / rate
        rms = math.sqrt(sum(s * s for s in samples) / len(samples))
        loud = rms > 0 and 20 * math.log10(rms / 32768) >= self.threshold_db
        at = self.position_ms
        self.position_ms += frame_ms
        if loud:
            if self.utterance is None:
                self.utterance = uuid.uuid4().hex[:12]
                self.start_ms = at
                self.bursts = 0
            self.burst_ms += frame_ms
            self.quiet_ms = 0.0
            return
        if self.utterance is None:
            return
        if self.burst_ms > 0:
            if self.burst_ms >= self.min_burst_ms:
                self.bursts += 1
                await self.send_result(ten_env, final=False)
            self.burst_ms = 0.0
        self.quiet_ms += frame_ms
        if self.quiet_ms >= self.end_of_speech_ms:
            if self.bursts > 0:
                await self.send_result(ten_env, final=True)
            self.utterance = None
            self.quiet_ms = 0.0

    def text(self) -> str:
        return " ".join(self.words[i % len(self.words)] for i in range(self.bursts))

    async def send_result(self, ten_env: AsyncTenEnv, final: bool) -> None:
        result = Data.create("asr_result")
        end_ms = self.position_ms - self.quiet_ms
        result.set_property_from_json(
            None,
            json.dumps(
                {
                    "id": self.utterance,
                    "text": self.text(),
                    "final": final,
                    "start_ms": int(self.start_ms),
                    "duration_ms": int(end_ms - self.start_ms),
                    "language": "en-US",
                    "metadata": {"session_id": self.session_id},
                }
            ),
        )
        err = await ten_env.send_data(result)
        if err is not None:
            ten_env.log_warn(f"energy ASR: sending asr_result failed: {err.error_message()}")
        elif final:
            ten_env.log_info(f"energy ASR heard \"{self.text()}\"")
