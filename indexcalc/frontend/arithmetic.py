"""The front end: building expressions with NumPy's semantics (einsum, broadcasting, ``@``, …).

Every builder returns a simplified node (see :mod:`indexcalc.core.algebra`). Dimension mismatches are
``ShapeError`` here, when the expression is built, never at evaluation. This module holds einsum,
broadcasting arithmetic, the elementwise functions and naming; operations along axes are in
:mod:`indexcalc.frontend.axes`, matrix functions in :mod:`indexcalc.frontend.matrices`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any


from ..core.algebra import add, fresh, fresh_labels, product, scale
from ..core.coercion import as_expr
from ..core.dim_meeting import meet, meet_broadcast
from ..core.dims import Dim, broadcast_shapes, dims_equal, format_shape
from ..errors import IndexcalcError, ShapeError
from ..core.elementwise import PUBLIC, rule
from ..core.elementwise import apply as _apply
from ..core.nodes import Constant, Expr, Named

from .subscripts import parse_subscripts


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

    if not isinstance(subscripts, str):
        raise IndexcalcError(f"einsum: the first argument must be a subscripts string like "
                             f"'ij,jk->ik', got {subscripts!r:.60}")
    ops = [as_expr(x, f"einsum operand {i}") for i, x in enumerate(operands)]
    labels, out = parse_subscripts(subscripts, [o.ndim for o in ops])
    return _einsum_labels(subscripts, meet(ops, labels), labels, out)


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
    a, b = meet_broadcast([a, b])
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
    """An elementwise function of the rule table (:func:`indexcalc.core.elementwise.apply`) of an
    expression, a number or an array."""
    return _apply(fn, as_expr(x, f"argument of {fn}"), param)


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


#: ``ic.<name>`` for each public row of the rule table, in the table's order
ELEMENTWISE_FUNCTIONS = {name: _elementwise(name) for name in PUBLIC}
globals().update(ELEMENTWISE_FUNCTIONS)


# --------------------------------------------------------------------------- naming

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
