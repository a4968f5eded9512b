"""The model layer: `ModelPool().get("provider:model")` gives a Model with cache, retries and limits."""

from oversight.models.cache import CacheWriteWarning, ResponseCache
from oversight.models.endpoints import Cooldown, Endpoint, Route
from oversight.models.model import Model
from oversight.models.pool import ModelPool
from oversight.models.retry import RetryPolicy
from oversight.models.spec import ModelSpec, parse_spec, redact_url
from oversight.models.types import (
    Completion,
    GenerateConfig,
    Message,
    ModelOutput,
    TokenLogprob,
    TopLogprob,
    Usage,
)

__all__ = [
    "CacheWriteWarning",
    "Cooldown",
    "Endpoint",
    "Route",
    "redact_url",
    "Completion",
    "GenerateConfig",
    "Message",
    "Model",
    "ModelOutput",
    "ModelPool",
    "ModelSpec",
    "ResponseCache",
    "RetryPolicy",
    "TokenLogprob",
    "TopLogprob",
    "Usage",
    "parse_spec",
]
