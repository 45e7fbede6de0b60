"""Printed forms of the linear-algebra functions evaluate to the same numbers (issue 17).

For each function: the matrix form of the expression and of its gradients (both layouts), the
Kronecker form of its full derivative against the contract's definition (``∂vec(F)/∂vec(X)``,
column-major: NumPy's Fortran-order reshape, written here), LaTeX well formed, and
``to_python`` executed. The textbook spellings are pinned on named dimensions.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.core.graph_walk import postorder

from _fd import assert_close
from _latex import assert_well_formed

rng = np.random.default_rng(71)
A, B, b, M, S, C = ic.tensors("A[3,3] B[3,4] b[3] M[5,3] S[3,3] C[3,3]")
VALUES = {"A": np.eye(3) + 0.3 * rng.normal(size=(3, 3)), "B": rng.normal(size=(3, 4)),
          "b": rng.normal(size=3), "M": rng.normal(size=(5, 3)), "C": rng.normal(size=(3, 3))}
_q = rng.normal(size=(3, 3))
VALUES["S"] = _q @ _q.T + 3 * np.eye(3)

#: name -> (expression, the variable of its derivatives)
CASES = {
    "solve": (ic.solve(A, B), A),
    "solve by B": (ic.solve(A, B), B),
    "solve vector": (ic.solve(A, b), A),
    "B inv(A)": (B.T @ ic.inv(A), A),
    "lstsq": (ic.lstsq(M, M @ b), M),
    "pinv": (ic.pinv(M), M),
    "cholesky": (ic.cholesky(S), S),
    "matrix_power": (ic.matrix_power(A, -3), A),
    "expm": (ic.expm(A), A),
    "sqrtm": (ic.sqrtm(S), S),
    "logm": (ic.logm(S) @ C, S),
}


def _tensors(expr):
    return {n.name for n in postorder([expr]) if isinstance(n, ic.Tensor)}


@pytest.mark.parametrize("case", list(CASES))
def test_matrix_form_of_the_expression_and_its_gradient(case):
    expr, x = CASES[case]
    form = ic.to_matrix(expr)
    want = ic.evaluate(expr, **VALUES)
    want = want[:, None] if want.ndim == 1 else want  # a vector prints as a column
    assert_close(form.evaluate(**VALUES), want, 1e-10, str(form))
    assert_well_formed(form.latex())
    f = ic.sum(expr * ic.Constant(rng.normal(size=expr.shape)))
    g = ic.grad(f, x)
    for layout in ("denominator", "numerator"):
        form = ic.to_matrix(g, layout=layout)
        want = ic.evaluate(g, **VALUES)
        want = want if layout == "denominator" else want.T
        assert_close(form.evaluate(**VALUES), want, 1e-10, f"{case} {layout}: {form}")
        assert_well_formed(form.latex())


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("vec", ["col", "row"])
def test_kronecker_form_is_the_vec_jacobian(case, vec):
    expr, x = CASES[case]
    d = ic.diff(expr, x)
    tensor = ic.evaluate(d, **VALUES)
    rows = int(np.prod(expr.shape))
    order = "F" if vec == "col" else "C"
    want = tensor.reshape((rows, -1), order=order)  # ∂vec(F)/∂vec(X), the contract's definition
    form = ic.to_kron(d, vec=vec)
    assert_close(form.evaluate(**VALUES), want, 1e-10, f"{case}: {form}")
    assert_well_formed(form.latex())


@pytest.mark.parametrize("case", list(CASES))
def test_latex_and_python_source(case):
    expr, x = CASES[case]
    g = ic.grad(ic.sum(expr * ic.Constant(rng.normal(size=expr.shape))), x)
    for e in (expr, g):
        assert_well_formed(ic.to_latex(e))
        namespace: dict = {}
        exec(compile(ic.to_python(e, name="f"), f"<to_python {case}>", "exec"), namespace)
        f = namespace["f"]
        args = {k: VALUES[k] for k in inspect.signature(f).parameters}
        assert_close(f(**args), ic.evaluate(e, **VALUES), 1e-10, case)


def test_to_python_for_jax():
    jax = pytest.importorskip("jax")
    x64 = jax.enable_x64(True) if hasattr(jax, "enable_x64") else jax.experimental.enable_x64()
    # (expm's source is the same import and block helper as NumPy's: JAX compiles it slowly)
    e = ic.grad(ic.sum(ic.solve(A, B)) + ic.sum(ic.cholesky(A @ A.T)), A)
    with x64:
        namespace: dict = {}
        exec(ic.to_python(e, backend="jax", name="f"), namespace)
        got = namespace["f"](**{k: VALUES[k] for k in ("A", "B")})
    assert_close(np.asarray(got), ic.evaluate(e, **VALUES), 1e-9)
    with pytest.raises(ic.IndexcalcError, match="logm is not available on the jax backend"):
        ic.to_python(ic.logm(S), backend="jax")
    assert "from jax.scipy.linalg import expm" in ic.to_python(ic.expm(A), backend="jax")


def test_textbook_forms():
    An, Bn, G, Cn = ic.tensors("A[n,n] B[n,k] G[n,k] C[n,n]")
    X = ic.solve(An, Bn).named("X")
    assert str(ic.to_matrix(ic.inv(An) @ Bn)) == "A⁻¹ B"
    assert str(ic.to_matrix(ic.grad(ic.sum(G * X), An))) == "−A⁻ᵀ G Xᵀ"
    assert str(ic.to_matrix(ic.grad(ic.sum(G * X), Bn))) == "A⁻ᵀ G"
    assert str(ic.to_kron(ic.diff(X, Bn))) == "I_k ⊗ A⁻¹"   # alone, I says its size
    assert str(ic.to_kron(ic.diff(X, An))) == "−Xᵀ ⊗ A⁻¹"
    assert str(ic.to_matrix(ic.grad(ic.trace(ic.expm(An) @ Cn), An))) == "L_exp(Aᵀ, Cᵀ)"
    assert str(ic.to_matrix(ic.grad(ic.trace(ic.logm(An) @ Cn), An))) == "L_log(Aᵀ, Cᵀ)"
    assert str(ic.to_matrix(ic.expm(An))) == "expm(A)"
    assert str(ic.solve(An, Bn)) == "Σ_n' A⁻¹[n,n'] B[n',k]"
    assert str(ic.grad(ic.trace(ic.expm(An) @ Cn), An)).startswith("L_exp(")


def test_textbook_forms_evaluate_to_the_gradient():
    """The spelled forms above, evaluated from their definitions, are the gradients."""
    import scipy.linalg

    a, c = VALUES["A"], VALUES["C"]
    g = ic.evaluate(ic.grad(ic.trace(ic.expm(A) @ C), A), **VALUES)
    n = a.shape[0]
    block = scipy.linalg.expm(np.block([[a.T, c.T], [np.zeros((n, n)), a.T]]))  # L_exp(Aᵀ, Cᵀ)
    assert_close(g, block[:n, n:], 1e-10)
    x = np.linalg.solve(a, VALUES["B"])
    gw = rng.normal(size=(3, 4))
    got = ic.evaluate(ic.grad(ic.sum(ic.Constant(gw) * ic.solve(A, B)), A), **VALUES)
    assert_close(got, -np.linalg.solve(a.T, gw) @ x.T, 1e-10)  # −A⁻ᵀ G Xᵀ
