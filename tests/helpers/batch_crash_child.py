"""`oversight` in a child process that dies by SIGKILL at one moment of collecting a batch.

`KILL_AT=before_collected` dies just before `batches.jsonl` gets the batch's "collected" line,
`after_collected` just after it (the line is on disk, nothing after it ran); unset: no kill.
The test-only protocols are registered as conftest does. Used by tests/models/test_batch_crash.py.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.helpers.harness import TEST_PROTOCOLS  # noqa: E402
from oversight.protocol import registry as protocol  # noqa: E402
from oversight.models.batch.journal import BatchJournal  # noqa: E402

_installed = protocol._entry_points()
protocol._entry_points = lambda: {**_installed, **TEST_PROTOCOLS}  # type: ignore[assignment]

_when = os.environ.get("KILL_AT")
_collected = BatchJournal.collected


def _dying_collected(self: BatchJournal, *args: Any, **kwargs: Any) -> None:
    if _when == "before_collected":
        os.kill(os.getpid(), signal.SIGKILL)
    _collected(self, *args, **kwargs)
    if _when == "after_collected":
        os.kill(os.getpid(), signal.SIGKILL)


BatchJournal.collected = _dying_collected  # type: ignore[method-assign]

if __name__ == "__main__":
    from oversight.cli.main import main

    sys.exit(main(sys.argv[1:]))
