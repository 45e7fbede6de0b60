"""``ic.compile(..., backend="jax", jit=True)``: the whole program traced into one ``jax.jit``
computation. Every node type's case (and its derivative) equals the NumPy evaluation in
float64; the program is traced once per set of sizes (a second call with new values reuses the
trace); ``jit`` elsewhere than JAX is refused with the way out.
"""

from __future__ import annotations

import numpy as np
import pytest

import indexcalc as ic
from test_package_node_tables import CASES, _values

jax = pytest.importorskip("jax")


@pytest.fixture
def x64():
    """JAX in float64 for the test, the previous setting restored after it."""
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


#: the matrix functions JAX has no function for (jax.scipy.linalg has no logm, and its sqrtm
#: runs on the CPU only): refused by name on this backend
NOT_ON_JAX = {"sqrtm", "logm"}


@pytest.mark.parametrize("case", list(CASES))
def test_jitted_program_equals_numpy(case, x64):
    expr, var = CASES[case]
    if case in NOT_ON_JAX:
        with pytest.raises(ic.IndexcalcError, match=f"{case} is not available on the jax backend"):
            ic.compile(expr, backend="jax", jit=True)(**_values(expr))
        return
    for e in (expr, ic.diff(expr, var)):
        values = _values(e)
        want = ic.compile(e)(**values)
        got = ic.compile(e, backend="jax", jit=True)(**values)
        assert isinstance(got, jax.Array) and got.dtype == np.float64
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10, atol=1e-12)


def test_one_trace_per_set_of_sizes(x64):
    X, w, y = ic.tensors("X_jit[n,d] w_jit[d] y_jit[n]")  # names of this test only: its
    traces = []  # programs are not shared with any other test's
    g = ic.grad(ic.sum(ic.softplus(X @ w)) - y @ (X @ w), w)
    f = ic.compile(g, backend="jax", jit=True)
    rng = np.random.default_rng(0)
    for n in (5, 5, 7):
        values = {"X_jit": rng.standard_normal((n, 3)), "w_jit": rng.standard_normal(3),
                  "y_jit": rng.integers(0, 2, n).astype(float)}
        program = f.program_for({"n": n, "d": 3})
        traced = program.function

        def counting(arrays, traced=traced):
            traces.append(n)
            return traced(arrays)
        if program._jitted is None:  # count how often the program itself is traced
            program._jitted = jax.jit(counting)
        X_, w_, y_ = values.values()
        closed = X_.T @ (1 / (1 + np.exp(-X_ @ w_)) - y_)
        np.testing.assert_allclose(np.asarray(f(**values)), closed, rtol=1e-12)
    assert traces == [5, 7]


@pytest.mark.parametrize("backend, jit", [("numpy", True), ("jax", "yes")])
def test_jit_off_jax_or_not_a_bool_is_refused(backend, jit):
    X, = ic.tensors("X[n]")
    with pytest.raises(ic.IndexcalcError, match="jit"):
        ic.compile(X, backend=backend, jit=jit)
