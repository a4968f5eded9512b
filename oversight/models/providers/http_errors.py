"""Turning HTTP error responses into ProviderErrors the same way for every SDK-based provider."""

from __future__ import annotations

from typing import Any

from oversight.models.providers.base import ProviderError, is_retryable_status, parse_retry_after

MAX_REASON_CHARS = 200


def short_message(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """One line, bounded: a server's error page must not flood a transcript's `error`."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def redact(text: str, secret: str | None) -> str:
    """Belt and braces: servers sometimes echo the key back in their error message."""
    if secret and len(secret) >= 8 and secret in text:
        text = text.replace(secret, "***")
    return text


def body_message(body: object) -> str | None:
    """The human-readable part of an error body (`{"error": {"message": ...}}`, or plain text)."""
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(error, str):
            return error
        if isinstance(body.get("message"), str):
            return body["message"]
        return None
    if isinstance(body, str) and body.strip():
        return body
    return None


def retry_after_from(headers: Any) -> float | None:
    """`retry-after-ms` (OpenAI and Anthropic send it) is more precise than `retry-after`."""
    if headers is None:
        return None
    millis = parse_retry_after(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    return parse_retry_after(headers.get("retry-after"))


def status_error(status: int, body: object, headers: Any, secret: str | None) -> ProviderError:
    """Classify an HTTP error response the same way for every SDK."""
    message = body_message(body)
    # Redact before shortening: a cut through the key would leave a prefix of it behind.
    reason = f"HTTP {status}" + (f": {short_message(redact(message, secret))}" if message else "")
    retryable = is_retryable_status(status)
    return ProviderError(
        reason,
        retryable=retryable,
        status=status,
        retry_after=retry_after_from(headers) if retryable else None,
    )


def connection_reason(exc: BaseException, what: str, secret: str | None) -> str:
    """Name the underlying network error: "connection refused" tells a user their server is down."""
    cause = exc.__cause__ or exc.__context__
    detail = f" ({type(cause).__name__}: {short_message(redact(str(cause), secret), 120)})" if cause and str(cause) else ""
    return f"{what}{detail}"


def malformed_error(exc: BaseException, secret: str | None) -> ProviderError:
    """A 200 whose body is not a valid response (HTML, truncated JSON, wrong types).

    Retried like a 5xx: a proxy's error page or a dropped body is the server's fault, and the
    same request usually succeeds on the next attempt.
    """
    detail = short_message(redact(str(exc), secret), 120)
    return ProviderError(f"malformed response ({type(exc).__name__}: {detail})", retryable=True)
