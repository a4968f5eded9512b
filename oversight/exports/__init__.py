"""`oversight export RUN_DIR --format inspect|jsonl|csv`: a run in formats other tools read.

- `jsonl` / `csv`: two flat tables, `transcripts.<ext>` (one row per finished unit: ids,
  condition, error, tokens and cost, the outcome's fields as `outcome.<name>`) and
  `judgments.<ext>` (one row per judgment: the transcript's ids and condition, the judge, the
  verdict fields). Nested values are JSON text, so both load straight into pandas or R.
- `inspect`: an Inspect AI eval log (`<run_id>.eval`) for `inspect view`: one sample per
  transcript, every model call as a model event, judgments as scores. Needs the `inspect`
  extra (`pip install 'oversight[inspect]'`).
"""

from __future__ import annotations

from pathlib import Path

from oversight.core.errors import UserError
from oversight.core.jsonl import Warn
from oversight.protocol.shapes import open_folder

FORMATS = ("inspect", "jsonl", "csv")


def export(run_dir: Path, fmt: str, out: Path | None = None, *, warn: Warn | None = None) -> list[Path]:
    """Write the run in `fmt` into `out` (default: RUN_DIR/exports); returns the files written."""
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    folder = open_folder(run_dir, warn=warn)
    target = Path(out) if out is not None else folder.path / "exports"
    target.mkdir(parents=True, exist_ok=True)
    if fmt == "inspect":
        from oversight.exports.inspect_log import write_inspect_log

        return [write_inspect_log(folder, target)]
    from oversight.exports.flat import write_tables

    return write_tables(folder, target, fmt)


__all__ = ["FORMATS", "export"]
