"""Operations along axes: sums and transposes, ``@``, norms, and the normalizers (softmax,
logsumexp) that run along an axis. Part of the front end; importable from :mod:`indexcalc.frontend.arithmetic`.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..core.algebra import add, fresh, fresh_labels, product
from ..core.dim_meeting import meet
from ..core.dims import dims_equal, format_shape
from ..errors import IndexcalcError, ShapeError
from ..core.nodes import Expr, LogSumExp, Softmax
from .arithmetic import apply, as_expr, mul


def normalize_axes(axis: Any, ndim: int, what: str) -> tuple[int, ...]:
    """Axes as sorted non-negative ints; ``None`` means all."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = []
    for a in items:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise IndexcalcError(f"{what}: axis must be an int or a tuple of ints, got {a!r}")
        if not -ndim <= a < ndim:
            raise ShapeError(f"{what}: axis {a} is out of bounds for an expression with {ndim} axes")
        axes.append(int(a) % ndim)
    if len(set(axes)) != len(axes):
        raise ShapeError(f"{what}: repeated axis in {axis!r}")
    return tuple(sorted(axes))


def sum(x: Any, axis: Any = None) -> Expr:  # noqa: A001 - mirrors numpy.sum
    """Sum over ``axis`` (all axes by default), as NumPy.

    Examples:
        >>> import indexcalc as ic
        >>> ic.sum(ic.Tensor("X", "n d"), axis=0).shape
        ('d',)
    """
    x = as_expr(x, "sum")
    axes = normalize_axes(axis, x.ndim, "sum")
    ls = fresh_labels(x.ndim)
    out = tuple(l for i, l in enumerate(ls) if i not in axes)
    return product([(x, ls)], out, dict(zip(ls, x.shape)))


def transpose(x: Any, *axes: Any) -> Expr:
    """Permute axes (reverse them by default), as ``numpy.transpose``.

    Examples:
        >>> import indexcalc as ic
        >>> A, T = ic.tensors("A[m,n] T[a,b,c]")
        >>> ic.transpose(A).shape
        ('n', 'm')
        >>> ic.transpose(T, 1, 0, 2).shape
        ('b', 'a', 'c')
    """
    x = as_expr(x, "transpose")
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if not axes:
        axes = tuple(reversed(range(x.ndim)))
    perm = normalize_axes(tuple(axes), x.ndim, "transpose") if axes else ()
    if len(axes) != x.ndim or sorted(perm) != list(range(x.ndim)):
        raise ShapeError(f"transpose: axes {axes} are not a permutation of {x.ndim} axes")
    perm = tuple(int(a) % x.ndim for a in axes)
    ls = fresh_labels(x.ndim)
    return product([(x, ls)], tuple(ls[a] for a in perm), dict(zip(ls, x.shape)))


def matmul(a: Any, b: Any) -> Expr:
    """``a @ b`` for 1-D and 2-D operands, as NumPy.

    Examples:
        >>> import indexcalc as ic
        >>> X, W, v = ic.tensors("X[n,d] W[d,h] v[h]")
        >>> (X @ W @ v).shape
        ('n',)
    """
    a, b = as_expr(a, "left operand of @"), as_expr(b, "right operand of @")
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError("@: matmul needs operands with at least one axis; use * for scalars")
    if a.ndim > 2 or b.ndim > 2:
        raise ShapeError(f"@ supports 1-D and 2-D operands (got {a.ndim}-D and {b.ndim}-D); "
                         "write batched products with ic.einsum")
    i, k, j = fresh(), fresh(), fresh()
    la = (i, k) if a.ndim == 2 else (k,)
    lb = (k, j) if b.ndim == 2 else (k,)
    a, b = meet([a, b], [la, lb])
    ka, kb = a.shape[-1], b.shape[0]
    if not dims_equal(ka, kb):
        raise ShapeError(f"@: shapes {format_shape(a.shape)} and {format_shape(b.shape)} are not "
                         f"aligned: dimension {ka} (last axis of the left operand) != {kb} "
                         f"(first axis of the right operand)")
    out = la[:-1] + lb[1:]
    dims = {i: a.shape[0], k: ka, j: b.shape[-1]}
    return product([(a, la), (b, lb)], out, dims)


def norm(x: Any, ord: Any = None) -> Expr:  # noqa: A002 - mirrors numpy.linalg.norm
    """2-norm of a vector, Frobenius norm of a matrix; ``ord=1``: sum of absolute values.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> x = ic.Tensor("x", "n")
        >>> ic.norm(x).evaluate(x=np.array([3.0, 4.0]))
        array(5.)
        >>> ic.norm(x, ord=1).evaluate(x=np.array([3.0, -4.0]))
        array(7.)
    """
    x = as_expr(x, "norm")
    if not (ord is None or isinstance(ord, (numbers.Real, str))):  # `in` below would compare arrays
        raise IndexcalcError(f"norm: ord must be None, 2, 'fro' or 1, got {ord!r:.60}")
    if ord in (None, 2, "fro"):
        if ord == 2 and x.ndim > 1:
            raise IndexcalcError("norm: ord=2 of a matrix (the spectral norm) is not supported; "
                                 "ord=None gives the Frobenius norm")
        return apply("sqrt", sum(mul(x, x)))
    if ord == 1:
        return sum(apply("abs", x))
    raise IndexcalcError(f"norm: ord must be None, 2, 'fro' or 1, got {ord!r}")


def softmax(x: Any, axis: int = -1) -> Expr:
    """``exp(x) / Σ exp(x)`` along ``axis`` (computed shifted by the maximum).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> x = ic.Tensor("x", "n")
        >>> ic.softmax(x).evaluate(x=np.log([1.0, 3.0]))
        array([0.25, 0.75])
    """
    x = as_expr(x, "softmax")
    return Softmax(x, _one_axis(axis, x, "softmax"))


def _scalar_axis(what: str):
    raise ShapeError(f"{what}: needs an expression with at least one axis")


def _one_axis(axis: Any, x: Expr, what: str) -> int:
    """The single axis a normalizer runs along (softmax has no multi-axis form)."""
    if not x.ndim:
        _scalar_axis(what)
    axes = normalize_axes(axis, x.ndim, what)
    if len(axes) != 1:
        raise ShapeError(f"{what}: normalizes along one axis, got axis={axis!r} for an "
                         f"expression of shape {format_shape(x.shape)}")
    return axes[0]


def logsumexp(x: Any, axis: Any = None) -> Expr:
    """``log Σ exp(x)`` over ``axis`` (all axes by default), stable.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> x = ic.Tensor("x", "n")
        >>> bool(np.isclose(ic.logsumexp(x).evaluate(x=np.log([1.0, 3.0])), np.log(4.0)))
        True
    """
    x = as_expr(x, "logsumexp")
    axes = normalize_axes(axis, x.ndim, "logsumexp")
    if not axes:
        return x
    return LogSumExp(x, axes)


def log_softmax(x: Any, axis: int = -1) -> Expr:
    """``x − logsumexp(x)`` along ``axis``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> x = ic.Tensor("x", "n")
        >>> np.exp(ic.log_softmax(x).evaluate(x=np.log([1.0, 3.0])))
        array([0.25, 0.75])
    """
    x = as_expr(x, "log_softmax")
    ax = _one_axis(axis, x, "log_softmax")
    lse = LogSumExp(x, (ax,))
    ls = fresh_labels(x.ndim)
    spread = product([(lse, tuple(l for i, l in enumerate(ls) if i != ax))], ls, dict(zip(ls, x.shape)))
    return add([(1.0, x), (-1.0, spread)], x.shape)
