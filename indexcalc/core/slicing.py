"""The simplifying constructors of the structure nodes: ``Index``, ``Scatter``, ``Concat``, ``Reshape``.

Like :func:`indexcalc.core.algebra.product` for products, these are the only ways the library
builds the three nodes, so an expression stays in normal form: indexing is linear, so it moves
inside sums and products (``(A B)[0]`` becomes ``A[0] B``), a whole-axis index is the argument
itself, indexing a scatter at its own place undoes it, and anything of zeros is the exact zero.
The front end (``expr[...]``, ``ic.concatenate``) checks the user's input and calls these; the
derivative rules and ``ic.simplify`` call them directly.
"""

from __future__ import annotations

import numpy as np

from .algebra import add, fresh, full, product
from .dims import dims_equal
from .nodes import (_FULL_NAMED, Concat, Constant, Expr, Index, Product, Reshape, Scatter, Sum, _is_full,
                    _spec_shape, is_zero, zero)


def _numpy_index(spec: tuple) -> tuple:
    """The spec as a NumPy index (``(3, slice(1, 4, 1), None)``)."""
    table = {"i": lambda it: it[1], "s": lambda it: slice(*it[1:]), "n": lambda it: None}
    return tuple(table[it[0]](it) for it in spec)


def _full_items(dims: tuple) -> tuple:
    """The spec that takes every axis of ``dims`` whole."""
    return tuple(("s", 0, d, 1) if isinstance(d, int) else _FULL_NAMED for d in dims)


def index_spec(x: Expr, spec: tuple) -> Expr:
    """``x[spec]`` for a normalized spec; moves inside sums and products (indexing is linear).

    Examples:
        >>> import indexcalc as ic
        >>> A, B = ic.tensors("A[3,4] B[4,5]")
        >>> print(index_spec(A @ B, (("i", 0), ("s", 0, 5, 1))))      # (A B)[0] is A[0] B
        Σ_j A[0, :][j] B[j,i]
        >>> rows = (("s", 1, 3, 1), ("s", 0, 5, 1))
        >>> index_spec(scatter_spec(B[:2], rows, (6, 5)), rows) is B[:2]
        True
    """
    axes = [it for it in spec if it[0] != "n"]
    if len(axes) == len(spec) and all(_is_full(it, d) for it, d in zip(axes, x.shape)):
        return x
    if is_zero(x):
        return zero(_spec_shape(spec, x.shape))
    if isinstance(x, Constant) and x.shape == x.value.shape:  # (a pinned one keeps its names)
        return Constant(np.asarray(x.value)[_numpy_index(spec)])
    if isinstance(x, Sum):
        return add([(c, index_spec(t, spec)) for c, t in x.terms], _spec_shape(spec, x.shape))
    if isinstance(x, Product):
        return _index_product(x, spec)
    if isinstance(x, Scatter) and x.spec == spec:
        return x.arg
    return Index(x, spec)


def _index_product(p: Product, spec: tuple) -> Expr:
    """Index a product by indexing the factors that carry each indexed output label."""
    dims = dict(enumerate(p.dims))
    chosen: dict[int, tuple] = {}   # output label -> (item, new label or None)
    out: list = []
    axis = 0
    for it in spec:
        if it[0] == "n":
            l = fresh()
            dims[l] = 1
            out.append(l)
            continue
        l = p.out[axis]
        axis += 1
        if _is_full(it, p.dims[l]):
            out.append(l)
            continue
        if it[0] == "i":
            chosen[l] = (it, None)
        else:
            new = fresh()
            dims[new] = _spec_shape((it,), (p.dims[l],))[0]
            chosen[l] = (it, new)
            out.append(new)
    # a summed label that no factor uses multiplies by its size: keep it as a ones factor
    used = {l for _, ls in p.factors for l in ls}
    factors = [(full((p.dims[l],)), (l,)) for l in range(len(p.dims))
               if l not in p.out and l not in used]
    for f, ls in p.factors:
        if not any(l in chosen for l in ls):
            factors.append((f, ls))
            continue
        fspec = tuple(chosen[l][0] if l in chosen else _full_items((f.shape[a],))[0]
                      for a, l in enumerate(ls))
        new_ls = tuple(chosen[l][1] if l in chosen else l for l in ls
                       if not (l in chosen and chosen[l][1] is None))
        factors.append((index_spec(f, fspec), new_ls))
    return product(factors, tuple(out), dims, p.coef)


def scatter_spec(x: Expr, spec: tuple, shape: tuple) -> Expr:
    """Zeros of ``shape`` with ``x`` at ``[spec]``."""
    if is_zero(x):
        return zero(shape)
    axes = [it for it in spec if it[0] != "n"]
    if len(axes) == len(spec) and all(_is_full(it, d) for it, d in zip(axes, shape)):
        return x
    return Scatter(x, spec, shape)


def concat(parts: list | tuple, axis: int) -> Expr:
    """``numpy.concatenate(parts, axis)`` of checked parts: one part is itself, all zeros zero.

    Examples:
        >>> import indexcalc as ic
        >>> B = ic.Tensor("B", (4, 5))
        >>> concat([B], 0) is B, concat([B, B], 0).shape
        (True, (8, 5))
    """
    if len(parts) == 1:
        return parts[0]
    node = Concat(tuple(parts), axis)
    if all(is_zero(p) for p in parts):
        return zero(node.shape)
    return node


def reshaped(x: Expr, shape: tuple) -> Expr:
    """``x`` in C order as ``shape`` (same size, checked by the caller): a reshape to its own shape
    is ``x``, a reshape of a reshape is one reshape, a reshape of zeros is zeros."""
    if len(shape) == x.ndim and all(map(dims_equal, shape, x.shape)):
        return x
    if isinstance(x, Reshape):
        x = x.arg
    if is_zero(x):
        return zero(shape)
    return Reshape(x, shape)
