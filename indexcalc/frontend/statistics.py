"""Means, variances, products and running sums along axes, as NumPy's: built from sums and
products, no node of their own. Part of the front end.

``mean`` divides by the number of reduced entries: a number when the dimensions are ints, the
count ``Σ 1`` raised to −1 when one is a name (bound at evaluation). ``var`` is NumPy's two-pass
formula (mean of squared deviations from the mean), ``std`` its square root, whose derivative
at zero variance is infinite (``nan``), as NumPy's and JAX's values say. ``cumsum`` is a product
with the lower-triangular 0/1 mask (:class:`indexcalc.core.nodes.TriMask`): O(n²) work along
that axis, planned like any einsum; its derivative is the transposed mask. ``prod`` over an axis
of int size ``n`` is the einsum of its ``n`` slices, so its derivative is the product of the
others, ``Π_{j≠i} x_j`` — right where entries are zero, where ``prod/x`` is not.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.algebra import fresh, fresh_labels, full, product
from ..core.nodes import Expr, TriMask
from ..errors import IndexcalcError, ShapeError
from .arithmetic import add2, apply, as_expr, mul
from .axes import keep_dims, normalize_axes, sum
from .indexing import index
from .matrices import reshape

#: prod writes a product of one factor per entry along the axis: past this many, refused
MAX_PROD_LENGTH = 256


def _count(x: Expr, axes: tuple[int, ...], ddof: float = 0.0) -> Expr:
    """``1 / (N − ddof)``, N the number of entries along ``axes`` (a scalar expression)."""
    reduced = [x.shape[a] for a in axes]
    if all(isinstance(d, int) for d in reduced):
        n = float(np.prod(reduced, dtype=np.int64)) - ddof
        return apply("power", n, -1.0)   # folded to a constant; 1/0 is inf, as NumPy's nan mean
    ls = fresh_labels(len(reduced))
    count = product([(full(reduced), ls)], (), dict(zip(ls, reduced)))
    if ddof:
        count = add2(count, -float(ddof))
    return apply("power", count, -1.0)


def _ddof(ddof: Any, what: str) -> float:
    if isinstance(ddof, bool) or not isinstance(ddof, (int, float, np.integer, np.floating)):
        raise IndexcalcError(f"{what}: ddof must be a number, got {ddof!r:.60}")
    return float(ddof)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Expr:
    """The mean over ``axis`` (all axes by default), as ``numpy.mean``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "m n")
        >>> ic.mean(X, axis=1).evaluate(X=np.array([[1.0, 2.0, 6.0]]))
        array([3.])
        >>> print(ic.mean(X))
        Σ_m,n X[m,n] (m n)^-1
    """
    x = as_expr(x, "mean")
    axes = normalize_axes(axis, x.ndim, "mean")
    return mul(sum(x, axes, keepdims), _count(x, axes))


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: float = 0) -> Expr:
    """The variance over ``axis``, as ``numpy.var``: ``Σ (x − mean)² / (N − ddof)``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> x = ic.Tensor("x", "n")
        >>> ic.var(x).evaluate(x=np.array([1.0, 2.0, 6.0]))
        array(4.66666667)
    """
    x = as_expr(x, "var")
    axes = normalize_axes(axis, x.ndim, "var")
    deviation = add2(x, mean(x, axes, keepdims=True), -1.0, "-")
    return mul(sum(mul(deviation, deviation), axes, keep_dims(keepdims, "var")),
               _count(x, axes, _ddof(ddof, "var")))


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: float = 0) -> Expr:
    """The standard deviation over ``axis``, as ``numpy.std``: ``sqrt(var)``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> x = ic.Tensor("x", "n")
        >>> ic.std(x).evaluate(x=np.array([1.0, 3.0]))
        array(1.)
    """
    return apply("sqrt", var(x, axis, keepdims, ddof))


def cumsum(x: Any, axis: int | None = None) -> Expr:
    """Running sums along ``axis``, as ``numpy.cumsum`` (``None``: of the flattened entries).

    ``y[i] = Σ_j [j ≤ i] x[j]``: a product with the lower-triangular mask.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "m n")
        >>> ic.cumsum(X, axis=1).evaluate(X=np.array([[1.0, 2.0, 3.0]]))
        array([[1., 3., 6.]])
        >>> ic.cumsum(X).shape
        ('m*n',)
    """
    x = as_expr(x, "cumsum")
    if axis is None:
        x, axis = reshape(x, -1), 0
    if isinstance(axis, (tuple, list)):
        raise IndexcalcError(f"cumsum: axis must be one int or None, got {axis!r}")
    if not x.ndim:
        x, axis = reshape(x, 1), 0
    (ax,) = normalize_axes(axis, x.ndim, "cumsum")
    ls = fresh_labels(x.ndim)
    i, d = fresh(), x.shape[ax]
    out = ls[:ax] + (i,) + ls[ax + 1:]
    dims = {**dict(zip(ls, x.shape)), i: d}
    return product([(TriMask(d, d, 0, False), (i, ls[ax])), (x, ls)], out, dims)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Expr:
    """The product of the entries over ``axis`` (all by default), as ``numpy.prod``.

    The einsum of the slices along each axis (whose size must be an int, at most
    ``MAX_PROD_LENGTH``): the derivative by one entry is the product of the others, exact where
    entries are zero.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> x = ic.Tensor("x", 3)
        >>> print(ic.prod(x))
        x[0] x[1] x[2]
        >>> ic.grad(ic.prod(x), x).evaluate(x=np.array([2.0, 0.0, 5.0]))
        array([ 0., 10.,  0.])
    """
    x = as_expr(x, "prod")
    axes = normalize_axes(axis, x.ndim, "prod")
    keep = keep_dims(keepdims, "prod")
    shape = x.shape
    for ax in reversed(axes):   # from the last, so the axes before keep their positions
        n = x.shape[ax]
        if not isinstance(n, int):
            raise ShapeError(f"prod: axis {ax} has the named dimension {n!r}; the product of its "
                             "entries needs an int size (declare the tensor with one)")
        if n > MAX_PROD_LENGTH:
            raise ShapeError(f"prod: axis {ax} has {n} entries, more than MAX_PROD_LENGTH = "
                             f"{MAX_PROD_LENGTH} (prod writes one factor per entry); for "
                             "positive entries write ic.exp(ic.sum(ic.log(x), axis))")
        rest = x.shape[:ax] + x.shape[ax + 1:]
        ls = fresh_labels(len(rest))
        slices = [(index(x, (slice(None),) * ax + (k,)), ls) for k in range(n)]
        x = product(slices, ls, dict(zip(ls, rest)))
    if keep:
        ls = fresh_labels(len(shape))
        dims = {l: (1 if i in axes else d) for i, (l, d) in enumerate(zip(ls, shape))}
        x = product([(x, tuple(l for i, l in enumerate(ls) if i not in axes))], ls, dims)
    return x
