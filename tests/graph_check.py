"""A checker of the expression graph's invariants, run by the tests after every transformation.

In the spirit of JAX's autodidax (``typecheck_jaxpr`` after each interpretation): one small
function per node type, kept in a table keyed by the type's name, each checking what a node of
that type promises (see ``indexcalc/core/nodes.py`` and the structure nodes of the front end):

* every node: its children are expressions, its ``shape`` a tuple of dimensions (ints ``≥ 0`` or
  names), and it is interned (rebuilding it from its fields gives the very same object);
* ``Product``: output labels distinct, labels canonical (numbered by first appearance: output,
  then factors left to right, then the summed size multipliers), one label per factor axis, each
  label's dimension equal to the dimension of every factor axis it names, the shape read from
  the output labels;
* ``Sum``: every term of the node's shape; ``Delta``: order ≥ 2; ``Apply``: a row of the rule
  table; ``Softmax``/``LogSumExp``/``Max``: axes within range; ``Inverse``/``Det``/``LogDet``: a square
  matrix or a stack of them; ``Reshape``: the same number of entries (when sizes are known);
* ``Index``/``Scatter``: the shape the index gives, computed here independently of the library;
  ``Concat``: parts agree off the joined axis, which is their total; ``TriMask``: a matrix;
  ``Solve``: ``b`` has the batch axes and the size of the square ``a``, and the node ``b``'s shape;
  ``MatrixFunction``: a row of the table, a square matrix, a direction only for a primary one.

The walk is iterative (graphs are thousands of levels deep) and visits a shared node once.
``check(expr, sizes)`` raises ``AssertionError`` naming the node and the broken invariant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from indexcalc.core.dims import dim_size, dims_equal
from indexcalc.core.elementwise import RULES
from indexcalc.core.matrix_functions import MATRIX_FUNCTIONS
from indexcalc.core.nodes import Expr


def _nodes(root: Expr) -> list[Expr]:
    """Every node below ``root`` once, children before parents, without recursion."""
    seen: set[int] = set()
    out: list[Expr] = []
    stack: list[tuple[Expr, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            out.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for child in node.children():
            assert isinstance(child, Expr), f"{type(node).__name__} has a child {child!r}"
            stack.append((child, False))
    return out


def _size(d: Any, sizes: Mapping[str, int]) -> int | None:
    """The size of a dimension, or ``None`` when it names a dimension ``sizes`` does not bind."""
    if isinstance(d, int):
        return d
    try:
        return int(dim_size(d, sizes))
    except Exception:  # noqa: BLE001 - an unbound name: the size check is skipped
        return None


def _same_shape(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(dims_equal(x, y) for x, y in zip(a, b))


def _square(node: Expr) -> None:
    arg = node.arg
    assert arg.ndim >= 2 and dims_equal(arg.shape[-2], arg.shape[-1]), \
        f"{type(node).__name__} of a non-square argument of shape {arg.shape}"  # or a stack


# --------------------------------------------------------------------------- one rule per type

def _tensor(node, sizes) -> None:
    assert isinstance(node.name, str) and node.name.isidentifier(), node.name


def _constant(node, sizes) -> None:
    assert node.shape == node.value.shape, (node.shape, node.value.shape)
    assert not node.value.flags.writeable, "a constant's value must be read-only"


def _delta(node, sizes) -> None:
    assert isinstance(node.order, int) and node.order >= 2, f"Delta of order {node.order}"
    assert node.shape == (node.dim,) * node.order, node.shape


def _product(node, sizes) -> None:
    out, dims = node.out, node.dims
    assert len(set(out)) == len(out), f"repeated output label in {out}"
    order: list[int] = list(out)
    for f, labels in node.factors:
        assert isinstance(f, Expr), f
        assert len(labels) == f.ndim, f"factor {f!r} of shape {f.shape} given labels {labels}"
        for l in labels:
            if l not in order:
                order.append(l)
    order += [l for l in range(len(dims)) if l not in order]  # summed size multipliers
    assert order == list(range(len(dims))), \
        f"labels not canonical: first appearances {order} (output {out}, {len(dims)} dims)"
    for f, labels in node.factors:
        for axis, l in enumerate(labels):
            assert dims_equal(f.shape[axis], dims[l]), \
                f"label {l} joins dimension {dims[l]!r} but axis {axis} of {f!r} is {f.shape[axis]!r}"
    assert _same_shape(node.shape, tuple(dims[l] for l in out)), (node.shape, out, dims)
    assert np.isfinite(node.coef), f"coefficient {node.coef}"


def _sum(node, sizes) -> None:
    for c, t in node.terms:
        assert _same_shape(t.shape, node.shape), f"term of shape {t.shape} in a sum of {node.shape}"
        assert isinstance(c, float) and np.isfinite(c), f"coefficient {c!r}"


def _apply(node, sizes) -> None:
    assert node.fn in RULES, f"Apply of {node.fn!r}, not a row of the rule table"
    assert _same_shape(node.shape, node.arg.shape)


def _softmax(node, sizes) -> None:
    assert -node.arg.ndim <= node.axis < node.arg.ndim, (node.axis, node.arg.shape)
    assert _same_shape(node.shape, node.arg.shape)


def _logsumexp(node, sizes) -> None:
    axes = node.axes
    assert list(axes) == sorted(set(axes)) and all(0 <= a < node.arg.ndim for a in axes), axes
    kept = tuple(d for i, d in enumerate(node.arg.shape) if i not in axes)
    assert _same_shape(node.shape, kept), (node.shape, kept)


def _inverse(node, sizes) -> None:
    _square(node)
    assert _same_shape(node.shape, node.arg.shape)


def _scalar_of_square(node, sizes) -> None:
    _square(node)
    assert node.shape == node.arg.shape[:-2], node.shape  # one per matrix of a stack


def _decomposition(node, sizes) -> None:
    """A part of eigh (of a square matrix) or of the thin svd, k = min(m, n), per matrix of a stack."""
    assert node.arg.ndim >= 2, node.arg.shape
    m, n = node.arg.shape[-2:]
    if node.kind == "eigh":
        _square(node)
        k = n
    else:
        assert node.kind == "svd", node.kind
        k = m if dims_equal(m, n) else min(m, n)  # (named dimensions only when equal)
    own = {"eigh": {"values": (k,), "vectors": (n, k), "gaps": (k, k)},
           "svd": {"U": (m, k), "s": (k,), "Vh": (k, n), "gaps": (k, k), "inv_s": (k,)}}
    assert node.part in own[node.kind], node.part
    assert _same_shape(node.shape, node.arg.shape[:-2] + own[node.kind][node.part]), node.shape
def _solve(node, sizes) -> None:
    a, b = node.a, node.b
    assert a.ndim >= 2 and dims_equal(a.shape[-1], a.shape[-2]), f"solve by a {a.shape}"
    lead = a.shape[:-2] + (a.shape[-1],)
    assert b.ndim >= len(lead) and all(map(dims_equal, b.shape[:len(lead)], lead)), \
        f"solve of b {b.shape} by a {a.shape}"
    assert _same_shape(node.shape, b.shape), (node.shape, b.shape)


def _matrix_function(node, sizes) -> None:
    assert node.fn in MATRIX_FUNCTIONS, f"no matrix function {node.fn!r}"
    a, d = node.arg, node.direction
    assert a.ndim == 2 and dims_equal(a.shape[0], a.shape[1]), f"{node.fn} of a {a.shape}"
    want = a.shape if d is None else d.shape
    if d is not None:
        assert MATRIX_FUNCTIONS[node.fn].kind == "primary", f"a direction for {node.fn}"
        assert _same_shape(d.shape[:2], a.shape), f"direction {d.shape} for {a.shape}"
    assert _same_shape(node.shape, want), (node.shape, want)


def _reshape(node, sizes) -> None:
    before = [_size(d, sizes) for d in node.arg.shape]
    after = [_size(d, sizes) for d in node.shape]
    if None not in before + after:
        assert int(np.prod(before)) == int(np.prod(after)), \
            f"reshape of {node.arg.shape} ({before}) to {node.shape} ({after})"


def _unary_same_shape(node, sizes) -> None:
    assert _same_shape(node.shape, node.arg.shape), (node.shape, node.arg.shape)


def _derivative(node, sizes) -> None:
    _unary_same_shape(node, sizes)
    of, wrt, k = node.of, node.wrt, node.out_ndim
    assert type(wrt).__name__ == "Tensor", f"a derivative by a {type(wrt).__name__}"
    assert 0 <= k == of.ndim <= node.ndim, (k, of.shape, node.shape)
    assert _same_shape(node.shape, of.shape + wrt.shape), (node.shape, of.shape, wrt.shape)
    assert type(node.arg).__name__ != "Derivative", "a derivative wrapped twice"


def _indexed_shape(spec: tuple, shape: tuple) -> tuple:
    """The shape of ``arg[spec]`` for an ``arg`` of ``shape``, by NumPy's rules on a range."""
    assert sum(it[0] != "n" for it in spec) == len(shape), f"spec {spec} for shape {shape}"
    out, axis = [], 0
    for it in spec:
        assert it[0] in ("i", "s", "n"), it
        if it[0] == "n":
            out.append(1)
            continue
        d = shape[axis]
        axis += 1
        if it[0] == "i":
            assert not isinstance(d, int) or 0 <= it[1] < d, f"index {it[1]} of an axis of {d}"
        elif isinstance(d, int):
            out.append(len(range(d)[slice(*it[1:])]))
        elif it[1] is None and it[2] is None:
            out.append(d)  # the whole named axis, possibly reversed
        else:
            _, start, stop, step = it
            assert 0 <= start <= stop and step > 0, f"slice {it} of a named dimension {d!r}"
            out.append(len(range(start, stop, step)))
    return tuple(out)


