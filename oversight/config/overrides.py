"""Changing an experiment from the command line or Python: `--set KEY=VALUE`, `--sweep KEY=V1,V2`,
and a sweep's grid expanded into one config per point."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from oversight.config.experiment import (
    MAX_SWEEP_POINTS, NAME_MAX, Experiment, check_size, load_yaml, short_repr, validate_experiment,
)
from oversight.core.errors import UserError, bounded


def set_dotted(data: dict[str, Any], key: str, value: Any, source: str) -> None:
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise UserError(f"{source}: cannot set {bounded(repr(key), 80)}: {bounded(repr(part), 80)} is not a mapping")
        node = child
    node[parts[-1]] = value


def parse_assignment(text: str, flag: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        shape = "KEY=V1,V2" if flag == "--sweep" else "KEY=VALUE"
        raise UserError(f"{flag} {bounded(repr(text), 80)}: expected {shape}")
    return key.strip(), value


def override(data: dict[str, Any], key: str, value: Any, source: str,
             note: Callable[[str], None] | None = None) -> None:
    """Set one dotted key, minding the sweep: `sweep.KEY` names a swept key (itself dotted),
    `sweep` set to null or {} drops the sweep, and a key the sweep varies is fixed to this
    value, with a note, instead of being silently swept over."""
    if key == "sweep":
        data["sweep"] = {} if value is None else value
        return
    if key.startswith("sweep."):
        sweep = data.get("sweep")
        if sweep is None:
            sweep = data["sweep"] = {}
        if not isinstance(sweep, dict):
            raise UserError(f"{source}: cannot set {bounded(repr(key), 80)}: sweep is not a mapping")
        swept = key.removeprefix("sweep.")
        if value is None:
            sweep.pop(swept, None)
        else:
            sweep[swept] = value
        return
    sweep = data.get("sweep")
    if isinstance(sweep, dict):
        for swept in [k for k in sweep if k == key or k.startswith(f"{key}.") or key.startswith(f"{k}.")]:
            values = sweep.pop(swept)
            if note is not None:
                note(f"{source} {bounded(key, 80)} overrides the sweep over {bounded(swept, 80)} "
                     f"({short_repr(values)}): one value, no sweep over that key")
    set_dotted(data, key, value, source)


def sweep_values(raw: str, flag: str) -> list[Any]:
    """`V1,V2,...` (each read as YAML, so numbers are numbers) or a YAML list `[V1, V2]`."""
    text = raw.strip()
    if text.startswith("["):
        try:
            values = load_yaml(text, flag)
        except yaml.YAMLError as exc:
            raise UserError(f"{flag}: {bounded(text, 80)!r} is not a YAML list ({bounded(str(exc).splitlines()[0], 80)})") from None
    else:
        values = []
        for part in text.split(","):
            try:
                values.append(load_yaml(part, flag) if part.strip() else "")
            except yaml.YAMLError:
                values.append(part)
    if not isinstance(values, list) or not values or not text:
        raise UserError(f"{flag}: expected KEY=V1,V2,... (or KEY=[V1, V2]) with at least one value")
    return values


def apply_overrides(
    data: dict[str, Any], sets: list[str], models: list[str], limit: int | None,
    sweeps: Sequence[str] = (), note: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for text in sets:
        key, raw = parse_assignment(text, "--set")
        try:
            value = load_yaml(raw, f"--set {bounded(key, 80)}") if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        check_size(value, f"--set {bounded(key, 80)}")
        override(data, key, value, "--set", note)
    for text in sweeps:
        key, raw = parse_assignment(text, "--sweep")
        values = sweep_values(raw, f"--sweep {bounded(key, 80)}")
        check_size(values, f"--sweep {bounded(key, 80)}")
        override(data, f"sweep.{key}", values, "--sweep", note)
    for text in models:
        role, spec = parse_assignment(text, "--model")
        data.setdefault("models", {})
        if not isinstance(data["models"], dict):
            raise UserError("--model: the experiment's models field is not a mapping")
        override(data, f"models.{role}", spec, "--model", note)
    if limit is not None:
        data["limit"] = limit
    return data


def _slug(value: Any) -> str:
    text = short_repr(value) if not isinstance(value, str) else value[:200]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text.split("@")[0]).strip("_")[:40] or "x"


def point_name(name: str, point: dict[str, Any]) -> str:
    """`<name>-<key>=<value>-...`, cut to NAME_MAX; when anything was cut, a hash of the whole
    point keeps distinct points apart."""
    slugs = [(_slug(k.split(".")[-1]), _slug(v)) for k, v in point.items()]
    full = f"{name}-" + "-".join(f"{k}={v}" for k, v in slugs)
    cut = any(len(str(v)) > len(sv) for (_, sv), v in zip(slugs, point.values()) if isinstance(v, str))
    if len(full) <= NAME_MAX and not cut:
        return full
    digest = hashlib.sha256(json.dumps([name, point], sort_keys=True, default=str).encode("utf-8")).hexdigest()[:10]
    return f"{full[: NAME_MAX - 11].rstrip('-')}-{digest}"


def expand_sweep(data: dict[str, Any], source: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(config, sweep point) for each grid point; a config without `sweep` is one point."""
    sweep = data.get("sweep") or {}
    if not sweep:
        data = {k: v for k, v in data.items() if k != "sweep"}
    if not isinstance(sweep, dict):
        raise UserError(f"{source}: sweep: expected a mapping of dotted keys to lists of values")
    for key, values in sweep.items():
        if not isinstance(values, list) or not values:
            raise UserError(f"{source}: sweep.{bounded(key, 80)}: expected a non-empty list of values")
    if not sweep:
        return [(data, {})]
    size = math.prod(len(values) for values in sweep.values())
    if size > MAX_SWEEP_POINTS:
        raise UserError(f"{source}: sweep: {size:,} grid points, more than {MAX_SWEEP_POINTS:,}; split the sweep")
    keys = list(sweep)
    points = []
    for combo in itertools.product(*(sweep[k] for k in keys)):
        point = dict(zip(keys, combo))
        config = copy.deepcopy(data)
        config.pop("sweep", None)
        for key, value in point.items():
            set_dotted(config, key, value, f"{source}: sweep")
        config["name"] = point_name(str(data.get("name", "experiment"))[:NAME_MAX], point)
        points.append((config, point))
    return points


RESUME_SETTABLE = ("max_cost_usd",)
"""What `--resume --set KEY=VALUE` may change: a budget, never what the units are or ask."""


def resume_overrides(exp: Experiment, sets: list[str], source: str) -> Experiment:
    """`exp` with the `--set` assignments a resumed run accepts, or a one-line UserError."""
    data: dict[str, Any] = {}
    for text in sets:
        key, raw = parse_assignment(text, "--set")
        if key not in RESUME_SETTABLE:
            raise UserError(
                f"--resume --set {key}: a resumed run keeps its configuration; only "
                f"{', '.join(RESUME_SETTABLE)} may change (start a new run to change {key})"
            )
        try:
            data[key] = load_yaml(raw, f"--set {key}") if raw.strip() else None
        except yaml.YAMLError:
            data[key] = raw
        check_size(data[key], f"--set {key}")
    return validate_experiment({**exp.model_dump(mode="json", exclude_unset=True), **data}, f"{source} (--set)")
