"""Forward accumulation: each node's tangent from its children's, one rule per node type.

Every node gets a tangent of shape ``node.shape + E``. The full derivative ``∂f/∂x`` is the
tangent when ``x`` is seeded with the identity (a product of deltas, ``E = x.shape``); ``jvp``
seeds ``x`` with the tangent (``E = ()``). ``FORWARD`` holds one rule per node type;
elementwise functions take their local derivative from the rule table in
:mod:`indexcalc.core.elementwise`. The helpers here (:func:`depends`, :func:`local_derivative`,
:func:`softmax_over`) serve the reverse rules too.
"""

from __future__ import annotations

from collections.abc import Callable

from ..core.algebra import add, fresh, fresh_labels, full, product, size_factors
from ..core.elementwise import rule
from ..core.nodes import Decomposition
from .spectral_rules import forward_decomposition
from ..core.nodes import (Derivative, Apply, Concat, Constant, Delta, Det, Expr, Index, Inverse, LogDet, Max,
                          LogSumExp, Named, Product, Reshape, Scatter, Shared, Softmax, Sum, Tensor,
                          TriMask, zero, MatrixFunction, Solve)
from .linalg_rules import fw_matrix_function, fw_solve
from ..core.nodes import Scan
from .scan_derivatives import scan_tangent
from ..core.slicing import _full_items, concat, index_spec, scatter_spec
from ..core.graph_walk import postorder
from ..frontend.arithmetic import apply
from ..frontend.matrices import reshape


def _dims(labels: tuple, shape: tuple) -> dict:
    return dict(zip(labels, shape))


def depends(root: Expr, x: Tensor) -> set[int]:
    """Ids of the nodes of ``root`` whose value depends on ``x``."""
    dep: set[int] = set()
    for node in postorder([root]):
        if node is x or any(id(c) in dep for c in node.children()):
            dep.add(id(node))
    return dep


def local_derivative(node: Apply, y: Expr | None = None) -> Expr:
    """``f'(arg)`` of an elementwise node, written with ``y`` (the node or its name) for ``f(arg)``."""
    return rule(node.fn).derivative(node.arg, node if y is None else y, node.param)


def _spread(e: Expr, labels: tuple, drop: tuple[int, ...], dims: dict) -> Expr:
    """``e`` (the reduction of an expression over axes ``drop``) broadcast back over them."""
    keep = tuple(l for i, l in enumerate(labels) if i not in drop)
    return product([(e, keep)], labels, dims)


def softmax_over(arg: Expr, axes: tuple[int, ...], lse: Expr | None = None) -> Expr:
    """The softmax of ``arg`` over several axes (a ``Softmax`` node for one axis)."""

    if len(axes) == 1:
        return Softmax(arg, axes[0])
    ls = fresh_labels(arg.ndim)
    dims = _dims(ls, arg.shape)
    lse = lse if lse is not None else LogSumExp(arg, axes)
    return apply("exp", add([(1.0, arg), (-1.0, _spread(lse, ls, axes, dims))], arg.shape))


def max_weights(node: Max) -> Expr:
    """JAX's subgradient of a maximum: ``1/k`` at each of the ``k`` entries of ``arg`` that
    attain it, 0 elsewhere (``[x = m] = 1 + sign(x − m)``, since ``x ≤ m``; sign' = 0)."""
    arg = node.arg
    ls = fresh_labels(arg.ndim)
    dims = _dims(ls, arg.shape)
    at_max = add([(1.0, full(arg.shape)),
                  (1.0, apply("sign", add([(1.0, arg), (-1.0, _spread(node, ls, node.axes, dims))],
                                          arg.shape)))], arg.shape)
    count = product([(at_max, ls)], tuple(l for i, l in enumerate(ls) if i not in node.axes), dims)
    return product([(at_max, ls), (_spread(apply("power", count, -1.0), ls, node.axes, dims), ls)],
                   ls, dims)


# --------------------------------------------------------------------------- forward rules
# rule(node, tan, E) -> tangent of node (shape node.shape + E); tan(child) is None when the
# child does not depend on x. E is a tuple of (label, dim) for the trailing axes.

