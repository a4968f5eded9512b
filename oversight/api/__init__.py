"""The public Python API: open a run folder as typed records and frames, run an experiment,
judge a run again. `oversight.open_run`, `oversight.run` and `oversight.judge` are these."""

from oversight.api.actions import judge, run, run_sync, sweep
from oversight.api.records import Judgment, Run, Transcript, open_run

__all__ = ["Judgment", "Run", "Transcript", "judge", "open_run", "run", "run_sync", "sweep"]
