"""TEN_ENABLE_PYTHON_DEBUG in our process: TEN's variables, and what a missing debugpy says."""

import sys

import pytest

from ten_studio_py import debug, session


def test_address_from_ten_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(debug.HOST, raising=False)
    monkeypatch.delenv(debug.PORT, raising=False)
    assert debug.address_from_env() == ("127.0.0.1", 5678)
    monkeypatch.setenv(debug.PORT, "5800")
    monkeypatch.setenv(debug.HOST, "0.0.0.0")
    assert debug.address_from_env() == ("0.0.0.0", 5800)
    monkeypatch.setenv(debug.PORT, "x1")
    with pytest.raises(ValueError, match=r"^TEN_PYTHON_DEBUG_PORT is 'x1', which is not a port \(1 to 65535\)\.$"):
        debug.address_from_env()


def test_enabled_only_by_true(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(debug.ENABLE, "1")
    assert not debug.enabled()
    monkeypatch.setenv(debug.ENABLE, "true")
    assert debug.enabled()


def test_missing_debugpy_is_reported_with_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    # `import debugpy` fails as it does where it is not installed.
    monkeypatch.setitem(sys.modules, "debugpy", None)
    seen: list[tuple[str, str]] = []
    assert debug.start("127.0.0.1", 5678, lambda state, text: seen.append((state, text))) is False
    expected = f"Python debugging is on, but debugpy is not installed for {sys.executable}. Install it with: {sys.executable} -m pip install debugpy"
    assert seen == [("error", expected)]


def test_a_test_process_fails_with_that_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "debugpy", None)
    monkeypatch.setenv(debug.ENABLE, "true")
    monkeypatch.setattr(session, "_debugging", False)
    with pytest.raises(RuntimeError, match="debugpy is not installed for .* -m pip install debugpy"):
        session._start_debugging()
