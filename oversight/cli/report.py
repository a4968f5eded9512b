"""`oversight report RUN_DIR...`: metrics with intervals, figures, runs side by side."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from oversight.cli.console import console, warn
from oversight.cli.options import out_errors


def add_parser(sub: Any) -> None:
    report = sub.add_parser("report", help="metrics with confidence intervals for one or more runs")
    report.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    report.add_argument("--format", default="table", choices=["table", "json", "csv", "markdown"],
                        help="how the report is printed (default: table)")
    report.add_argument("--out", metavar="DIR", help="also write the report and the cross-run figures here")


def command(args: argparse.Namespace) -> int:
    from oversight.report.build import report

    with out_errors(args.out):
        report([Path(d) for d in args.run_dirs], console, fmt=args.format,
               out=Path(args.out) if args.out else None, warn=warn)
    return 0
