"""Plain data passed between roles, the model wrapper and providers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer


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
    """Per-attempt timeout of a model we wait on (an API, a server); the embedded local model
    computes on this machine and has none. Not part of the cache key."""
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
    """Tokens and cost of one call (or a sum of calls) as the provider bills them.

    `input_tokens` counts every prompt token, cached or not, so totals compare across providers
    and with runs made before caching; `cache_read_tokens` and `cache_write_tokens` say how many
    of them the provider's prompt cache served or stored, which it bills at other rates."""

    model_config = ConfigDict(extra="forbid")

    input_tokens: int = 0
    """All prompt tokens, including cache reads and cache writes."""
    output_tokens: int = 0
    """Generated tokens."""
    cache_read_tokens: int = 0
    """Prompt tokens served from the provider's prompt cache (part of `input_tokens`)."""
    cache_write_tokens: int = 0
    """Prompt tokens written to the provider's prompt cache (part of `input_tokens`)."""
    cost_usd: float | None = None
    """None when the model's price is unknown: we never invent a price."""
    saved_usd: float | None = None
    """What prompt caching took off the list price of the same tokens (negative when cache
    writes cost more than reads saved); None when unpriced."""

    def __add__(self, other: "Usage") -> "Usage":
        return Usage.model_construct(  # sums of valid counts: no validation pass per call
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            cost_usd=_add_money(self.cost_usd, other.cost_usd),
            saved_usd=_add_money(self.saved_usd, other.saved_usd),
        )

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Cache fields only when a cache was involved: most calls of most runs have none, and
        every model event of a transcript carries a usage."""
        data = handler(self)
        for key in ("cache_read_tokens", "cache_write_tokens"):
            if data.get(key) == 0:
                del data[key]
        if data.get("saved_usd") is None:
            data.pop("saved_usd", None)
        return data

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def plain_input_tokens(self) -> int:
        """Prompt tokens billed at the plain input rate."""
        return max(0, self.input_tokens - self.cache_read_tokens - self.cache_write_tokens)


class ExactSum:
    """A sum of floats kept exact (an integer count of 2**-shift), rounded once when read: the
    same total, to the last bit, in whatever order the terms come (a run's transcripts in any
    line order). Plain float addition rounds at every step, so its result depends on the order."""

    __slots__ = ("_num", "_shift", "terms")

    def __init__(self) -> None:
        self._num = 0
        self._shift = 0
        self.terms = 0

    def add(self, value: float) -> None:
        num, den = value.as_integer_ratio()  # den is a power of two
        shift = den.bit_length() - 1
        if shift > self._shift:
            self._num <<= shift - self._shift
            self._shift = shift
        self._num += num << (self._shift - shift)
        self.terms += 1

    @property
    def value(self) -> float | None:
        """The correctly rounded total; None when no term was added (nothing priced)."""
        return self._num / (1 << self._shift) if self.terms else None


def _add_money(a: float | None, b: float | None) -> float | None:
    return None if a is None and b is None else (a or 0.0) + (b or 0.0)


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
