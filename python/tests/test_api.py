"""ten_runtime's public surface: TEN's names, module layout and exact texts."""

import importlib

import pytest

import ten_runtime
from ten_runtime import (
    AudioFrame,
    AudioFrameDataFmt,
    Cmd,
    CmdResult,
    Data,
    LogLevel,
    LogOption,
    PixelFmt,
    SendOptions,
    StartGraphCmd,
    StatusCode,
    StopGraphCmd,
    TenError,
    TenErrorCode,
    TriggerLifeCycleCmd,
    Value,
    ValueType,
    VideoFrame,
)

# TEN's `ten_runtime.__all__`.
TEN_ALL = [
    "Addon", "_AddonManager", "register_addon_as_extension", "App", "Extension", "AsyncExtension",
    "TenEnv", "TenErrorCode", "AsyncTenEnv", "SendOptions", "Cmd", "StatusCode", "StartGraphCmd",
    "StopGraphCmd", "TriggerLifeCycleCmd", "VideoFrame", "AudioFrame", "Data", "CmdResult",
    "PixelFmt", "AudioFrameDataFmt", "LogLevel", "LogOption", "DefaultLogOption", "ExtensionTester",
    "TenEnvTester", "TenError", "Value", "ValueType", "AsyncExtensionTester", "AsyncTenEnvTester", "Loc",
]


def test_public_names_are_tens():
    assert sorted(ten_runtime.__all__) == sorted(TEN_ALL)
    for name in TEN_ALL:
        assert hasattr(ten_runtime, name), name


@pytest.mark.parametrize("module,names", [
    ("ten_runtime.async_ten_env", ["AsyncTenEnv"]),
    ("ten_runtime.async_extension", ["AsyncExtension"]),
    ("ten_runtime.cmd", ["Cmd"]),
    ("ten_runtime.cmd_result", ["CmdResult", "StatusCode"]),
    ("ten_runtime.data", ["Data"]),
    ("ten_runtime.audio_frame", ["AudioFrame", "AudioFrameDataFmt"]),
    ("ten_runtime.video_frame", ["VideoFrame", "PixelFmt"]),
    ("ten_runtime.ten_env", ["TenEnv", "ResultHandler", "ErrorHandler"]),
    ("ten_runtime.extension", ["Extension"]),
    ("ten_runtime.error", ["TenError", "TenErrorCode"]),
    ("ten_runtime.log_level", ["LogLevel"]),
    ("ten_runtime.log_option", ["LogOption", "DefaultLogOption"]),
    ("ten_runtime.send_options", ["SendOptions"]),
    ("ten_runtime.loc", ["Loc"]),
    ("ten_runtime.value", ["Value", "ValueType"]),
    ("ten_runtime.addon", ["Addon"]),
    ("ten_runtime.addon_manager", ["register_addon_as_extension", "_AddonManager"]),
    ("ten_runtime.app", ["App"]),
    ("ten_runtime.test", ["ExtensionTester", "TenEnvTester"]),
    ("ten_runtime.async_test", ["AsyncExtensionTester", "AsyncTenEnvTester"]),
    ("ten_runtime.msg", ["Msg"]),
    ("ten_runtime.start_graph_cmd", ["StartGraphCmd"]),
    ("ten_runtime.stop_graph_cmd", ["StopGraphCmd"]),
    ("ten_runtime.trigger_life_cycle_cmd", ["TriggerLifeCycleCmd"]),
    ("ten_runtime.ten_env_base", ["TenEnvBase"]),
    ("ten_runtime.test_base", ["TenEnvTesterBase"]),
])
def test_submodules_extensions_import(module, names):
    m = importlib.import_module(module)
    for n in names:
        assert hasattr(m, n), f"{module}.{n}"


def test_error_texts_are_tens():
    e = TenError.create(TenErrorCode.ErrorCodeGeneric, "error response")
    assert str(e) == "error_code: 1, error_message: error response"
    assert e.error_code() == TenErrorCode.ErrorCodeGeneric
    assert e.error_message() == "error response"
    empty = TenError.create(TenErrorCode.ErrorCodeTimeout)
    assert empty.error_message() == ""
    assert str(empty) == "error_code: 8, error_message: "
    with pytest.raises(NotImplementedError):
        TenError(1, "x")


def test_enums_match_ten():
    assert [c.value for c in TenErrorCode] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert TenErrorCode.ErrorCodeTenIsClosed == 6
    assert (LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR) == (1, 2, 3, 4)
    assert (StatusCode.OK, StatusCode.ERROR) == (0, 1)
    assert PixelFmt.NV12 == 8 and AudioFrameDataFmt.NON_INTERLEAVE == 2
    assert LogOption().skip == 2 and LogOption().sync is False
    assert SendOptions().wait_for_result is False


