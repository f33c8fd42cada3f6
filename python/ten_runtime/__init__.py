"""TEN's Python API (`ten_runtime`), our own implementation for TEN Graph Studio.

Same module layout and public names as TEN's package, so extensions and their tests run
unmodified; the runtime behind it is the studio's (TypeScript) runtime, reached over a pipe.
"""

from .addon import Addon
from .addon_manager import _AddonManager, register_addon_as_extension
from .app import App
from .async_extension import AsyncExtension
from .async_ten_env import AsyncTenEnv
from .async_test import AsyncExtensionTester, AsyncTenEnvTester
from .audio_frame import AudioFrame, AudioFrameDataFmt
from .cmd import Cmd
from .cmd_result import CmdResult, StatusCode
from .data import Data
from .error import TenError, TenErrorCode
from .extension import Extension
from .loc import Loc
from .log_level import LogLevel
from .log_option import DefaultLogOption, LogOption
from .send_options import SendOptions
from .start_graph_cmd import StartGraphCmd
from .stop_graph_cmd import StopGraphCmd
from .ten_env import TenEnv
from .test import ExtensionTester, TenEnvTester
from .trigger_life_cycle_cmd import TriggerLifeCycleCmd
from .value import Value, ValueType
from .video_frame import PixelFmt, VideoFrame

__all__ = [
    "Addon",
    "_AddonManager",
    "register_addon_as_extension",
    "App",
    "Extension",
    "AsyncExtension",
    "TenEnv",
    "TenErrorCode",
    "AsyncTenEnv",
    "SendOptions",
    "Cmd",
    "StatusCode",
    "StartGraphCmd",
    "StopGraphCmd",
    "TriggerLifeCycleCmd",
    "VideoFrame",
    "AudioFrame",
    "Data",
    "CmdResult",
    "PixelFmt",
    "AudioFrameDataFmt",
    "LogLevel",
    "LogOption",
    "DefaultLogOption",
    "ExtensionTester",
    "TenEnvTester",
    "TenError",
    "Value",
    "ValueType",
    "AsyncExtensionTester",
    "AsyncTenEnvTester",
    "Loc",
]
