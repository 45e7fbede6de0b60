"""``str(expr)`` read back with ``ic.parse`` (issue 15 item 2); shared by the index-notation
reader's tests and the printed forms' round trip. Not a test module itself.

For the random expressions of ``tests/fuzz_expressions.py`` and what ``tests/form_checks.py``
derives from them (derivatives, the gradient and Hessian of a scalarization, second
derivatives), the printed index notation is parsed with the problem's variables as ``shapes``
(and the named pieces it prints by name) and evaluated; the value is held to the expression's own
evaluation, at the printed numbers' precision (6 significant digits).
"""

from __future__ import annotations

import numpy as np

import fuzz_expressions as fz
import indexcalc as ic
from form_checks import seed_subjects
from indexcalc.core.graph_walk import postorder
from indexcalc.core.nodes import Constant, Named, Tensor
from layout_reference import max_error

#: What the printed text does not hold, so the reader refuses it (never guesses): a constant
#: printed by its shape only (``const(9×9)``), a scan; and ``a`` alone, the size of ``a``, which
#: ``auto`` reads as Python's unknown tensor. (An index nothing else sizes declares its size where
#: it is bound, ``i∈[3]``: "has no size in the text" is no reason any more.)
INDEX_REFUSALS = ("prints only its shape", "a scan (scan_t",
                  # a lone dimension name (a size in index notation) is a tensor's in Python's,
                  # which auto reads bracket-free Python-readable text as
                  "unknown tensor")
#: Printed numbers carry 6 significant digits (``{:g}``): the values agree to this, relative to
#: ``max(1, |value|)`` (``layout_reference.max_error``, as the forms' round trip).
TOL = 1e-4


def printed_names(expr: ic.Expr) -> dict:
    """The names ``str(expr)`` prints: the fuzz variables (whose dimensions size the text's
    indices), every tensor, named constant and named piece of ``expr``."""
    names: dict = {k: fz.variable(k) for k in fz.VARIABLES}
    kids = lambda n: () if isinstance(n, Named) else n.children()   # noqa: E731
    for n in postorder([expr], kids):
        if isinstance(n, (Tensor, Named)) or isinstance(n, Constant) and n.name:
            names[n.name] = n
    return names


def seed_round_trip(seed: int) -> tuple[list[str], int, int]:
    """The findings (a wrong value, an unlisted refusal, any other exception) for the printed
    index notation of the expressions of ``seed``, and how many read back and were refused."""
    bad, read, refused = [], 0, 0
    for label, expr, _, bound in seed_subjects(seed):
        vals = {**fz.SIZES, **bound}
        with np.errstate(all="ignore"):
            want = np.asarray(ic.evaluate(expr, **vals), dtype=float)
        text = str(expr)
        where = f"seed {seed}: {label}: {text[:300]!r}"
        try:
            got = ic.parse(text, printed_names(expr))
        except ic.IndexcalcError as exc:
            refused += 1
            if not any(r in str(exc) for r in INDEX_REFUSALS):
                bad.append(f"{where}: refused: {str(exc).splitlines()[0]}")
            continue
        except Exception as exc:  # noqa: BLE001 - anything else escaping is a finding
            bad.append(f"{where}: raised {type(exc).__name__}: {exc}")
            continue
        read += 1
        with np.errstate(all="ignore"):
            value = np.asarray(ic.evaluate(got, **vals), dtype=float)
        err = max_error(value, want)
        if err > TOL:
            bad.append(f"{where}: reads back to another value (shape {value.shape} for "
                       f"{want.shape}, error {err:.3g})")
    return bad, read, refused
