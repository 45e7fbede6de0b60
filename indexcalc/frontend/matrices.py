"""Matrix functions (trace, diagonal, inverse, determinants, Kronecker products), deltas, and
reshapes. Part of the front end; importable from :mod:`indexcalc.frontend.arithmetic`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.algebra import fresh, fresh_labels, full, product
from ..core.dims import Dim, dim_mul, dims_equal, format_shape
from ..errors import IndexcalcError, ShapeError
from ..core.slicing import reshaped
from ..core.nodes import Delta, Det, Expr, Inverse, LogDet
from .arithmetic import as_expr
from .indexing import index
from ..core.dims import dim_factors, check_dim, total_meets


def _square(x: Any, what: str) -> Expr:
    """A square matrix, or a stack of them (leading batch axes), as ``numpy.linalg`` takes."""
    x = as_expr(x, what)
    if x.ndim < 2 or not dims_equal(x.shape[-2], x.shape[-1]):
        raise ShapeError(f"{what}: needs a square matrix (or a stack of them over leading axes), "
                         f"got shape {format_shape(x.shape)}")
    return x


def trace(x: Any, offset: int = 0) -> Expr:
    """``tr(X) = Σ_i X_ii``; with ``offset`` the sum of that diagonal, as ``numpy.trace``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "n n")
        >>> print(ic.trace(X))
        Σ_n X[n,n]
        >>> ic.trace(X).evaluate(X=np.arange(4.0).reshape(2, 2))
        array(3.)
        >>> ic.trace(ic.Tensor("Y", (3, 3)), offset=1).evaluate(Y=np.arange(9.0).reshape(3, 3))
        array(6.)
    """
    d = diagonal(x, offset, "trace")
    i = fresh()
    return product([(d, (i,))], (), {i: d.shape[0]})


def diagonal(x: Any, offset: int = 0, what: str = "diagonal") -> Expr:
    """The diagonal of a matrix as a vector; ``offset > 0`` above it, ``< 0`` below, as
    ``numpy.diagonal``. A square matrix of any dimensions at offset 0; otherwise the dimensions
    must be ints (the diagonal's length depends on them).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "n n")
        >>> ic.diagonal(X).evaluate(X=np.arange(4.0).reshape(2, 2))
        array([0., 3.])
        >>> ic.diagonal(ic.Tensor("Y", (2, 3)), offset=1).evaluate(Y=np.arange(6.0).reshape(2, 3))
        array([1., 5.])
    """
    x = as_expr(x, what)
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)):
        raise IndexcalcError(f"{what}: offset must be an int, got {offset!r:.60}")
    if x.ndim != 2:
        raise ShapeError(f"{what}: needs a matrix, got shape {format_shape(x.shape)}")
    rows, cols = x.shape
    if offset or not dims_equal(rows, cols):
        if not (isinstance(rows, int) and isinstance(cols, int)):
            raise ShapeError(f"{what}: offset {offset} of a matrix of shape {format_shape(x.shape)}"
                             ": an off-diagonal or a non-square matrix needs int dimensions")
        r0, c0 = max(0, -int(offset)), max(0, int(offset))
        length = min(rows - r0, cols - c0)
        if length <= 0:
            raise ShapeError(f"{what}: offset {offset} is outside a matrix of shape "
                             f"{format_shape(x.shape)} (the diagonal would be empty)")
        x = index(x, (slice(r0, r0 + length), slice(c0, c0 + length)))
    i = fresh()
    return product([(x, (i, i))], (i,), {i: x.shape[0]})


def diag(v: Any) -> Expr:
    """The diagonal matrix with ``v`` on its diagonal (a product with a delta, never dense).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> v = ic.Tensor("v", "n")
        >>> print(ic.diag(v))
        v[n] δ[n,n']
        >>> ic.diag(v).evaluate(v=np.array([1.0, 2.0]))
        array([[1., 0.],
               [0., 2.]])
    """
    v = as_expr(v, "diag")
    if v.ndim != 1:
        raise ShapeError(f"diag: needs a vector, got shape {format_shape(v.shape)} "
                         "(use ic.diagonal for the diagonal of a matrix)")
    i, j = fresh(), fresh()
    return product([(v, (i,)), (Delta(v.shape[0], 2), (i, j))], (i, j), {i: v.shape[0], j: v.shape[0]})


def delta(dim: Any, order: int = 2) -> Expr:
    """The Kronecker delta ``δ_{i…}`` of ``order`` axes over one dimension.

    Examples:
        >>> import indexcalc as ic
        >>> ic.delta("n", 3).shape
        ('n', 'n', 'n')
        >>> ic.delta(2, 3).evaluate()[1]
        array([[0., 0.],
               [0., 1.]])
    """

    d = check_dim(dim, "delta")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise IndexcalcError(f"delta: order must be a positive int, got {order!r}")
    if order == 1:
        return full((d,), 1.0)
    return Delta(d, int(order))


def eye(n: Any) -> Expr:
    """The identity matrix ``I_n`` (an order-2 delta).

    Examples:
        >>> import indexcalc as ic
        >>> ic.eye(2).evaluate()
        array([[1., 0.],
               [0., 1.]])
    """
    return delta(n, 2)


def outer(u: Any, v: Any) -> Expr:
    """The outer product ``u vᵀ`` (of any-order operands, axes concatenated).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> u, v = ic.tensors("u[m] v[n]")
        >>> print(ic.outer(u, v))
        u[m] v[n]
        >>> ic.outer(u, v).evaluate(u=np.array([1.0, 2.0]), v=np.array([1.0, 10.0, 100.0]))
        array([[  1.,  10., 100.],
               [  2.,  20., 200.]])
    """
    u, v = as_expr(u, "outer"), as_expr(v, "outer")
    lu, lv = fresh_labels(u.ndim), fresh_labels(v.ndim)
    return product([(u, lu), (v, lv)], lu + lv, dict(zip(lu + lv, u.shape + v.shape)))


def kron(a: Any, b: Any) -> Expr:
    """The Kronecker product, as ``numpy.kron``: a reshaped outer product (the operand with
    fewer axes gets leading axes of size 1).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A, B = ic.tensors("A[m,n] B[p,q]")
        >>> ic.kron(A, B).shape
        ('m*p', 'n*q')
        >>> a, b = np.arange(4.0).reshape(2, 2), np.ones((3, 2))
        >>> bool(np.array_equal(ic.kron(A, B).evaluate(A=a, B=b), np.kron(a, b)))
        True
        >>> u, v = ic.tensors("u[2] v[3]")
        >>> ic.kron(u, v).evaluate(u=[1.0, 2.0], v=[1.0, 10.0, 100.0])
        array([  1.,  10., 100.,   2.,  20., 200.])
    """
    a, b = as_expr(a, "kron"), as_expr(b, "kron")
    if not a.ndim or not b.ndim:
        raise ShapeError(f"kron: needs operands with axes, got shapes {format_shape(a.shape)} and "
                         f"{format_shape(b.shape)} (use * for a number)")
    ndim = max(a.ndim, b.ndim)
    sa, sb = (1,) * (ndim - a.ndim) + a.shape, (1,) * (ndim - b.ndim) + b.shape
    la, lb = fresh_labels(ndim), fresh_labels(ndim)
    out = tuple(l for pair in zip(la, lb) for l in pair)
    p = product([(a, la[ndim - a.ndim:]), (b, lb[ndim - b.ndim:])], out,
                {**dict(zip(la, sa)), **dict(zip(lb, sb))})
    return reshape(p, tuple(dim_mul(da, db) for da, db in zip(sa, sb)))


def reshape(x: Any, *shape: Any) -> Expr:
    """C-order reshape; merged named dimensions multiply (``"n*d"``); one ``-1`` is inferred.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A = ic.Tensor("A", "m n")
        >>> ic.reshape(A, -1).shape
        ('m*n',)
        >>> ic.reshape(A, -1).evaluate(A=np.arange(6.0).reshape(2, 3))
        array([0., 1., 2., 3., 4., 5.])
    """

    x = as_expr(x, "reshape")
    shape = tuple(d.item() if isinstance(d, np.ndarray) and d.ndim == 0 else d
                  for d in shape)  # a 0-d array is its number (iterating it raised TypeError)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, np.ndarray)) and not any(
            isinstance(d, (tuple, list, np.ndarray)) for d in shape[0]):  # one flat sequence
        shape = tuple(shape[0])

    def infer(d: Any) -> bool:  # `d == -1` on an array or an odd object would not be a bool
        return isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d == -1

    total = dim_mul(*x.shape) if x.shape else 1
    if sum_ := [i for i, d in enumerate(shape) if infer(d)]:
        if len(sum_) > 1:
            raise ShapeError("reshape: only one axis can be -1")
        rest = dim_mul(*[check_dim(d, "reshape") for d in shape if not infer(d)]) if len(shape) > 1 else 1
        inferred = _divide_dim(total, rest)
        if inferred is None:
            raise ShapeError(f"reshape: cannot infer -1: {total} is not a multiple of {rest}")
        shape = tuple(inferred if infer(d) else d for d in shape)
    new = tuple(check_dim(d, "reshape") for d in shape)
    after = dim_mul(*new) if new else 1
    # named dimensions reshaped to a concrete size pin their product (X[m,n].reshape(12): m*n = 12)
    if not (dims_equal(after, total) or total_meets(after, total)):
        raise ShapeError(f"reshape: cannot reshape {format_shape(x.shape)} (size {total}) into "
                         f"{format_shape(new)}")
    return reshaped(x, new)


def _divide_dim(total: Dim, part: Dim) -> Dim | None:
    ct, _ = dim_factors(total)
    cp, np_ = dim_factors(part)
    names = list(dim_names_in_order(total))
    for n in np_:
        if n not in names:
            return None
        names.remove(n)
    if cp == 0 or ct % cp:
        return None
    return dim_mul(ct // cp, *names) if names else ct // cp


def dim_names_in_order(dim: Dim) -> list[str]:
    """The symbolic factors of a dimension as written (``"n*d"`` gives ``n, d``)."""
    return [] if isinstance(dim, int) else [p for p in dim.split("*") if not p.isdigit()]


def inv(x: Any) -> Expr:
    """The matrix inverse; of each matrix of a stack over the leading axes, as
    ``numpy.linalg.inv``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "n n")
        >>> ic.inv(X).evaluate(X=np.array([[2.0, 0.0], [0.0, 4.0]]))
        array([[0.5 , 0.  ],
               [0.  , 0.25]])
        >>> ic.inv(ic.Tensor("S", "b n n")).shape
        ('b', 'n', 'n')
    """
    return Inverse(_square(x, "inv"))


def det(x: Any) -> Expr:
    """The determinant; one per matrix of a stack over the leading axes, as
    ``numpy.linalg.det``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "n n")
        >>> print(ic.det(X))
        det(X)
        >>> bool(np.isclose(ic.det(X).evaluate(X=np.array([[2.0, 1.0], [0.0, 4.0]])), 8.0))
        True
        >>> ic.det(ic.Tensor("S", "b n n")).evaluate(S=np.stack([np.eye(2), 3 * np.eye(2)]))
        array([1., 9.])
    """
    return Det(_square(x, "det"))


def logdet(x: Any) -> Expr:
    """``log |det X|``; one per matrix of a stack over the leading axes (``slogdet(X)[1]``).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "n n")
        >>> bool(np.isclose(ic.logdet(X).evaluate(X=np.array([[2.0, 0.0], [0.0, -4.0]])), np.log(8.0)))
        True
        >>> print(ic.to_matrix(ic.grad(ic.logdet(X), X)))
        X⁻ᵀ
    """
    return LogDet(_square(x, "logdet"))
