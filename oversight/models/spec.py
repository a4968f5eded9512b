"""Model spec strings, a contract shared with users' YAML.

    provider:model                      anthropic:claude-sonnet-4-5, local:gemma-3-270m
    openai:model@URL                    one OpenAI-compatible server
    openai:model@URL1,URL2,...          a fleet of servers serving the same model: calls go to
                                        the one with the fewest calls in flight, and one that
                                        fails is rested for a while (models/endpoints.py)

A URL may carry credentials (`http://user:key@host/v1`). They are used to connect and never
shown: `str(spec)`, `repr(spec)`, `cache_id` and `endpoint_names` all print
`http://user:***@host/v1`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from oversight.core.errors import UserError

PROVIDERS = ("anthropic", "openai", "local", "scripted")

REDACTED = "***@"
"""What stands for hidden URL credentials: a spec holding it cannot connect again."""
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/?#\s,]*)@")


def redact_url(text: str) -> str:
    """`text` with the user-info of every URL in it hidden: `user:***@`, or `***@` for a bare token."""

    def hide(match: re.Match[str]) -> str:
        user, sep, _ = match.group(2).partition(":")
        return f"{match.group(1)}{user + ':***' if sep else '***'}@"

    return _USERINFO.sub(hide, text)


@dataclass(frozen=True)
class ModelSpec:
    provider: str
    model: str
    base_urls: tuple[str, ...] = ()
    """The real URLs, credentials included: for connecting only, never for display."""

    @property
    def base_url(self) -> str | None:
        """The first (usually only) base URL; None for the provider's own API."""
        return self.base_urls[0] if self.base_urls else None

    @property
    def endpoint_names(self) -> tuple[str, ...]:
        """The base URLs as they may be shown and stored: credentials hidden."""
        return tuple(redact_url(url) for url in self.base_urls)

    @property
    def cache_id(self) -> str:
        """Identity of the model for the response cache: never a key, and the same whichever
        server of a fleet answers and in whatever order the fleet is listed."""
        urls = sorted(self.endpoint_names)
        return f"{self.provider}:{self.model}" + (f"@{','.join(urls)}" if urls else "")

    def endpoint(self, index: int) -> ModelSpec:
        """The spec of one server of the fleet (what one provider instance talks to)."""
        return ModelSpec(self.provider, self.model, (self.base_urls[index],))

    def __str__(self) -> str:
        urls = self.endpoint_names
        return f"{self.provider}:{self.model}" + (f"@{','.join(urls)}" if urls else "")

    def __repr__(self) -> str:
        return f"ModelSpec({str(self)!r})"


def _check_url(url: str, shown_spec: str) -> str:
    """The URL stripped, or a one-line UserError (showing no credentials) saying what is wrong."""
    url = url.strip()
    shown = redact_url(url)
    hint = "expected http://host:port/v1"
    if not url:
        raise UserError(f"empty base URL in model spec {shown_spec!r} ({hint}, URLs separated by commas)")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what raises for a bad one
    except ValueError as exc:
        raise UserError(f"malformed base URL {shown!r} in {shown_spec!r}: {exc} ({hint})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"malformed base URL {shown!r} in {shown_spec!r} ({hint})")
    return url


def parse_spec(text: str) -> ModelSpec:
    """Parse a spec or raise UserError naming what is wrong (the caller adds the field)."""
    if not isinstance(text, str) or ":" not in text:
        shown = redact_url(text) if isinstance(text, str) else text
        raise UserError(
            f"malformed model spec {shown!r} (expected provider:model, e.g. local:gemma-3-270m "
            f"or anthropic:claude-sonnet-4-5)"
        )
    provider, _, rest = text.partition(":")
    provider = provider.strip()
    if provider not in PROVIDERS:
        raise UserError(f"unknown provider {provider!r} (known: {', '.join(PROVIDERS)})")
    urls: tuple[str, ...] = ()
    if provider == "openai" and "@" in rest:
        rest, _, url_text = rest.partition("@")
        shown_spec = redact_url(text)
        urls = tuple(_check_url(url, shown_spec) for url in url_text.split(","))
        if len(set(urls)) < len(urls):
            raise UserError(f"a base URL is listed twice in model spec {shown_spec!r}")
    rest = rest.strip()
    if not rest:
        raise UserError(f"malformed model spec {redact_url(text)!r}: the model name after {provider!r}: is empty")
    return ModelSpec(provider=provider, model=rest, base_urls=urls)
