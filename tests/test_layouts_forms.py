"""The matrix forms of the four motivating problems, as strings and as values; LaTeX; to_einsum.

Strings are compared after removing spaces and reading ``^T`` as ``ᵀ`` and ``−`` as ``-``; each
form is also evaluated and compared with the tensor laid out by its convention.
"""


import numpy as np
import pytest

import indexcalc as ic

from _latex import assert_well_formed


def _norm(s: str) -> str:
    return s.replace(" ", "").replace("^T", "ᵀ").replace("−", "-")


def _close(form, expected, **vals):
    np.testing.assert_allclose(form.evaluate(**vals), expected, rtol=1e-9, atol=1e-12)


def test_rnn_cell_kronecker_forms():
    e, W_hx, W_hh, h0 = ic.tensors("e[5] W_hx[5,4] W_hh[4,4] h0[4]")
    h = ic.tanh(W_hx.T @ e + W_hh.T @ h0).named("h")
    d = ic.diff(h, W_hx)
    den_row = ic.to_kron(d, "denominator", vec="row")
    num_col = ic.to_kron(d, "numerator", vec="col")
    assert _norm(str(den_row)) == _norm("(e ⊗ I) diag(1 − h∘h)")
    assert _norm(str(num_col)) == _norm("diag(1 − h∘h) (I ⊗ eᵀ)")
    rng = np.random.default_rng(0)
    vals = dict(e=rng.normal(size=5), W_hx=rng.normal(size=(5, 4)), W_hh=rng.normal(size=(4, 4)),
                h0=rng.normal(size=4))
    tensor = ic.evaluate(d, **vals)
    _close(den_row, ic.vec_jacobian(tensor, 1, "denominator", "row"), **vals)
    _close(num_col, ic.vec_jacobian(tensor, 1, "numerator", "col"), **vals)


def _rnn_lm():
    h_prev, H, e, I, b1, U, b2, y = ic.tensors(
        "h_prev[q] H[q,q] e[p] I[p,q] b1[q] U[q,r] b2[r] y[r]")
    h = ic.sigmoid(h_prev @ H + e @ I + b1).named("h")
    z = h @ U + b2
    y_hat = ic.softmax(z).named("ŷ")
    J = ic.sum(y * ic.log_softmax(z))
    rng = np.random.default_rng(1)
    sizes = {"q": 3, "p": 2, "r": 5}
    vals = {t.name: rng.normal(size=tuple(sizes[s] for s in t.shape))
            for t in (h_prev, H, e, I, b1, U, b2)}
    vals["y"] = np.eye(5)[2]  # one-hot
    return ic.grad(J, H), y_hat, vals


def test_rnn_language_model_gradient_by_H():
    g, y_hat, vals = _rnn_lm()
    row = ic.to_matrix(g, "denominator", vectors="row", names=[y_hat], normalized=["y"])
    col = ic.to_matrix(g, "denominator", names=[y_hat], normalized=["y"])
    assert _norm(str(row)) == _norm("h_prevᵀ (y − ŷ) Uᵀ diag(h∘(1 − h))")
    assert _norm(str(col)) == _norm("h_prev ((U(y − ŷ)) ∘ h ∘ (1 − h))ᵀ")
    assert row.notes == ("assumes Σ y = 1 (declared normalized)",)
    want = ic.evaluate(g, **vals)
    _close(row, want, **vals)
    _close(col, want, **vals)


def test_rnn_language_model_without_the_one_hot_assumption_keeps_sum_y():
    g, y_hat, vals = _rnn_lm()
    form = ic.to_matrix(g, names=[y_hat])
    assert _norm(str(form)) == _norm("h_prev ((U(y − sum(y) ŷ)) ∘ h ∘ (1 − h))ᵀ")
    assert form.notes == ()
    vals["y"] = np.array([0.3, -1.0, 2.0, 0.5, 0.1])  # not normalized: still exact
    _close(form, ic.evaluate(g, **vals), **vals)


def test_least_squares_forms():
    X, W, v, y = ic.tensors("X[5,3] W[3,4] v[4] y[5]")
    A, Z, B = ic.tensors("A[2,3] Z[3,4] B[4,5]")
    g = ic.grad(0.5 * ic.sum((X @ W @ v - y) ** 2), W)
    assert _norm(str(ic.to_matrix(g))) == _norm("Xᵀ (X W v − y) vᵀ")
    assert _norm(str(ic.to_kron(ic.diff(X @ W, W)))) == _norm("I_4 ⊗ X")   # alone, I says its size
    assert _norm(str(ic.to_kron(ic.diff(A @ Z @ B, Z)))) == _norm("Bᵀ ⊗ A")
    rng = np.random.default_rng(2)
    vals = {t.name: rng.normal(size=t.shape) for t in (X, W, v, y)}
    x, w_, v_, y_ = vals["X"], vals["W"], vals["v"], vals["y"]
    _close(ic.to_matrix(g), np.outer(x.T @ (x @ w_ @ v_ - y_), v_), **vals)


def test_recurrence_jacobian_in_both_layouts():
    W, W_in, u, b, x_prev = ic.tensors("W[4,4] W_in[4,3] u[3] b[4] x_prev[4]")
    x_t = W @ ic.sigmoid(x_prev) + W_in @ u + b
    d = ic.diff(x_t, x_prev)
    num, den = ic.to_matrix(d, "numerator"), ic.to_matrix(d, "denominator")
    assert _norm(str(num)) == _norm("W diag(σ'(x_prev))")
    assert _norm(str(den)) == _norm("diag(σ'(x_prev)) Wᵀ")
    rng = np.random.default_rng(3)
    vals = {t.name: rng.normal(size=t.shape) for t in (W, W_in, u, b, x_prev)}
    tensor = ic.evaluate(d, **vals)
    _close(num, tensor, **vals)
    _close(den, tensor.T, **vals)


def test_latex_is_well_formed():
    g, y_hat, _ = _rnn_lm()
    forms = [ic.to_matrix(g, names=[y_hat]), ic.to_matrix(g, vectors="row", names=[y_hat])]
    X, W, S = ic.tensors("X[2,3] W[3,4] S[3,3]")
    forms += [ic.to_kron(ic.diff(ic.tanh(X @ W), W)), ic.to_kron(ic.diff(X.T, X)),
              ic.to_matrix(ic.grad(ic.logdet(S) + ic.trace(ic.inv(S)), S)),
              ic.to_kron(ic.diff(ic.einsum("ij,jk,ik->i", X, W, ic.Tensor("V", (2, 4))), W))]
    for f in forms:
        assert_well_formed(f.latex())
        assert f._repr_latex_() == f"${f.latex()}$"
    assert r"\hat{y}" in forms[0].latex() and r"h_{\mathrm{prev}}" in forms[0].latex()


def test_to_einsum_round_trips_through_numpy():
    X, W, v = ic.tensors("X[2,3] W[3,4] v[4]")
    expr = 3.0 * ic.einsum("ij,jk,k->i", X, W, v)
    subscripts, operands = ic.to_einsum(expr)
    rng = np.random.default_rng(4)
    vals = {t.name: rng.normal(size=t.shape) for t in (X, W, v)}
    arrays = [ic.evaluate(o, **vals) for o in operands]
    np.testing.assert_allclose(np.einsum(subscripts, *arrays), ic.evaluate(expr, **vals))
    assert ic.to_einsum(X) == ("ab->ab", [X])
    with pytest.raises(ic.LayoutError, match="sum"):
        ic.to_einsum(X @ W + ic.Tensor("Q", (2, 4)))
