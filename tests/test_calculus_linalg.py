"""Linear algebra (issue 17): solve, lstsq, pinv, cholesky, matrix_power, expm, sqrtm, logm.

Each function's value is checked against NumPy/SciPy, its derivative against central finite
differences (float64) and against JAX's derivative of the same function; the ill-conditioned
and degenerate values are refused with an ``ic.IndexcalcError``; the rewrite ``inv(A) @ B →
solve(A, B)`` keeps the value. Sizes 3, 4, 5 are distinct so a transposition cannot hide.
The printed forms are held to the numbers in ``test_layouts_linalg_forms.py``.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.linalg

import indexcalc as ic
from indexcalc.core.graph_walk import postorder
from indexcalc.core.nodes import Inverse, MatrixFunction, Product, Shared, Solve
from indexcalc.evaluation.linalg_steps import matrix_function_step

from _fd import assert_close, fd_jacobian

rng = np.random.default_rng(17)
A, B, b, M, W, S, C = ic.tensors("A[3,3] B[3,4] b[3] M[5,3] W[3,5] S[3,3] C[3,3]")
y = ic.Tensor("y", 5)
Sy = ic.Tensor("Sy", (3, 3), symmetric=True)


def _spd(n: int) -> np.ndarray:
    q = rng.normal(size=(n, n))
    return q @ q.T + n * np.eye(n)


VALUES = {"A": np.eye(3) + 0.3 * rng.normal(size=(3, 3)), "B": rng.normal(size=(3, 4)),
          "b": rng.normal(size=3), "M": rng.normal(size=(5, 3)), "W": rng.normal(size=(3, 5)),
          "S": _spd(3) + 0.3 * rng.normal(size=(3, 3)),  # not symmetric: cholesky reads tril
          "C": rng.normal(size=(3, 3)), "y": rng.normal(size=5), "Sy": _spd(3)}


def _lower_mirrored(a):
    return np.tril(a) + np.tril(a, -1).T


#: name -> (expression, variables to differentiate by, NumPy/SciPy reference of its value)
CASES = {
    "solve matrix": (ic.solve(A, B), (A, B), lambda v: np.linalg.solve(v["A"], v["B"])),
    "solve vector": (ic.solve(A, b), (A, b), lambda v: np.linalg.solve(v["A"], v["b"])),
    "inv @ B": (ic.inv(A) @ B, (A, B), lambda v: np.linalg.inv(v["A"]) @ v["B"]),
    "B @ inv": (B.T @ ic.inv(A), (A, B), lambda v: v["B"].T @ np.linalg.inv(v["A"])),
    "lstsq": (ic.lstsq(M, y), (M, y), lambda v: np.linalg.lstsq(v["M"], v["y"], rcond=None)[0]),
    "lstsq matrix": (ic.lstsq(M, M @ B), (M, B),
                     lambda v: np.linalg.lstsq(v["M"], v["M"] @ v["B"], rcond=None)[0]),
    "pinv tall": (ic.pinv(M), (M,), lambda v: np.linalg.pinv(v["M"])),
    "pinv wide": (ic.pinv(W), (W,), lambda v: np.linalg.pinv(v["W"])),
    "cholesky": (ic.cholesky(S), (S,), lambda v: np.linalg.cholesky(_lower_mirrored(v["S"]))),
    "cholesky symmetric": (ic.cholesky(Sy), (Sy,), lambda v: np.linalg.cholesky(v["Sy"])),
    "matrix_power 3": (ic.matrix_power(A, 3), (A,), lambda v: np.linalg.matrix_power(v["A"], 3)),
    "matrix_power -2": (ic.matrix_power(A, -2), (A,),
                        lambda v: np.linalg.matrix_power(v["A"], -2)),
    "matrix_power 0": (ic.matrix_power(A, 0) @ B, (B,), lambda v: v["B"]),
    "expm": (ic.expm(A), (A,), lambda v: scipy.linalg.expm(v["A"])),
    "sqrtm": (ic.sqrtm(S), (S,), lambda v: np.real(scipy.linalg.sqrtm(v["S"]))),
    "logm": (ic.logm(S), (S,), lambda v: np.real(scipy.linalg.logm(v["S"]))),
    "expm of a product": (ic.expm(0.5 * A @ C) @ B, (A, C, B),
                          lambda v: scipy.linalg.expm(0.5 * v["A"] @ v["C"]) @ v["B"]),
}


def _values(expr: ic.Expr) -> dict:
    names = {n.name for n in postorder([expr]) if isinstance(n, ic.Tensor)}
    return {k: VALUES[k] for k in names}


@pytest.mark.parametrize("case", list(CASES))
def test_value_matches_numpy(case):
    expr, _, reference = CASES[case]
    assert_close(ic.evaluate(expr, **VALUES), reference(VALUES), 1e-10, case)


@pytest.mark.parametrize("case", [c for c in CASES if "symmetric" not in c])
def test_diff_matches_finite_differences(case):
    expr, xs, _ = CASES[case]
    for x in xs:
        d = ic.diff(expr, x)
        assert d.shape == expr.shape + x.shape
        assert_close(ic.evaluate(d, **VALUES), fd_jacobian(expr, x, _values(expr)), 1e-6,
                     f"{case} by {x.name}")


@pytest.mark.parametrize("case", [c for c in CASES if "symmetric" not in c])
def test_grad_and_jvp_match_finite_differences(case):
    expr, xs, _ = CASES[case]
    weights = ic.Constant(np.random.default_rng(3).normal(size=expr.shape))
    f = ic.sum(expr * weights)
    for x in xs:
        g = ic.grad(f, x)
        assert_close(ic.evaluate(g, **VALUES), fd_jacobian(f, x, _values(f)), 1e-6,
                     f"{case} by {x.name}")
        t = np.random.default_rng(4).normal(size=x.shape)
        jvp = ic.jvp(expr, x, ic.Constant(t))
        want = np.tensordot(fd_jacobian(expr, x, _values(expr)), t, axes=x.ndim)
        assert_close(ic.evaluate(jvp, **VALUES), want, 1e-6, f"{case} jvp by {x.name}")


# --------------------------------------------------------------------------- JAX's derivatives

def _jax_functions():
    jnp = pytest.importorskip("jax.numpy")
    jsl = pytest.importorskip("jax.scipy.linalg")

    def eig_fn(f):  # a primary function of a symmetric matrix through eigh (JAX has no logm)
        def g(s):
            lam, v = jnp.linalg.eigh(s)
            return (v * f(lam)) @ v.T
        return g

    # name -> (expression, variables, the same function in JAX of those variables)
    return {
        "solve": (ic.solve(A, B), (A, B), jnp.linalg.solve),
        "solve vector": (ic.solve(A, b), (A, b), jnp.linalg.solve),
        "lstsq": (ic.lstsq(M, y), (M, y), lambda m, v: jnp.linalg.pinv(m) @ v),
        "pinv tall": (ic.pinv(M), (M,), jnp.linalg.pinv),
        "pinv wide": (ic.pinv(W), (W,), jnp.linalg.pinv),
        "cholesky": (ic.cholesky(S), (S,),
                     lambda s: jnp.linalg.cholesky(jnp.tril(s) + jnp.tril(s, -1).T)),
        "cholesky symmetric": (ic.cholesky(Sy), (Sy,), jnp.linalg.cholesky),
        "matrix_power 3": (ic.matrix_power(A, 3), (A,), lambda a: jnp.linalg.matrix_power(a, 3)),
        "matrix_power -2": (ic.matrix_power(A, -2), (A,),
                            lambda a: jnp.linalg.matrix_power(a, -2)),
        "expm": (ic.expm(A), (A,), jsl.expm),
        "sqrtm symmetric": (ic.sqrtm(Sy), (Sy,), eig_fn(jnp.sqrt)),
        "logm symmetric": (ic.logm(Sy), (Sy,), eig_fn(jnp.log)),
    }


JAX_CASES = ["solve", "solve vector", "lstsq", "pinv tall", "pinv wide", "cholesky",
             "cholesky symmetric", "matrix_power 3", "matrix_power -2", "expm", "sqrtm symmetric",
             "logm symmetric"]


@pytest.mark.parametrize("case", JAX_CASES)
def test_derivative_matches_jax(case):
    jax = pytest.importorskip("jax")
    x64 = jax.enable_x64(True) if hasattr(jax, "enable_x64") else jax.experimental.enable_x64()
    expr, xs, fn = _jax_functions()[case]
    with x64:  # a context: the global setting is restored after
        args = [jax.numpy.asarray(VALUES[x.name]) for x in xs]
        for k, x in enumerate(xs):
            want = np.asarray(jax.jacfwd(fn, argnums=k)(*args))  # (jacrev: 2× slower for expm)
            assert want.dtype == np.float64
            assert_close(ic.evaluate(ic.diff(expr, x), **VALUES), want, 1e-8, f"{case} by {x.name}")


# --------------------------------------------------------------------------- refusals

def _refused(expr, match, **values):
    with pytest.raises(ic.IndexcalcError, match=match):
        ic.evaluate(expr, **{**VALUES, **values})


def test_singular_and_rank_deficient_values_are_refused():
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]])
    _refused(ic.solve(A, B), "singular", A=singular)
    _refused(ic.inv(A) @ B, "singular", A=singular)
    _refused(ic.grad(ic.sum(ic.solve(A, b)), A), "singular", A=singular)
    deficient = VALUES["M"].copy()
    deficient[:, 2] = deficient[:, 0] - deficient[:, 1]  # rank 2
    _refused(ic.lstsq(M, y), "rank-deficient", M=deficient)
    _refused(ic.pinv(M), "rank-deficient", M=deficient)
    _refused(ic.pinv(W), "rank-deficient", W=deficient.T)
    _refused(ic.grad(ic.sum(ic.pinv(M)), M), "rank-deficient", M=deficient)


def test_values_outside_a_matrix_functions_domain_are_refused():
    not_pd = np.diag([1.0, -2.0, 3.0])
    _refused(ic.cholesky(S), "positive definite", S=not_pd)
    _refused(ic.grad(ic.sum(ic.cholesky(S)), S), "positive definite", S=not_pd)
    negative = np.array([[-1.0, 0.2, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0]])
    _refused(ic.sqrtm(S), "sqrtm.*real principal square root", S=negative)
    _refused(ic.logm(S), "logm.*real principal logarithm", S=negative)
    _refused(ic.logm(S), "logm", S=np.zeros((3, 3)))


def test_build_time_refusals_name_the_way_out():
    with pytest.raises(ic.ShapeError, match="solve"):
        ic.solve(M, y)
    with pytest.raises(ic.ShapeError, match="solve"):
        ic.solve(A, y)
    with pytest.raises(ic.ShapeError, match="lstsq"):
        ic.lstsq(M, b)
    with pytest.raises(ic.ShapeError, match="expm: needs a square matrix"):
        ic.expm(M)
    with pytest.raises(ic.ShapeError, match="cholesky"):
        ic.cholesky(W)
    with pytest.raises(ic.IndexcalcError, match="integer"):
        ic.matrix_power(A, 1.5)
    with pytest.raises(ic.IndexcalcError, match="tall=True"):
        ic.pinv(ic.Tensor("P", "m n"))
    assert ic.pinv(ic.Tensor("P", "m n"), tall=False).shape == ("n", "m")


def test_second_derivative_through_a_frechet_derivative_is_refused():
    with pytest.raises(ic.IndexcalcError, match="second derivative of expm"):
        ic.hessian(ic.trace(ic.expm(A)), A)
    # the derivative along the direction is L_exp again: a Hessian by another variable works
    f = ic.trace(ic.expm(A) @ C @ C)
    h = ic.diff(ic.grad(f, A), C)
    g = ic.grad(f, A)
    assert_close(ic.evaluate(h, **VALUES), fd_jacobian(g, C, _values(g)), 1e-6, "d/dC grad_A")


def test_missing_scipy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.linalg", None)  # import scipy.linalg fails
    with pytest.raises(ic.IndexcalcError, match=r"pip install indexcalc\[linalg\]"):
        ic.evaluate(ic.expm(ic.Tensor("A_fresh", (3, 3))), A_fresh=VALUES["A"])  # not cached


def test_a_backend_without_the_function_is_refused_clearly():
    # the row is read before the backend's library is imported: no torch needed to see this
    with pytest.raises(ic.IndexcalcError, match="logm is not available on the torch backend"):
        matrix_function_step(MatrixFunction("logm", A), SimpleNamespace(ns=SimpleNamespace(
            name="torch")))
    with pytest.raises(ic.IndexcalcError, match="no matrix function 'eigh'"):
        MatrixFunction("eigh", A)


# --------------------------------------------------------------------------- structure

def test_inverse_times_a_matrix_is_a_solve():
    assert isinstance(ic.inv(A) @ B, Solve)
    assert isinstance(ic.inv(A) @ b, Solve)
    right = B.T @ ic.inv(A)
    assert not any(isinstance(n, Inverse) for n in postorder([right]))
    chain = C @ ic.inv(A) @ B  # both sides: (C A⁻¹) B = solve(Aᵀ, Cᵀ)ᵀ B
    assert not any(isinstance(n, Inverse) for n in postorder([chain]))
    assert_close(ic.evaluate(chain, **VALUES),
                 VALUES["C"] @ np.linalg.solve(VALUES["A"], VALUES["B"]), 1e-12)
    # an inverse alone or traced stays an inverse
    assert isinstance(ic.inv(A), Inverse)
    assert any(isinstance(n, Inverse) for n in postorder([ic.trace(ic.inv(A) @ ic.eye(3))]))


def test_solve_never_forms_an_inverse(monkeypatch):
    def no_inverse(*args, **kwargs):
        raise AssertionError("an explicit inverse was formed")
    monkeypatch.setattr(np.linalg, "inv", no_inverse)
    x = ic.evaluate(ic.grad(ic.sum(ic.inv(A) @ B), A), **VALUES)
    ainv = scipy.linalg.inv(VALUES["A"])
    want = -ainv.T @ np.ones((3, 4)) @ (ainv @ VALUES["B"]).T
    assert_close(x, want, 1e-10)


def test_matrix_power_shares_its_squarings():
    p = ic.matrix_power(A, 16)
    products = [n for n in postorder([p]) if isinstance(n, Product)]
    assert len(products) <= 4
    assert any(isinstance(n, Shared) for n in postorder([p]))
    assert_close(ic.evaluate(p, A=VALUES["A"] / 2), np.linalg.matrix_power(VALUES["A"] / 2, 16),
                 1e-10)


def test_batched_solve_matches_numpy():
    Sa, Sb = ic.tensors("Sa[2,3,3] Sb[2,3,4]")
    a = np.stack([VALUES["A"], VALUES["A"].T + np.eye(3)])
    bv = rng.normal(size=(2, 3, 4))
    expr = ic.solve(Sa, Sb)
    assert_close(ic.evaluate(expr, Sa=a, Sb=bv), np.linalg.solve(a, bv), 1e-12)
    f = ic.sum(ic.tanh(expr))
    for x in (Sa, Sb):
        assert_close(ic.evaluate(ic.grad(f, x), Sa=a, Sb=bv), fd_jacobian(f, x, {"Sa": a, "Sb": bv}),
                     1e-6, x.name)
    vector = ic.solve(Sa, b)  # one vector for every matrix, as NumPy broadcasts it
    assert_close(ic.evaluate(vector, Sa=a, b=VALUES["b"]),
                 np.stack([np.linalg.solve(m, VALUES["b"]) for m in a]), 1e-12)


def test_matrix_function_nodes_are_one_type():
    kinds = {type(e) for e in (ic.expm(A), ic.sqrtm(S), ic.logm(S), ic.cholesky(Sy))}
    assert kinds == {MatrixFunction}


# --------------------------------------------------------------------------- backends

BACKEND_EXPRESSIONS = {
    "solve gradient": ic.grad(ic.sum(ic.tanh(ic.solve(A, B))), A),
    "cholesky gradient": ic.grad(ic.sum(ic.cholesky(A @ A.T + ic.eye(3))), A),
    "expm gradient": ic.grad(ic.trace(ic.expm(A) @ C), A),
    "expm jacobian": ic.diff(ic.expm(A), A),
}


def _on_backend(name: str, to_numpy, rtol: float, skip=()):
    for key, e in BACKEND_EXPRESSIONS.items():
        if key in skip:
            continue
        want = ic.evaluate(e, **VALUES)
        got = to_numpy(ic.compile(e, backend=name)(**_values(e)))
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, err_msg=f"{name} {key}")


def test_dask_backend():
    pytest.importorskip("dask.array")  # the dask extra: installed in CI
    _on_backend("dask", lambda a: np.asarray(a.compute()), 1e-12)
    f = ic.logm(S)
    np.testing.assert_allclose(ic.compile(f, backend="dask")(S=VALUES["S"]).compute(),
                               ic.evaluate(f, S=VALUES["S"]), rtol=1e-12)


def test_torch_backend():
    pytest.importorskip("torch")
    _on_backend("torch", lambda a: a.numpy(), 1e-12)


def test_jax_backend():
    pytest.importorskip("jax")
    # JAX computes in float32 unless x64 is enabled; its expm compiles slowly: one Fréchet here
    _on_backend("jax", np.asarray, 1e-5, skip=("expm jacobian",))


def test_formulas_call_the_linear_algebra_functions():
    shapes = {"A": (3, 3), "B": (3, 4), "C": (3, 3), "M": (5, 3), "y": 5}
    assert ic.parse("solve(A, B)", shapes=shapes) is ic.solve(A, B)
    assert ic.parse("lstsq(M, y)", shapes=shapes) is ic.lstsq(M, y)
    assert ic.parse("matrix_power(A, -2)", shapes=shapes) is ic.matrix_power(A, -2)
    for name in ("expm", "sqrtm", "logm", "cholesky", "pinv"):
        assert ic.parse(f"{name}(A)", shapes=shapes) is getattr(ic, name)(A)
    # the Fréchet derivative as the matrix form prints it: the gradient of tr(expm(A) C)
    g = ic.grad(ic.trace(ic.expm(A) @ C), A)
    parsed = ic.parse("L_exp(transpose(A), transpose(C))", shapes=shapes)
    assert_close(ic.evaluate(parsed, **VALUES), ic.evaluate(g, **VALUES), 1e-12)
