"""Reverse accumulation: each node's cotangent flows to its children, parents before children.

``REVERSE`` holds one rule per node type, ``rule(node, ct, dep) -> [(child, contribution)]``
(each contribution has the child's shape); ``reverse`` runs them. :mod:`indexcalc.calculus.forward` holds the
forward rules, :mod:`indexcalc.calculus.derivatives` the public API.
"""

from __future__ import annotations

from collections.abc import Callable

from ..core.algebra import add, fresh_labels, product, scale, size_factors
from .forward import _dims, _spread, batch_labels, depends, local_derivative, max_weights, softmax_over
from ..core.dims import Dim
from ..core.nodes import Decomposition
from .spectral_rules import reverse_decomposition
from ..core.nodes import (Derivative, Apply, Concat, Constant, Delta, Det, Expr, Index, Inverse, LogDet, LogSumExp, Max,
                          Named, Product, Reshape, Scatter, Shared, Softmax, Sum, Tensor, TriMask,
                          zero, MatrixFunction, Solve)
from .linalg_rules import rv_matrix_function, rv_solve
from ..core.nodes import Scan
from .scan_derivatives import scan_cotangents
from ..core.slicing import _full_items, index_spec, scatter_spec
from ..core.graph_walk import postorder
from ..frontend.matrices import reshape


# rule(node, ct) -> list of (child, contribution of shape child.shape)

def _rv_product(node: Product, ct: Expr, dep) -> list:
    out = []
    dims = dict(enumerate(node.dims))
    for k, (f, ls) in enumerate(node.factors):
        if id(f) not in dep:
            continue
        m = fresh_labels(f.ndim)
        ties = [(Delta(d, 2), (l, mm)) for d, l, mm in zip(f.shape, ls, m)]
        dims.update(_dims(m, f.shape))
        others = [fl for j, fl in enumerate(node.factors) if j != k] + size_factors(node)
        out.append((f, product(others + [(ct, node.out)] + ties, m, dims, node.coef)))
    return out


def _hadamard(a: Expr, b: Expr) -> Expr:
    ls = fresh_labels(a.ndim)
    return product([(a, ls), (b, ls)], ls, _dims(ls, a.shape))


def _rv_apply(node: Apply, ct: Expr, dep, y: Expr | None = None) -> list:
    return [(node.arg, _hadamard(local_derivative(node, y), ct))]


def _rv_softmax(node: Softmax, ct: Expr, dep, s: Expr | None = None) -> list:
    s = node if s is None else s
    ls = fresh_labels(node.ndim)
    dims = _dims(ls, node.shape)
    sc = _hadamard(s, ct)
    back = _spread(product([(sc, ls)], tuple(l for i, l in enumerate(ls) if i != node.axis), dims),
                   ls, (node.axis,), dims)
    return [(node.arg, add([(1.0, sc), (-1.0, _hadamard(s, back))], node.shape))]


def _rv_logsumexp(node: LogSumExp, ct: Expr, dep) -> list:
    arg = node.arg
    ls = fresh_labels(arg.ndim)
    p = softmax_over(arg, node.axes, node)
    return [(arg, _hadamard(p, _spread(ct, ls, node.axes, _dims(ls, arg.shape))))]


def _rv_max(node: Max, ct: Expr, dep) -> list:
    ls = fresh_labels(node.arg.ndim)
    return [(node.arg, _hadamard(max_weights(node),
                                 _spread(ct, ls, node.axes, _dims(ls, node.arg.shape))))]


def _rv_inverse(node: Inverse, ct: Expr, dep) -> list:
    i, a, b, j = fresh_labels(4)
    B, dims = batch_labels(node)
    n = node.shape[-1]
    dims.update({i: n, a: n, b: n, j: n})
    return [(node.arg, product([(node, B + (i, a)), (ct, B + (i, j)), (node, B + (b, j))],
                               B + (a, b), dims, coef=-1.0))]


def _rv_det(node: Det | LogDet, ct: Expr, dep) -> list:
    a, b = fresh_labels(2)
    B, dims = batch_labels(node)
    n = node.arg.shape[-1]
    dims.update({a: n, b: n})
    factors = [(ct, B), (Inverse(node.arg), B + (b, a))]
    if isinstance(node, Det):
        factors.append((node, B))
    return [(node.arg, product(factors, B + (a, b), dims))]


def _rv_reshape(node: Reshape, ct: Expr, dep) -> list:
    return [(node.arg, reshape(ct, node.arg.shape))]