def _index(node, sizes) -> None:
    want = _indexed_shape(node.spec, node.arg.shape)
    assert _same_shape(node.shape, want), f"{node.arg.shape}[{node.spec}] has shape {want}, not {node.shape}"


def _scatter(node, sizes) -> None:
    want = _indexed_shape(node.spec, node.shape)
    assert _same_shape(node.arg.shape, want), \
        f"scatter of {node.arg.shape} into {node.shape} at {node.spec} (that place is {want})"


def _concat(node, sizes) -> None:
    parts, ax = node.parts, node.axis
    assert len(parts) >= 1 and 0 <= ax < parts[0].ndim, (len(parts), ax)
    for p in parts:
        assert p.ndim == parts[0].ndim
        for a in range(p.ndim):
            if a != ax:
                assert dims_equal(p.shape[a], node.shape[a]), (p.shape, node.shape)
    total = [_size(p.shape[ax], sizes) for p in parts]
    if None not in total and _size(node.shape[ax], sizes) is not None:
        assert sum(total) == _size(node.shape[ax], sizes), (total, node.shape[ax])


def _trimask(node, sizes) -> None:
    assert node.shape == (node.rows, node.cols), node.shape
    assert isinstance(node.k, int) and isinstance(node.upper, bool), (node.k, node.upper)


