"""The two error kinds users see: their input is wrong, or a model call gave up."""

from __future__ import annotations


class UserError(Exception):
    """Bad input: the CLI prints the message on one line and exits 2, no traceback.

    Messages name the file, field or value and say what to do.
    """


class ModelCallError(Exception):
    """A model call failed for good (after retries, or not retryable).

    `reason` is a short human-readable cause that goes into the transcript's `error`.
    """

    def __init__(self, reason: str, *, attempts: int = 1, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.status = status