def _fw_product(node: Product, tan, E) -> Expr:
    el = tuple(l for l, _ in E)
    dims = dict(enumerate(node.dims))
    dims.update(E)
    terms = []
    for k, (f, ls) in enumerate(node.factors):
        t = tan(f)
        if t is None:
            continue
        others = [fl for j, fl in enumerate(node.factors) if j != k] + size_factors(node)
        terms.append((1.0, product(others + [(t, ls + el)], node.out + el, dims, node.coef)))
    return add(terms, node.shape + tuple(d for _, d in E))


def _fw_sum(node: Sum, tan, E) -> Expr:
    return add([(c, tan(t)) for c, t in node.terms if tan(t) is not None],
               node.shape + tuple(d for _, d in E))


def _pointwise(fp: Expr, t: Expr, E) -> Expr:
    """``f'(a)[L] · t[L, E]``: an elementwise derivative applied to a tangent."""
    ls = fresh_labels(fp.ndim)
    el = tuple(l for l, _ in E)
    dims = _dims(ls, fp.shape)
    dims.update(E)
    return product([(fp, ls), (t, ls + el)], ls + el, dims)


def _fw_apply(node: Apply, tan, E, y: Expr | None = None) -> Expr:
    return _pointwise(local_derivative(node, y), tan(node.arg), E)


def _fw_softmax(node: Softmax, tan, E, s: Expr | None = None) -> Expr:
    s = node if s is None else s
    t = tan(node.arg)
    ls = fresh_labels(node.ndim)
    el = tuple(l for l, _ in E)
    other = tuple(fresh() if i == node.axis else l for i, l in enumerate(ls))
    dims = _dims(ls, node.shape)
    dims.update(_dims(other, node.shape))
    dims.update(E)
    first = product([(s, ls), (t, ls + el)], ls + el, dims)
    second = product([(s, ls), (s, other), (t, other + el)], ls + el, dims)
    return add([(1.0, first), (-1.0, second)], node.shape + tuple(d for _, d in E))


def _fw_logsumexp(node: LogSumExp, tan, E) -> Expr:
    arg = node.arg
    p = softmax_over(arg, node.axes, node)
    ls = fresh_labels(arg.ndim)
    el = tuple(l for l, _ in E)
    keep = tuple(l for i, l in enumerate(ls) if i not in node.axes)
    dims = _dims(ls, arg.shape)
    dims.update(E)
    return product([(p, ls), (tan(arg), ls + el)], keep + el, dims)


def _fw_max(node: Max, tan, E) -> Expr:
    arg = node.arg
    ls = fresh_labels(arg.ndim)
    el = tuple(l for l, _ in E)
    keep = tuple(l for i, l in enumerate(ls) if i not in node.axes)
    dims = _dims(ls, arg.shape)
    dims.update(E)
    return product([(max_weights(node), ls), (tan(arg), ls + el)], keep + el, dims)


def batch_labels(node: Inverse | Det | LogDet) -> tuple[tuple, dict]:
    """Labels of a matrix function's leading (batch) axes and their dimensions: the rules of
    ``inv``, ``det`` and ``logdet`` hold per matrix of the stack, these labels shared by all."""
    batch = node.arg.shape[:-2]
    ls = fresh_labels(len(batch))
    return ls, dict(zip(ls, batch))


def _fw_inverse(node: Inverse, tan, E) -> Expr:
    i, a, b, j = fresh_labels(4)
    B, dims = batch_labels(node)
    n = node.shape[-1]
    el = tuple(l for l, _ in E)
    dims.update({i: n, a: n, b: n, j: n, **dict(E)})
    return product([(node, B + (i, a)), (tan(node.arg), B + (a, b) + el), (node, B + (b, j))],
                   B + (i, j) + el, dims, coef=-1.0)


def _fw_det(node: Det | LogDet, tan, E) -> Expr:
    a, b = fresh_labels(2)
    B, dims = batch_labels(node)
    n = node.arg.shape[-1]
    el = tuple(l for l, _ in E)
    dims.update({a: n, b: n, **dict(E)})
    factors = [(Inverse(node.arg), B + (b, a)), (tan(node.arg), B + (a, b) + el)]
    if isinstance(node, Det):
        factors.insert(0, (node, B))
    return product(factors, B + el, dims)


