"""`python -m oversight` is the `oversight` command (for an environment whose scripts are not on PATH)."""

from oversight.cli.main import entry

entry()
