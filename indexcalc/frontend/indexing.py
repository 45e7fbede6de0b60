"""Basic indexing ``expr[index]``: the user's index checked and normalized to a ``spec``.

The nodes (``Index``: ``arg[spec]``; ``Scatter``, its adjoint: zeros of ``shape`` with ``arg``
written at ``[spec]``) are declared in :mod:`indexcalc.core.nodes`, their simplifying
constructors in :mod:`indexcalc.core.slicing`, and each stage's rules for them in that stage.

A ``spec`` is the user's index normalized to one item per axis of ``arg`` (the ellipsis expanded),
with new axes in place: ``("i", k)`` an integer, ``("s", start, stop, step)`` a slice as NumPy
takes it, ``("n",)`` a new axis of size 1. Integer dimensions are checked when the expression is
built (an out-of-range integer is a ``ShapeError``); a named dimension is checked when its size
is bound. A slice of a named dimension must have a size known without the name: the full slice
(``:`` and ``::-1``) keeps the name, ``a:b`` with ``0 ≤ a ≤ b`` has ``len(range(a, b, step))``
elements (and needs the bound size to be at least ``b``); any other slice of a named dimension
is a ``ShapeError`` that says to give the tensor an integer dimension.

Indexing is linear, so it moves inside sums and products: ``(A B)[0]`` becomes ``A[0] B`` and
the derivative of ``x[t]`` by ``x`` — the identity seed indexed — is a *sliced delta*
``δ[t, :]``, a selection that stays symbolic until the output asks for it. The tangent of
``x[idx]`` is ``T[idx]`` on the leading axes; the cotangent scatters into zeros.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..core.dims import Dim, format_shape
from ..errors import IndexcalcError, ShapeError
from ..core.nodes import Expr, Index, Scatter, format_spec  # noqa: F401  (re-exported)
from ..core.slicing import index_spec, scatter_spec  # noqa: F401  (re-exported)
from .arithmetic import as_expr


# --------------------------------------------------------------------------- the spec

def _as_int(v: Any, what: str) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (numbers.Integral, np.integer)):
        raise IndexcalcError(f"{what} must be an int or None, got {v!r}")
    return int(v)


def _fancy(item: Any) -> IndexcalcError:
    return IndexcalcError(
        f"expr[...]: only basic indexing is supported (ints, slices, None, ...); got "
        f"{type(item).__name__} {item!r:.40}. Fancy indexing (arrays, lists, booleans) is not: "
        "use ic.where with a constant mask, ic.stack of single items, or an einsum with a "
        "constant selection matrix")


def _slice_item(sl: slice, d: Dim, axis: int) -> tuple[tuple, Dim]:
    start, stop = _as_int(sl.start, "a slice start"), _as_int(sl.stop, "a slice stop")
    step = _as_int(sl.step, "a slice step")
    step = 1 if step is None else step
    if step == 0:
        raise ShapeError(f"expr[...]: slice step cannot be zero (axis {axis})")
    if isinstance(d, int):
        start, stop, step = slice(start, stop, step).indices(d)
        length = len(range(start, stop, step))
        if length == 0:
            return ("s", 0, 0, 1), 0
        last = start + step * (length - 1)
        end = last + (1 if step > 0 else -1)  # canonical stop; -1 means "through index 0"
        return ("s", start, end if end >= 0 else None, step), length
    if start is None and stop is None and step in (1, -1):
        return ("s", None, None, step), d
    if step > 0 and (start is None or start >= 0) and stop is not None and stop >= (start or 0):
        return ("s", start or 0, stop, step), len(range(start or 0, stop, step))
    raise ShapeError(f"expr[...]: the slice {start}:{stop}:{step} of axis {axis} (dimension "
                     f"{d!r}) has a length that depends on the size of {d!r}; give the tensor an "
                     f"int dimension, or slice with bounds 0 <= start <= stop (x[a:b])")


def normalize(index: Any, shape: tuple) -> tuple[tuple, tuple]:
    """``(spec, result shape)`` of a basic index into an expression of ``shape``.

    Examples:
        >>> normalize((1, slice(None)), (3, "n"))
        ((('i', 1), ('s', None, None, 1)), ('n',))
        >>> normalize((Ellipsis, None, slice(None, None, -1)), (2, 3))
        ((('s', 0, 2, 1), ('n',), ('s', 2, None, -1)), (2, 1, 3))
    """
    items = index if isinstance(index, tuple) else (index,)
    for it in items:
        if not (it is None or it is Ellipsis or isinstance(it, slice)
                or (isinstance(it, (numbers.Integral, np.integer)) and not isinstance(it, bool))):
            raise _fancy(it)
    if sum(it is Ellipsis for it in items) > 1:
        raise IndexcalcError("expr[...]: an index can only have a single ellipsis ('...')")
    consumed = sum(it is not None and it is not Ellipsis for it in items)
    if consumed > len(shape):
        raise ShapeError(f"expr[...]: too many indices: {consumed} for an expression of shape "
                         f"{format_shape(shape)}")
    if Ellipsis not in items:
        items = items + (Ellipsis,)
    at = items.index(Ellipsis)
    items = items[:at] + (slice(None),) * (len(shape) - consumed) + items[at + 1:]
    spec, out, axis = [], [], 0
    for it in items:
        if it is None:
            spec.append(("n",))
            out.append(1)
            continue
        d = shape[axis]
        if isinstance(it, slice):
            item, dim = _slice_item(it, d, axis)
            spec.append(item)
            out.append(dim)
        else:
            k = int(it)
            if isinstance(d, int):
                if not -d <= k < d:
                    raise ShapeError(f"expr[...]: index {k} is out of bounds for axis {axis} "
                                     f"with size {d}")
                k %= d
            spec.append(("i", k))
        axis += 1
    return tuple(spec), tuple(out)


# --------------------------------------------------------------------------- building

def index(x: Any, idx: Any) -> Expr:
    """``x[idx]`` with NumPy's basic-indexing semantics, simplified.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> xs = ic.Tensor("xs", (4, "n"))
        >>> xs[2].shape, xs[1:3].shape, xs[None, ..., ::-1].shape
        (('n',), (2, 'n'), (1, 4, 'n'))
        >>> xs[-1].evaluate(xs=np.arange(8.0).reshape(4, 2))
        array([6., 7.])
    """

    x = as_expr(x, "expr[...]")
    spec, _ = normalize(idx, x.shape)
    return index_spec(x, spec)
