"""Maxima and minima, as NumPy's, with JAX's subgradients. Part of the front end.

One node, :class:`indexcalc.core.nodes.Max` (the largest entry over axes), holds them all: no
product, sum or elementwise function writes a maximum exactly. ``min(x) = −max(−x)``;
``maximum(a, b)`` is the max over the pair stacked on a new last axis (the values exactly
NumPy's, NaN included); ``clip(x, lo, hi) = minimum(maximum(x, lo), hi)``, as ``jnp.clip``.

Subgradients follow JAX: a maximum's cotangent is split equally among the entries that attain it
(``jax.grad(jnp.max)`` of ``[1, 3, 3]`` is ``[0, ½, ½]``; ``jax.grad(jnp.maximum)(1., 1.)`` is
``½`` for each argument, so ``clip`` passes ``½`` at a bound, as ``jnp.clip`` does). Second
derivatives are zero (the choice of the maximum is piecewise constant).
"""

from __future__ import annotations

from typing import Any

from ..core.algebra import fresh_labels, product, scale
from ..core.nodes import Expr, Max
from ..errors import IndexcalcError
from .arithmetic import _broadcast, as_expr, broadcast_to
from .axes import keep_dims, normalize_axes
from .indexing import index
from .shaping import concatenate


def _keep(m: Expr, x: Expr, axes: tuple[int, ...]) -> Expr:
    """The reduction ``m`` of ``x`` over ``axes`` with those axes back, of size 1."""
    ls = fresh_labels(x.ndim)
    dims = {l: (1 if i in axes else d) for i, (l, d) in enumerate(zip(ls, x.shape))}
    return product([(m, tuple(l for i, l in enumerate(ls) if i not in axes))], ls, dims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Expr:  # noqa: A001 - numpy.max
    """The largest entry over ``axis`` (all axes by default), as ``numpy.max``.

    Its derivative splits the cotangent equally among tied maxima, as ``jax.grad(jnp.max)``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> x = ic.Tensor("x", "n")
        >>> ic.max(x).evaluate(x=np.array([1.0, 3.0, 3.0]))
        array(3.)
        >>> ic.grad(ic.max(x), x).evaluate(x=np.array([1.0, 3.0, 3.0]))
        array([0. , 0.5, 0.5])
    """
    x = as_expr(x, "max")
    axes = normalize_axes(axis, x.ndim, "max")
    if not axes:
        return x
    m = Max(x, axes)
    return _keep(m, x, axes) if keep_dims(keepdims, "max") else m


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Expr:  # noqa: A001 - numpy.min
    """The smallest entry over ``axis``, as ``numpy.min``: ``−max(−x)`` (ties as in :func:`max`).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "m n")
        >>> ic.min(X, axis=1).evaluate(X=np.array([[4.0, -2.0, 7.0]]))
        array([-2.])
    """
    x = as_expr(x, "min")
    return scale(max(scale(x, -1.0), axis, keepdims), -1.0)


def _pair(a: Any, b: Any, what: str) -> Expr:
    """``a`` and ``b`` broadcast to one shape and stacked on a new last axis."""
    a, b, shape = _broadcast(a, b, what)
    last = (slice(None),) * len(shape) + (None,)
    return concatenate([index(broadcast_to(a, shape), last), index(broadcast_to(b, shape), last)],
                       len(shape))


def maximum(a: Any, b: Any) -> Expr:
    """The elementwise larger of ``a`` and ``b`` (broadcast), as ``numpy.maximum``.

    At a tie each argument gets half the cotangent, as ``jax.grad(jnp.maximum)(1., 1.)``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> x = ic.Tensor("x", "n")
        >>> ic.maximum(x, 0.5).evaluate(x=np.array([0.0, 0.5, 2.0]))
        array([0.5, 0.5, 2. ])
        >>> ic.grad(ic.sum(ic.maximum(x, 0.5)), x).evaluate(x=np.array([0.0, 0.5, 2.0]))
        array([0. , 0.5, 1. ])
    """
    pair = _pair(a, b, "maximum")
    return Max(pair, (pair.ndim - 1,))


def minimum(a: Any, b: Any) -> Expr:
    """The elementwise smaller of ``a`` and ``b``, as ``numpy.minimum`` (ties as :func:`maximum`).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> x = ic.Tensor("x", "n")
        >>> ic.minimum(x, 1.0).evaluate(x=np.array([0.0, 2.0]))
        array([0., 1.])
    """
    return scale(maximum(scale(as_expr(a, "minimum"), -1.0), scale(as_expr(b, "minimum"), -1.0)),
                 -1.0)


def clip(x: Any, a_min: Any = None, a_max: Any = None) -> Expr:
    """``x`` limited to ``[a_min, a_max]`` (either may be ``None``), as ``numpy.clip``:
    ``minimum(maximum(x, a_min), a_max)``, as ``jnp.clip`` (½ of the cotangent at a bound).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> x = ic.Tensor("x", "n")
        >>> ic.clip(x, -1.0, 1.0).evaluate(x=np.array([-3.0, 0.25, 3.0]))
        array([-1.  ,  0.25,  1.  ])
    """
    x = as_expr(x, "clip")
    if a_min is None and a_max is None:
        raise IndexcalcError("clip: give a_min, a_max or both (one may be None)")
    if a_min is not None:
        x = maximum(x, a_min)
    if a_max is not None:
        x = minimum(x, a_max)
    return x


