"""`oversight validate EXPERIMENT`: the config, task, prompts and keys checked, no model called."""

from __future__ import annotations

import argparse
from typing import Any

import yaml
from pydantic import BaseModel
from rich.padding import Padding
from rich.text import Text

from oversight.cli.console import console
from oversight.cli.options import ALLOW_HELP, SWEEP_HELP, blame_flags, experiments
from oversight.core.safe_text import line
from oversight.core.words import count


def add_parser(sub: Any) -> None:
    validate = sub.add_parser("validate", help="check an experiment file and its task without calling a model")
    validate.add_argument("experiment")
    validate.add_argument("--model", action="append", default=[], metavar="ROLE=SPEC")
    validate.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    validate.add_argument("--sweep", action="append", default=[], metavar="KEY=V1,V2", help=SWEEP_HELP)
    validate.add_argument("--allow-path", action="append", default=[], metavar="DIR", help=ALLOW_HELP)
    validate.add_argument("--params", action="store_true",
                          help="also list every param of the protocol: this experiment's value, its default, what it does")


def command(args: argparse.Namespace) -> int:
    from oversight.models.pool import ModelPool
    from oversight.models.spec import redact_url
    from oversight.protocol.hooks import call_hook
    from oversight.runs.pins import describe_prompts
    from oversight.runs.runner import check_models, plan

    with blame_flags(args.experiment, args):
        for exp, point, path in experiments(args.experiment, args):
            p = plan(exp, source=str(path), base_dir=path.parent)
            check_models(p, ModelPool(cache=None))  # keys and model files, as a run would need
            label = f" ({', '.join(f'{k}={redact_url(str(v))}' for k, v in point.items())})" if point else ""
            console.print(line(
                f"ok: {path}{label}: protocol {exp.protocol}, {count(p.n_items, 'item')}, {count(len(p.units), 'unit')}, "
                f"roles {', '.join(f'{r}={redact_url(exp.models[r])}' for r in sorted(p.roles))}"),
                highlight=False,
            )
            for described in describe_prompts(p):  # nothing is read unseen (a prompt path may point anywhere)
                console.print(line(f"  {described}"), highlight=False)
            for warning in p.prompts.prefix_warnings(call_hook(p.protocol, "shared_prefix_for", p.params),
                                                      p.protocol.same_per_item):
                console.print(line(f"  warning: {warning}"), highlight=False, soft_wrap=True)
            for role in sorted(set(exp.models) - set(p.roles)):
                console.print(line(f"  note: models.{role} is bound but these conditions and params call no {role} "
                                   "(a spelling or condition mistake? a binding kept for another setting is fine)"),
                              highlight=False, soft_wrap=True)
            if args.params:
                print_params(p.params)
    return 0


def print_params(params: BaseModel) -> None:
    """Every field of the protocol's params: the value here, the default when it differs, and
    the field's own docstring (the reference a researcher edits `params:` against)."""
    console.print(f"  params of {type(params).__name__} (this experiment's value, then the default where it differs):")
    for name, field in type(params).model_fields.items():
        value = getattr(params, name)
        default = field.get_default(call_default_factory=True)
        shown = f"{name} = {_yaml(value)}" + ("" if value == default else f"  (default {_yaml(default)})")
        console.print(line(f"    {shown}"), highlight=False, soft_wrap=True)
        doc = " ".join((field.description or "").split())
        if doc:
            console.print(Padding(Text(doc, style="dim"), (0, 0, 0, 6)))


def _yaml(value: Any) -> str:
    """A value as it is written in YAML flow style (lists in brackets, null, true)."""
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).strip().removesuffix("...").strip()
