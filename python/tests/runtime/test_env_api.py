"""Every ten_env family of a sync Extension, through the studio runtime (a real node session)."""

import json
import threading

from ten_runtime import (
    AudioFrame,
    Cmd,
    CmdResult,
    Data,
    ExtensionTester,
    LogLevel,
    StatusCode,
    TenEnvTester,
    TenErrorCode,
    VideoFrame,
)


def run(tester: ExtensionTester, props: dict | None = None) -> object:
    tester.set_test_mode_single("scripted_python", json.dumps(props or {}))
    tester.set_timeout(20_000_000)
    return tester.run()


class StopAtStart(ExtensionTester):
    def on_start(self, env: TenEnvTester) -> None:
        env.on_start_done()
        env.stop_test()


def test_lifecycle_runs_in_order(scripted_hooks):
    assert run(StopAtStart()) is None
    assert scripted_hooks.SEEN == ["on_configure", "on_init", "on_start", "on_stop", "on_deinit"]


def test_properties(scripted_hooks):
    got = {}

    def on_init(ext, env):
        got["json"] = env.get_property_to_json("")
        got["int"] = env.get_property_int("n")
        got["node"] = env.get_property_string("from_node")
        got["pkg"] = env.get_property_string("from_package")
        got["exists"] = (env.is_property_exist("n"), env.is_property_exist("nope"))
        env.set_property_int("a.b", 5)
        env.set_property_string("s", "x")
        env.set_property_bool("t", True)
        env.set_property_float("f", 2.5)
        env.set_property_from_json("j", '{"k": [1, 2]}')
        env.init_property_from_json('{"a": {"c": 1}}')
        got["after"] = json.loads(env.get_property_to_json()[0])
        got["wrong"] = env.get_property_int("s")[1]
        got["missing"] = env.get_property_string("nope")[1]
        got["bad_json"] = env.set_property_from_json("x", "{")
        env.on_init_done()

    scripted_hooks.HOOKS["on_init"] = on_init
    assert run(StopAtStart(), {"from_node": "node"}) is None
    assert got["int"] == (1, None) and got["node"] == ("node", None) and got["pkg"] == ("package", None)
    assert got["exists"] == ((True, None), (False, None))
    assert got["after"]["a"] == {"b": 5, "c": 1} and got["after"]["j"] == {"k": [1, 2]}
    assert (got["after"]["s"], got["after"]["t"], got["after"]["f"]) == ("x", True, 2.5)
    assert got["wrong"].error_code() == TenErrorCode.ErrorCodeInvalidType
    assert got["missing"].error_message() == "The property 'nope' does not exist."
    assert got["bad_json"].error_code() == TenErrorCode.ErrorCodeInvalidJSON


class AskAndCollect(ExtensionTester):
    def __init__(self, cmds: list[str]) -> None:
        super().__init__()
        self.cmds = cmds
        self.results: list[tuple] = []

    def on_start(self, env: TenEnvTester) -> None:
        for name in self.cmds:
            env.send_cmd_ex(Cmd.create(name), self.collect) if name.startswith("ex:") else env.send_cmd(Cmd.create(name), self.collect)
        env.on_start_done()

    def collect(self, env: TenEnvTester, result, error) -> None:
        if error is not None:
            self.results.append(("error", error.error_code(), error.error_message()))
        else:
            self.results.append((result.get_name(), int(result.get_status_code()), result.get_property_to_json("i")[0],
                                 result.is_final(), result.is_completed()))
        if len(self.results) == self.want:
            env.stop_test()


def test_results_one_or_streamed(scripted_hooks):
    def on_cmd(ext, env, cmd):
        n = 3 if cmd.get_name().startswith("ex:") else 1
        for i in range(n):
            r = CmdResult.create(StatusCode.OK, cmd)
            r.set_property_int("i", i)
            r.set_final(i == n - 1)
            assert env.return_result(r) is None

    scripted_hooks.HOOKS["on_cmd"] = on_cmd
    t = AskAndCollect(["ex:stream", "one"])
    t.want = 4
    assert run(t) is None
    assert sorted(t.results) == sorted([
        ("ex:stream", 0, "0", False, False), ("ex:stream", 0, "1", False, False), ("ex:stream", 0, "2", True, True),
        ("one", 0, "0", True, True)])


