"""`Value`: a typed value, as log `fields` and TEN's value APIs take it."""

from enum import IntEnum
from typing import Any, TypeAlias, TypeVar, cast

from .error import TenError, TenErrorCode

T = TypeVar("T", bound="Value")


class ValueType(IntEnum):
    INVALID = 0
    NULL = 1
    BOOL = 2
    INT = 3
    FLOAT = 4
    STRING = 5
    BYTES = 6
    ARRAY = 7
    OBJECT = 8
    JSON_STRING = 9


ValueDataType: TypeAlias = (
    bool | int | float | str | bytes | list["Value"] | dict[str, "Value"]
)


def _wrong(kind: str, got: ValueType) -> TenError:
    return TenError.create(
        TenErrorCode.ErrorCodeInvalidType, f"Value is not {kind}, got {got.name}"
    )


class Value:
    _type: ValueType
    _data: ValueDataType

    def __init__(self, value_type: ValueType, value_data: ValueDataType):
        self._type = value_type
        self._data = value_data

    @classmethod
    def from_bool(cls: type[T], value: bool) -> T:
        return cls(ValueType.BOOL, value)

    @classmethod
    def from_int(cls: type[T], value: int) -> T:
        return cls(ValueType.INT, value)

    @classmethod
    def from_float(cls: type[T], value: float) -> T:
        return cls(ValueType.FLOAT, value)

    @classmethod
    def from_string(cls: type[T], value: str) -> T:
        return cls(ValueType.STRING, value)

    @classmethod
    def from_buf(cls: type[T], value: bytes) -> T:
        return cls(ValueType.BYTES, value)

    @classmethod
    def from_array(cls: type[T], value: list["Value"]) -> T:
        return cls(ValueType.ARRAY, value)

    @classmethod
    def from_object(cls: type[T], value: dict[str, "Value"]) -> T:
        return cls(ValueType.OBJECT, value)

    @classmethod
    def from_json_string(cls: type[T], value: str) -> T:
        return cls(ValueType.JSON_STRING, value)

    @classmethod
    def from_python(cls: type[T], value: Any) -> T:
        """Python values to a Value; anything unknown becomes its `str()`."""
        if isinstance(value, Value):
            return cls(value._type, value._data)
        if isinstance(value, bool):
            return cls.from_bool(value)
        if isinstance(value, int):
            return cls.from_int(value)
        if isinstance(value, float):
            return cls.from_float(value)
        if isinstance(value, str):
            return cls.from_string(value)
        if isinstance(value, (bytes, bytearray, memoryview)):
            return cls.from_buf(bytes(value))
        if isinstance(value, (list, tuple)):
            return cls.from_array([Value.from_python(v) for v in value])
        if isinstance(value, dict):
            return cls.from_object({str(k): Value.from_python(v) for k, v in value.items()})
        if value is None:
            return cls(ValueType.NULL, cast(Any, None))
        return cls.from_string(str(value))

    def get_type(self) -> ValueType:
        return self._type

    def get_bool(self) -> tuple[bool, TenError | None]:
        if self._type != ValueType.BOOL:
            return False, _wrong("a boolean", self._type)
        return cast(bool, self._data), None

    def get_int(self) -> tuple[int, TenError | None]:
        if self._type != ValueType.INT:
            return 0, _wrong("an integer", self._type)
        return cast(int, self._data), None

    def get_float(self) -> tuple[float, TenError | None]:
        if self._type != ValueType.FLOAT:
            return 0.0, _wrong("a float", self._type)
        return cast(float, self._data), None

    def get_string(self) -> tuple[str, TenError | None]:
        if self._type != ValueType.STRING:
            return "", _wrong("a string", self._type)
        return cast(str, self._data), None

    def get_buf(self) -> tuple[bytes, TenError | None]:
        if self._type != ValueType.BYTES:
            return b"", _wrong("bytes", self._type)
        return cast(bytes, self._data), None

    def get_array(self) -> tuple[list["Value"], TenError | None]:
        if self._type != ValueType.ARRAY:
            return [], _wrong("an array", self._type)
        return cast(list["Value"], self._data), None

    def get_object(self) -> tuple[dict[str, "Value"], TenError | None]:
        if self._type != ValueType.OBJECT:
            return {}, _wrong("an object", self._type)
        return cast(dict[str, "Value"], self._data), None

    def get_json_string(self) -> tuple[str, TenError | None]:
        if self._type != ValueType.JSON_STRING:
            return "", _wrong("a JSON string", self._type)
        return cast(str, self._data), None

    def _to_plain(self) -> Any:
        """The value as plain JSON-able Python (how log fields travel to the studio)."""
        t = self._type
        if t == ValueType.ARRAY:
            return [v._to_plain() for v in cast(list["Value"], self._data)]
        if t == ValueType.OBJECT:
            return {k: v._to_plain() for k, v in cast(dict[str, "Value"], self._data).items()}
        if t == ValueType.BYTES:
            return f"<{len(cast(bytes, self._data))} bytes>"
        if t == ValueType.JSON_STRING:
            import json

            try:
                return json.loads(cast(str, self._data))
            except ValueError:
                return self._data
        return self._data
