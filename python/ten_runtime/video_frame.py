from enum import IntEnum
from typing import TypeVar, cast

from .msg import _BufMsg, _invalidated

T = TypeVar("T", bound="VideoFrame")


class PixelFmt(IntEnum):
    RGB24 = 1
    RGBA = 2
    BGR24 = 3
    BGRA = 4
    I422 = 5
    I420 = 6
    NV21 = 7
    NV12 = 8


class VideoFrame(_BufMsg):
    _type = "video_frame"
    _width: int = 0
    _height: int = 0
    _pixel_fmt: int = 1
    _eof: bool = False

    def __init__(self, name: str):
        raise NotImplementedError("Use VideoFrame.create instead.")

    @classmethod
    def create(cls: type[T], name: str) -> T:
        if not isinstance(name, str) or name == "":
            raise ValueError("The video frame name must be a non-empty string.")
        return cls._new(name)  # type: ignore[no-any-return]  # (no typing.cast call: one per message)

    def clone(self) -> "VideoFrame":
        if not self._valid:
            raise _invalidated(self)
        return cast("VideoFrame", self._copy_into(type(self)._new(self._name)))

    def _field(self, attr: str) -> int:
        if not self._valid:
            raise _invalidated(self)
        return getattr(self, attr)

    def _put(self, attr: str, value: int) -> None:
        if not self._valid:
            raise _invalidated(self)
        setattr(self, attr, int(value))

    def get_width(self) -> int:
        return self._field("_width")

    def set_width(self, width: int) -> None:
        self._put("_width", width)

    def get_height(self) -> int:
        return self._field("_height")

    def set_height(self, height: int) -> None:
        self._put("_height", height)

    def get_timestamp(self) -> int:
        return self._field("_ts")

    def set_timestamp(self, timestamp: int) -> None:
        self._put("_ts", timestamp)

    def get_pixel_fmt(self) -> PixelFmt:
        return PixelFmt(self._field("_pixel_fmt") or 1)

    def set_pixel_fmt(self, pixel_fmt: PixelFmt) -> None:
        self._put("_pixel_fmt", pixel_fmt)

    def is_eof(self) -> bool:
        return bool(self._field("_eof"))

    def set_eof(self, eof: bool) -> None:
        if not self._valid:
            raise _invalidated(self)
        self._eof = bool(eof)
