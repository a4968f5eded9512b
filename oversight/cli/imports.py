"""`oversight import FORMAT FILE`: published transcripts as a run folder (formats come from the protocols)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from oversight.cli.console import console, warn
from oversight.cli.options import defer
from oversight.core.safe_text import line


def add_parser(sub: Any) -> None:
    imp = sub.add_parser("import", help="a run folder from published transcripts (formats: each protocol declares its own)")
    imp.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs)")
    defer(imp, add_positionals)


def add_positionals(imp: argparse.ArgumentParser) -> None:
    """FORMAT FILE, the formats the protocols declare in FORMAT's help (the protocols are loaded
    only when `import` parses)."""
    from oversight.core.errors import UserError
    from oversight.protocol.importing import formats

    try:
        known = ", ".join(sorted(formats()))
    except UserError as exc:  # importing says why again, with the exit code
        known = f"none readable ({exc})"
    imp.add_argument("format", metavar="FORMAT", help=f"the published transcripts' format: {known or 'none declared'}")
    imp.add_argument("file", metavar="FILE", help="the file of published transcripts")


def command(args: argparse.Namespace) -> int:
    from oversight.protocol.importing import import_file, import_summary
    from oversight.report.build import report
    from oversight.log.runfolder import RunFolder

    path = import_file(args.format, Path(args.file), Path(args.runs_dir))
    summary = import_summary(RunFolder.open(path).experiment()[1])
    if summary:
        console.print(line(summary), highlight=False, soft_wrap=True)
    report([path], console, warn=warn)
    return 0
