"""Shared helpers of the structure tests: central finite differences in float64."""

from __future__ import annotations

import numpy as np

import indexcalc as ic


def fd_jacobian(f: ic.Expr, x: ic.Tensor, values: dict, h: float = 1e-6) -> np.ndarray:
    """``∂f/∂x`` of shape ``f.shape + x.shape`` by central differences."""
    run = ic.compile(f)
    x0 = np.asarray(values[x.name], dtype=np.float64)
    fshape = np.shape(run(**values))
    cols = []
    for j in range(x0.size):
        u = np.zeros(x0.size)
        u[j] = h
        u = u.reshape(x0.shape)
        plus = run(**{**values, x.name: x0 + u})
        minus = run(**{**values, x.name: x0 - u})
        cols.append(((plus - minus) / (2 * h)).reshape(-1))
    return np.stack(cols, axis=-1).reshape(fshape + x0.shape)


def assert_derivatives(f: ic.Expr, x: ic.Tensor, values: dict, seed: int = 0) -> None:
    """Forward (``diff``) and reverse (``vjp`` with a random cotangent) against differences."""
    numeric = fd_jacobian(f, x, values)
    forward = ic.diff(f, x).evaluate(**values)
    np.testing.assert_allclose(forward, numeric, rtol=1e-6, atol=1e-7)
    fshape = numeric.shape[:numeric.ndim - np.ndim(values[x.name])]
    c = np.random.default_rng(seed).normal(size=fshape)
    reverse = ic.vjp(f, x, ic.Tensor("_cotangent", f.shape)).evaluate(**values, _cotangent=c)
    np.testing.assert_allclose(reverse, np.tensordot(c, numeric, axes=len(fshape)),
                               rtol=1e-6, atol=1e-7)
