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
from ..core.solve_rewrite import solve_inverses
from .arithmetic import apply, as_expr, einsum, mul
from .spectral import matrix_norm


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


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Expr:  # noqa: A001 - mirrors numpy.sum
    """Sum over ``axis`` (all axes by default), as NumPy; ``keepdims`` leaves the summed axes
    in place with size 1.

    Examples:
        >>> import indexcalc as ic
        >>> ic.sum(ic.Tensor("X", "n d"), axis=0).shape
        ('d',)
        >>> ic.sum(ic.Tensor("X", "n d"), axis=0, keepdims=True).shape
        (1, 'd')
    """
    x = as_expr(x, "sum")
    axes = normalize_axes(axis, x.ndim, "sum")
    ls = fresh_labels(x.ndim)
    dims = dict(zip(ls, x.shape))
    out = []
    for i, l in enumerate(ls):
        if i not in axes:
            out.append(l)
        elif keep_dims(keepdims, "sum"):
            out.append(fresh())  # an output label in no factor: a size-1 axis
            dims[out[-1]] = 1
    return product([(x, ls)], tuple(out), dims)


def keep_dims(keepdims: Any, what: str) -> bool:
    """``keepdims`` checked to be a bool (NumPy accepts only those too)."""
    if not isinstance(keepdims, (bool, np.bool_)):
        raise IndexcalcError(f"{what}: keepdims must be True or False, got {keepdims!r:.60}")
    return bool(keepdims)


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
    """``a @ b`` as NumPy: 1-D and 2-D operands, and stacks of matrices whose leading (batch)
    axes broadcast against each other.

    Examples:
        >>> import indexcalc as ic
        >>> X, W, v = ic.tensors("X[n,d] W[d,h] v[h]")
        >>> (X @ W @ v).shape
        ('n',)
        >>> A, B = ic.tensors("A[b,1,m,k] B[s,k,p]")
        >>> (A @ B).shape
        ('b', 's', 'm', 'p')
    """
    a, b = as_expr(a, "left operand of @"), as_expr(b, "right operand of @")
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError("@: matmul needs operands with at least one axis; use * for scalars")
    if a.ndim > 2 or b.ndim > 2:
        left, right = ("...ij" if a.ndim > 1 else "j"), ("...jk" if b.ndim > 1 else "j")
        out = "..." + ("i" if a.ndim > 1 else "") + ("k" if b.ndim > 1 else "")
        try:  # einsum meets dimensions and broadcasts the batch axes as np.matmul does
            return einsum(f"{left},{right}->{out}", a, b)
        except ShapeError as e:
            raise ShapeError(f"@: shapes {format_shape(a.shape)} and {format_shape(b.shape)} "
                             f"do not multiply as stacks of matrices (the batch axes broadcast, "
                             f"the matrix axes align): {e}") from None
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
    return solve_inverses(product([(a, la), (b, lb)], out, dims))  # inv(A) @ B: a solve


