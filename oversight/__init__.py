"""oversight: scalable-oversight experiments (critique, debate, recursive summarization).

The Python API (`oversight.open_run`, `oversight.run`, `oversight.judge`, see oversight.api) is
loaded on first use, so `import oversight.core.errors` does not load the run machinery.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

_API = ("open_run", "Run", "Transcript", "Judgment", "sweep")
_CALLABLE_PACKAGES = ("run", "judge")
"""Subpackages that are also API functions: `oversight.run` is the package oversight/run/ and,
called, `oversight.api.run` (likewise `judge`), so both `oversight.run(...)` and
`import oversight.run.runner` work."""


class _CallablePackage(types.ModuleType):
    """A subpackage that, called, runs the API function of its name."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        api = importlib.import_module("oversight.api")  # lazy: the API loads the run machinery
        return getattr(api, self.__name__.rpartition(".")[2])(*args, **kwargs)


class _Root(types.ModuleType):
    """The `oversight` package: makes `run` and `judge` callable as the import system binds them."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _CALLABLE_PACKAGES and type(value) is types.ModuleType:
            value.__class__ = _CallablePackage
        super().__setattr__(name, value)


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module("oversight.api"), name)  # lazy: see the module docstring
    if name in _CALLABLE_PACKAGES:
        return importlib.import_module(f"oversight.{name}")  # the package's __init__ only: a docstring
    raise AttributeError(f"module 'oversight' has no attribute {name!r}")


sys.modules[__name__].__class__ = _Root
