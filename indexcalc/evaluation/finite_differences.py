"""``ic.check``: a derivative against central finite differences, in float64."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import BindingError, IndexcalcError
from ..core.nodes import Tensor
from ..calculus.derivatives import diff, jvp
from .compiled import Compiled, _as_array, bind
from ..core.coercion import as_expr

#: Above this many Jacobian entries, ``check`` compares directional derivatives instead.
FULL_LIMIT = 200_000
#: Round-off allowance of a finite difference, in units of eps·|f|/h: each of f(x ± h) carries
#: an error of about eps·|f| (a few along a long chain of operations), divided by the step 2h.
ROUNDOFF_UNITS = 8


def check(f: Any, x: Any, /, *, rtol: float = 1e-6, convention: str | None = None, seed: int = 0,
          **values: Any) -> float:
    """Compare ``diff(f, x)`` with central finite differences; return the max relative error.

    The error is ``max |analytic − numeric|`` over the Jacobian, less the finite differences'
    own round-off (``ROUNDOFF_UNITS · eps · |f| / h`` for each entry: ``f = 1000 + 1e-5 x`` has an
    exact derivative that its finite difference gets to only 3 digits), divided by the largest
    magnitude of either. Small Jacobians are compared entry by entry; large ones along random directions
    (the JVP against a finite difference of ``f``). Raises ``AssertionError`` past ``rtol``, as
    ``numpy.testing`` does. For a symmetric ``x`` the perturbations are symmetric.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A, x = ic.tensors("A[n,n] x[n]")
        >>> rng = np.random.default_rng(0)
        >>> ic.check(ic.tanh(A @ x), x, A=rng.normal(size=(3, 3)), x=rng.normal(size=3)) < 1e-6
        True
    """

    f = as_expr(f, "check: the function")
    if not isinstance(x, Tensor):
        raise IndexcalcError(f"check: differentiate by an ic.Tensor, got {type(x).__name__}")
    if x.name not in values:
        raise BindingError(f"check: give a value for {x.name!r}, the variable to perturb")
    # validated as evaluation validates them (np.asarray(v, float) raised NumPy's errors for an
    # expression or a string, and silently dropped the imaginary part of a complex value)
    values = {k: v if _is_size(v) else _as_array(k, v).astype(np.float64, copy=False)
              for k, v in values.items()}
    x0 = values[x.name] = np.asarray(values[x.name], dtype=np.float64)
    # x's shape too (f may not depend on x), and every size once: the derivative may have lost
    # the tensors carrying a dimension, and must not bind it from an unrelated value passed
    _, sizes = bind([f, x], values)
    values = {**{k: n for k, n in sizes.items() if k not in values}, **values}
    fun = Compiled(f)

    def at(xv: np.ndarray) -> np.ndarray:
        return np.asarray(fun(**{**values, x.name: xv}), dtype=np.float64)

    f0 = at(x0)
    scale = max(1.0, float(np.max(np.abs(x0)))) if x0.size else 1.0
    h = 1e-6 * scale
    directions = _directions(x, x0, f0.size, seed, convention)
    analytic, numeric, noise = [], [], []

    def central(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The central difference along ``u`` and its round-off allowance, entry by entry."""
        plus, minus = at(x0 + h * u), at(x0 - h * u)
        roundoff = ROUNDOFF_UNITS * np.finfo(np.float64).eps * (np.abs(plus) + np.abs(minus)) / h
        return ((plus - minus) / (2 * h)).reshape(-1), roundoff.reshape(-1)

    if directions is None:
        D = np.asarray(Compiled(diff(f, x, convention))(**values), dtype=np.float64)
        analytic.append(D.reshape(f0.size, x0.size))
        cols = [central(u) for _, u in _basis(x, x0, convention)]
        empty = np.zeros((f0.size, 0))
        numeric.append(np.stack([c for c, _ in cols], axis=1) if cols else empty)
        noise.append(np.stack([r for _, r in cols], axis=1) if cols else empty)
    else:
        t = Tensor("_check_tangent", x.shape)
        J = Compiled(jvp(f, x, t))
        for u in directions:
            analytic.append(np.asarray(J(**values, _check_tangent=u)).reshape(-1))
            c, r = central(u)
            numeric.append(c)
            noise.append(r)
    a, n = np.concatenate([v.reshape(-1) for v in analytic]), np.concatenate([v.reshape(-1) for v in numeric])
    if a.size == 0:
        return 0.0
    r = np.concatenate([v.reshape(-1) for v in noise])
    denom = max(float(np.max(np.abs(a))), float(np.max(np.abs(n))), 1e-12)
    err = float(np.max(np.maximum(np.abs(a - n) - r, 0.0))) / denom
    if not err <= rtol:
        raise AssertionError(f"check: derivative of f by {x.name!r} differs from central finite "
                             f"differences by a relative {err:.3g} (tolerance {rtol:g})")
    return err


def _is_size(v: Any) -> bool:
    """A Python int binds a dimension by name (``n=3``); keep it an int for ``bind``."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _basis(x: Tensor, x0: np.ndarray, convention: str | None):
    """Unit perturbations, one per entry (symmetric pairs for a symmetric variable)."""
    for j in range(x0.size):
        u = np.zeros(x0.size)
        u[j] = 1.0
        u = u.reshape(x0.shape)
        if x.symmetric:
            r, c = np.unravel_index(j, x0.shape)
            if convention == "cookbook":
                u = u + u.T if r != c else u
            else:
                u = (u + u.T) / 2
        yield j, u


def _directions(x: Tensor, x0: np.ndarray, fsize: int, seed: int, convention: str | None):
    if fsize * x0.size <= FULL_LIMIT:
        return None
    if x.symmetric and convention == "cookbook":
        raise IndexcalcError("check: the cookbook convention is checked entry by entry; use a "
                             "smaller problem")
    rng = np.random.default_rng(seed)
    dirs = []
    for _ in range(3):
        u = rng.normal(size=x0.shape)
        dirs.append((u + u.T) / 2 if x.symmetric else u)
    return dirs
