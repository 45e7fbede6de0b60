"""``python -m indexcalc``: the command line (see :mod:`indexcalc.cli`)."""

from indexcalc.cli import main

raise SystemExit(main())
