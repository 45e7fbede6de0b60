"""Differentiation: exact derivative tensors, in forward and reverse accumulation.

* **Forward** (``diff``/``jacobian``, ``jvp``): every node gets a tangent of shape
  ``node.shape + E``. The full derivative ``∂f/∂x`` is the tangent when ``x`` is seeded with the
  identity (a product of deltas, ``E = x.shape``); ``jvp`` seeds ``x`` with the tangent (``E = ()``).
* **Reverse** (``grad``, ``vjp``): the cotangent of ``f`` flows to the leaves, parents before
  children, so a gradient costs a small multiple of evaluating ``f``.

Each node type has one rule in ``FORWARD`` and one in ``REVERSE`` (:mod:`indexcalc.calculus.reverse`,
re-exported here); elementwise functions take their local derivative from the rule table in
:mod:`indexcalc.core.elementwise`. Every result is built with the simplifying constructors, so deltas
are eliminated as the chain is assembled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.algebra import add, fresh, fresh_labels, product, size_factors
from ..core.dims import dims_equal, format_shape
from ..errors import IndexcalcError, ShapeError
from ..core.elementwise import rule
from .splits import remember_split
from ..core.nodes import (Apply, Concat, Constant, Delta, Det, Expr, Index, Inverse, LogDet, LogSumExp,
                          Named, Product, Reshape, Scatter, Shared, Softmax, Sum, Tensor, TriMask,
                          zero)
from ..core.slicing import _full_items, concat, index_spec, scatter_spec
from ..core.graph_walk import postorder


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
    from ..frontend.arithmetic import apply

    if len(axes) == 1:
        return Softmax(arg, axes[0])
    ls = fresh_labels(arg.ndim)
    dims = _dims(ls, arg.shape)
    lse = lse if lse is not None else LogSumExp(arg, axes)
    return apply("exp", add([(1.0, arg), (-1.0, _spread(lse, ls, axes, dims))], arg.shape))


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


def _fw_inverse(node: Inverse, tan, E) -> Expr:
    i, a, b, j = fresh_labels(4)
    n = node.shape[0]
    el = tuple(l for l, _ in E)
    dims = {i: n, a: n, b: n, j: n, **dict(E)}
    return product([(node, (i, a)), (tan(node.arg), (a, b) + el), (node, (b, j))], (i, j) + el,
                   dims, coef=-1.0)


def _fw_det(node: Det | LogDet, tan, E) -> Expr:
    a, b = fresh_labels(2)
    n = node.arg.shape[0]
    el = tuple(l for l, _ in E)
    dims = {a: n, b: n, **dict(E)}
    factors = [(Inverse(node.arg), (b, a)), (tan(node.arg), (a, b) + el)]
    if isinstance(node, Det):
        factors.insert(0, (node, ()))
    return product(factors, el, dims)


def _fw_reshape(node: Reshape, tan, E) -> Expr:
    from ..frontend.arithmetic import reshape

    return reshape(tan(node.arg), node.shape + tuple(d for _, d in E))


def _fw_named(node: Named, tan, E) -> Expr:
    inner = node.arg
    if isinstance(inner, Apply):  # f'(a) written with the name: a named tanh gives 1 − h∘h
        return _fw_apply(inner, tan, E, y=node)
    if isinstance(inner, Softmax):
        return _fw_softmax(inner, tan, E, s=node)
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
    Inverse: _fw_inverse,
    Det: _fw_det,
    LogDet: _fw_det,
    Reshape: _fw_reshape,
    Named: _fw_named,
    Shared: lambda node, tan, E: tan(node.arg),
    Index: _fw_index,
    Scatter: _fw_scatter,
    Concat: _fw_concat,
}


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
            tangents[id(node)] = FORWARD[type(node)](node, tan, E)
    return tangents[id(f)]


def identity_seed(x: Tensor) -> tuple[Expr, tuple]:
    """``∂x/∂x``: a product of one delta per axis, and the trailing-axis spec for ``forward``."""
    a, b = fresh_labels(x.ndim), fresh_labels(x.ndim)
    dims = {**_dims(a, x.shape), **_dims(b, x.shape)}
    seed = product([(Delta(d, 2), (p, q)) for d, p, q in zip(x.shape, a, b)], a + b, dims)
    return seed, tuple(zip(fresh_labels(x.ndim), x.shape))


# --------------------------------------------------------------------------- the public API

def _wrt(f: Any, x: Any, what: str) -> tuple[Expr, Tensor]:
    from ..frontend.arithmetic import as_expr

    f = as_expr(f, f"{what}: the function")
    if not isinstance(x, Tensor):
        raise IndexcalcError(f"{what}: differentiate by a variable (ic.Tensor), got "
                             f"{type(x).__name__}; name intermediate results with ic.Tensor or "
                             f"differentiate by the tensors they are built from")
    return f, x


CONVENTIONS = ("symmetric", "cookbook")


def symmetrize(d: Expr, x: Tensor, convention: str | None) -> Expr:
    """The derivative by a symmetric matrix variable, from the unconstrained derivative ``d``.

    ``"symmetric"`` (default): ``(G + Gᵀ)/2``; ``"cookbook"``: ``G + Gᵀ − diag(diag(G))``.
    """
    # ``in`` and ``==`` compare an array elementwise (NumPy's ambiguous truth value): strings only
    if convention is not None and (not isinstance(convention, str) or convention not in CONVENTIONS):
        raise IndexcalcError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    if not x.symmetric:
        return d
    convention = "symmetric" if convention is None else convention
    lead = fresh_labels(d.ndim - 2)
    a, b = fresh_labels(2)
    n = x.shape[0]
    dims = {**_dims(lead, d.shape[:-2]), a: n, b: n}
    g = product([(d, lead + (a, b))], lead + (a, b), dims)
    gt = product([(d, lead + (b, a))], lead + (a, b), dims)
    if convention == "symmetric":
        return add([(0.5, g), (0.5, gt)], d.shape)
    if convention == "cookbook":
        diagonal = product([(d, lead + (a, a)), (Delta(n, 2), (a, b))], lead + (a, b), dims)
        return add([(1.0, g), (1.0, gt), (-1.0, diagonal)], d.shape)
    raise IndexcalcError(f"convention must be one of {CONVENTIONS}, got {convention!r}")


def _strings(f: Any, x: Any, shapes: Any) -> tuple[Any, Any]:
    """Formula strings for ``f`` and the variable's name for ``x`` (see :func:`ic.parse`)."""
    if isinstance(f, str) or isinstance(x, str):
        from ..formula.reader import formula_and_variable
        return formula_and_variable(f, x, shapes)
    return f, x


