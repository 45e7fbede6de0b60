"""eigh, eigvalsh, svd, svdvals and the spectral/nuclear norms: derivatives against central
differences in float64 and against JAX, on well-conditioned random matrices of sizes 3, 4, 5
(distinct, so a transposition cannot hide); refusals where a derivative does not exist.

The eigh cases take ``A + Aᵀ`` of a free matrix ``A`` (exactly symmetric at every perturbed
point of the differences); values are built with spread spectra (``Q diag(λ) Qᵀ``), so gaps are
at least 0.5 and the differences are accurate.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import indexcalc as ic

import graph_check
from _fd import assert_close, fd_jacobian


def _orthogonal(rng, n):
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def symmetric_value(n: int, seed: int) -> np.ndarray:
    """Half of a symmetric matrix with eigenvalues spread ≥ 0.5 apart (the case uses A + Aᵀ)."""
    rng = np.random.default_rng(seed)
    q = _orthogonal(rng, n)
    lam = np.cumsum(rng.uniform(0.5, 1.5, size=n)) - n / 2
    return q @ np.diag(lam) @ q.T / 2


def matrix_value(m: int, n: int, seed: int) -> np.ndarray:
    """A matrix with singular values spread ≥ 0.5 apart, the smallest ≥ 0.5."""
    rng = np.random.default_rng(seed)
    k = min(m, n)
    s = np.cumsum(rng.uniform(0.5, 1.5, size=k))[::-1]
    return _orthogonal(rng, m)[:, :k] @ np.diag(s) @ _orthogonal(rng, n)[:, :k].T


def eigh_cases(A: ic.Tensor) -> dict:
    w, V = ic.eigh(A + A.T)
    return {
        "eigenvalues": w,
        "eigenvectors": V,
        "smallest eigenvalue": w[0],
        "V diag(tanh λ) Vᵀ (sign-free)": V @ ic.diag(ic.tanh(w)) @ V.T,
        "|V| (sign-free)": ic.abs(V),
        "Σ λ³": ic.sum(w ** 3),
        "eigvalsh": ic.eigvalsh(A + A.T) * 2,
    }


def svd_cases(X: ic.Tensor) -> dict:
    U, s, Vh = ic.svd(X)
    return {
        "singular values": s,
        "U": U,
        "Vh": Vh,
        "U diag(s) Vh (= X)": U @ ic.diag(s) @ Vh,
        "|U| + |Vh|ᵀ sums": ic.sum(ic.abs(U), axis=0) + ic.sum(ic.abs(Vh), axis=1),
        "nuclear norm": ic.norm(X, "nuc"),
        "spectral norm": ic.norm(X, 2),
        "svdvals": ic.svdvals(X) ** 2,
    }


EIGH_NAMES = list(eigh_cases(ic.Tensor("A", (3, 3))))
SVD_NAMES = list(svd_cases(ic.Tensor("X", (3, 4))))


def _check_both_ways(f: ic.Expr, x: ic.Tensor, values: dict, what: str) -> None:
    """``diff`` (forward where f is not scalar) and ``grad`` of a scalar of f (reverse)."""
    assert_close(ic.evaluate(ic.diff(f, x), **values), fd_jacobian(f, x, values), 1e-6, what)
    size = int(np.prod(f.shape))
    g = ic.sum(ic.sin(f) * np.linspace(0.5, 1.5, size).reshape(f.shape))
    assert_close(ic.evaluate(ic.grad(g, x), **values), fd_jacobian(g, x, values), 1e-6,
                 what + " (reverse)")


@pytest.mark.parametrize("n", [3, 4, 5])
@pytest.mark.parametrize("case", EIGH_NAMES)
def test_eigh_matches_finite_differences(case, n):
    A = ic.Tensor("A", (n, n))
    _check_both_ways(eigh_cases(A)[case], A, {"A": symmetric_value(n, 10 + n)}, f"{case} n={n}")


@pytest.mark.parametrize("shape", [(3, 4), (5, 3), (4, 4)])
@pytest.mark.parametrize("case", SVD_NAMES)
def test_svd_matches_finite_differences(case, shape):
    X = ic.Tensor("X", shape)
    _check_both_ways(svd_cases(X)[case], X, {"X": matrix_value(*shape, 20 + sum(shape))},
                     f"{case} {shape}")


@settings(max_examples=25)
@given(st.sampled_from([(3, 4), (4, 5), (5, 3)]), st.integers(0, 10_000))
def test_svd_vectors_random_matrices(shape, seed):
    """Random well-conditioned matrices, both orientations: U and Vh against differences."""
    X = ic.Tensor("X", shape)
    U, s, Vh = ic.svd(X)
    value = matrix_value(*shape, seed)
    f = ic.sum(U ** 3) + ic.sum(ic.tanh(Vh)) + ic.sum(s ** 3)
    assert_close(ic.evaluate(ic.grad(f, X), X=value), fd_jacobian(f, X, {"X": value}), 1e-5)


def test_second_derivatives_through_the_gaps():
    """Hessians need the derivatives of the gap matrix and of 1/s: against differences of the
    gradient."""
    A, X = ic.Tensor("A", (4, 4)), ic.Tensor("X", (5, 3))
    w, V = ic.eigh(A + A.T)
    U, s, Vh = ic.svd(X)
    for f, x, value in [(ic.sum(V ** 4) + ic.sum(w ** 3), A, symmetric_value(4, 1)),
                        (ic.sum(U ** 4) + ic.sum(Vh ** 4) + ic.sum(s ** 3), X, matrix_value(5, 3, 2))]:
        g = ic.grad(f, x)
        graph_check.check(ic.hessian(f, x))  # every node of the result keeps its invariants
        assert_close(ic.evaluate(ic.hessian(f, x), **{x.name: value}),
                     fd_jacobian(g, x, {x.name: value}), 1e-5, f"hessian by {x.name}")


def test_symmetric_variable_gets_the_symmetric_derivative():
    """By a ``symmetric=True`` variable the derivative is the symmetrized one (``ic.check``
    perturbs symmetric pairs)."""
    S = ic.Tensor("S", (4, 4), symmetric=True)
    w, V = ic.eigh(S)
    value = 2 * symmetric_value(4, 5)
    for f in [ic.sum(ic.tanh(w)), ic.sum((V @ ic.diag(ic.exp(w)) @ V.T) * np.arange(16.0).reshape(4, 4))]:
        assert ic.check(f, S, S=value) < 1e-6
        g = ic.evaluate(ic.grad(f, S), S=value)
        np.testing.assert_allclose(g, g.T, atol=1e-12)


def test_stacks_of_matrices():
    """Leading axes are a stack: each matrix's derivative, against differences."""
    A = ic.Tensor("A", (2, 3, 3))
    X = ic.Tensor("X", (2, 4, 3))
    w, V = ic.eigh(A + ic.transpose(A, 0, 2, 1))
    U, s, Vh = ic.svd(X)
    a = np.stack([symmetric_value(3, 1), symmetric_value(3, 2)])
    x = np.stack([matrix_value(4, 3, 1), matrix_value(4, 3, 2)])
    f = ic.sum(V ** 3) + ic.sum(w ** 2)
    assert_close(ic.evaluate(ic.grad(f, A), A=a), fd_jacobian(f, A, {"A": a}), 1e-6, "eigh stack")
    g = ic.sum(U ** 3) + ic.sum(Vh ** 3) + ic.sum(s ** 2)
    assert_close(ic.evaluate(ic.grad(g, X), X=x), fd_jacobian(g, X, {"X": x}), 1e-6, "svd stack")


