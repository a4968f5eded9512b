"""How a judging app stops on its own bug: without Textual's traceback screen, whose local
variables would show the unit's condition to the person judging it blind."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from textual.app import App


def stop_without_traceback(app: App[Any], error: Exception, log: Callable[[str], None]) -> None:
    """End `app` with exit code 1, the traceback written by `log` (errors.log), never shown."""
    app._return_code = 1
    if app._exception is None:
        app._exception = error
        app._exception_event.set()
    try:
        log("".join(traceback.format_exception(error)))
    except OSError:
        pass
    app._close_messages_no_wait()


__all__ = ["stop_without_traceback"]
