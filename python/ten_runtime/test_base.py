"""What both tester envs share: `stop_test` and the log calls."""

from typing import Any

from .error import TenError
from .ten_env_base import FieldsType, TenEnvBase

__all__ = ["TenEnvTesterBase", "FieldsType"]


class TenEnvTesterBase(TenEnvBase):
    _internal: Any

    def stop_test(self, error: TenError | None = None) -> TenError | None:
        return self._internal.stop_test(error)
