"""Program steps of the structure nodes (``Index``, ``Scatter``, ``Concat``, ``TriMask``).

Rows of :data:`indexcalc.evaluation.programs.BUILDERS`, with its signature ``(node, ctx) -> step``.
Each step computes with NumPy on the children's values; on another backend the result is
converted to that backend's array (``ctx.ns.asarray``), as its inputs are.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..core.dims import dim_size
from ..core.nodes import Concat, Index, Scatter, TriMask, format_spec, named_bounds
from ..core.slicing import _numpy_index
from ..errors import BindingError


def _check_named(node: Index | Scatter, base: tuple, sizes: dict) -> None:
    """Bounds of named dimensions, known only now that their sizes are bound."""
    for axis, d, need in named_bounds(node.spec, base):
        n = dim_size(d, sizes)
        if n < need:
            raise BindingError(f"index [{format_spec(node.spec, base)}]: axis {axis} has "
                               f"dimension {d!r} of size {n}, but the index needs at least {need}")


def _on_backend(run: Callable, ctx: Any) -> Callable:
    if ctx.ns.name == "numpy":
        return run
    ns, dtype = ctx.ns, ctx.dtype
    return lambda *values: ns.asarray(run(*values), dtype)


def index_step(node: Index, ctx: Any) -> Callable:
    """``a[spec]`` (a view for NumPy)."""
    _check_named(node, node.arg.shape, ctx.sizes)
    where = _numpy_index(node.spec)
    return _on_backend(lambda a: a[where], ctx)


def scatter_step(node: Scatter, ctx: Any) -> Callable:
    """Zeros of the node's shape with the value written at ``[spec]``."""
    _check_named(node, node.shape, ctx.sizes)
    where, shape, dtype = _numpy_index(node.spec), ctx.shape(node), ctx.dtype
    if ctx.ns.name == "jax":  # a functional update: traceable by jax.jit, never read back
        xp = ctx.ns.xp
        return lambda v: xp.zeros(shape, dtype=xp.result_type(v, dtype)).at[where].set(v)

    def run(v):
        out = np.zeros(shape, dtype=np.result_type(v, dtype))
        out[where] = v
        return out
    return _on_backend(run, ctx)


def concat_step(node: Concat, ctx: Any) -> Callable:
    axis = node.axis
    if ctx.ns.name == "jax":  # traceable by jax.jit
        xp = ctx.ns.xp
        return lambda *parts: xp.concatenate([xp.asarray(p) for p in parts], axis=axis)
    return _on_backend(lambda *parts: np.concatenate([np.asarray(p) for p in parts], axis=axis),
                       ctx)


def trimask_value(node: TriMask, ctx: Any) -> Callable:
    """The 0/1 mask (a constant: the program computes it once, when it is built)."""
    r, c, dtype = dim_size(node.rows, ctx.sizes), dim_size(node.cols, ctx.sizes), ctx.dtype
    if node.upper:
        return _on_backend(lambda: 1.0 - np.tri(r, c, node.k - 1, dtype=dtype), ctx)
    return _on_backend(lambda: np.tri(r, c, node.k, dtype=dtype), ctx)

