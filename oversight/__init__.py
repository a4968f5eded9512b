"""oversight: scalable-oversight experiments (critique, debate, recursive summarization).

The Python API (`oversight.open_run`, `oversight.run`, `oversight.judge`, see oversight.api) is
loaded on first use, so `import oversight.core.errors` does not load the run machinery.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = ("open_run", "run", "judge", "sweep", "Run", "Transcript", "Judgment")


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module("oversight.api"), name)  # lazy: see the module docstring
    raise AttributeError(f"module 'oversight' has no attribute {name!r}")


__all__ = ["__version__", *_API]
