"""Central finite differences in float64, independent of ``ic.diff`` and ``ic.check``.

Only the evaluator is used (to compute ``f`` at perturbed points); every derivative the tests
compare against comes from here.
"""

from __future__ import annotations

import numpy as np

import indexcalc as ic

H = 1e-6


def values_of(f: ic.Expr, **values) -> np.ndarray:
    return np.asarray(ic.evaluate(f, **values), dtype=np.float64)


def fd_jacobian(f: ic.Expr, x: ic.Tensor, values: dict, h: float = H) -> np.ndarray:
    """``∂f/∂x`` of shape ``f.shape + x.shape`` by central differences, entry by entry."""
    fun = ic.compile(f)
    x0 = np.asarray(values[x.name], dtype=np.float64)
    step = h * max(1.0, float(np.max(np.abs(x0)))) if x0.size else h
    cols = []
    for j in range(x0.size):
        e = np.zeros(x0.size)
        e[j] = step
        e = e.reshape(x0.shape)
        hi = np.asarray(fun(**{**values, x.name: x0 + e}), dtype=np.float64)
        lo = np.asarray(fun(**{**values, x.name: x0 - e}), dtype=np.float64)
        cols.append((hi - lo) / (2 * step))
    f0 = np.asarray(fun(**values))
    if not cols:
        return np.zeros(f0.shape + x0.shape)
    return np.stack(cols, axis=-1).reshape(f0.shape + x0.shape)


def assert_close(actual, expected, rtol: float = 1e-5, what: str = "") -> None:
    """``allclose`` with an absolute tolerance scaled by the expected magnitude."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)
