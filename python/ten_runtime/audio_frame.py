from enum import IntEnum
from typing import TypeVar, cast

from .msg import _BufMsg, _invalidated

T = TypeVar("T", bound="AudioFrame")


class AudioFrameDataFmt(IntEnum):
    INTERLEAVE = 1
    NON_INTERLEAVE = 2


class AudioFrame(_BufMsg):
    _type = "audio_frame"
    _sample_rate: int = 0
    _bytes_per_sample: int = 0
    _samples_per_channel: int = 0
    _channels: int = 0
    _channel_layout: int = 0
    _data_fmt: int = 1
    _line_size: int = 0
    _eof: bool = False

    def __init__(self, name: str):
        raise NotImplementedError("Use AudioFrame.create instead.")

    @classmethod
    def create(cls: type[T], name: str) -> T:
        if not isinstance(name, str) or name == "":
            raise ValueError("The audio frame name must be a non-empty string.")
        return cls._new(name)  # type: ignore[no-any-return]  # (no typing.cast call: one per message)

    def clone(self) -> "AudioFrame":
        if not self._valid:
            raise _invalidated(self)
        return cast("AudioFrame", self._copy_into(type(self)._new(self._name)))

    def _field(self, attr: str) -> int:
        if not self._valid:
            raise _invalidated(self)
        return getattr(self, attr)

    def _put(self, attr: str, value: int) -> None:
        if not self._valid:
            raise _invalidated(self)
        setattr(self, attr, int(value))

    def get_timestamp(self) -> int:
        return self._field("_ts")

    def set_timestamp(self, timestamp: int) -> None:
        self._put("_ts", timestamp)

    def get_sample_rate(self) -> int:
        return self._field("_sample_rate")

    def set_sample_rate(self, sample_rate: int) -> None:
        self._put("_sample_rate", sample_rate)

    def get_samples_per_channel(self) -> int:
        return self._field("_samples_per_channel")

    def set_samples_per_channel(self, samples_per_channel: int) -> None:
        self._put("_samples_per_channel", samples_per_channel)

    def get_bytes_per_sample(self) -> int:
        return self._field("_bytes_per_sample")

    def set_bytes_per_sample(self, bytes_per_sample: int) -> None:
        self._put("_bytes_per_sample", bytes_per_sample)

    def get_number_of_channels(self) -> int:
        return self._field("_channels")

    def set_number_of_channels(self, number_of_channels: int) -> None:
        self._put("_channels", number_of_channels)

    def get_channel_layout(self) -> int:
        return self._field("_channel_layout")

    def set_channel_layout(self, channel_layout: int) -> None:
        self._put("_channel_layout", channel_layout)

    def get_data_fmt(self) -> AudioFrameDataFmt:
        return AudioFrameDataFmt(self._field("_data_fmt") or 1)

    def set_data_fmt(self, data_fmt: AudioFrameDataFmt) -> None:
        self._put("_data_fmt", data_fmt)

    def get_line_size(self) -> int:
        return self._field("_line_size")

    def set_line_size(self, line_size: int) -> None:
        self._put("_line_size", line_size)

    def is_eof(self) -> bool:
        return bool(self._field("_eof"))

    def set_eof(self, is_eof: bool) -> None:
        if not self._valid:
            raise _invalidated(self)
        self._eof = bool(is_eof)