def diff(f: Any, x: Any, convention: str | None = None, *, shapes: Any = None) -> Expr:
    """The full derivative tensor ``∂f/∂x`` of shape ``f.shape + x.shape`` (jax.jacobian's layout).

    Args:
        f: an expression.
        x: the variable (an ``ic.Tensor``).
        convention: for a symmetric ``x``: ``"symmetric"`` (default) or ``"cookbook"``.
        shapes: tensor shapes when ``f`` is a formula string (``x`` may then be a name).

    Examples:
        >>> import indexcalc as ic
        >>> X, W = ic.tensors("X[n,d] W[d,h]")
        >>> D = ic.diff(X @ W, W)
        >>> D.shape
        ('n', 'h', 'd', 'h')
        >>> print(D)
        X[n,d] δ[h,h']
    """
    f, x = _wrt(*_strings(f, x, shapes), "diff")
    seed, E = identity_seed(x)
    return remember_split(symmetrize(forward(f, x, seed, E), x, convention), f.ndim)


jacobian = diff


def jvp(f: Any, x: Any, tangent: Any) -> Expr:
    """``Σ_J ∂f[I]/∂x[J] · tangent[J]`` of shape ``f.shape``, by forward accumulation.

    Examples:
        >>> import indexcalc as ic
        >>> A, x, t = ic.tensors("A[m,n] x[n] t[n]")
        >>> print(ic.to_matrix(ic.jvp(A @ x, x, t)))
        A t
    """
    from ..frontend.arithmetic import as_expr

    f, x = _wrt(f, x, "jvp")
    t = as_expr(tangent, "jvp: tangent")
    _same_shape(t, x, "jvp: the tangent", "x")
    return forward(f, x, t, ())


def vjp(f: Any, x: Any, cotangent: Any) -> Expr:
    """``Σ_I cotangent[I] · ∂f[I]/∂x[J]`` of shape ``x.shape``, by reverse accumulation.

    Examples:
        >>> import indexcalc as ic
        >>> A, x, u = ic.tensors("A[m,n] x[n] u[m]")
        >>> print(ic.to_matrix(ic.vjp(A @ x, x, u)))
        Aᵀ u
    """
    from ..frontend.arithmetic import as_expr

    f, x = _wrt(f, x, "vjp")
    c = as_expr(cotangent, "vjp: cotangent")
    _same_shape(c, f, "vjp: the cotangent", "f")
    return symmetrize(reverse(f, x, c), x, None)


def grad(f: Any, x: Any, convention: str | None = None, *, shapes: Any = None) -> Expr:
    """The gradient of a scalar ``f``: shape ``x.shape``, by reverse accumulation.

    Examples:
        >>> import indexcalc as ic
        >>> X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
        >>> g = ic.grad(0.5 * ic.sum((X @ W @ v - y) ** 2), W)
        >>> g.shape
        ('d', 'h')
        >>> ic.grad("0.5*sum((X@W@v - y)**2)", "W", shapes={"X": "n d", "W": "d h", "v": "h",
        ...                                                  "y": "n"}) is g
        True
    """
    f, x = _wrt(*_strings(f, x, shapes), "grad")
    if f.shape != ():
        raise ShapeError(f"grad applies to scalar functions; this one has shape "
                         f"{format_shape(f.shape)}. Try ic.jacobian (the full derivative), ic.vjp, "
                         f"or sum the function first")
    return remember_split(symmetrize(reverse(f, x, Constant(1.0)), x, convention), 0)


def hessian(f: Any, x: Any, convention: str | None = None, *, shapes: Any = None) -> Expr:
    """``∂²f/∂x²`` of a scalar ``f``, shape ``x.shape + x.shape`` (forward over reverse).

    Examples:
        >>> import indexcalc as ic
        >>> B, x = ic.tensors("B[n,n] x[n]")
        >>> H = ic.hessian(x @ B @ x, x)
        >>> H.shape
        ('n', 'n')
        >>> print(ic.to_matrix(H))
        Bᵀ + B
    """
    f, x = _strings(f, x, shapes)
    g = grad(f, x, convention)
    return diff(g, x, convention)


def _same_shape(a: Expr, b: Expr, what: str, other: str) -> None:
    if len(a.shape) != len(b.shape) or not all(map(dims_equal, a.shape, b.shape)):
        raise ShapeError(f"{what} has shape {format_shape(a.shape)} but {other} has shape "
                         f"{format_shape(b.shape)}")


# The reverse rules live in their own module, built on the helpers above; ``diff.REVERSE`` and
# ``diff.reverse`` stay importable from here (imported last, once those helpers exist).
from .reverse import REVERSE, reverse  # noqa: E402,F401
