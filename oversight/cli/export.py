"""`oversight export RUN_DIR --format inspect|jsonl|csv`: a run for other tools."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from oversight.cli.console import console, warn
from oversight.cli.options import out_errors
from oversight.core.safe_text import line


def add_parser(sub: Any) -> None:
    export = sub.add_parser("export", help="a run for other tools: Inspect's log viewer, pandas, R")
    export.add_argument("run_dir", metavar="RUN_DIR")
    export.add_argument("--format", required=True, choices=["inspect", "jsonl", "csv"])
    export.add_argument("--out", metavar="DIR", help="where the files go (default: RUN_DIR/exports)")


def command(args: argparse.Namespace) -> int:
    from oversight.exports import export

    with out_errors(args.out):
        paths = export(Path(args.run_dir), args.format, Path(args.out) if args.out else None, warn=warn)
    for path in paths:
        console.print(line(f"wrote {path}"), highlight=False, soft_wrap=True)
    return 0
