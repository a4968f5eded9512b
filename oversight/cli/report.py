"""`oversight report RUN_DIR...`: metrics with intervals, figures, runs side by side."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from oversight.cli.console import console, err_console, warn
from oversight.cli.options import out_errors
from oversight.core.errors import UserError
from oversight.core.safe_text import line


def add_parser(sub: Any) -> None:
    report = sub.add_parser("report", help="metrics with confidence intervals for one or more runs")
    report.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    report.add_argument("--format", default="table", choices=["table", "json", "csv", "markdown"],
                        help="how the report is printed (default: table)")
    report.add_argument("--out", metavar="DIR", help="also write the report and the cross-run figures here")


def command(args: argparse.Namespace) -> int:
    from oversight.report.build import SUFFIX, report

    out = Path(args.out) if args.out else None
    if out is not None and not out.is_dir() and out.suffix.lstrip(".") in SUFFIX.values():
        raise UserError(f"--out {args.out}: give a folder; the report is written in it as report.{SUFFIX[args.format]}")
    with out_errors(args.out):
        report([Path(d) for d in args.run_dirs], console, fmt=args.format, out=out, warn=warn)
    if out is not None:  # on stderr, so the printed report stays clean to pipe
        err_console.print(line(f"report written: {out / f'report.{SUFFIX[args.format]}'}"), highlight=False,
                          soft_wrap=True)
    return 0
