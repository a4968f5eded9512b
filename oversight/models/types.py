"""Plain data passed between roles, the model wrapper and providers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class ResponseSchema(BaseModel):
    """A JSON schema the answer must follow (structured output): providers that support it send
    it in their own form (OpenAI `response_format`, an Anthropic forced tool, a llama.cpp grammar)
    and return the answer as the JSON text of one object."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    """The schema's (or tool's) name, as the provider is told it."""
    json_schema: dict[str, Any]
    """The JSON schema of the answer object."""


class GenerateConfig(BaseModel):
    """Sampling settings for one call; read from YAML, so unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")

    max_tokens: int = Field(default=512, ge=1)
    """Upper bound on generated tokens."""
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    """Sampling temperature; None leaves the provider default."""
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    """Nucleus sampling mass; None leaves the provider default."""
    stop: list[str] | None = None
    """Stop sequences. Base models need these to stop rambling."""
    seed: int | None = None
    """Sampling seed where the provider honours one (OpenAI-compatible, local)."""
    logprobs: bool = False
    """Ask for per-token log probabilities (OpenAI-compatible and local give them)."""
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    """How many alternatives per token to return with logprobs."""
    timeout_s: float = Field(default=120.0, gt=0)
    """Per-attempt timeout. Not part of the cache key."""
    response_schema: ResponseSchema | None = None
    """Answer as one JSON object following this schema (structured output). Set by a protocol's
    judge (`params.judge_format: structured`), only for providers that support it."""

    def cache_fields(self) -> dict[str, object]:
        """What changes the meaning of a request (timeouts do not). A request without a schema
        keeps the key it had before schemas existed, so caches filled earlier stay valid."""
        fields = self.model_dump(exclude={"timeout_s"})
        if fields.get("response_schema") is None:
            fields.pop("response_schema", None)
        return fields

    def merged(self, **overrides: object) -> "GenerateConfig":
        data = self.model_dump()
        data.update({k: v for k, v in overrides.items() if v is not None})
        return GenerateConfig.model_validate(data)


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    """None when the model's price is unknown: we never invent a price."""

    def __add__(self, other: "Usage") -> "Usage":
        cost = None if self.cost_usd is None and other.cost_usd is None else (
            (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        )
        return Usage.model_construct(  # sums of valid counts: no validation pass per call
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=cost,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class TopLogprob(BaseModel):
    token: str
    logprob: float


class TokenLogprob(BaseModel):
    token: str
    logprob: float
    top: list[TopLogprob] = Field(default_factory=list)


class Completion(BaseModel):
    """What a provider returns for one call."""

    text: str
    usage: Usage = Field(default_factory=Usage)
    logprobs: list[TokenLogprob] | None = None
    finish_reason: str | None = None


class ModelOutput(BaseModel):
    """What the wrapper returns: the completion plus how it was obtained."""

    completion: Completion
    model: str
    cached: bool = False
    """True when this call cost nothing: a cache hit, or a coalesced duplicate of a call in flight."""
    coalesced: bool = False
    """True when an identical request was already in flight and this output is its completion."""
    batched: bool = False
    """True when a provider's Batch API answered (priced at batch rates)."""
    latency_s: float = 0.0
    attempts: int = 1
    endpoint: str | None = None
    """Which server answered, when the spec names several (credentials hidden)."""

    @property
    def text(self) -> str:
        return self.completion.text
