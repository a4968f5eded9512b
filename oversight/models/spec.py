"""Model spec strings (`provider:model[@base_url]`), a contract shared with users' YAML."""

from __future__ import annotations

from dataclasses import dataclass

from oversight.errors import UserError

PROVIDERS = ("anthropic", "openai", "local", "scripted")


@dataclass(frozen=True)
class ModelSpec:
    provider: str
    model: str
    base_url: str | None = None

    @property
    def cache_id(self) -> str:
        """Identity of the model for the response cache: never includes a key."""
        return str(self)

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}" + (f"@{self.base_url}" if self.base_url else "")


def parse_spec(text: str) -> ModelSpec:
    """Parse a spec or raise UserError naming what is wrong (the caller adds the field)."""
    if not isinstance(text, str) or ":" not in text:
        raise UserError(
            f"malformed model spec {text!r} (expected provider:model, e.g. local:gemma-3-270m "
            f"or anthropic:claude-sonnet-4-5)"
        )
    provider, _, rest = text.partition(":")
    provider = provider.strip()
    if provider not in PROVIDERS:
        raise UserError(f"unknown provider {provider!r} (known: {', '.join(PROVIDERS)})")
    base_url = None
    if provider == "openai" and "@" in rest:
        rest, _, base_url = rest.partition("@")
        if not base_url.startswith(("http://", "https://")):
            raise UserError(f"malformed base URL {base_url!r} in {text!r} (expected http://host:port/v1)")
    rest = rest.strip()
    if not rest:
        raise UserError(f"malformed model spec {text!r}: the model name after {provider!r}: is empty")
    return ModelSpec(provider=provider, model=rest, base_url=base_url)
