"""A language model that only echoes: "You said <what the ASR heard>."

It streams its answer as TEN's LLM extensions do towards a TTS, in text_data chunks (the last
with end_of_segment and is_final), after first_token_ms (a model's time to first token). The
first words of a new utterance while it answers are a barge-in: it drops the answer and sends
flush, which the TTS and the transport take to stop the audio not yet played.
"""

import asyncio

from ten_runtime import AsyncExtension, AsyncTenEnv, Cmd, CmdResult, Data, StatusCode


class EchoLlmExtension(AsyncExtension):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.greeting = "Hello."
        self.first_token_ms = 200
        self.answering: asyncio.Task[None] | None = None
        self.utterance = ""
        self.answers = 0

    async def on_configure(self, ten_env: AsyncTenEnv) -> None:
        greeting, err = await ten_env.get_property_string("greeting")
        if err is None:
            self.greeting = greeting
        delay, err = await ten_env.get_property_int("first_token_ms")
        if err is None and delay >= 0:
            self.first_token_ms = delay

    async def on_stop(self, ten_env: AsyncTenEnv) -> None:
        if self.answering is not None:
            self.answering.cancel()
        ten_env.log_info(f"echo LLM: answered {self.answers} time(s)")

    async def on_cmd(self, ten_env: AsyncTenEnv, cmd: Cmd) -> None:
        if cmd.get_name() == "on_user_joined" and self.greeting:
            await self.say(ten_env, [self.greeting])
        await ten_env.return_result(CmdResult.create(StatusCode.OK, cmd))

    async def on_data(self, ten_env: AsyncTenEnv, data: Data) -> None:
        if data.get_name() != "asr_result":
            return
        text, _ = data.get_property_string("text")
        final, _ = data.get_property_bool("final")
        utterance, _ = data.get_property_string("id")
        if utterance != self.utterance:
            # A new utterance: whatever is being said is interrupted (barge-in).
            self.utterance = utterance
            await self.interrupt(ten_env)
        if final and text:
            self.answering = asyncio.create_task(self.answer(ten_env, text))

    async def interrupt(self, ten_env: AsyncTenEnv) -> None:
        if self.answering is not None and not self.answering.done():
            self.answering.cancel()
        self.answering = None
        flush = Cmd.create("flush")
        await ten_env.send_cmd(flush)

    async def answer(self, ten_env: AsyncTenEnv, heard: str) -> None:
        await asyncio.sleep(self.first_token_ms / 1000)
        self.answers += 1
        await self.say(ten_env, ["You said", f"{heard}."])

    async def say(self, ten_env: AsyncTenEnv, chunks: list[str]) -> None:
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            out = Data.create("text_data")
            out.set_property_string("text", chunk)
            out.set_property_bool("is_final", last)
            out.set_property_bool("end_of_segment", last)
            await ten_env.send_data(out)
            if not last:
                await asyncio.sleep(0.05)
