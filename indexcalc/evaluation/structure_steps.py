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
    if ctx.ns.name == "torch" and any(item[0] == "s" and item[3] < 0 for item in node.spec):
        return _torch_reversed_slices(node, where, ctx)
    return _on_backend(lambda a: a[where], ctx)


def _torch_reversed_slices(node: Index, where: tuple, ctx: Any) -> Callable:
    """torch tensors take no negative slice step (``X[::-2]``): those axes are gathered by
    ``index_select`` with the indices NumPy's slice would read, the rest sliced as usual."""
    torch = ctx.ns.xp
    gathers, plain, axis = [], list(where), 0
    for k, item in enumerate(node.spec):
        if item[0] == "n":
            continue
        if item[0] == "s" and item[3] < 0:
            size = dim_size(node.arg.shape[axis], ctx.sizes)
            gathers.append((axis, list(range(*slice(*item[1:]).indices(size)))))
            plain[k] = slice(None)
        axis += 1
    plain = tuple(plain)

    def run(a):
        for ax, idx in gathers:
            a = torch.index_select(a, ax, torch.tensor(idx, dtype=torch.long, device=a.device))
        return a[plain]
    return run


def scatter_step(node: Scatter, ctx: Any) -> Callable:
    """Zeros of the node's shape with the value written at ``[spec]``."""
    _check_named(node, node.shape, ctx.sizes)
    where, shape, dtype = _numpy_index(node.spec), ctx.shape(node), ctx.dtype
    if ctx.ns.name == "jax":  # a functional update: traceable by jax.jit, never read back
        xp = ctx.ns.xp
        return lambda v: xp.zeros(shape, dtype=xp.result_type(v, dtype)).at[where].set(v)
    if ctx.ns.name == "torch":  # written through flat positions (torch slices take no step < 0)
        torch = ctx.ns.xp
        positions = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)[where].ravel()

        def write(v):
            out = torch.zeros(int(np.prod(shape)), dtype=v.dtype, device=v.device)
            out[torch.from_numpy(positions).to(v.device)] = v.reshape(-1)
            return out.reshape(shape)
        return write

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
    # an offset past either side keeps all or nothing: clamped, as np.tri takes a C long only
    # (tril(X, 10**20) raised OverflowError)
    k = max(-r - 1, min(node.k - node.upper, c + 1))
    if node.upper:
        return _on_backend(lambda: 1.0 - np.tri(r, c, k, dtype=dtype), ctx)
    return _on_backend(lambda: np.tri(r, c, k, dtype=dtype), ctx)

