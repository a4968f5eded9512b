"""`python -m oversight` is the `oversight` command (for an environment whose scripts are not on PATH)."""

import sys

from oversight.cli.main import main

sys.exit(main())
