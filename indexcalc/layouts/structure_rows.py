"""``ic.to_matrix`` rows for the structure nodes: indexing, scatter, concatenation, masks, reshape.

Rows of the tables in :mod:`indexcalc.layouts.matrix_layout` (``BUILD``: ``(node, kids, scope)
-> Form``; ``LEAVES``: ``(node, scope) -> Form | None``), which imports them by name.

* ``Index`` of a tensor, a named subexpression or the identity prints as a named sub-block
  (``x[1:3]``, ``W[0, :]``, ``I[1:3, :]``); of anything else, as a product with selection
  matrices (rows of ``I``): ``I[1:3, :] (A x)``. Adding a unit axis to a vector orients it.
* ``Scatter`` (the gradient of a slice) is the adjoint: ``I[1:3, :]ᵀ (2 x[1:3])``.
* ``Concat`` of order ≤ 2 is a block matrix, ``[a; b]`` (rows) or ``[a, b]`` (columns).
* a ``TriMask`` multiplying a matrix elementwise is ``tril(·)`` / ``triu(·)``.
* ``Reshape``: ``vec(X)`` (column-major) or ``vec_row(X)``, ``unvec(u)`` / ``unvec_row(u)``, and
  a matrix reshaped to another matrix as ``unvec_row(vec_row(X))`` (NumPy's C order).

Anything else (a reshape that is neither, an order above 2) is an ``ic.LayoutError`` naming the
node and pointing at ``ic.to_kron`` or index notation. Every form prints and evaluates itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.dims import dim_mul
from ..errors import LayoutError
from .forms import Form, Leaf, Nary, Ones, Unary, transpose
from .product_reading import col, read_product, row
from ..core.nodes import (Concat, Delta, Expr, Index, Named, Reshape, Scatter, Tensor, TriMask,
                          _is_full, _spec_shape, format_spec)
from ..core.slicing import _full_items, index_spec

if TYPE_CHECKING:
    from .matrix_layout import Scope


def _base_name(arg: Expr, s: Scope) -> str | None:
    if isinstance(arg, Named):
        return arg.name
    if id(arg) in s.named:
        return s.named[id(arg)].name
    if isinstance(arg, Tensor):
        return arg.name
    if isinstance(arg, Delta) and arg.order == 2:
        return f"I_{arg.dim}" if s.identity_subscripted else "I"
    return None


def _only_new_axes(spec: tuple, shape: tuple) -> bool:
    axes = [it for it in spec if it[0] != "n"]
    return len(axes) < len(spec) and all(_is_full(it, d) for it, d in zip(axes, shape))


def _index_leaf(n: Index, s: Scope) -> Form | None:
    base = _base_name(n.arg, s)
    if base is None or n.ndim > 2 or _only_new_axes(n.spec, n.arg.shape):
        return None
    return Leaf(f"{base}[{format_spec(n.spec, n.arg.shape)}]", s.shape(n), n)


def _selector(d, item: tuple, s: Scope) -> Form:
    """Rows of ``I_d``: a unit vector for an integer item, a selection matrix for a slice."""
    source = index_spec(Delta(d, 2), (item,) + _full_items((d,)))
    base = f"I_{d}" if s.identity_subscripted else "I"
    return Leaf(f"{base}[{format_spec(source.spec, (d, d))}]", s.shape(source), source)


def _select(spec: tuple, big: tuple, s: Scope) -> tuple[list, list, list]:
    """Labels ``0..len(big)-1`` for the big side; ``(small labels, selector factors, dims)``."""
    dims, small, factors, axis = list(big), [], [], 0
    for it in spec:
        if it[0] == "n":
            small.append(len(dims))
            dims.append(1)
            continue
        d, b = big[axis], axis
        axis += 1
        if it[0] == "i":
            factors.append((_selector(d, it, s), (b,)))
        elif _is_full(it, d):
            small.append(b)
        else:
            small.append(len(dims))
            dims.append(_spec_shape((it,), (d,))[0])
            factors.append((_selector(d, it, s), (len(dims) - 1, b)))
    return small, factors, dims


def _index(n: Index, kids: list, s: Scope) -> Form:
    (kid,) = kids
    if _only_new_axes(n.spec, n.arg.shape) and n.arg.ndim <= 1:
        if n.ndim == 2:  # a vector given a unit axis: a row (1 × n) or a column (n × 1)
            return row(kid) if n.shape[0] == 1 and n.spec[0] == ("n",) else col(kid)
        return kid
    # labels: the argument's axes are the "big" side, the result's the small one
    small, sel, dims = _select(n.spec, n.arg.shape, s)
    factors = [(kid, tuple(range(n.arg.ndim)))] + sel
    return read_product(factors, tuple(small), tuple(dims), 1.0, s.mode, s.normalized, s.notes)


def _scatter(n: Scatter, kids: list, s: Scope) -> Form:
    small, sel, dims = _select(n.spec, n.shape, s)
    factors = [(kids[0], tuple(small))] + sel
    return read_product(factors, tuple(range(len(n.shape))), tuple(dims), 1.0, s.mode,
                        s.normalized, s.notes)


def _concat(n: Concat, kids: list, s: Scope) -> Form:
    shape = s.shape(n)
    vertical = n.axis == 0 and (n.ndim == 2 or s.mode == "col")
    orient = col if n.ndim == 1 and s.mode == "col" else row if n.ndim == 1 else (lambda f: f)
    return Nary("vcat" if vertical else "hcat", tuple(orient(k) for k in kids), shape)


def _trimask(n: TriMask, kids: list, s: Scope) -> Form:
    return Unary("triu" if n.upper else "tril", Ones((n.rows, n.cols)), (n.rows, n.cols), n.k)


def fuse_masks(factors: list[tuple[Form, tuple]]) -> list[tuple[Form, tuple]]:
    """A mask times a matrix over the same two labels is ``tril(M)`` (``triu``): one factor."""
    out = list(factors)
    for i in range(len(factors)):
        f, ls = factors[i]
        if not (isinstance(f, Unary) and f.op in ("tril", "triu") and isinstance(f.arg, Ones)):
            continue
        if len(set(ls)) != 2:
            continue
        mine = next((k for k, entry in enumerate(out) if entry is factors[i]), None)
        partner = next((k for k, (g, gl) in enumerate(out) if k != mine and g is not f
                        and len(gl) == 2 and set(gl) == set(ls) and None not in g.shape), None)
        if mine is None or partner is None:
            continue
        g, gl = out[partner]
        g = g if gl == ls else transpose(g)
        out[partner] = (Unary(f.op, g, f.shape, f.param), ls)
        del out[mine]
    return out


def _reshape(n: Reshape, kids: list, s: Scope) -> Form:
    (kid,) = kids
    if n.arg.ndim == 2 and n.ndim == 1:  # C order is vec_row; vec_row(Xᵀ) is vec(X)
        inner, order = (kid.arg, "col") if isinstance(kid, Unary) and kid.op == "T" else (kid, "row")
        v = Unary("vec", inner, (n.shape[0], None), order)
        return v if s.mode == "col" else transpose(v)
    if n.arg.ndim == 1 and n.ndim == 2:
        return Unary("unvec", col(kid), tuple(n.shape), ("row",))
    if all(d == 1 for d in n.shape) and all(d == 1 for d in n.arg.shape) and n.ndim <= 2 \
            and n.arg.ndim <= 2:
        return kid if kid.shape == s.shape(n) else transpose(kid)
    if n.arg.ndim == 2 and n.ndim == 2:  # a C-order reshape is unvec_row of vec_row
        flat = Unary("vec", kid, (dim_mul(*n.arg.shape), None), "row")
        return Unary("unvec", flat, tuple(n.shape), ("row",))
    raise LayoutError(f"Reshape: the reshape {n.arg.shape} → {n.shape} has no matrix form (only "
                      "vec of a matrix and unvec of a vector have one); str() shows it in index "
                      "notation, ic.to_kron writes vec/Kronecker forms of derivatives")