def _fw_reshape(node: Reshape, tan, E) -> Expr:
    return reshape(tan(node.arg), node.shape + tuple(d for _, d in E))


def _fw_named(node: Named, tan, E) -> Expr:
    inner = node.arg
    if isinstance(inner, Apply):  # f'(a) written with the name: a named tanh gives 1 − h∘h
        return _fw_apply(inner, tan, E, y=node)
    if isinstance(inner, Softmax):
        return _fw_softmax(inner, tan, E, s=node)
    if isinstance(inner, Solve):
        return fw_solve(inner, tan, E, x=node)
    return tan(inner)


def _fw_leaf(node: Expr, tan, E) -> Expr:
    """A leaf other than the variable (which is seeded) is constant: its tangent is zero."""
    return zero(node.shape + tuple(d for _, d in E))


def _trail(E: tuple) -> tuple:
    return _full_items(tuple(d for _, d in E))


def _fw_index(node: Index, tan, E) -> Expr:
    return index_spec(tan(node.arg), node.spec + _trail(E))


def _fw_scatter(node: Scatter, tan, E) -> Expr:
    return scatter_spec(tan(node.arg), node.spec + _trail(E), node.shape + tuple(d for _, d in E))


def _fw_concat(node: Concat, tan, E) -> Expr:
    tail = tuple(d for _, d in E)
    return concat([tan(p) if tan(p) is not None else zero(p.shape + tail) for p in node.parts],
                  node.axis)


#: One forward rule per node type (``NODE_TYPES``): ``rule(node, tan, E) -> tangent``.
FORWARD: dict[type, Callable] = {
    Tensor: _fw_leaf,
    Constant: _fw_leaf,
    Delta: _fw_leaf,
    TriMask: _fw_leaf,
    Product: _fw_product,
    Sum: _fw_sum,
    Apply: _fw_apply,
    Softmax: _fw_softmax,
    LogSumExp: _fw_logsumexp,
    Max: _fw_max,
    Inverse: _fw_inverse,
    Det: _fw_det,
    LogDet: _fw_det,
    Reshape: _fw_reshape,
    Named: _fw_named,
    Shared: lambda node, tan, E: tan(node.arg),
    Derivative: lambda node, tan, E: tan(node.arg),
    Index: _fw_index,
    Scatter: _fw_scatter,
    Concat: _fw_concat,
    Decomposition: forward_decomposition,
    Solve: fw_solve,
    MatrixFunction: fw_matrix_function,
    Scan: lambda node, tan, E: scan_tangent(node, tan, E, forward),
}


#: A tangent product of more factors than this is shared rather than flattened into the next
#: one (along an n-deep chain each would otherwise copy all factors before it: n² work).
SHARE_LIMIT = 16


def forward(f: Expr, x: Tensor, seed: Expr, E: tuple) -> Expr:
    """The tangent of ``f`` when ``x`` has tangent ``seed`` (shape ``x.shape + E``)."""
    dep = depends(f, x)
    if id(f) not in dep:
        return zero(f.shape + tuple(d for _, d in E))
    tangents: dict[int, Expr] = {}

    def tan(c: Expr) -> Expr | None:
        return tangents.get(id(c))

    for node in postorder([f]):
        if id(node) not in dep:
            continue
        if node is x:
            tangents[id(node)] = seed
        else:
            t = FORWARD[type(node)](node, tan, E)
            if isinstance(t, Product) and len(t.factors) > SHARE_LIMIT:
                t = Shared(t)  # not copied into the next tangent: a chain's tangents stay linear
            tangents[id(node)] = t
    return tangents[id(f)]


def identity_seed(x: Tensor) -> tuple[Expr, tuple]:
    """``∂x/∂x``: a product of one delta per axis, and the trailing-axis spec for ``forward``."""
    a, b = fresh_labels(x.ndim), fresh_labels(x.ndim)
    dims = {**_dims(a, x.shape), **_dims(b, x.shape)}
    seed = product([(Delta(d, 2), (p, q)) for d, p, q in zip(x.shape, a, b)], a + b, dims)
    return seed, tuple(zip(fresh_labels(x.ndim), x.shape))
