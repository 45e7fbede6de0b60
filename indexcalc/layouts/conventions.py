"""Layout conventions shared by the matrix and Kronecker renderers: the choices and the split.

A derivative tensor ``D`` of shape ``F.shape + X.shape`` does not say where ``F``'s axes end:
``out_ndim`` is that number. ``ic.diff``, ``ic.grad`` and ``ic.hessian`` return a
:class:`~indexcalc.core.nodes.Derivative` that carries it; a renderer's ``out_ndim=`` argument
overrides it. Nothing else is consulted: a form depends on its arguments only.

The rule for an order-≤2 result, written "as is" with rows on its first axis:

* ``out_ndim == 0`` (a scalar differentiated by a vector or matrix): denominator layout is as is
  (the gradient has the variable's shape); numerator layout is the transpose (laid out like ``Xᵀ``).
* ``out_ndim >= 1`` (a vector by a vector: rows are ``f``'s axis, the Jacobian ``out × in``; or a
  vector/matrix by a scalar): numerator layout is as is; denominator layout is the transpose.
* an expression that is not a derivative (``out_ndim`` unknown and not given) is written as is
  in either layout.
"""

from __future__ import annotations

from ..errors import LayoutError
from ..core.nodes import Derivative, Expr

LAYOUTS = ("numerator", "denominator")
VECS = ("col", "row")
VECTORS = ("column", "row")


def split_of(expr: Expr, out_ndim: int | None) -> int | None:
    """``out_ndim`` as given, else the split a :class:`Derivative` carries, else ``None``."""
    if out_ndim is not None:
        if not isinstance(out_ndim, int) or isinstance(out_ndim, bool) or not 0 <= out_ndim <= expr.ndim:
            raise LayoutError(f"out_ndim must be an int from 0 to {expr.ndim} (the expression's "
                              f"order), got {out_ndim!r}")
        return out_ndim
    return expr.out_ndim if isinstance(expr, Derivative) else None


def check_choice(name: str, value: object, choices: tuple) -> str:
    # ``in`` compares with ==: an array would raise NumPy's ambiguous-truth ValueError
    if not isinstance(value, str) or value not in choices:
        raise LayoutError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value  # type: ignore[return-value]


def transposes(layout: str, out_ndim: int | None) -> bool:
    """Whether ``layout`` writes an order-≤2 derivative transposed from its as-is matrix."""
    if out_ndim is None:
        return False
    return (out_ndim == 0) != (layout == "denominator")