# --------------------------------------------------------------------------- JAX

def _jax_pairs():
    """Two sums of sign-free functions (one eigh, one svd): JAX's eager gradients compile per
    call, so each function gathers several terms."""
    import jax.numpy as jnp

    A, X = ic.Tensor("A", (4, 4)), ic.Tensor("X", (5, 3))
    w, V = ic.eigh(A + A.T)
    U, s, Vh = ic.svd(X)
    C = np.arange(16.0).reshape(4, 4) / 10

    def jeigh(a):
        lam, vec = jnp.linalg.eigh(a + a.T)
        return (jnp.sum(jnp.exp(lam)) + jnp.sum(vec @ jnp.diag(jnp.tanh(lam)) @ vec.T * C)
                + jnp.sum(vec ** 4))

    def jsvd(x):
        u, sv, vh = jnp.linalg.svd(x, full_matrices=False)
        return (jnp.sum(jnp.sqrt(sv)) + jnp.linalg.norm(x, "nuc") + 2 * jnp.linalg.norm(x, 2)
                + jnp.sum(u ** 4) + jnp.sum(vh ** 4))

    return [  # (scalar f, the same in jax.numpy, variable, value)
        (ic.sum(ic.exp(w)) + ic.sum(V @ ic.diag(ic.tanh(w)) @ V.T * C) + ic.sum(V ** 4), jeigh,
         A, symmetric_value(4, 3)),
        (ic.sum(ic.sqrt(s)) + ic.norm(X, "nuc") + 2 * ic.norm(X, 2) + ic.sum(U ** 4)
         + ic.sum(Vh ** 4), jsvd, X, matrix_value(5, 3, 4)),
    ]


def test_gradients_match_jax():
    jax = pytest.importorskip("jax")
    x64 = jax.enable_x64(True) if hasattr(jax, "enable_x64") else jax.experimental.enable_x64()
    with x64:
        for f, jf, x, value in _jax_pairs():
            got = ic.evaluate(ic.grad(f, x), **{x.name: value})
            want = np.asarray(jax.jit(jax.grad(jf))(value))  # one compilation, not one per op
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10, err_msg=str(f)[:60])


