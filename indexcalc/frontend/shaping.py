"""Structure: vec/unvec, stacking and concatenation, triangular masks and ``where``.

Concatenation and the triangular masks are the node types ``Concat`` (``numpy.concatenate``)
and ``TriMask`` (the constant 0/1 mask of tril or triu, any size), declared in
:mod:`indexcalc.core.nodes` with their rules in each stage; this module builds them.

``vec`` and ``unvec`` are reshapes (with a transpose for column-major order); ``stack`` is a
concatenation of items given a new axis; ``tril``, ``triu`` and ``where`` multiply by a constant
mask, so their derivatives multiply by the same mask. The cotangent of a concatenation is split
by slicing. :func:`kron_name` and :func:`vec_source` help the layout adapters print
``∂vec(X)/∂vec(X) = I_{mn}``, ``∂vec(Xᵀ)/∂vec(X) = K_{m,n}`` and see through ``vec``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.algebra import fresh, product
from ..core.dim_meeting import meet, meet_broadcast
from ..core.dims import dim_mul, dims_equal, format_shape, parse_shape
from ..errors import IndexcalcError, ShapeError
from .indexing import index
from ..core.nodes import Concat, Constant, Delta, Expr, Product, Reshape, TriMask, plain  # noqa: F401  (re-exported)
from ..core.slicing import concat
from .arithmetic import add2, as_expr, mul
from .axes import normalize_axes, transpose
from .matrices import reshape

ORDERS = ("col", "row")


# --------------------------------------------------------------------------- vec / unvec

def _order(order: Any, what: str) -> str:
    if not isinstance(order, str) or order not in ORDERS:  # an array would compare elementwise
        raise IndexcalcError(f"{what}: order must be 'col' (column-major, the default) or 'row' "
                             f"(C order), got {order!r}")
    return order


def vec(x: Any, order: str = "col") -> Expr:
    """Stack the entries of ``x`` into a vector: column-major (``"col"``) or C order (``"row"``).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "m n")
        >>> ic.vec(X).shape
        ('m*n',)
        >>> ic.vec(X).evaluate(X=np.array([[1.0, 2.0], [3.0, 4.0]]))
        array([1., 3., 2., 4.])
        >>> ic.vec(X, order="row").evaluate(X=np.array([[1.0, 2.0], [3.0, 4.0]]))
        array([1., 2., 3., 4.])
    """
    x = as_expr(x, "vec")
    size = dim_mul(*x.shape) if x.shape else 1  # "m*n" for X[m,n], in either order
    if _order(order, "vec") == "col":
        x = transpose(x)
    return reshape(x, size)


def unvec(x: Any, shape: Any, order: str = "col") -> Expr:
    """The inverse of :func:`vec`: the vector ``x`` laid out in ``shape``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> v = ic.Tensor("v", 6)
        >>> ic.unvec(v, (2, 3)).evaluate(v=np.arange(6.0))
        array([[0., 2., 4.],
               [1., 3., 5.]])
    """
    x = as_expr(x, "unvec")
    if x.ndim != 1:
        raise ShapeError(f"unvec: needs a vector, got shape {format_shape(x.shape)}")
    shape = parse_shape(shape, "unvec")
    if _order(order, "unvec") == "row":
        return reshape(x, shape)
    return transpose(reshape(x, tuple(reversed(shape))))


# --------------------------------------------------------------------------- concatenate / stack

def _one_axis(axis: Any, ndim: int, what: str) -> int:
    """One axis as a non-negative int (``None`` or a tuple is refused, not read as all axes)."""
    if axis is None or isinstance(axis, (tuple, list)):
        raise IndexcalcError(f"{what}: axis must be an int, got {axis!r} (to join flattened "
                             "items, reshape each with ic.reshape(x, -1) first)")
    return normalize_axes(axis, ndim, what)[0]


def concatenate(xs: Sequence[Any], axis: int = 0) -> Expr:
    """Join expressions along an existing axis, as ``numpy.concatenate``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> a, b = ic.tensors("a[2,n] b[3,n]")
        >>> ic.concatenate([a, b]).shape
        (5, 'n')
        >>> ic.concatenate([a, a], axis=1).shape
        (2, '2*n')
    """
    if isinstance(xs, Expr) or not isinstance(xs, (list, tuple)) or not xs:
        raise IndexcalcError("concatenate: give a non-empty list or tuple of expressions")
    parts = [as_expr(x, f"concatenate item {i}") for i, x in enumerate(xs)]
    ndim = parts[0].ndim
    if ndim == 0:
        raise ShapeError("concatenate: zero-dimensional expressions cannot be concatenated "
                         "(use ic.stack)")
    ax = _one_axis(axis, ndim, "concatenate")
    parts = meet(parts, [tuple(("along", i) if a == ax else a for a in range(p.ndim))
                         for i, p in enumerate(parts)])
    for i, p in enumerate(parts):
        if p.ndim != ndim:
            raise ShapeError(f"concatenate: item 0 has {ndim} axes but item {i} has {p.ndim}")
        for a, (d0, d) in enumerate(zip(parts[0].shape, p.shape)):
            if a != ax and not dims_equal(d0, d):
                raise ShapeError(f"concatenate: axis {a} has dimension {d0} in item 0 but {d} in "
                                 f"item {i} (only axis {ax} may differ)")
    return concat(parts, ax)


def stack(xs: Sequence[Any], axis: int = 0) -> Expr:
    """Join expressions of one shape along a new axis, as ``numpy.stack``.

    Examples:
        >>> import indexcalc as ic
        >>> h = ic.Tensor("h", "n")
        >>> ic.stack([h, 2 * h, h]).shape, ic.stack([h, h], axis=-1).shape
        ((3, 'n'), ('n', 2))
    """
    if isinstance(xs, Expr) or not isinstance(xs, (list, tuple)) or not xs:
        raise IndexcalcError("stack: give a non-empty list or tuple of expressions")
    parts = [as_expr(x, f"stack item {i}") for i, x in enumerate(xs)]
    parts = meet(parts, [tuple(range(p.ndim)) for p in parts])
    shape = parts[0].shape
    for i, p in enumerate(parts):
        if len(p.shape) != len(shape) or not all(map(dims_equal, p.shape, shape)):
            raise ShapeError(f"stack: all items need one shape; item 0 has {format_shape(shape)} "
                             f"but item {i} has {format_shape(p.shape)}")
    ax = _one_axis(axis, len(shape) + 1, "stack")
    where = (slice(None),) * ax + (None,)
    return concatenate([index(p, where) for p in parts], ax)


# --------------------------------------------------------------------------- masks

def _triangle(x: Any, k: int, upper: bool, what: str) -> Expr:
    x = as_expr(x, what)
    if x.ndim < 2:
        raise ShapeError(f"{what}: needs at least 2 axes, got shape {format_shape(x.shape)}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise IndexcalcError(f"{what}: k must be an int, got {k!r}")
    ls = tuple(fresh() for _ in x.shape)
    mask = TriMask(x.shape[-2], x.shape[-1], int(k), upper)
    return product([(x, ls), (mask, ls[-2:])], ls, dict(zip(ls, x.shape)))


def tril(x: Any, k: int = 0) -> Expr:
    """The lower triangle (``j ≤ i + k``) of the last two axes, zeros elsewhere.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> ic.tril(ic.Tensor("X", "n n")).evaluate(X=np.ones((2, 2)))
        array([[1., 0.],
               [1., 1.]])
    """
    return _triangle(x, k, False, "tril")


def triu(x: Any, k: int = 0) -> Expr:
    """The upper triangle (``j ≥ i + k``) of the last two axes, zeros elsewhere.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> ic.triu(ic.Tensor("X", "n n")).evaluate(X=np.ones((2, 2)))
        array([[1., 1.],
               [0., 1.]])
    """
    return _triangle(x, k, True, "triu")


def where(mask: Any, a: Any, b: Any) -> Expr:
    """``mask ? a : b`` elementwise with NumPy broadcasting; ``mask`` must be a constant.

    Computed as ``m∘a + (1 − m)∘b``, so its derivatives multiply by the constant mask. (An
    infinite or NaN value where it is not selected still poisons the result, as ``0·∞``.)

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> x = ic.Tensor("x", 3)
        >>> ic.where([True, False, True], x, 0.0).evaluate(x=np.array([1.0, 2.0, 3.0]))
        array([1., 0., 3.])
    """
    if isinstance(mask, Expr) and not isinstance(mask, Constant):
        raise IndexcalcError("where: the mask must be a constant (a NumPy array or ic.Constant); "
                             "a mask that depends on variables has no derivative")
    m = as_expr(mask, "where: mask")
    values = np.asarray(m.value)
    if not np.all((values == 0) | (values == 1)):
        raise IndexcalcError("where: the mask must hold booleans (or 0/1 values)")
    a, b = as_expr(a, "where: a"), as_expr(b, "where: b")
    m, a, b = meet_broadcast([m, a, b])  # the mask takes the operands' names (X[m,n], 3×4 mask)
    keep = Constant(1.0 - values, shape=m.shape)
    return add2(mul(m, a), mul(keep, b))


# --------------------------------------------------------------------------- layout helpers

def vec_source(d: Expr, x_ndim: int, order: str = "col") -> Expr | None:
    """See through ``vec``: for ``d = ∂vec(H)/∂X`` (``vec`` in ``order``) return ``∂H/∂X``.

    ``d`` has shape ``(N,) + X.shape``; the result has shape ``H.shape + X.shape`` and its
    vec/Kronecker form (same ``order``) is the same matrix as ``d``'s. ``None`` when ``d`` is
    not a reshape of such a derivative.

    Examples:
        >>> import indexcalc as ic
        >>> A, X, B = ic.tensors("A[p,m] X[m,n] B[n,q]")
        >>> ic.diff(ic.vec(A @ X @ B), X).shape
        ('p*q', 'm', 'n')
        >>> vec_source(ic.diff(ic.vec(A @ X @ B), X), 2).shape
        ('p', 'q', 'm', 'n')
    """
    d = plain(d)
    _order(order, "vec_source")
    if not isinstance(d, Reshape) or d.ndim != 1 + x_ndim:
        return None
    inner = d.arg
    lead = inner.ndim - x_ndim
    if lead < 1 or not all(map(dims_equal, inner.shape[lead:], d.shape[1:])):
        return None
    if order == "row":
        return inner
    perm = tuple(reversed(range(lead))) + tuple(range(lead, inner.ndim))
    return transpose(inner, perm)


def kron_name(d: Expr, x_ndim: int, order: str = "col", layout: str = "numerator") -> str | None:
    """The name of ``∂vec(F)/∂vec(X)`` when it is a permutation matrix: ``I_{…}`` or ``K_{m,n}``.

    ``K_{m,n}`` is the commutation matrix, ``K_{m,n} vec(A) = vec(Aᵀ)`` for ``A`` of shape
    ``m × n`` (column-major vec). ``None`` when ``d`` is not a pure permutation of ``X``'s entries.

    Examples:
        >>> import indexcalc as ic
        >>> X = ic.Tensor("X", "m n")
        >>> kron_name(ic.diff(ic.vec(X), X), 2), kron_name(ic.diff(ic.vec(X.T), X), 2)
        ('I_{m*n}', 'K_{m,n}')
        >>> kron_name(ic.diff(X.T, X), 2), kron_name(ic.diff(2 * X, X), 2)
        ('K_{m,n}', None)
    """
    d = plain(d)
    _order(order, "kron_name")
    if layout not in ("numerator", "denominator"):
        raise IndexcalcError(f"kron_name: layout must be 'numerator' or 'denominator', got "
                             f"{layout!r}")
    flat = isinstance(d, Reshape) and d.ndim == 1 + x_ndim
    p = d.arg if flat else d
    lead = p.ndim - x_ndim
    pi = _permutation(p, lead)
    if pi is None or (not flat and lead != x_ndim):
        return None
    xshape = p.shape[lead:]
    if flat and not all(map(dims_equal, xshape, d.shape[1:])):
        return None
    # rows: F's entries flattened in C order over these axes of X (outermost first)
    rows = tuple(pi) if flat or order == "row" else tuple(reversed(pi))
    cols = tuple(range(x_ndim)) if order == "row" else tuple(reversed(range(x_ndim)))
    if rows == cols:
        return "I_{" + str(dim_mul(*xshape) if xshape else 1) + "}"
    if x_ndim != 2:
        return None
    # K_{a,b} takes column order (outer b, inner a) to row order (outer a, inner b)
    a, b = xshape[cols[1]], xshape[cols[0]]
    if layout == "denominator":
        a, b = b, a
    return f"K_{{{a},{b}}}"


def _permutation(p: Expr, lead: int) -> list[int] | None:
    """For a product of deltas tying each leading axis to one trailing axis: that axis map."""
    if isinstance(p, Delta) and p.order == 2 and lead == 1:
        return [0]
    if not isinstance(p, Product) or p.coef != 1.0 or len(p.out) != 2 * lead:
        return None
    pos = {l: i for i, l in enumerate(p.out)}
    pi = [None] * lead
    for f, ls in p.factors:
        if not (isinstance(f, Delta) and f.order == 2):
            return None
        i, j = sorted((pos.get(ls[0], -1), pos.get(ls[1], -1)))
        if i < 0 or i >= lead or j < lead or pi[i] is not None:
            return None
        pi[i] = j - lead
    return pi if None not in pi else None
