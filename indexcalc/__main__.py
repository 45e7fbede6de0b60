"""``python -m indexcalc``: the command line (see :mod:`indexcalc.cli`)."""

from indexcalc.cli import main

if __name__ == "__main__":  # importing the module (doc tools, test collectors) must not run it
    raise SystemExit(main())