def _rv_named(node: Named, ct: Expr, dep) -> list:
    inner = node.arg
    if isinstance(inner, Apply):
        return _rv_apply(inner, ct, dep, y=node)
    if isinstance(inner, Softmax):
        return _rv_softmax(inner, ct, dep, s=node)
    if isinstance(inner, Solve):  # −A⁻ᵀ G Xᵀ with the solution by its name
        return rv_solve(inner, ct, dep, x=node)
    return [(inner, ct)]


def _rv_concat(node: Concat, ct: Expr, dep) -> list:
    out, start = [], 0
    all_int = all(isinstance(p.shape[node.axis], int) for p in node.parts)
    for k, p in enumerate(node.parts):
        d = p.shape[node.axis]
        if id(p) in dep:
            out.append((p, _piece(ct, node, k, start, d, all_int)))
        start += d if all_int else 0
    return out


def _piece(ct: Expr, node: Concat, k: int, start: int, d: Dim, all_int: bool) -> Expr:
    """The part of ``ct`` that lies over item ``k`` of the concatenation."""

    if all_int:
        spec = list(_full_items(ct.shape))
        spec[node.axis] = ("s", start, start + d, 1)
        return index_spec(ct, tuple(spec))
    # equal named dimensions n, …, n joined into k·n: split the axis (k, n) and take row k
    shape = ct.shape[:node.axis] + (len(node.parts), d) + ct.shape[node.axis + 1:]
    spec = list(_full_items(shape))
    spec[node.axis] = ("i", k)
    return index_spec(reshape(ct, shape), tuple(spec))


def _rv_leaf(node: Expr, ct: Expr, dep) -> list:
    """A leaf has no children to pass its cotangent to (the variable's is the result)."""
    return []


#: One reverse rule per node type (``NODE_TYPES``): ``rule(node, ct, dep) -> [(child,
#: contribution)]``, ``ct`` the node's cotangent, ``dep`` the ids of the nodes that depend on x.
REVERSE: dict[type, Callable] = {
    Tensor: _rv_leaf,
    Constant: _rv_leaf,
    Delta: _rv_leaf,
    TriMask: _rv_leaf,
    Product: _rv_product,
    Sum: lambda node, ct, dep: [(t, scale(ct, c)) for c, t in node.terms if id(t) in dep],
    Apply: _rv_apply,
    Softmax: _rv_softmax,
    LogSumExp: _rv_logsumexp,
    Max: _rv_max,
    Inverse: _rv_inverse,
    Det: _rv_det,
    LogDet: _rv_det,
    Reshape: _rv_reshape,
    Named: _rv_named,
    Shared: lambda node, ct, dep: [(node.arg, ct)],
    Derivative: lambda node, ct, dep: [(node.arg, ct)],
    Index: lambda node, ct, dep: [(node.arg, scatter_spec(ct, node.spec, node.arg.shape))],
    Scatter: lambda node, ct, dep: [(node.arg, index_spec(ct, node.spec))],
    Concat: _rv_concat,
    Decomposition: reverse_decomposition,
    Solve: rv_solve,
    MatrixFunction: rv_matrix_function,
    Scan: lambda node, ct, dep: scan_cotangents(node, ct, dep, reverse),
}


#: A cotangent product of more factors than this is shared rather than flattened into the next
#: one: along a chain of n elementwise steps each cotangent would otherwise copy all factors of
#: the one before (n² work for the gradient of a 10⁴-deep chain).
SHARE_LIMIT = 8


def _uses(node: Expr, dep: set[int]) -> int:
    """How many contributions ``node``'s reverse rule makes (each one uses its cotangent)."""
    inner = node.arg if isinstance(node, Named) and isinstance(node.arg, (Apply, Softmax, Solve)) \
        else node
    return sum(1 for c in inner.children() if id(c) in dep)


def reverse(f: Expr, x: Tensor, cotangent: Expr) -> Expr:
    """The cotangent of ``x`` when ``f`` has cotangent ``cotangent`` (a vector–Jacobian product)."""
    dep = depends(f, x)
    if id(f) not in dep:
        return zero(x.shape)
    pending: dict[int, list[Expr]] = {id(f): [cotangent]}
    order = [n for n in reversed(postorder([f])) if id(n) in dep]
    for node in order:
        parts = pending.pop(id(node), [])
        ct = add([(1.0, p) for p in parts], node.shape)
        if node is x:
            return ct
        if isinstance(ct, Sum) and not ct.terms:
            continue
        if isinstance(ct, Product) and (len(ct.factors) > SHARE_LIMIT or
                                        len(ct.factors) > 1 and _uses(node, dep) > 1):
            ct = Shared(ct)
        for child, contribution in REVERSE[type(node)](node, ct, dep):
            pending.setdefault(id(child), []).append(contribution)
    return zero(x.shape)
