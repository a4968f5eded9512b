"""What a run is pinned to when it starts, so `--resume` can refuse to mix two runs in one folder.

Stored in experiment.yaml under `oversight_run.pins`:

    pins:
      task: {path: /abs/items.jsonl, sha256: ...}     # or {hf, config, split, fingerprint}
      prompts: {judge: {path: /abs/or/shipped/judge.txt, sha256: ...}, ...}
      config: {limit: <hash>, seed: <hash>, params.rounds: <hash>, ...}

Every field that decides which units exist or what they send is pinned; settings that only
decide how fast or how patiently a run goes (concurrency, max_connections, retry, cache) are not.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from oversight.core.errors import UserError
from oversight.core.ids import sha256_file, sha256_hex
from oversight.log.runfolder import experiment_record
from oversight.config.tasks import hf_pin, resolve_path
from oversight.runs.plan import Plan

PINNED_FIELDS = ("protocol", "task", "models", "generation", "params", "prompts", "limit", "seed")
"""Top-level experiment fields that define the units or the requests; each sub-key is pinned alone."""


def _digest(value: Any) -> str:
    return sha256_hex(json.dumps(value, sort_keys=True, default=str))[:16]


def config_pins(data: dict[str, Any]) -> dict[str, str]:
    """Dotted field -> hash of its value, one level into mappings (so a message names `params.rounds`)."""
    pins: dict[str, str] = {}
    for key in PINNED_FIELDS:
        value = data.get(key)
        if isinstance(value, dict) and value:
            pins.update({f"{key}.{sub}": _digest(v) for sub, v in value.items()})
        else:
            pins[key] = _digest(value)
    return pins


def prompt_files(p: Plan) -> dict[str, Path]:
    """Every template's file, resolved: overrides where the experiment put them, shipped ones in the package."""
    files = {}
    for name, template in sorted(p.prompts.templates.items()):
        if name in p.exp.prompts:
            files[name] = Path(template.source).resolve()
        else:
            files[name] = Path(str(resources.files(p.protocol.prompt_package) / f"{name}.txt"))
    return files


def describe_prompts(p: Plan) -> list[str]:
    """One line per prompt the experiment replaces (its resolved file), one for the shipped rest."""
    files = prompt_files(p)
    lines = [f"prompt {name}: {files[name]}" for name in sorted(p.exp.prompts)]
    shipped = [name for name in files if name not in p.exp.prompts]
    if shipped:
        folder = files[shipped[0]].parent
        lines.append(f"shipped prompts in {folder} (all {len(shipped)} the protocol ships; a run reads those its "
                     f"conditions and params need; replace one with `prompts: {{NAME: file.txt}}`): "
                     f"{', '.join(shipped)}")
    return lines


def run_pins(p: Plan) -> dict[str, Any]:
    task = p.exp.task
    if task.hf is not None:
        task_pin = hf_pin(task)
    else:
        path = resolve_path(task, p.base_dir).resolve()
        task_pin = {"path": str(path), "sha256": sha256_file(path)}
    files = prompt_files(p)
    prompts = {
        name: {"path": str(files[name]), "sha256": sha256_hex(t.text)}
        for name, t in sorted(p.prompts.templates.items())
    }
    return {"task": task_pin, "prompts": prompts, "config": config_pins(experiment_record(p.exp))}


_AGAIN = "resume finishes a run exactly as it began: change it back, or start a new run"


def check_resume(p: Plan, meta: dict[str, Any]) -> None:
    """Refuse a resume whose config, task or prompts differ from what the run started with."""
    stored = meta.get("pins")
    if not isinstance(stored, dict):
        return  # a run folder from before pins: nothing to compare against
    now = run_pins(p)
    before, after = stored.get("config") or {}, now["config"]
    changed = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    if changed:  # name the most specific field (`params.rounds`, not `params` when it was empty)
        key = next((k for k in changed if "." in k), changed[0])
        raise UserError(f"{p.source}: {key} was changed after the run started; {_AGAIN}")
    old_task, new_task = stored.get("task") or {}, now["task"]
    if old_task != new_task:
        what = old_task.get("path") or old_task.get("hf")
        raise UserError(f"{what}: the task changed after the run started "
                        f"(sha256 {str(old_task.get('sha256') or old_task.get('fingerprint'))[:12]} -> "
                        f"{str(new_task.get('sha256') or new_task.get('fingerprint'))[:12]}); {_AGAIN}")
    old_prompts, new_prompts = stored.get("prompts") or {}, now["prompts"]
    for name in sorted(set(old_prompts) | set(new_prompts)):
        if old_prompts.get(name) != new_prompts.get(name):
            where = (old_prompts.get(name) or new_prompts.get(name) or {}).get("path", name)
            raise UserError(f"{where}: prompt {name!r} changed after the run started; {_AGAIN}")
    planned = meta.get("units_planned")
    if isinstance(planned, int) and planned != len(p.units):
        raise UserError(f"{p.source}: the plan now has {len(p.units)} units, the run started with {planned}; {_AGAIN}")