@pytest.mark.parametrize("cls", [Cmd, Data, AudioFrame, VideoFrame])
def test_messages_are_made_with_create(cls):
    with pytest.raises(NotImplementedError):
        cls("x")
    m = cls.create("hello")
    assert m.get_name() == "hello"


def test_builtin_cmds_have_their_names():
    assert StartGraphCmd.create().get_name() == "ten:start_graph"
    assert StopGraphCmd.create().get_name() == "ten:stop_graph"
    assert TriggerLifeCycleCmd.create().get_name() == "ten:trigger_life_cycle"
    s = StartGraphCmd.create()
    assert s.set_predefined_graph_name("g") is True
    assert s.get_property_string("predefined_graph_name") == ("g", None)
    assert Cmd.create("ten:timer")._type == "timer"


def test_properties_by_path():
    d = Data.create("d")
    assert d.set_property_int("a.b[2].c", 7) is None
    assert d.get_property_to_json() == ('{"a":{"b":[null,null,{"c":7}]}}', None)
    assert d.get_property_int("a.b[2].c") == (7, None)
    assert d.set_property_string("s", "héllo") is None
    assert d.get_property_to_json("s") == ('"héllo"', None)
    assert d.set_property_bool("t", True) is None
    assert d.get_property_bool("t") == (True, None)
    assert d.set_property_float("f", 1.5) is None
    assert d.get_property_float("f") == (1.5, None)
    assert d.set_property_from_json("j", '{"x": [1, 2]}') is None
    assert d.get_property_to_json("j.x[1]") == ("2", None)
    # int64/uint64 stay exact.
    assert d.set_property_from_json("big", "18446744073709551615") is None
    assert d.get_property_int("big") == (18446744073709551615, None)
    assert d.get_property_to_json("big") == ("18446744073709551615", None)


def test_property_errors():
    d = Data.create("d")
    d.set_property_string("s", "x")
    v, err = d.get_property_int("s")
    assert v == 0 and err is not None and err.error_code() == TenErrorCode.ErrorCodeInvalidType
    v, err = d.get_property_string("missing")
    assert v == "" and err is not None and err.error_message() == "The property 'missing' does not exist."
    err = d.set_property_from_json("x", "{nope")
    assert err is not None and err.error_code() == TenErrorCode.ErrorCodeInvalidJSON
    # A whole float arrives as an int (JSON has one number type): float getters take it.
    d.set_property_from_json("n", "3")
    assert d.get_property_float("n") == (3.0, None)
    # A bool is not an int.
    d.set_property_bool("b", True)
    assert d.get_property_int("b")[1] is not None


def test_buffers_lock_without_copy_get_copies():
    f = AudioFrame.create("pcm")
    f.alloc_buf(4)
    view = f.lock_buf()
    view[0] = 9
    f.unlock_buf(view)
    assert f.get_buf() == bytearray([9, 0, 0, 0])
    copy = f.get_buf()
    copy[0] = 1
    assert f.get_buf()[0] == 9
    d = Data.create("d")
    d.set_property_buf("b", b"\x01\x02")
    assert d.get_property_buf("b") == (bytearray(b"\x01\x02"), None)


def test_frame_fields():
    a = AudioFrame.create("a")
    a.set_sample_rate(16000)
    a.set_bytes_per_sample(2)
    a.set_samples_per_channel(320)
    a.set_number_of_channels(1)
    a.set_data_fmt(AudioFrameDataFmt.INTERLEAVE)
    a.set_line_size(640)
    a.set_timestamp(123)
    a.set_eof(True)
    assert (a.get_sample_rate(), a.get_bytes_per_sample(), a.get_samples_per_channel(), a.get_number_of_channels(),
            a.get_data_fmt(), a.get_line_size(), a.get_timestamp(), a.is_eof()) == (16000, 2, 320, 1, 1, 640, 123, True)
    v = VideoFrame.create("v")
    v.set_width(640)
    v.set_height(480)
    v.set_pixel_fmt(PixelFmt.RGBA)
    v.set_timestamp(5)
    assert (v.get_width(), v.get_height(), v.get_pixel_fmt(), v.get_timestamp(), v.is_eof()) == (640, 480, PixelFmt.RGBA, 5, False)


def test_clone_copies_everything_but_identity():
    c = Cmd.create("c")
    c.set_property_from_json("", '{"a": {"b": 1}}')
    c._cmd_id = "abc"
    k = c.clone()
    assert k.get_name() == "c" and k.get_property_to_json() == ('{"a":{"b":1}}', None)
    assert k._cmd_id == ""
    k.set_property_int("a.b", 2)
    assert c.get_property_int("a.b") == (1, None)
    a = AudioFrame.create("a")
    a.alloc_buf(2)
    a.set_sample_rate(8000)
    b = a.clone()
    assert b.get_sample_rate() == 8000 and b.get_buf() == a.get_buf() and b._buf is not a._buf


