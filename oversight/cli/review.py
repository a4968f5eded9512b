"""`oversight review RUN_DIR`: the terminal UI over a run's transcripts, verdicts and metrics."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from oversight.cli.console import warn


def add_parser(sub: Any) -> None:
    review = sub.add_parser("review", help="browse a run's transcripts, verdicts and metrics (terminal UI)")
    review.add_argument("run_dir", metavar="RUN_DIR")


def command(args: argparse.Namespace) -> int:
    from oversight.protocol.shapes import open_folder
    from oversight.tui.review import ReviewApp

    ReviewApp(open_folder(Path(args.run_dir), warn=warn)).run()
    return 0
