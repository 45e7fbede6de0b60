"""The dask backend wraps NumPy inputs without hashing them (a fresh name per call) and the lazy
result is still that of the values at the call: changing the caller's array afterwards changes
nothing."""

from __future__ import annotations

import numpy as np
import pytest

import indexcalc as ic

da = pytest.importorskip("dask.array")


def test_numpy_inputs_are_snapshots_of_the_call():
    A, x = ic.tensors("A[m,n] x[n]")
    f = ic.compile(A @ x, backend="dask")
    a, v = np.arange(6.0).reshape(2, 3), np.ones(3)
    lazy = f(A=a, x=v)
    again = f(A=a, x=v)
    a[:] = 100.0  # after the call, before compute
    np.testing.assert_array_equal(lazy.compute(scheduler="synchronous"), [3.0, 12.0])
    np.testing.assert_array_equal(again.compute(scheduler="synchronous"), [3.0, 12.0])
    np.testing.assert_array_equal(f(A=a, x=v).compute(scheduler="synchronous"), [300.0, 300.0])
