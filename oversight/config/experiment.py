"""Experiment files: YAML in, a validated Experiment out, or a one-line error naming file and field."""

from __future__ import annotations

import difflib
import math
import reprlib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from oversight.core.errors import UserError, bounded, read_text
from oversight.models.batch.options import BatchOptions
from oversight.models.pricing import PriceOverride
from oversight.models.retry import RetryPolicy
from oversight.models.spec import parse_spec
from oversight.config.tasks import TaskConfig
from oversight.models.types import GenerateConfig

RUN_META_KEY = "oversight_run"
"""Key under which experiment.yaml in a run folder records provenance; not part of the config."""
MAX_NODES = 100_000
"""A config (after YAML aliases are expanded) may hold at most this many values: a 1 kB file of
nested aliases can otherwise expand to gigabytes."""
MAX_DEPTH = 50
"""A config nests at most this many levels (mappings and lists); real ones use four or five."""
MAX_SWEEP_POINTS = 1_000
"""A sweep writes one run folder per grid point; more than this is a typo, not an experiment."""
NAME_MAX = 100
"""Longest experiment (and run folder) name; a sweep's suffix is shortened to fit."""


class Experiment(BaseModel):
    """One experiment file. Every field here may also be set with `--set KEY=VALUE`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.=-]*$", max_length=NAME_MAX)
    """Names the run folder; letters, digits, `_`, `.`, `-`; at most 100 characters."""
    protocol: str
    """Which protocol runs: a name from the registry (`oversight.protocol.protocol_names()`)."""
    description: str = ""
    """Free text kept with the run."""
    task: TaskConfig
    """Where the items come from."""
    models: dict[str, str]
    """Role name -> model spec (`provider:model[@base_url]`)."""
    generation: dict[str, GenerateConfig] = Field(default_factory=dict)
    """Sampling per role; the key `default` applies to roles not listed."""
    params: dict[str, Any] = Field(default_factory=dict)
    """The protocol's own parameters (checked against the protocol's schema)."""
    prompts: dict[str, str] = Field(default_factory=dict)
    """Template name -> file replacing the shipped template (relative to this file)."""
    limit: int | None = Field(default=None, ge=1)
    """Use only the first N items."""
    seed: int = 0
    """Seeds shuffling, assignments (e.g. consultancy sides) and retry jitter."""
    concurrency: int = Field(default=8, ge=1)
    """Units (item x condition) in flight at once."""
    max_connections: int | None = Field(default=None, ge=1)
    """Concurrent calls per provider endpoint; None uses the provider's default."""
    cache: bool = True
    """Reuse on-disk responses to identical requests, so a re-run costs nothing."""
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    """Retries on rate limits, 5xx, timeouts and connection errors."""
    sweep: dict[str, list[Any]] = Field(default_factory=dict)
    """Dotted key -> values; the Cartesian product becomes one run each."""
    batch: bool | dict[str, bool] = False
    """Send calls through the providers' Batch APIs (half price, slower): `true` for every
    role, or per role with `default` for the rest, e.g. `{default: false, judge: true}`."""
    batch_options: BatchOptions = Field(default_factory=BatchOptions)
    """How batched calls are gathered and polled (window, size, poll intervals)."""
    max_cost_usd: float | None = Field(default=None, gt=0)
    """Stop starting units once the run's spend (calls in flight counted at their upper
    bound) would pass this many USD; `--resume --set max_cost_usd=...` continues."""
    prices: dict[str, PriceOverride] = Field(default_factory=dict)
    """Model (`provider:model`, or a full spec with its base URL) -> USD per million tokens,
    for private or self-hosted models or to pin a price; others use genai-prices' list
    prices, and models in neither stay unpriced."""
    prompt_cache: bool = True
    """Mark the shared start of prompts (system prompt, story) as cacheable where the API
    needs it (Anthropic), so repeated stories are billed at cache-read rates."""

    def batched(self, role: str) -> bool:
        """Whether `role`'s calls go through a Batch API."""
        if isinstance(self.batch, bool):
            return self.batch
        return self.batch.get(role, self.batch.get("default", False))

    @field_validator("models")
    @classmethod
    def _specs_parse(cls, models: dict[str, str]) -> dict[str, str]:
        for role, spec in models.items():
            try:
                parse_spec(spec)
            except UserError as exc:
                raise ValueError(f"@{role}@{exc}") from None
        return models

    @field_validator("prices")
    @classmethod
    def _price_keys(cls, prices: dict[str, PriceOverride]) -> dict[str, PriceOverride]:
        """Each key is a model spec, stored as the response cache names it (credentials hidden,
        a fleet's URLs sorted), which is how prices are looked up: a key that
        names no spec would never match a call and leave the model at its list price, or unpriced."""
        keyed: dict[str, PriceOverride] = {}
        for key, price in prices.items():
            try:
                keyed[parse_spec(key.strip()).cache_id] = price
            except UserError as exc:
                raise ValueError(f"@{key}@{exc}") from None
        return keyed

    @field_validator("sweep")
    @classmethod
    def _sweep_lists(cls, sweep: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in sweep.items():
            if not values:
                raise ValueError(f"@{key}@needs at least one value")
        return sweep


def read_yaml(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise UserError(f"{path}: a folder, not a file; give the experiment's YAML file")
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    try:
        data = load_yaml(read_text(path), str(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise UserError(f"{path}: invalid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of settings (name, protocol, task, models, ...)")
    check_size(data, str(path))
    return data


def load_yaml(text: str, source: str) -> Any:
    """`yaml.safe_load`, with nesting too deep for PyYAML's recursive composer (a few hundred
    levels) a one-line UserError instead of a RecursionError."""
    try:
        return yaml.safe_load(text)
    except RecursionError:
        raise UserError(f"{source}: nested too deeply (a config needs at most {MAX_DEPTH} levels); "
                        f"write it out plainly") from None
    except yaml.reader.ReaderError as exc:
        raise UserError(f"{source}: invalid YAML: a control character {exc.character!r} at character "
                        f"{exc.position + 1}; remove it") from None
    except ValueError as exc:  # int() refuses more than sys.get_int_max_str_digits() digits
        if "digits" not in str(exc):
            raise
        raise UserError(f"{source}: a number with more than {sys.get_int_max_str_digits():,} digits; "
                        f"no setting needs one") from None


def check_size(data: Any, source: str) -> None:
    """Refuse a config that expands (through YAML aliases) beyond MAX_NODES values, or nests
    deeper than MAX_DEPTH levels (copying, validating and printing it all recurse).

    PyYAML shares an aliased node rather than copying it, so loading is cheap; the expansion
    happens later, when the config is copied, validated or printed. Counting every visit with an
    early stop bounds the work here too.
    """
    count = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise UserError(
                f"{source}: the config expands to more than {MAX_NODES:,} values (nested YAML aliases?); "
                f"write it out plainly"
            )
        if depth > MAX_DEPTH:
            raise UserError(f"{source}: nested more than {MAX_DEPTH} levels deep; write it out plainly")
        if isinstance(node, dict):
            stack.extend((k, depth + 1) for k in node.keys())
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend((v, depth + 1) for v in node)


_SHORT = reprlib.Repr()
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxlevel = 120, 120, 8, 8, 3


def short_repr(value: Any) -> str:
    """A value as an error message may echo it: a few elements, a few levels, ~200 characters."""
    return bounded(_SHORT.repr(value))


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean 'judge'?)' for a name one typo away from a known one, else ''."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _describe(exc: ValidationError, source: str, prefix: str = "", model: type[BaseModel] | None = None) -> str:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    named = msg.startswith("@")
    if named:  # field validators name the sub-key as @key@message
        _, sub, msg = msg.split("@", 2)
        loc.append(sub)
    if err["type"] == "extra_forbidden":
        hint = did_you_mean(loc[0], model.model_fields) if model is not None and len(loc) == 1 else ""
        msg = f"unknown field{hint or ' (check the spelling; see the README for the fields)'}"
    elif err["type"] == "missing":
        msg = "required field is missing"
    elif not named and "input" in err and err["type"] not in ("model_type", "dict_type", "value_error"):
        msg = f"{msg} (got {short_repr(err['input'])})"
    where = bounded(prefix + ".".join(loc), 120)
    return f"{source}: {where}: {msg}" if where else f"{source}: {msg}"


def validate_experiment(data: dict[str, Any], source: str) -> Experiment:
    clean = {k: v for k, v in data.items() if k != RUN_META_KEY}
    try:
        exp = Experiment.model_validate(clean)
    except ValidationError as exc:
        raise UserError(_describe(exc, source, model=Experiment)) from None
    check_values(clean, exp, source, "")
    return exp


def validate_params(model: type[BaseModel], params: dict[str, Any], source: str) -> BaseModel:
    try:
        validated = model.model_validate(params)
    except ValidationError as exc:
        raise UserError(_describe(exc, source, prefix="params.", model=model)) from None
    check_values(params, validated, source, "params.")
    return validated


def check_values(raw: Any, validated: Any, source: str, where: str) -> None:
    """What pydantic's lax mode lets through but a config must not mean: `true` read as the
    number 1 (`limit: true`), and infinite or NaN numbers (`timeout_s: .inf`)."""
    if isinstance(raw, bool) and isinstance(validated, (int, float)) and not isinstance(validated, bool):
        raise UserError(f"{source}: {where.rstrip('.')}: expected a number, got {str(raw).lower()}")
    if isinstance(validated, float) and not math.isfinite(validated):
        raise UserError(f"{source}: {where.rstrip('.')}: must be a finite number (got {validated})")
    if isinstance(raw, dict):
        for key, value in raw.items():
            if isinstance(validated, BaseModel):
                child = getattr(validated, str(key), None)
            elif isinstance(validated, dict):
                child = validated.get(key)
            else:
                continue
            check_values(value, child, source, f"{where}{key}.")
    elif isinstance(raw, list) and isinstance(validated, (list, tuple)) and len(raw) == len(validated):
        for index, (value, child) in enumerate(zip(raw, validated)):
            check_values(value, child, source, f"{where}{index}.")