class SendAll(ExtensionTester):
    def on_start(self, env: TenEnvTester) -> None:
        d = Data.create("d")
        d.alloc_buf(3)
        v = d.lock_buf()
        v[:] = b"abc"
        d.unlock_buf(v)
        env.send_data(d)
        a = AudioFrame.create("a")
        a.set_sample_rate(48000)
        a.alloc_buf(4)
        env.send_audio_frame(a)
        f = VideoFrame.create("v")
        f.set_width(3)
        f.set_height(2)
        env.send_video_frame(f)
        env.on_start_done()

    def on_data(self, env: TenEnvTester, data: Data) -> None:
        self.back = (data.get_name(), bytes(data.get_buf()), data.get_property_string("via"))
        env.stop_test()


def test_data_and_frames_both_ways(scripted_hooks):
    seen = []

    def on_data(ext, env, data):
        seen.append(("data", bytes(data.get_buf()), data.get_source().extension_name))

    def on_audio(ext, env, frame):
        seen.append(("audio", frame.get_sample_rate(), len(frame.get_buf())))

    def on_video(ext, env, frame):
        seen.append(("video", frame.get_width(), frame.get_height()))
        d = Data.create("back")
        d.set_property_string("via", "ext")
        d.alloc_buf(2)
        env.send_data(d)

    scripted_hooks.HOOKS.update(on_data=on_data, on_audio_frame=on_audio, on_video_frame=on_video)
    t = SendAll()
    assert run(t) is None
    assert seen == [("data", b"abc", "ten:test_extension"), ("audio", 48000, 4), ("video", 3, 2)]
    assert t.back == ("back", b"\x00\x00", ("ext", None))


class Unconnected(ExtensionTester):
    def on_start(self, env: TenEnvTester) -> None:
        env.on_start_done()
        env.stop_test()


def test_routing_errors_reach_the_handlers_later(scripted_hooks):
    got = []

    def on_start(ext, env):
        from ten_runtime import Loc

        c = Cmd.create("c")
        c.set_dests([Loc("", "", "nobody")])
        got.append(env.send_cmd(c, lambda e, r, err: got.append(("cmd", r, err.error_message() if err else None))))
        d = Data.create("d")
        d.set_dests([Loc("", "", "nobody")])
        got.append(env.send_data(d, lambda e, err: got.append(("data", err))))
        env.on_start_done()

    scripted_hooks.HOOKS["on_start"] = on_start
    assert run(Unconnected()) is None
    assert got[0] is None and got[1] is None
    # A cmd to an unknown extension gets an error result; data to it is dropped (sent: no error).
    assert ("data", None) in got


def test_sent_messages_are_invalidated_and_envs_are_thread_safe(scripted_hooks):
    got = {}

    def on_start(ext, env):
        d = Data.create("d")
        env.send_data(d)
        try:
            d.get_name()
        except ValueError as e:
            got["invalid"] = str(e)

        def worker():
            got["thread"] = env.log(LogLevel.INFO, "from a thread")
            env.on_start_done()

        threading.Thread(target=worker).start()

    scripted_hooks.HOOKS["on_start"] = on_start
    assert run(StopAtStart()) is None
    assert got == {"invalid": "Msg is invalidated.", "thread": None}


def test_closed_env_returns_tens_errors(scripted_hooks):
    got = {}

    def on_deinit(ext, env):
        env.on_deinit_done()
        got["log"] = env.log_info("late")
        got["send"] = env.send_data(Data.create("d"))
        got["prop"] = env.get_property_int("n")
        try:
            env.on_deinit_done()
        except ValueError as e:
            got["done"] = str(e)

    scripted_hooks.HOOKS["on_deinit"] = on_deinit
    assert run(StopAtStart()) is None
    assert str(got["log"]) == "error_code: 6, error_message: ten_env.log() failed because ten is closed."
    assert str(got["send"]) == "error_code: 6, error_message: ten_env.send_data() failed because the TEN is closed."
    assert got["prop"][1].error_message() == "ten_env.get_property_int() failed because ten is closed."
    assert got["done"] == "ten_env.on_deinit_done() failed because ten_env_proxy is invalid."


def test_an_exception_in_the_extension_fails_the_test(scripted_hooks):
    def on_cmd(ext, env, cmd):
        raise KeyError("boom")

    scripted_hooks.HOOKS["on_cmd"] = on_cmd
    t = AskAndCollect(["x"])
    t.want = 1
    try:
        run(t)
    except KeyError as e:
        assert str(e) == "'boom'"
    else:
        raise AssertionError("run() should raise the extension's exception")