def _scan(node, sizes) -> None:
    out = node.emit if node.emit is not None else node.body
    steps = node.shape[0]
    assert all(map(dims_equal, node.shape[1:], out.shape)) and len(node.shape) == out.ndim + 1, \
        (node.shape, out.shape)
    for a, b in ((node.body, node.carry), (node.init, node.carry)):
        assert a.ndim == b.ndim and all(map(dims_equal, a.shape, b.shape)), (a.shape, b.shape)
    for p, e in node.seqs:
        assert e.ndim == p.ndim + 1 and all(map(dims_equal, e.shape, (steps,) + p.shape)), \
            (p.shape, e.shape)
    for p, e in node.consts:
        assert e.ndim == p.ndim and all(map(dims_equal, e.shape, p.shape)), (p.shape, e.shape)
    assert len(node.shown) == len(node.seqs), node.shown
    for graph in (node.body,) + ((node.emit,) if node.emit is not None else ()):
        check(graph, sizes)  # the nested step obeys the same invariants


RULES_BY_TYPE: dict[str, Callable[[Any, Mapping[str, int]], None]] = {
    "Tensor": _tensor, "Constant": _constant, "Delta": _delta, "Product": _product, "Sum": _sum,
    "Apply": _apply, "Softmax": _softmax, "LogSumExp": _logsumexp, "Max": _logsumexp,
    "Inverse": _inverse,
    "Det": _scalar_of_square, "LogDet": _scalar_of_square, "Reshape": _reshape,
    "Named": _unary_same_shape, "Shared": _unary_same_shape, "Derivative": _derivative,
    "Index": _index,
    "Scatter": _scatter, "Concat": _concat, "TriMask": _trimask,
    "Decomposition": _decomposition,
    "Solve": _solve, "MatrixFunction": _matrix_function,
    "Scan": _scan,
}


def _interned(node: Expr) -> None:
    fields = {k: getattr(node, k) for k in type(node)._fields}
    if type(node).__name__ == "Constant" and node.value.size > 4096:
        return  # large constants are keyed by identity, not value
    again = type(node)(**fields)
    assert again is node, f"rebuilding {type(node).__name__} {node!r} gave another object {again!r}"


def check(root: Expr, sizes: Mapping[str, int] | None = None) -> int:
    """Check every node under ``root``; returns how many nodes were checked.

    ``sizes`` binds named dimensions for the size checks (reshape, concatenate); without it those
    checks are made only where every dimension is an int.
    """
    sizes = dict(sizes or {})
    nodes = _nodes(root)
    for node in nodes:
        kind = type(node).__name__
        assert kind in RULES_BY_TYPE, f"no invariants known for the node type {kind}"
        assert isinstance(node.shape, tuple), f"{kind} shape {node.shape!r} is not a tuple"
        for d in node.shape:
            assert (isinstance(d, int) and not isinstance(d, bool) and d >= 0) or \
                (isinstance(d, str) and d), f"{kind} has a dimension {d!r}"
        try:
            RULES_BY_TYPE[kind](node, sizes)
            _interned(node)
        except AssertionError as e:
            raise AssertionError(f"{kind} node {node!r}: {e}") from None
    return len(nodes)