def test_result_of_a_cmd():
    c = Cmd.create("hello")
    c._cmd_id = "id-1"
    c._src = ("app", "g", "sender")
    r = CmdResult.create(StatusCode.ERROR, c)
    assert r.get_status_code() == StatusCode.ERROR
    assert r.get_name() == "hello" and r._cmd_id == "id-1" and r._dests == [("app", "g", "sender")]
    assert r.is_final() is True and r.is_completed() is False
    r.set_final(False)
    assert r.is_final() is False


def test_invalidated_message_raises_tens_text():
    d = Data.create("d")
    d._valid = False  # what a send does
    for call in (lambda: d.get_name(), lambda: d.set_property_int("x", 1), lambda: d.get_property_to_json(),
                 lambda: d.lock_buf(), lambda: d.clone(), lambda: d.get_source()):
        with pytest.raises(ValueError, match=r"^Msg is invalidated\.$"):
            call()


def test_set_dests_checks_each_loc_as_ten_and_keeps_the_old_dests_on_error():
    # TEN's set_dests_internal checks every Loc first (ten_loc_str_check_correct), and sets none
    # when one is wrong; its set_dest_python test asserts the first error.
    from ten_runtime import Loc

    c = Cmd.create("c")
    assert c.set_dests([Loc("", "", "a")]) is None
    err = c.set_dests([Loc("", "", "b"), Loc(None, "", "x")])
    assert (err.error_code(), err.error_message()) == (TenErrorCode.ErrorCodeInvalidArgument, "App URI cannot be empty.")
    err = c.set_dests([Loc("", None, "x")])
    assert (err.error_code(), err.error_message()) == (
        TenErrorCode.ErrorCodeInvalidArgument, "Graph ID cannot be empty when extension name is provided.")
    assert c._dests == [("", "", "a")]
    assert c.set_dests([Loc("")]) is None
    assert c.set_dests([]) is None


def test_source_of_a_new_message_is_empty():
    loc = Data.create("d").get_source()
    assert (loc.app_uri, loc.graph_id, loc.extension_name) == (None, None, None)


def test_value():
    v = Value.from_python({"a": [1, 2.5, "x", True, None], "b": b"\x00"})
    assert v.get_type() == ValueType.OBJECT
    obj, err = v.get_object()
    assert err is None and obj["a"].get_array()[0][1].get_float() == (2.5, None)
    assert v.get_int()[1].error_code() == TenErrorCode.ErrorCodeInvalidType
    assert v._to_plain() == {"a": [1, 2.5, "x", True, None], "b": "<1 bytes>"}


def test_the_last_registration_before_first_use_is_the_addon():
    """As TEN: a package imported under two module names registers twice; the runtime uses the
    registration made last before it first needs the addon, and only that one from then on."""
    from ten_runtime import Addon, register_addon_as_extension
    from ten_runtime.addon_manager import _AddonManager

    first = register_addon_as_extension("twice_imported_probe")(type("First", (Addon,), {}))
    second = register_addon_as_extension("twice_imported_probe")(type("Second", (Addon,), {}))
    found = _AddonManager._find("twice_imported_probe")
    assert found is not None and found[0] is second and found[0] is not first
    register_addon_as_extension("twice_imported_probe")(type("Third", (Addon,), {}))
    found = _AddonManager._find("twice_imported_probe")
    assert found is not None and found[0] is second


@pytest.mark.parametrize("base", [ten_runtime.Extension, ten_runtime.AsyncExtension])
def test_an_extension_with_an_abstract_method_left_can_be_made(base):
    """As TEN (its extensions derive from a C type): TEN's LLM template extends ten_ai_base's
    abstract base without implementing every abstract method and still runs."""
    import abc

    class Base(base, abc.ABC):
        @abc.abstractmethod
        def on_retrieve_prompt(self) -> str: ...

    class Partial(Base):
        pass

    ext = Partial("partial")
    assert isinstance(ext, Base)


def test_a_tester_times_out_after_tens_default_unless_set():
    """TEN's testers stop a test that never calls stop_test after 3 minutes
    (TEN_EXTENSION_TESTER_DEFAULT_TIMEOUT_US); set_timeout(0) turns that off."""
    for cls in (ten_runtime.ExtensionTester, ten_runtime.AsyncExtensionTester):
        t = cls()
        assert t._ten_cfg()["timeout_us"] == 180_000_000
        t.set_timeout(0)
        assert t._ten_cfg()["timeout_us"] == 0
