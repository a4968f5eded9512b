"""`oversight ls [RUNS_DIR]`: the runs there, newest first, with what each is and how far it got."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from oversight.cli.console import console
from oversight.core.errors import UserError
from oversight.core.safe_text import line


def add_parser(sub: Any) -> None:
    ls = sub.add_parser("ls", help="list the run folders in RUNS_DIR (default: runs), newest first")
    ls.add_argument("runs_dir", nargs="?", default="runs", metavar="RUNS_DIR")


def command(args: argparse.Namespace) -> int:
    from oversight.log.listing import list_runs
    from oversight.report.tables import rows_table

    runs_dir = Path(args.runs_dir)
    if not runs_dir.is_dir():
        raise UserError(f"RUNS_DIR {str(runs_dir)!r}: {'a file, not a folder' if runs_dir.exists() else 'no such folder'} (run folders go under runs/ by default; "
                        f"give the folder that holds them)")
    runs = list_runs(runs_dir)
    if not runs:
        console.print(line(f"no run folders in {runs_dir}"), highlight=False, soft_wrap=True)
        return 0
    rows = [{
        "run": s.path.name,
        "protocol": s.protocol,
        "status": s.status,
        "units": f"{s.units_done}/{s.units_planned}" if s.units_planned is not None else str(s.units_done),
        "judges": len(s.judges),
        "USD": "n/a" if s.cost_usd is None else f"{s.cost_usd:.4f}",
    } for s in runs]
    console.print(rows_table(f"{len(runs)} run{'s' if len(runs) != 1 else ''} in {runs_dir}", rows))
    console.print("units: finished (failed included) / planned; judges: judge ids with judgments; USD: the run's "
                  "own calls (n/a: a model without a price)")
    return 0
