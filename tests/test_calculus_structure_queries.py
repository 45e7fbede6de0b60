"""ic.hvp, ic.hessian_diagonal, ic.jacobian_diagonal: against central finite differences (the
Hessian by second differences of ``f`` itself, the Jacobian by ``_fd``), against
``diagonal(hessian(...))``, and by their plans against the full Hessian's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import indexcalc as ic
from _fd import assert_close, fd_jacobian

SIZES = st.sampled_from([3, 4, 5])


def fd_hessian(f: ic.Expr, x: ic.Tensor, values: dict, h: float = 1e-4) -> np.ndarray:
    """The Hessian of scalar ``f`` by second central differences of ``f`` itself."""
    fun = ic.compile(f)
    x0 = np.asarray(values[x.name], dtype=np.float64)
    n = x0.size
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            vals = []
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                e = np.zeros(n)
                e[i] += si * h
                e[j] += sj * h
                vals.append(float(fun(**{**values, x.name: x0 + e.reshape(x0.shape)})))
            out[i, j] = (vals[0] - vals[1] - vals[2] + vals[3]) / (4 * h * h)
    return out.reshape(x0.shape + x0.shape)


def logistic(n: str = "n", d: str = "d"):
    X, y, w = ic.Tensor("X", (n, d)), ic.Tensor("y", (n,)), ic.Tensor("w", (d,))
    return ic.sum(ic.log(1 + ic.exp(-y * (X @ w)))) + 0.5 * ic.sum(w ** 2), X, y, w


@settings(max_examples=10)
@given(n=SIZES, d=SIZES, seed=st.integers(0, 2**16))
def test_logistic_structure_queries_match_finite_differences(n, d, seed):
    rng = np.random.default_rng(seed)
    f, X, y, w = logistic()
    values = {"X": rng.standard_normal((n, d)), "y": rng.choice([-1.0, 1.0], n),
              "w": rng.standard_normal(d) * 0.5}
    v = rng.standard_normal(d)
    H = fd_hessian(f, w, values)
    assert_close(ic.evaluate(ic.hessian_diagonal(f, w), **values), np.diagonal(H), 1e-5,
                 "hessian_diagonal")
    assert_close(ic.evaluate(ic.hvp(f, w, ic.Tensor("v", ("d",))), **values, v=v), H @ v, 1e-5,
                 "hvp")


def test_matrix_variable_hessian_diagonal_reads_equal_index_pairs():
    rng = np.random.default_rng(0)
    A, W = ic.tensors("A[m,n] W[n,k]")
    f = ic.sum(ic.tanh(A @ W) ** 2)
    values = {"A": rng.standard_normal((3, 4)), "W": rng.standard_normal((4, 5)) * 0.3}
    H = fd_hessian(f, W, values).reshape(20, 20)
    got = ic.evaluate(ic.hessian_diagonal(f, W), **values)
    assert got.shape == (4, 5)
    assert_close(got.ravel(), np.diagonal(H), 1e-5, "matrix hessian_diagonal")
    assert_close(got, ic.evaluate(_equal_pairs(ic.hessian(f, W)), **values), 1e-10, "vs hessian")


def _equal_pairs(h: ic.Expr) -> ic.Expr:
    """``h[i,j,i,j]`` written with ic.einsum (the user's way, independent of the query)."""
    return ic.einsum("ijij->ij", h)


@pytest.mark.parametrize("make", [
    lambda x, A: ic.tanh(x),
    lambda x, A: ic.softmax(x),
    lambda x, A: A @ x + x ** 3,
    lambda x, A: ic.exp(x) * ic.sum(x),
])
def test_jacobian_diagonal_matches_finite_differences(make):
    rng = np.random.default_rng(1)
    x, A = ic.Tensor("x", "n"), ic.Tensor("A", "n n")
    f = make(x, A)
    values = {"x": rng.standard_normal(4), "A": rng.standard_normal((4, 4))}
    J = fd_jacobian(f, x, values)
    assert_close(ic.evaluate(ic.jacobian_diagonal(f, x), **values), np.diagonal(J), 1e-5,
                 "jacobian_diagonal")
    assert_close(ic.evaluate(ic.jacobian_diagonal(f, x), **values),
                 ic.evaluate(ic.diagonal(ic.jacobian(f, x)), **values), 1e-12, "vs diagonal")


def test_hessian_diagonal_agrees_with_diagonal_of_hessian():
    rng = np.random.default_rng(2)
    B, x = ic.tensors("B[n,n] x[n]")
    for f in (x @ B @ x, ic.logsumexp(B @ x), ic.sum(ic.softplus(x) * (B @ x)), ic.norm(x)):
        values = {"B": rng.standard_normal((5, 5)), "x": rng.standard_normal(5)}
        assert_close(ic.evaluate(ic.hessian_diagonal(f, x), **values),
                     ic.evaluate(ic.diagonal(ic.hessian(f, x)), **values), 1e-10, str(f))


def test_plans_never_build_the_hessian():
    f, X, y, w = logistic()
    sizes = {"n": 2000, "d": 500}
    full = ic.plan(ic.hessian(f, w), **sizes)
    diag = ic.plan(ic.hessian_diagonal(f, w), **sizes)
    hvp = ic.plan(ic.hvp(f, w, ic.Tensor("v", ("d",))), **sizes)
    assert full.flops > 1e9  # d² · n multiplications at least
    for name, p in (("hessian_diagonal", diag), ("hvp", hvp)):
        assert p.flops < full.flops / 100, f"{name}: {p.flops} FLOPs against {full.flops}"
        assert max(s.output_size for s in p.steps) <= 2000, f"{name} builds a d×d result"
    assert max(s.output_size for s in full.steps) == 500 * 500


def test_a_diagonal_that_lost_the_variable_binds_by_size():
    x = ic.Tensor("x", "n")
    h = ic.hessian_diagonal(ic.sum(x ** 2), x)
    with pytest.raises(ic.BindingError, match="n=10"):
        ic.evaluate(h)
    assert_close(ic.evaluate(h, n=3), np.full(3, 2.0), 1e-12, "constant diagonal")


def test_refusals_name_the_culprit():
    x, v, u = ic.tensors("x[n] v[n] u[m]")
    with pytest.raises(ic.ShapeError, match="scalar"):
        ic.hessian_diagonal(x * 2, x)
    with pytest.raises(ic.ShapeError, match="hvp: the vector"):
        ic.hvp(ic.sum(x ** 2), x, u)
    with pytest.raises(ic.ShapeError, match="jacobian_diagonal"):
        ic.jacobian_diagonal(ic.sum(x), x)
    with pytest.raises(ic.IndexcalcError, match="ic.Tensor"):
        ic.hessian_diagonal(ic.sum(x ** 2), x * 2)