# --------------------------------------------------------------------------- refusals

def test_eigh_refuses_a_matrix_that_is_not_symmetric():
    A = ic.Tensor("A", (3, 3))
    with pytest.raises(ic.IndexcalcError, match=r"not symmetric.*\(A \+ A\.T\) / 2"):
        ic.eigvalsh(A).evaluate(A=np.arange(9.0).reshape(3, 3))


def test_repeated_eigenvalues_refuse_the_eigenvector_derivative_only():
    A = ic.Tensor("A", (3, 3))
    w, V = ic.eigh(A + A.T)
    value = np.diag([1.0, 1.0, 2.0]) / 2  # eigenvalues 1, 1, 2
    np.testing.assert_allclose(w.evaluate(A=value), [1.0, 1.0, 2.0])
    np.testing.assert_allclose(ic.grad(ic.sum(w), A).evaluate(A=value), 2 * np.eye(3))
    sign_free = V @ ic.diag(w) @ V.T  # = A + Aᵀ: no gap needed in value, but its rule divides
    for f in (V, sign_free):
        with pytest.raises(ic.IndexcalcError, match="repeated eigenvalues"):
            ic.diff(f, A).evaluate(A=value)


def test_repeated_and_zero_singular_values_refuse_the_vector_derivatives():
    X = ic.Tensor("X", (3, 3))
    U, s, Vh = ic.svd(X)
    with pytest.raises(ic.IndexcalcError, match="repeated singular values"):
        ic.diff(U, X).evaluate(X=2 * np.eye(3))
    np.testing.assert_allclose(ic.diff(s, X).evaluate(X=np.diag([3.0, 2.0, 1.0]))[0],
                               np.diag([1.0, 0.0, 0.0]))
    Y = ic.Tensor("Y", (4, 3))
    rank2 = matrix_value(4, 2, 0) @ np.random.default_rng(0).normal(size=(2, 3))
    U, s, Vh = ic.svd(Y)
    with pytest.raises(ic.IndexcalcError, match="zero singular value"):
        ic.diff(U, Y).evaluate(Y=rank2)
    assert np.all(np.isfinite(ic.diff(s, Y).evaluate(Y=rank2)))


def test_values_the_decomposition_cannot_take_are_refused():
    A = ic.Tensor("A", (3, 3))
    for value in (np.full((3, 3), np.nan), np.full((3, 3), np.inf)):
        for f in (ic.eigvalsh(A), ic.svdvals(A), ic.diff(ic.svd(A)[0], A)):
            with pytest.raises(ic.IndexcalcError, match="decomposition failed"):
                f.evaluate(A=value)
    for shape in [(0, 0), (2, 0, 0), (0, 3)]:  # empty matrices and stacks: empty answers
        X = ic.Tensor("X", shape)
        assert ic.diff(ic.svd(X)[0], X).evaluate(X=np.ones(shape)).size == 0


def test_construction_refusals():
    with pytest.raises(ic.ShapeError, match="min\\(m, n\\)"):
        ic.svd(ic.Tensor("X", "m n"))
    with pytest.raises(ic.ShapeError, match="square"):
        ic.eigh(ic.Tensor("X", (3, 4)))
    with pytest.raises(ic.ShapeError, match="matrix"):
        ic.svdvals(ic.Tensor("x", 3))
    with pytest.raises(ic.IndexcalcError, match="full_matrices"):
        ic.svd(ic.Tensor("X", (3, 4)), full_matrices=True)
    with pytest.raises(ic.IndexcalcError, match="True or False"):
        ic.svd(ic.Tensor("X", (3, 4)), np.ones(3))
    with pytest.raises(ic.ShapeError, match="ord=2.*Frobenius"):
        ic.norm(ic.Tensor("X", "n d"), 2)
    with pytest.raises(ic.IndexcalcError, match="ord=2"):
        ic.norm(ic.Tensor("T", (2, 3, 4)), 2)
    assert ic.svd(ic.Tensor("X", "n n"))[1].shape == ("n",)


def test_inside_a_scan_step():
    """A decomposition in a recurrence's step is stacked over time (each step's matrix)."""
    X, M = ic.Tensor("X", (3, 4)), ic.Tensor("M", (4, 4))
    H = ic.scan(lambda h, x: ic.tanh(h + 0.1 * ic.svdvals(M + ic.outer(x, h))[0] * x),
                ic.Constant(np.zeros(4)), X)
    f = ic.sum(H ** 2)
    rng = np.random.default_rng(0)
    values = {"X": rng.normal(size=(3, 4)), "M": rng.normal(size=(4, 4))}
    for x in (M, X):
        assert_close(ic.evaluate(ic.grad(f, x), **values), fd_jacobian(f, x, values), 1e-6, x.name)