def tensordot(a: Any, b: Any, axes: Any = 2) -> Expr:
    """``numpy.tensordot``: sum the last ``axes`` axes of ``a`` against the first of ``b``, or
    the pairs ``axes = (axes_of_a, axes_of_b)``; the free axes of ``a`` then of ``b`` remain.

    Examples:
        >>> import indexcalc as ic
        >>> T, M = ic.tensors("T[a,b,c] M[b,c,d]")
        >>> ic.tensordot(T, M).shape, ic.tensordot(T, M, axes=([1], [0])).shape
        (('a', 'd'), ('a', 'c', 'c', 'd'))
    """
    a, b = as_expr(a, "tensordot"), as_expr(b, "tensordot")
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        if not 0 <= axes <= min(a.ndim, b.ndim):
            raise ShapeError(f"tensordot: axes={axes} but the operands have {a.ndim} and "
                             f"{b.ndim} axes")
        pa, pb = list(range(a.ndim - int(axes), a.ndim)), list(range(int(axes)))
    elif isinstance(axes, (tuple, list)) and len(axes) == 2:
        pa = [axes[0]] if isinstance(axes[0], (int, np.integer)) else list(axes[0])
        pb = [axes[1]] if isinstance(axes[1], (int, np.integer)) else list(axes[1])
        if len(pa) != len(pb):
            raise ShapeError(f"tensordot: axes {axes!r} pair {len(pa)} axes of a with "
                             f"{len(pb)} of b")
        pa = [normalize_axes(x, a.ndim, "tensordot")[0] for x in pa]
        pb = [normalize_axes(x, b.ndim, "tensordot")[0] for x in pb]
        if len(set(pa)) != len(pa) or len(set(pb)) != len(pb):
            raise ShapeError(f"tensordot: repeated axis in {axes!r}")
    else:
        raise IndexcalcError(f"tensordot: axes must be an int or a pair of axis lists, got "
                             f"{axes!r:.60}")
    la, lb = list(fresh_labels(a.ndim)), list(fresh_labels(b.ndim))
    for i, j in zip(pa, pb):
        if not dims_equal(a.shape[i], b.shape[j]):
            raise ShapeError(f"tensordot: axis {i} of a has dimension {a.shape[i]} but axis {j} "
                             f"of b has {b.shape[j]}")
        lb[j] = la[i]
    out = tuple(l for i, l in enumerate(la) if i not in pa) + \
        tuple(l for j, l in enumerate(lb) if j not in pb)
    dims = {**dict(zip(la, a.shape)), **dict(zip(lb, b.shape))}
    return product([(a, tuple(la)), (b, tuple(lb))], out, dims)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Expr:  # noqa: A002
    """Norms as ``numpy.linalg.norm``: 2-norm of a vector, Frobenius norm of a matrix.

    Without ``axis``: ``ord=None``/``2``/``"fro"`` the 2-norm of all entries (but ``ord=2`` of a
    matrix is its spectral norm, as NumPy's), ``ord=1`` the sum of absolute values.
    With an int ``axis``: the vector norm along it, ``ord`` a number ``p ≥ 1`` (``Σ|x|^p)^(1/p)``,
    ``None`` is 2). With a pair of axes: the Frobenius norm over both (``ord=None`` or ``"fro"``).
    ``ord=inf`` (a maximum) is refused. A matrix's ``ord=2`` (spectral) and ``ord="nuc"``
    (nuclear) norms come from its singular values (:func:`indexcalc.svd`). At ``x = 0`` the 2-norm's
    derivative is ``nan``, as JAX's.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> x = ic.Tensor("x", "n")
        >>> ic.norm(x).evaluate(x=np.array([3.0, 4.0]))
        array(5.)
        >>> ic.norm(x, ord=1).evaluate(x=np.array([3.0, -4.0]))
        array(7.)
        >>> X = ic.Tensor("X", "m n")
        >>> ic.norm(X, axis=1, keepdims=True).evaluate(X=np.array([[3.0, 4.0]]))
        array([[5.]])
    """
    x = as_expr(x, "norm")
    if not (ord is None or isinstance(ord, (numbers.Real, str))):  # `in` below would compare arrays
        raise IndexcalcError(f"norm: ord must be None, a number or 'fro', got {ord!r:.60}")
    if axis is None:
        if keep_dims(keepdims, "norm"):
            ones = fresh_labels(x.ndim)  # every axis kept with size 1
            return product([(norm(x, ord), ())], ones, dict.fromkeys(ones, 1))
        if ord in (None, 2, "fro"):
            if ord == 2 and x.ndim == 2:
                return matrix_norm(x, 2)
            if ord == 2 and x.ndim > 2:
                raise IndexcalcError("norm: ord=2 of an array of more than 2 axes is not "
                                     "defined (numpy refuses it too); ord=None gives the 2-norm of "
                                     "all entries")
            return apply("sqrt", sum(mul(x, x)))
        if ord == 1:
            return sum(apply("abs", x))
        if ord == "nuc":
            return matrix_norm(x, "nuc")
        raise IndexcalcError(f"norm: ord must be None, 2, 'fro', 'nuc' or 1 without axis, got "
                             f"{ord!r}")
    axes = normalize_axes(axis, x.ndim, "norm")
    if len(axes) == 2:
        if ord not in (None, "fro"):
            raise IndexcalcError(f"norm: over two axes only the Frobenius norm (ord=None or "
                                 f"'fro') is supported, got ord={ord!r}")
        return apply("sqrt", sum(mul(x, x), axes, keepdims))
    if len(axes) != 1:
        raise ShapeError(f"norm: axis must be an int or a pair of axes, got {axis!r}")
    if ord is None or ord == 2:
        return apply("sqrt", sum(mul(x, x), axes, keepdims))
    if isinstance(ord, str) or not np.isfinite(ord) or ord < 1:
        raise IndexcalcError(f"norm: a vector norm needs ord ≥ 1 (a number), got {ord!r}; "
                             "ord=inf is a maximum, not supported")
    if ord == 1:
        return sum(apply("abs", x), axes, keepdims)
    p = float(ord)
    return apply("power", sum(apply("power", apply("abs", x), p), axes, keepdims), 1.0 / p)


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
