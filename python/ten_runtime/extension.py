"""A (sync) extension. Its callbacks run on the extension thread — here the dispatch loop of the
process hosting the extension group — and each lifecycle callback ends when it calls the matching
`ten_env.on_*_done()`, possibly later and from another thread. The message handlers do nothing by
default: a cmd nobody answers is never answered, and data is not forwarded (TEN's Python
defaults)."""

from typing import final

from .audio_frame import AudioFrame
from .cmd import Cmd
from .data import Data
from .ten_env import TenEnv
from .video_frame import VideoFrame


def _new_extension(cls: type) -> object:
    """An instance of an extension class, as TEN makes it: TEN's extensions derive from a C type
    whose constructor does not check abstract methods, so a subclass of an abstract base
    (ten_ai_base's are ABCs) that leaves one unimplemented can be made (TEN's own LLM extension
    template does); `object.__new__` would raise TypeError."""
    if getattr(cls, "__abstractmethods__", None):
        cls.__abstractmethods__ = frozenset()
    return object.__new__(cls)


class Extension:
    def __new__(cls, name: str, *args: object, **kwargs: object):
        return _new_extension(cls)

    def __init__(self, name: str) -> None:
        pass

    @final
    def _proxy_on_configure(self, ten_env: TenEnv) -> None:
        self.on_configure(ten_env)

    def on_configure(self, ten_env: TenEnv) -> None:
        ten_env.on_configure_done()

    @final
    def _proxy_on_init(self, ten_env: TenEnv) -> None:
        self.on_init(ten_env)

    def on_init(self, ten_env: TenEnv) -> None:
        ten_env.on_init_done()

    @final
    def _proxy_on_start(self, ten_env: TenEnv) -> None:
        self.on_start(ten_env)

    def on_start(self, ten_env: TenEnv) -> None:
        ten_env.on_start_done()

    @final
    def _proxy_on_stop(self, ten_env: TenEnv) -> None:
        self.on_stop(ten_env)

    def on_stop(self, ten_env: TenEnv) -> None:
        ten_env.on_stop_done()

    @final
    def _proxy_on_deinit(self, ten_env: TenEnv) -> None:
        self.on_deinit(ten_env)

    def on_deinit(self, ten_env: TenEnv) -> None:
        ten_env.on_deinit_done()

    @final
    def _proxy_on_cmd(self, ten_env: TenEnv, cmd: Cmd) -> None:
        self.on_cmd(ten_env, cmd)

    def on_cmd(self, _ten_env: TenEnv, _cmd: Cmd) -> None:
        pass

    @final
    def _proxy_on_data(self, ten_env: TenEnv, data: Data) -> None:
        self.on_data(ten_env, data)

    def on_data(self, _ten_env: TenEnv, _data: Data) -> None:
        pass

    @final
    def _proxy_on_video_frame(self, ten_env: TenEnv, video_frame: VideoFrame) -> None:
        self.on_video_frame(ten_env, video_frame)

    def on_video_frame(self, _ten_env: TenEnv, _video_frame: VideoFrame) -> None:
        pass

    @final
    def _proxy_on_audio_frame(self, ten_env: TenEnv, audio_frame: AudioFrame) -> None:
        self.on_audio_frame(ten_env, audio_frame)

    def on_audio_frame(self, _ten_env: TenEnv, _audio_frame: AudioFrame) -> None:
        pass
