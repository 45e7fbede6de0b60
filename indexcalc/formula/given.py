"""What a name given in ``shapes=`` stands for — one answer for every notation ``ic.parse`` reads,
so that ``ic.parse(str(form), form.names())`` reads a printed matrix form whichever notation the
text falls to (``diag(x)``, a Python call too; an explicit block's index notation).

Examples:
    >>> import indexcalc as ic
    >>> x = ic.Tensor("x", "n")
    >>> stands_for("x", (x, ("n", None))) is x   # MatrixForm.names(): (expression, (rows, cols))
    True
    >>> stands_for("A", "m n").shape
    ('m', 'n')
"""

from __future__ import annotations

from typing import Any

from ..core.nodes import Expr, Tensor
from ..errors import ParseError


def is_oriented(spec: Any) -> bool:
    """Whether ``spec`` is an expression with its orientation, ``(expr, (rows, cols))``, as
    :meth:`MatrixForm.names <indexcalc.layouts.matrix_form.MatrixForm.names>` gives it."""
    return isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], Expr)


def stands_for(name: str, spec: Any) -> Expr:
    """The expression ``shapes[name] = spec`` gives ``name``: a shape (a string or a tuple of
    dimensions) declares a tensor; an ``ic.Tensor`` must carry the name (another name would read
    silently as the other tensor); any other expression is a named part; ``(expr, (rows,
    cols))`` is ``expr``, whatever its own name (a printed ``e₁`` stands for the tensor ``e1``) —
    the orientation is matrix notation's alone (Python and index notation read values by their
    axes)."""
    if is_oriented(spec):
        return spec[0]
    if isinstance(spec, Tensor):
        if spec.name != name:
            raise ParseError(f"shapes[{name!r}] is a tensor named {spec.name!r}")
        return spec
    return spec if isinstance(spec, Expr) else Tensor(name, spec)
