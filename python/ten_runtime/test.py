"""`ExtensionTester`: runs one extension standalone, as TEN does.

The test graph has the extension under test (its node named after its addon) and the tester
(`ten:test_extension`), connected both ways for every message; or, after `set_test_mode_graph`,
it is the test's graph, in which the node of addon `ten:test_extension` is the tester and messages
go where its connections say. It runs on the studio's runtime:
the first `run()` of the process starts one `ten-studio` session (a node child on pipes), and the
extension and the tester themselves run in this process — the one whose modules a test patched —
on its dispatch thread. `run()` blocks until `stop_test()` (or the timeout) and the graph has
stopped, and returns the error given to `stop_test` (None: passed).
"""

from typing import Any, Callable, final

from .audio_frame import AudioFrame
from .cmd import Cmd
from .cmd_result import CmdResult
from .data import Data
from .error import TenError
from .test_base import TenEnvTesterBase
from .video_frame import VideoFrame

ResultHandler = Callable[["TenEnvTester", CmdResult | None, TenError | None], None]

ErrorHandler = Callable[["TenEnvTester", TenError | None], None]


class TenEnvTester(TenEnvTesterBase):
    def on_init_done(self) -> None:
        return self._internal.on_init_done()

    def on_start_done(self) -> None:
        return self._internal.on_start_done()

    def on_stop_done(self) -> None:
        return self._internal.on_stop_done()

    def on_deinit_done(self) -> None:
        return self._internal.on_deinit_done()

    def send_cmd(self, cmd: Cmd, result_handler: ResultHandler | None = None) -> TenError | None:
        return self._internal.send_cmd(cmd, result_handler, False)

    def send_cmd_ex(self, cmd: Cmd, result_handler: ResultHandler | None = None) -> TenError | None:
        return self._internal.send_cmd(cmd, result_handler, True)

    def send_data(self, data: Data, error_handler: ErrorHandler | None = None) -> TenError | None:
        return self._internal.send_data(data, error_handler)

    def send_audio_frame(self, audio_frame: AudioFrame,
                         error_handler: ErrorHandler | None = None) -> TenError | None:
        return self._internal.send_audio_frame(audio_frame, error_handler)

    def send_video_frame(self, video_frame: VideoFrame,
                         error_handler: ErrorHandler | None = None) -> TenError | None:
        return self._internal.send_video_frame(video_frame, error_handler)

    def return_result(self, cmd_result: CmdResult,
                      error_handler: ErrorHandler | None = None) -> TenError | None:
        return self._internal.return_result(cmd_result, error_handler)


class _TesterBase:
    """Test mode, timeout and `run()`, shared by both testers."""

    def _ten_cfg(self) -> dict[str, Any]:
        cfg = self.__dict__.get("_ten_test")
        if cfg is None:
            cfg = self.__dict__["_ten_test"] = {"addon": None, "property": "{}", "graph": None,
                                                  # TEN's default: 3 minutes; set_timeout(0) turns it off.
                                                  "timeout_us": 180_000_000}
        return cfg

    @final
    def set_test_mode_single(self, addon_name: str, property_json_str: str | None = None) -> None:
        cfg = self._ten_cfg()
        cfg["addon"] = addon_name
        cfg["property"] = property_json_str or "{}"
        cfg["graph"] = None

    @final
    def set_test_mode_graph(self, graph_json: str) -> None:
        cfg = self._ten_cfg()
        cfg["graph"] = graph_json
        cfg["addon"] = None

    @final
    def set_timeout(self, timeout_us: int) -> None:
        self._ten_cfg()["timeout_us"] = int(timeout_us)

    def _ten_run(self) -> TenError | None:
        from ten_studio_py.session import run_test

        return run_test(self, self._ten_cfg())


class ExtensionTester(_TesterBase):
    @final
    def run(self) -> TenError | None:
        return self._ten_run()

    @final
    def _proxy_on_init(self, ten_env_tester: TenEnvTester) -> None:
        self.on_init(ten_env_tester)

    def on_init(self, ten_env_tester: TenEnvTester) -> None:
        ten_env_tester.on_init_done()

    @final
    def _proxy_on_start(self, ten_env_tester: TenEnvTester) -> None:
        self.on_start(ten_env_tester)

    def on_start(self, ten_env_tester: TenEnvTester) -> None:
        ten_env_tester.on_start_done()

    @final
    def _proxy_on_stop(self, ten_env_tester: TenEnvTester) -> None:
        self.on_stop(ten_env_tester)

    def on_stop(self, ten_env_tester: TenEnvTester) -> None:
        ten_env_tester.on_stop_done()

    @final
    def _proxy_on_deinit(self, ten_env_tester: TenEnvTester) -> None:
        self.on_deinit(ten_env_tester)

    def on_deinit(self, ten_env_tester: TenEnvTester) -> None:
        ten_env_tester.on_deinit_done()

    @final
    def _proxy_on_cmd(self, ten_env_tester: TenEnvTester, cmd: Cmd) -> None:
        self.on_cmd(ten_env_tester, cmd)

    def on_cmd(self, _ten_env_tester: TenEnvTester, _cmd: Cmd) -> None:
        pass

    @final
    def _proxy_on_data(self, ten_env_tester: TenEnvTester, data: Data) -> None:
        self.on_data(ten_env_tester, data)

    def on_data(self, _ten_env_tester: TenEnvTester, _data: Data) -> None:
        pass

    @final
    def _proxy_on_audio_frame(self, ten_env_tester: TenEnvTester, audio_frame: AudioFrame) -> None:
        self.on_audio_frame(ten_env_tester, audio_frame)

    def on_audio_frame(self, _ten_env_tester: TenEnvTester, _audio_frame: AudioFrame) -> None:
        pass

    @final
    def _proxy_on_video_frame(self, ten_env_tester: TenEnvTester, video_frame: VideoFrame) -> None:
        self.on_video_frame(ten_env_tester, video_frame)

    def on_video_frame(self, _ten_env_tester: TenEnvTester, _video_frame: VideoFrame) -> None:
        pass
