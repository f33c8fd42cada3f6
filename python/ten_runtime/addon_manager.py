"""Addon registration. `@register_addon_as_extension(name)` records the addon class and the folder
of the file that declares it (which holds manifest.json and property.json).

As in TEN, a package imported twice under two module names (pytest imports the extension under
test as `<name>`, a test's `unittest.mock.patch("ten_packages.extension.<name>.extension.Client")`
imports `ten_packages.extension.<name>`) registers the addon twice, and the last registration
before the runtime first uses the addon is the one it uses from then on (TEN keeps the last
register handler until the addon is registered, once per process): that is the copy the test's
patch applies to. The runtime never imports a package whose addon this process has already
registered.
"""

import os
import sys
from typing import Callable

from .addon import Addon


class _AddonManager:
    _registry: dict[str, Callable[[object], None]] = {}
    _registered_addons: set[str] = set()
    # Ours: name → (addon class, base dir).
    _addons: dict[str, tuple[type[Addon], str | None]] = {}

    @classmethod
    def register_all_addons(cls, register_ctx: object) -> None:
        for name in list(cls._registry):
            cls._register_addon(name, register_ctx)
        cls._registry.clear()

    @classmethod
    def _register_addon(cls, addon_name: str, register_ctx: object) -> None:
        handler = cls._registry.get(addon_name)
        if handler is None or addon_name in cls._registered_addons:
            return
        handler(register_ctx)
        cls._registered_addons.add(addon_name)

    @staticmethod
    def _set_register_handler(addon_name: str, register_handler: Callable[[object], None]) -> None:
        _AddonManager._registry[addon_name] = register_handler

    @classmethod
    def _find(cls, name: str) -> tuple[type[Addon], str | None] | None:
        """The addon the runtime uses; from the first use on, registrations under its name are
        ignored (TEN registers an addon once per process)."""
        found = cls._addons.get(name)
        if found is not None:
            cls._registered_addons.add(name)
        return found


def register_addon_as_extension(name: str, base_dir: str | None = None):
    def decorator(cls: type[Addon]) -> type[Addon]:
        if base_dir is None:
            try:
                resolved = os.path.dirname(sys._getframe(1).f_code.co_filename)
            except (AttributeError, ValueError):
                resolved = None
        else:
            resolved = os.path.dirname(base_dir)
        if name not in _AddonManager._registered_addons:
            _AddonManager._addons[name] = (cls, resolved)
        _AddonManager._set_register_handler(name, lambda _ctx: None)
        return cls

    return decorator