def test_a_group_that_cannot_be_hosted_fails_the_test_instead_of_hanging(monkeypatch):
    # The test graph's group is hosted in this process; when hosting it fails (an import error in
    # the runtime, say), run() must end with that error, not wait forever for the group.
    from ten_studio_py import session

    def broken(*args, **kwargs):
        raise ImportError("cannot import name 'Dispatcher' (simulated)")

    monkeypatch.setattr(session, "Dispatcher", broken)
    done = {}

    def go():
        try:
            done["result"] = run(StopAtStart())
        except BaseException as e:  # noqa: BLE001 - what run() raised is the point
            done["raised"] = e

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(60)
    assert not t.is_alive(), "run() hung when the group could not be hosted"
    assert isinstance(done.get("raised"), ImportError)


def test_run_raises_when_the_package_under_test_fails_to_import():
    """TEN ends the process when the extension under test cannot be loaded; here the test fails
    with the import error (a vendor SDK that is not installed), while a package that is not there
    at all is an error result."""
    import os

    import pytest
    from ten_studio_py.dispatch import ensure_ten_packages

    here = os.path.dirname(os.path.abspath(__file__))
    ensure_ten_packages([os.path.join(here, "..", "..", "..", "test", "fixtures", "python", "ten_packages", "extension")])
    tester = ExtensionTester()
    tester.set_test_mode_single("py_broken")
    with pytest.raises(ModuleNotFoundError, match="a_module_nobody_has"):
        tester.run()
    missing = ExtensionTester()
    missing.set_test_mode_single("no_package_by_this_name")
    err = missing.run()
    assert err is not None and "ten_packages.extension.no_package_by_this_name cannot be imported" in err.error_message()


def test_run_raises_what_on_create_instance_raised(tmp_path):
    """An addon that imports its vendor SDK in on_create_instance (TEN's AI extensions do): TEN
    ends the process when it raises; here run() raises it, so the test fails."""
    import os

    import pytest
    from ten_studio_py.dispatch import ensure_ten_packages

    pkg = tmp_path / "lazy_vendor_python"
    pkg.mkdir()
    (pkg / "manifest.json").write_text(
        '{"type": "extension", "name": "lazy_vendor_python", "version": "0.1.0",'
        ' "dependencies": [{"type": "system", "name": "ten_runtime_python", "version": "0.11"}]}'
    )
    (pkg / "__init__.py").write_text(
        "from ten_runtime import Addon, register_addon_as_extension\n\n\n"
        '@register_addon_as_extension("lazy_vendor_python")\n'
        "class LazyAddon(Addon):\n"
        "    def on_create_instance(self, ten_env, name, context):\n"
        "        import a_vendor_sdk_nobody_has  # noqa: F401\n"
    )
    ensure_ten_packages([os.fspath(tmp_path)])
    tester = ExtensionTester()
    tester.set_test_mode_single("lazy_vendor_python")
    with pytest.raises(ModuleNotFoundError, match="a_vendor_sdk_nobody_has"):
        tester.run()


class FramesWithProperties(ExtensionTester):
    def on_start(self, env: TenEnvTester) -> None:
        a = AudioFrame.create("pcm_frame")
        a.set_property_from_json("metadata", json.dumps({"session_id": "123"}))
        a.set_property_string("who", "tester")
        a.alloc_buf(4)
        buf = a.lock_buf()
        buf[:] = b"\x01\x02\x01\x02"
        a.unlock_buf(buf)
        env.send_audio_frame(a)
        d = Data.create("asr_finalize")
        d.set_property_from_json(None, json.dumps({"finalize_id": "1", "metadata": {"session_id": "123"}}))
        env.send_data(d)
        env.on_start_done()

    def on_data(self, env: TenEnvTester, data: Data) -> None:
        env.stop_test()


def test_properties_of_frames_and_data_reach_the_extension(scripted_hooks):
    seen = []
    kept = []

    def on_audio(ext, env, frame):
        # Kept past its handler, as ten_ai_base's ASR queue does: read when the data has come.
        kept.append(frame)

    def on_data(ext, env, data):
        frame = kept[0]
        seen.append(("audio", json.loads(frame.get_property_to_json("metadata")[0]), frame.get_property_string("who")[0], len(frame.get_buf())))
        seen.append(("data", json.loads(data.get_property_to_json(None)[0])))
        env.send_data(Data.create("back"))

    scripted_hooks.HOOKS.update(on_data=on_data, on_audio_frame=on_audio)
    assert run(FramesWithProperties()) is None
    assert seen == [("audio", {"session_id": "123"}, "tester", 4), ("data", {"finalize_id": "1", "metadata": {"session_id": "123"}})]
