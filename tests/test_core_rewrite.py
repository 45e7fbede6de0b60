"""The normal-form rewrites of indexcalc/rewrite.py: each keeps the value and shrinks the form."""

import numpy as np
import pytest

import indexcalc as ic

rng = np.random.default_rng(7)


def _spd(n):
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def _values():
    return {"x": rng.uniform(0.5, 2.0, size=3), "r": rng.normal(size=4), "S": _spd(3),
            "A": rng.normal(size=(3, 3)), "M": rng.normal(size=(4, 3))}


def _exprs():
    x, r = ic.Tensor("x", 3), ic.Tensor("r", 4)
    S, A, M = ic.Tensor("S", "3 3", symmetric=True), ic.Tensor("A", "3 3"), ic.Tensor("M", "4 3")
    return {
        # rewritten expression, the NumPy value it must keep, the size it must shrink to
        "x^-1 ∘ x cancels": (ic.sqrt(x) * (1 / x) * ic.sqrt(x), lambda v: np.ones(3), "Product"),
        "sqrt(x)^2 = x": (ic.sqrt(x) ** 2, lambda v: v["x"], "Tensor"),
        "(x^2)^3 = x^6": ((x ** 2) ** 3, lambda v: v["x"] ** 6, "Apply"),
        "grad ½‖r‖² = r": (ic.grad(0.5 * ic.norm(r) ** 2, r).arg, lambda v: v["r"], "Tensor"),
        "Sᵀ = S": (S.T, lambda v: v["S"], "Tensor"),
        "(S⁻¹)ᵀ = S⁻¹": (ic.inv(S).T, lambda v: np.linalg.inv(v["S"]), "Inverse"),
        "x xᵀ + (x xᵀ)ᵀ = 2 x xᵀ": (ic.outer(x, x) + ic.outer(x, x).T,
                                    lambda v: 2 * np.outer(v["x"], v["x"]), "Sum"),
        "AᵀMᵀ M A collected": (A.T @ M.T @ M @ A + (A.T @ M.T @ M @ A).T,
                               lambda v: 2 * v["A"].T @ v["M"].T @ v["M"] @ v["A"], "Sum"),
        "Σ_i x_i⁻¹ x_i = n": (ic.sum(x * x ** -1), lambda v: 3.0, "Constant"),
    }


@pytest.mark.parametrize("name", list(_exprs()))
def test_rewrite_keeps_value_and_shrinks(name):
    expr, reference, kind = _exprs()[name]
    v = _values()
    np.testing.assert_allclose(expr.evaluate(**v), reference(v), rtol=1e-12, atol=1e-12)
    assert type(expr).__name__ == kind, f"{name}: {expr!r}"
    if kind == "Sum":  # a collected sum is one scaled term
        assert len(expr.terms) == 1, f"{name}: {expr!r}"


def test_symmetric_log_det_gradients_read_as_the_cookbook_writes_them():
    S = ic.Tensor("S", "n n", symmetric=True)
    assert str(ic.to_matrix(ic.grad(ic.logdet(S), S))) == "S⁻¹"
    cookbook = ic.grad(ic.logdet(S), S, convention="cookbook")
    v = _spd(4)
    inv = np.linalg.inv(v)
    np.testing.assert_allclose(cookbook.evaluate(S=v), 2 * inv - np.diag(np.diag(inv)), rtol=1e-12)


def test_x_hadamard_x_stays_a_product_so_tanh_prints_one_minus_h_h():
    h = ic.tanh(ic.Tensor("u", 3)).named("h")
    assert "h∘h" in str(ic.to_matrix(ic.diff(h, ic.Tensor("u", 3)), layout="numerator"))


def test_hessian_terms_equal_up_to_factor_order_are_collected():
    Y, W = ic.tensors("Y[m,n] W[n,k]")
    H = ic.hessian(ic.trace(W.T @ Y.T @ Y @ W), W)
    assert "+" not in str(ic.to_kron(H))
    y = rng.normal(size=(5, 3))
    np.testing.assert_allclose(H.evaluate(Y=y, W=rng.normal(size=(3, 4))),
                               np.einsum("nN,kK->nkNK", 2 * y.T @ y, np.eye(4)), rtol=1e-12)


@pytest.mark.parametrize("perm", [(0, 1, 2), (2, 0, 1), (1, 2, 0), (2, 1, 0)])
def test_like_terms_collect_whatever_the_factor_order(perm):
    A, B, C = ic.tensors("A[m,n] B[n,n] C[n,k]")
    terms = ["mn", "nN", "Nk"]
    ops = [A, B, C]
    shuffled = ic.einsum(",".join(terms[i] for i in perm) + "->mk", *[ops[i] for i in perm])
    total = A @ B @ C + shuffled
    assert isinstance(total, ic.Expr) and len(total.terms) == 1 and total.terms[0][0] == 2.0
