"""The front end: building expressions with NumPy's semantics (einsum, broadcasting, ``@``, …).

Every builder returns a simplified node (see :mod:`indexcalc.algebra`). Dimension mismatches are
``ShapeError`` here, when the expression is built, never at evaluation.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .algebra import add, fresh, fresh_labels, full, product, scale
from .dims import Dim, broadcast_shapes, dim_mul, dims_equal, format_shape
from .errors import IndexcalcError, ShapeError
from .functions import rule
from .rewrite import power_of
from .nodes import (Apply, Constant, Delta, Det, Expr, Inverse, LogDet, LogSumExp, Named, Reshape,
                    Softmax, Sum, is_zero, zero)


def as_expr(x: Any, what: str = "operand") -> Expr:
    """An expression from an expression, a number or an array-like.

    Examples:
        >>> as_expr(2).shape, as_expr([1.0, 2.0]).shape
        ((), (2,))
    """
    if isinstance(x, Expr):
        return x
    if isinstance(x, (numbers.Real, np.ndarray, np.generic, list, tuple)) and not isinstance(x, str):
        return Constant(x)
    raise IndexcalcError(f"{what}: expected an expression, a number or an array, got "
                         f"{type(x).__name__} {x!r:.60}")


# --------------------------------------------------------------------------- einsum

def einsum(subscripts: str, *operands: Any) -> Expr:
    """``numpy.einsum`` on expressions: explicit/implicit output, diagonals, traces, ``...``.

    Examples:
        >>> import indexcalc as ic
        >>> A, B = ic.tensors("A[m,n] B[n,k]")
        >>> ic.einsum("ij,jk->ik", A, B).shape
        ('m', 'k')
        >>> ic.einsum("ii", ic.Tensor("S", "n n")).shape
        ()
    """
    from .subscripts import parse_subscripts

    if not isinstance(subscripts, str):
        raise IndexcalcError(f"einsum: the first argument must be a subscripts string like "
                             f"'ij,jk->ik', got {subscripts!r:.60}")
    ops = [as_expr(x, f"einsum operand {i}") for i, x in enumerate(operands)]
    labels, out = parse_subscripts(subscripts, [o.ndim for o in ops])
    return _einsum_labels(subscripts, ops, labels, out)


def _einsum_labels(subscripts: str, ops: list[Expr], labels: list, out: tuple) -> Expr:
    dims: dict[Any, Dim] = {}
    seen: dict[Any, tuple[int, int]] = {}
    for i, (op, ls) in enumerate(zip(ops, labels)):
        for axis, (l, d) in enumerate(zip(ls, op.shape)):
            if l not in dims or dims_equal(dims[l], 1):
                dims[l], seen[l] = d, (i, axis)
            elif not (dims_equal(d, dims[l]) or dims_equal(d, 1)):
                j, ax = seen[l]
                letter = "an ellipsis axis" if l.startswith(".") else f"letter {l!r}"
                raise ShapeError(
                    f"einsum {subscripts!r}: {letter} has dimension {dims[l]} in operand {j} "
                    f"(axis {ax}) but {d} in operand {i} (axis {axis})")
    factors = []
    for op, ls in zip(ops, labels):
        # a size-1 axis joined to a larger one broadcasts: give it a private summed label
        own = []
        for l, d in zip(ls, op.shape):
            if dims_equal(d, 1) and not dims_equal(dims[l], 1):
                own.append(fresh())
                dims[own[-1]] = 1
            else:
                own.append(l)
        factors.append((op, tuple(own)))
    return product(factors, out, dims)


# --------------------------------------------------------------------------- broadcasting

def broadcast_to(x: Expr, shape: Sequence[Dim]) -> Expr:
    """``x`` broadcast to ``shape`` (NumPy rules), as a product: no data is copied."""
    shape = tuple(shape)
    if len(x.shape) == len(shape) and all(map(dims_equal, x.shape, shape)):
        return x
    out = fresh_labels(len(shape))
    dims = dict(zip(out, shape))
    offset = len(shape) - len(x.shape)
    if offset < 0:
        raise ShapeError(f"cannot broadcast shape {format_shape(x.shape)} to {format_shape(shape)}")
    ls = []
    for axis, d in enumerate(x.shape):
        target = shape[offset + axis]
        if dims_equal(d, target):
            ls.append(out[offset + axis])
        elif dims_equal(d, 1):
            ls.append(fresh())
            dims[ls[-1]] = 1
        else:
            raise ShapeError(f"cannot broadcast shape {format_shape(x.shape)} to "
                             f"{format_shape(shape)} (axis {axis}: {d} vs {target})")
    return product([(x, tuple(ls))], out, dims)


def _broadcast(a: Any, b: Any, op: str) -> tuple[Expr, Expr, tuple]:
    a, b = as_expr(a, f"left operand of {op}"), as_expr(b, f"right operand of {op}")
    shape = broadcast_shapes(a.shape, b.shape, what=f"the operands of {op}")
    return a, b, shape


def add2(a: Any, b: Any, cb: float = 1.0, op: str = "+") -> Expr:
    a, b, shape = _broadcast(a, b, op)
    return add([(1.0, broadcast_to(a, shape)), (cb, broadcast_to(b, shape))], shape)


def mul(a: Any, b: Any) -> Expr:
    a, b, shape = _broadcast(a, b, "*")
    out = fresh_labels(len(shape))
    return product([(broadcast_to(a, shape), out), (broadcast_to(b, shape), out)], out,
                   dict(zip(out, shape)))


def div(a: Any, b: Any) -> Expr:
    a, b, shape = _broadcast(a, b, "/")
    if isinstance(b, Constant):
        return mul(a, Constant(1.0 / b.value))
    return mul(a, apply("power", b, -1.0))


def power(a: Any, p: Any) -> Expr:
    a = as_expr(a, "base of **")
    if isinstance(p, Constant) and p.value.ndim == 0:
        p = float(p.value)
    if isinstance(p, Expr) or not isinstance(p, numbers.Real) or isinstance(p, bool):
        raise IndexcalcError("x ** p: the exponent must be a number; for a tensor exponent "
                             "write ic.exp(p * ic.log(x))")
    return apply("power", a, float(p))


def neg(a: Any) -> Expr:
    a = as_expr(a)
    return scale(a, -1.0)


# --------------------------------------------------------------------------- elementwise

def apply(fn: str, x: Any, param: float | None = None) -> Expr:
    """An elementwise function of the rule table, folded when its argument is constant."""
    row = rule(fn)
    x = as_expr(x, f"argument of {fn}")
    if fn == "power":
        if param == 1.0:
            return x
        if param == 0.0:
            return full(x.shape, 1.0)
        simpler = power_of(x, param)  # sqrt(x)² = x, (x²)³ = x⁶
        if simpler is not None:
            return simpler
    if is_zero(x) and fn in ("sin", "tanh", "relu", "abs", "sqrt", "square", "sign", "step"):
        return x
    if isinstance(x, Constant):
        with np.errstate(all="ignore"):
            return Constant(row.numpy(np.asarray(x.value), param))
    return Apply(fn, x, param)


def _elementwise(name: str):
    def f(x: Any) -> Expr:
        return apply(name, x)
    f.__name__ = name
    f.__qualname__ = name
    f.__doc__ = (f"Elementwise ``{name}``; its derivative is {rule(name).doc}.\n\n"
                 f"    Examples:\n"
                 f"        >>> import indexcalc as ic\n"
                 f"        >>> float(ic.{name}(ic.Tensor('x', 3)).evaluate(x=[0.5, 1.0, 2.0])[0]) > -10\n"
                 f"        True\n")
    return f


exp, log, tanh, sigmoid, softplus, relu, sin, cos, sqrt, square, abs = (
    _elementwise(n) for n in ("exp", "log", "tanh", "sigmoid", "softplus", "relu", "sin", "cos",
                              "sqrt", "square", "abs"))


# --------------------------------------------------------------------------- axes and reductions

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


# --------------------------------------------------------------------------- matrix functions

def _square(x: Any, what: str) -> Expr:
    x = as_expr(x, what)
    if x.ndim != 2 or not dims_equal(x.shape[0], x.shape[1]):
        raise ShapeError(f"{what}: needs a square matrix, got shape {format_shape(x.shape)}")
    return x


def trace(x: Any) -> Expr:
    """``tr(X) = Σ_i X_ii``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "n n")
        >>> print(ic.trace(X))
        Σ_n X[n,n]
        >>> ic.trace(X).evaluate(X=np.arange(4.0).reshape(2, 2))
        array(3.)
    """
    x = _square(x, "trace")
    i = fresh()
    return product([(x, (i, i))], (), {i: x.shape[0]})


def diagonal(x: Any) -> Expr:
    """The diagonal of a square matrix, as a vector.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "n n")
        >>> ic.diagonal(X).evaluate(X=np.arange(4.0).reshape(2, 2))
        array([0., 3.])
    """
    x = _square(x, "diagonal")
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
    from .dims import check_dim

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
    """The Kronecker product of two matrices (a reshaped outer product).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A, B = ic.tensors("A[m,n] B[p,q]")
        >>> ic.kron(A, B).shape
        ('m*p', 'n*q')
        >>> a, b = np.arange(4.0).reshape(2, 2), np.ones((3, 2))
        >>> bool(np.array_equal(ic.kron(A, B).evaluate(A=a, B=b), np.kron(a, b)))
        True
    """
    a, b = as_expr(a, "kron"), as_expr(b, "kron")
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError(f"kron: needs two matrices, got shapes {format_shape(a.shape)} and "
                         f"{format_shape(b.shape)}")
    i, j, k, l = fresh_labels(4)
    p = product([(a, (i, j)), (b, (k, l))], (i, k, j, l),
                {i: a.shape[0], j: a.shape[1], k: b.shape[0], l: b.shape[1]})
    return reshape(p, (dim_mul(a.shape[0], b.shape[0]), dim_mul(a.shape[1], b.shape[1])))


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
    from .dims import check_dim, dim_mul

    x = as_expr(x, "reshape")
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, np.ndarray)) and np.ndim(shape[0]) == 1:
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
    if not dims_equal(dim_mul(*new) if new else 1, total):
        raise ShapeError(f"reshape: cannot reshape {format_shape(x.shape)} (size {total}) into "
                         f"{format_shape(new)}")
    if len(new) == x.ndim and all(map(dims_equal, new, x.shape)):
        return x
    if isinstance(x, Reshape):
        x = x.arg
    if is_zero(x):
        return zero(new)
    return Reshape(x, new)


def _divide_dim(total: Dim, part: Dim) -> Dim | None:
    from .dims import _factors

    ct, _ = _factors(total)
    cp, np_ = _factors(part)
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
    """The matrix inverse.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "n n")
        >>> ic.inv(X).evaluate(X=np.array([[2.0, 0.0], [0.0, 4.0]]))
        array([[0.5 , 0.  ],
               [0.  , 0.25]])
    """
    return Inverse(_square(x, "inv"))


def det(x: Any) -> Expr:
    """The determinant.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "n n")
        >>> print(ic.det(X))
        det(X)
        >>> bool(np.isclose(ic.det(X).evaluate(X=np.array([[2.0, 1.0], [0.0, 4.0]])), 8.0))
        True
    """
    return Det(_square(x, "det"))


def logdet(x: Any) -> Expr:
    """``log |det X|``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "n n")
        >>> bool(np.isclose(ic.logdet(X).evaluate(X=np.array([[2.0, 0.0], [0.0, -4.0]])), np.log(8.0)))
        True
        >>> print(ic.to_matrix(ic.grad(ic.logdet(X), X)))
        X⁻ᵀ
    """
    return LogDet(_square(x, "logdet"))


def named(x: Any, name: str) -> Expr:
    """``x`` shown as ``name`` in every rendering and computed once.

    Examples:
        >>> import indexcalc as ic
        >>> A, x = ic.tensors("A[m,n] x[n]")
        >>> h = ic.named(ic.tanh(A @ x), "h")
        >>> print(ic.to_matrix(ic.diff(h, x), layout="numerator"))
        diag(1 − h∘h) A
    """
    return Named(name, as_expr(x, "named"))


def let(name: str, x: Any) -> Expr:
    """Alias of ``expr.named(name)``.

    Examples:
        >>> import indexcalc as ic
        >>> A, x = ic.tensors("A[m,n] x[n]")
        >>> ic.let("h", ic.tanh(A @ x)) is ic.tanh(A @ x).named("h")
        True
    """
    return named(x, name)
