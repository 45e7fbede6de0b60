"""Symmetric matrix variables: both conventions against differences on symmetric perturbations.

For a symmetric ``S`` and the perturbation ``P_kl = E_kl + E_lk``, the central difference
``FD_kl = (f(S + εP_kl) − f(S − εP_kl)) / 2ε`` is ``G_kl + G_lk`` (``2 G_kk`` on the diagonal)
for the unconstrained derivative ``G``. So the ``"symmetric"`` convention ``(G + Gᵀ)/2`` is
``FD/2`` everywhere, and the ``"cookbook"`` one ``G + Gᵀ − diag(diag(G))`` is ``FD`` off the
diagonal and ``FD/2`` on it.
"""

from __future__ import annotations

import numpy as np
import pytest

import indexcalc as ic

N = 4
RNG = np.random.default_rng(3)
M = RNG.normal(size=(N, N))
S0 = M @ M.T + N * np.eye(N)
A0 = RNG.normal(size=(N, N))  # not symmetric, so a missing transpose shows
X0 = RNG.normal(size=N)
S = ic.Tensor("S", (N, N), symmetric=True)
A, x = ic.Tensor("A", (N, N)), ic.Tensor("x", N)
VALUES = {"S": S0, "A": A0, "x": X0}
EPS = 1e-6


def _symmetric_fd(f: ic.Expr, values: dict, convention: str) -> np.ndarray:
    """``∂f/∂S`` in ``convention`` by differences along ``E_kl + E_lk`` (shape f.shape + (N, N))."""
    run = ic.compile(f)
    cols = np.zeros(np.shape(run(**values)) + (N, N))
    for k in range(N):
        for l in range(N):
            P = np.zeros((N, N))
            P[k, l] += 1.0
            P[l, k] += 1.0
            plus = run(**{**values, "S": values["S"] + EPS * P})
            minus = run(**{**values, "S": values["S"] - EPS * P})
            fd = (plus - minus) / (2 * EPS)
            half = convention == "symmetric" or k == l
            cols[..., k, l] = fd / 2 if half else fd
    return cols


SI = np.linalg.inv(S0)
CLOSED_FORMS = {  # f, its derivative in the symmetric convention, in the cookbook convention
    "logdet": (ic.logdet(S), SI, 2 * SI - SI * np.eye(N)),
    "tr(AS)": (ic.trace(A @ S), (A0 + A0.T) / 2, A0 + A0.T - np.diag(np.diag(A0))),
    "xSx": (x @ S @ x, np.outer(X0, X0), 2 * np.outer(X0, X0) - np.diag(X0 * X0)),
}


@pytest.mark.parametrize("name", CLOSED_FORMS)
@pytest.mark.parametrize("convention", ["symmetric", "cookbook"])
def test_gradient_conventions(name, convention):
    f, symmetric, cookbook = CLOSED_FORMS[name]
    expected = symmetric if convention == "symmetric" else cookbook
    numeric = _symmetric_fd(f, VALUES, convention)
    np.testing.assert_allclose(numeric, expected, rtol=1e-6, atol=1e-8)
    for derivative in (ic.grad(f, S, convention=convention), ic.diff(f, S, convention=convention)):
        np.testing.assert_allclose(derivative.evaluate(**VALUES), expected, rtol=1e-9, atol=1e-12)
    assert ic.check(f, S, convention=convention, **VALUES) < 1e-6


def test_symmetric_is_the_default_and_vjp_uses_it():
    f = ic.trace(A @ S)
    np.testing.assert_allclose(ic.grad(f, S).evaluate(**VALUES), (A0 + A0.T) / 2)
    np.testing.assert_allclose(ic.vjp(f, S, 1.0).evaluate(**VALUES), (A0 + A0.T) / 2)
    with pytest.raises(ic.IndexcalcError, match="convention"):
        ic.grad(f, S, convention="lower")


def test_matrix_valued_function_by_symmetric_variable():
    f = ic.sin(A @ S)  # shape (N, N); its derivative has shape (N, N, N, N)
    for convention in ("symmetric", "cookbook"):
        D = ic.diff(f, S, convention=convention).evaluate(**VALUES)
        np.testing.assert_allclose(D, _symmetric_fd(f, VALUES, convention), rtol=1e-6, atol=1e-8)


HESSIANS = {
    "logdet": ic.logdet(S),
    "tr(SAS)": ic.trace(S @ A @ S),
    "xSx": x @ S @ x,
    "sum tanh(S x)": ic.sum(ic.tanh(S @ x)),
}


@pytest.mark.parametrize("name", HESSIANS)
@pytest.mark.parametrize("convention", ["symmetric", "cookbook"])
def test_hessian_by_symmetric_variable(name, convention):
    f = HESSIANS[name]
    H = ic.hessian(f, S, convention=convention)
    assert H.shape == (N, N, N, N)
    g = ic.grad(f, S, convention=convention)
    expected = _symmetric_fd(g, VALUES, convention)
    np.testing.assert_allclose(H.evaluate(**VALUES), expected, rtol=1e-5, atol=1e-7)
    if convention == "symmetric":  # a Hessian of a function of a symmetric matrix is symmetric
        Hv = H.evaluate(**VALUES)
        np.testing.assert_allclose(Hv, Hv.transpose(2, 3, 0, 1), atol=1e-10)
        np.testing.assert_allclose(Hv, Hv.transpose(1, 0, 2, 3), atol=1e-10)


def test_logdet_hessian_closed_form():
    # d²/dS² log det S along symmetric directions U, V is −tr(S⁻¹ U S⁻¹ V)
    H = ic.hessian(ic.logdet(S), S).evaluate(S=S0)
    U, V = RNG.normal(size=(2, N, N))
    U, V = U + U.T, V + V.T
    np.testing.assert_allclose(np.einsum("ij,ijkl,kl->", U, H, V), -np.trace(SI @ U @ SI @ V))


def test_jvp_by_a_symmetric_variable_projects_the_tangent():
    """jvp = Σ diff ∘ t for any tangent t, non-symmetric too: t is projected to (t + tᵀ)/2."""
    S = ic.Tensor("S", (2, 2), symmetric=True)
    C = np.array([[1.0, 2.0], [3.0, 4.0]])
    f = ic.sum(S * C)
    t = np.array([[0.0, 1.0], [0.0, 0.0]])
    value = ic.jvp(f, S, t).evaluate(S=np.eye(2))
    D = ic.diff(f, S).evaluate(S=np.eye(2))  # (C + Cᵀ)/2
    np.testing.assert_allclose(D, (C + C.T) / 2)
    np.testing.assert_allclose(value, np.sum(D * t))  # 2.5, not the unprojected 2.0
    np.testing.assert_allclose(value, np.sum(C * (t + t.T) / 2))
