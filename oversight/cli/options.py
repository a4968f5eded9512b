"""What several commands share: how they read experiments, and --out errors."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from oversight.cli.console import err_console
from oversight.core.errors import UserError, bounded, write_failure
from oversight.core.safe_text import clean, judge_id, line
from oversight.models.spec import redact_url

ALLOW_HELP = ("also read prompt and task files from this folder (besides the experiment's own folder and the "
              "shipped tasks); repeatable")


SWEEP_HELP = "sweep a field over values (one run per point; combines with the file's sweep); repeatable"


def judge_id_from(value: str, missing: str) -> str:
    """A judge id typed on the command line (`--judge-id`), checked as every id is."""
    return judge_id(value, field="--judge-id", missing=missing)


def note(message: str) -> None:
    """What an override changed beyond the key it names (a swept key fixed to one value)."""
    err_console.print(line(("note:", "cyan"), " ", message), highlight=False, soft_wrap=True)


class DeferringParser(argparse.ArgumentParser):
    """A parser that adds some arguments only when it parses (`deferred`), not when the command
    line is built: options that need the protocols loaded cost only the command that has them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deferred: list[Callable[[argparse.ArgumentParser], None]] = []

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        while self.deferred:
            self.deferred.pop(0)(self)
        return super().parse_known_args(args, namespace)


def defer(parser: argparse.ArgumentParser, add: Callable[[argparse.ArgumentParser], None]) -> None:
    """Run `add(parser)` when `parser` parses (at once when it is not a DeferringParser)."""
    if isinstance(parser, DeferringParser):
        parser.deferred.append(add)
    else:
        add(parser)


def experiments(path_text: str, args: argparse.Namespace) -> Iterator[Any]:
    from oversight.config.experiment import read_yaml, validate_experiment
    from oversight.config.overrides import apply_overrides, expand_sweep

    path = Path(path_text)
    data = apply_overrides(read_yaml(path), args.set, args.model, getattr(args, "limit", None),
                           getattr(args, "sweep", []), note)
    for config, point in expand_sweep(data, str(path)):
        yield validate_experiment(config, str(path)), point, path


def flags_given(args: argparse.Namespace) -> dict[str, str]:
    """Dotted experiment key -> the command-line flag that set it."""
    given: dict[str, str] = {}
    for flag, texts, prefix in (("--set", args.set, ""), ("--sweep", getattr(args, "sweep", []), ""),
                                ("--model", args.model, "models.")):
        for text in texts or []:
            key = text.partition("=")[0].strip()
            given[prefix + key.removeprefix("sweep.")] = f"{flag} {text}"
    if getattr(args, "limit", None) is not None:
        given["limit"] = f"--limit {args.limit}"
    return given


@contextmanager
def blame_flags(path_text: str, args: argparse.Namespace) -> Iterator[None]:
    """An error in a field the command line set names that flag, not the experiment file."""
    try:
        yield
    except UserError as exc:
        head = f"{Path(path_text)}: "
        text = str(exc)
        if text.startswith(head):
            where = text[len(head):].split(":", 1)[0]
            for key, flag in flags_given(args).items():
                if where == key or where.startswith(f"{key}."):
                    raise UserError(f"{bounded(redact_url(flag), 100)}: {text[len(head):]}") from None
        raise


@contextmanager
def out_errors(out: str | None) -> Iterator[None]:
    """A file that cannot be written (a full disk, a read-only or missing --out) is one line
    naming that file, exit 2; writers leave no partial file behind."""
    try:
        yield
    except OSError as exc:
        inside = out is not None and exc.filename is not None and Path(exc.filename).is_relative_to(out)
        label = f"--out {exc.filename}" if inside else None
        raise UserError(write_failure(exc, f"--out {out}" if out else "output folder", label)) from None
