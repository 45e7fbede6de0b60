"""``ic.simplify``: rebuild any expression bottom-up through the simplifying constructors.

Expressions built with the front end (and every derivative) are already in normal form, since
:func:`indexcalc.core.algebra.product` and :func:`indexcalc.core.algebra.add` are the only ways to build
products and sums there. A graph assembled from raw nodes, or rewritten by a transformation,
may not be: ``simplify`` passes each node through its constructor again, children first, so
deltas that meet summed labels are eliminated, nested products flatten, zeros and ones fold and
like terms collect — all the way up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .algebra import add, product, size_factors
from .nodes import Decomposition
from .nodes import (Derivative, Apply, Concat, Constant, Delta, Det, Expr, Index, Inverse, LogDet, LogSumExp, Max,
                    Named, Product, Reshape, Scan, Scatter, Shared, Softmax, Sum, Tensor, TriMask,
                    MatrixFunction, Solve)
from .coercion import as_expr
from .elementwise import apply
from .slicing import concat, index_spec, reshaped, scatter_spec
from .graph_walk import transform


def _product(node: Product, done: Callable) -> Expr:
    factors = [(done(f), ls) for f, ls in node.factors] + size_factors(node)
    return product(factors, node.out, dict(enumerate(node.dims)), node.coef)


def _apply(node: Apply, done: Callable) -> Expr:
    return apply(node.fn, done(node.arg), node.param)


def _reshape(node: Reshape, done: Callable) -> Expr:
    return reshaped(done(node.arg), node.shape)


#: One rebuilding rule per node type (``NODE_TYPES``): ``rule(node, done)``, ``done(child)`` the
#: rebuilt child.
REBUILD: dict[type, Callable[[Any, Callable], Expr]] = {
    Tensor: lambda node, done: node,
    Constant: lambda node, done: node,
    Delta: lambda node, done: node,
    Product: _product,
    Sum: lambda node, done: add([(c, done(t)) for c, t in node.terms], node.shape),
    Apply: _apply,
    Softmax: lambda node, done: Softmax(done(node.arg), node.axis),
    LogSumExp: lambda node, done: LogSumExp(done(node.arg), node.axes),
    Max: lambda node, done: Max(done(node.arg), node.axes),
    Inverse: lambda node, done: Inverse(done(node.arg)),
    Det: lambda node, done: Det(done(node.arg)),
    LogDet: lambda node, done: LogDet(done(node.arg)),
    Reshape: _reshape,
    Named: lambda node, done: Named(node.name, done(node.arg)),
    Shared: lambda node, done: Shared(done(node.arg)),
    Derivative: lambda node, done: Derivative(done(node.arg), node.of, node.wrt, node.out_ndim),
    Index: lambda node, done: index_spec(done(node.arg), node.spec),
    Scatter: lambda node, done: scatter_spec(done(node.arg), node.spec, node.shape),
    Concat: lambda node, done: concat([done(p) for p in node.parts], node.axis),
    TriMask: lambda node, done: node,
    Decomposition: lambda node, done: Decomposition(node.kind, done(node.arg), node.part),
    Solve: lambda node, done: Solve(done(node.a), done(node.b)),
    MatrixFunction: lambda node, done: MatrixFunction(
        node.fn, done(node.arg), None if node.direction is None else done(node.direction)),
    Scan: lambda node, done: Scan(node.body, node.emit, node.carry, done(node.init),
                                  tuple((p, done(e)) for p, e in node.seqs),
                                  tuple((p, done(e)) for p, e in node.consts), node.reverse,
                                  node.shown),
}


def simplify(expr: Any) -> Expr:
    """The normal form of ``expr``: deltas eliminated, products flattened, zeros and ones folded,
    like terms collected (see :mod:`indexcalc.core.algebra`).

    Args:
        expr: an expression (or a number or array, which comes back as a constant).

    Returns:
        An expression with the same value and shape. Results of ``diff``/``grad`` and anything
        built with the front end are already simplified and come back unchanged.

    Examples:
        >>> import indexcalc as ic
        >>> from indexcalc.core.nodes import Delta, Product
        >>> A = ic.Tensor("A", "m n")
        >>> raw = Product(1.0, ((A, (0, 2)), (Delta("n", 2), (2, 1))), (0, 1), ("m", "n", "n"))
        >>> print(raw)
        Σ_n' A[m,n'] δ[n',n]
        >>> ic.simplify(raw) is A
        True
    """
    return transform(as_expr(expr, "simplify"), lambda node, done: REBUILD[type(node)](node, done))
