"""``ic.compare`` and ``indexcalc compare`` (issue 15, item 3).

The layouts a candidate is held to are written here from the contract (``layout_reference``:
NumPy reshapes of the derivative's dense value); the derivatives themselves are proven against
finite differences by the calculus tests. Candidates are textbook formulas whose values the
tests know independently.
"""

from __future__ import annotations

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.cli import main
from layout_reference import kron_reference, matrix_reference


def _bptt():
    W, x = ic.tensors("W[n,n] x_prev[n]")
    return W, x, ic.diff(W @ ic.sigmoid(x), x)


def test_bptt_the_papers_formula_is_neither_layout():
    # x_t = W σ(x_{t−1}): ∂x_t/∂x_{t−1} = W diag(σ'(x_{t−1})) (numerator); the paper's
    # Wᵀ diag(σ'(x)) is neither layout, and the difference is shown on the values used
    _, _, J = _bptt()
    r = ic.compare("Wᵀ diag(σ'(x_prev))", J)
    assert r.verdict == "none" and not r and r.layout is None
    W, x = r.witness["W"], r.witness["x_prev"]
    s = 1 / (1 + np.exp(-x))
    paper = W.T @ np.diag(s * (1 - s))
    D = W * (s * (1 - s))[None, :]            # D[i, j] = W[i, j] σ'(x_j), by hand
    nearest = min(np.max(np.abs(paper - D)), np.max(np.abs(paper - D.T)))
    assert r.max_difference == pytest.approx(nearest)
    assert r.max_difference > 1e-3
    assert "neither layout" in str(r) and "witness" in str(r)


def test_bptt_numerator_and_denominator_forms():
    _, _, J = _bptt()
    r = ic.compare("W diag(σ'(x_prev))", J)
    assert (r.verdict, r.layout, r.vec) == ("equal", "numerator", None)
    assert str(r) == "the candidate equals the derivative in numerator layout"
    r = ic.compare("diag(σ'(x_prev)) Wᵀ", J)
    assert (r.verdict, r.layout) == ("equal", "denominator")
    assert ic.compare("−W diag(σ'(x_prev))", J).verdict == "negative"


def test_the_papers_formula_is_the_denominator_form_of_the_other_recurrence():
    # h_t = σ(W h_{t−1}): ∂h_t/∂h_{t−1} in denominator layout is Wᵀ diag(σ'(W h))
    W, h = ic.tensors("W[n,n] h[n]")
    J = ic.diff(ic.sigmoid(W @ h), h)
    r = ic.compare("Wᵀ diag(σ'(W h))", J)
    assert (r.verdict, r.layout) == ("equal", "denominator")


def test_the_rnn_step_formula_does_not_conform():
    # (e₁ᵀ ⊗ I) diag(·) of the RNN-step question: e₁ of the batch size does not conform
    W, x = ic.tensors("W_hx[nh,ni] x[ni]")
    J = ic.diff(ic.tanh(W @ x), W)
    with pytest.raises(ic.ShapeError) as info:
        ic.compare("(e₁ᵀ ⊗ I) diag(1 − tanh(W_hx x)∘tanh(W_hx x))", J, shapes={"e₁": "b"},
                   b=2)
    assert "e₁ᵀ ⊗ I" in str(info.value) or "conform" in str(info.value)


def test_a_shape_that_fits_no_layout_names_the_shapes():
    _, _, J = _bptt()
    with pytest.raises(ic.ShapeError, match="conforms to no layout") as info:
        ic.compare("W 1", J)
    assert "3 × 3" in str(info.value)


def test_least_squares_gradient_in_every_notation():
    X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
    g = ic.grad(0.5 * ic.sum((X @ W @ v - y) ** 2), W)
    for text in ("Xᵀ (X W v − y) vᵀ", "X^T (X W v - y) v^T", "X' * (X * W * v - y) * v'",
                 "X.T @ ic_outer" if False else "Xᵀ (X W v − y) ⊗ vᵀ"):
        r = ic.compare(text, g)
        assert (r.verdict, r.layout) == ("equal", "denominator"), text
    assert ic.compare("v (X W v − y)ᵀ X", g).layout == "numerator"
    assert ic.compare(ic.outer(X.T @ (X @ W @ v - y), v), g).verdict == "equal"


def test_kronecker_forms_in_both_vec_orders():
    # vec(A X B) = (Bᵀ ⊗ A) vec(X) column-major, (A ⊗ Bᵀ) vec(X) row-major
    A, X, B = ic.tensors("A[p,q] X[q,r] B[r,s]")
    J = ic.diff(A @ X @ B, X)
    r = ic.compare("Bᵀ ⊗ A", J)
    assert (r.verdict, r.layout, r.vec) == ("equal", "numerator", "col")
    r = ic.compare("A ⊗ Bᵀ", J)
    assert (r.verdict, r.layout, r.vec) == ("equal", "numerator", "row")
    r = ic.compare("B ⊗ Aᵀ", J)
    assert (r.verdict, r.layout, r.vec) == ("equal", "denominator", "col")
    values = r.witness
    D = np.asarray(J.evaluate(**values))
    np.testing.assert_allclose(np.kron(values["B"], values["A"].T),
                               kron_reference(D, 2, "denominator", "col"))


def test_values_given_are_used_and_sizes_follow_them():
    _, _, J = _bptt()
    W = np.arange(16.0).reshape(4, 4) / 10
    x = np.linspace(-1, 1, 4)
    r = ic.compare("Wᵀ diag(σ'(x_prev))", J, W=W, x_prev=x)
    np.testing.assert_array_equal(r.witness["W"], W)
    s = 1 / (1 + np.exp(-x))
    D = W * (s * (1 - s))
    want = matrix_reference(D, 1, "numerator")
    assert r.max_difference == pytest.approx(
        min(np.max(np.abs(W.T @ np.diag(s * (1 - s)) - want)),
            np.max(np.abs(W.T @ np.diag(s * (1 - s)) - want.T))))


def test_compare_refuses_what_is_no_derivative():
    W, x = ic.tensors("W[n,n] x[n]")
    with pytest.raises(ic.IndexcalcError, match="the derivative"):
        ic.compare("W", W @ x)
    with pytest.raises(ic.IndexcalcError, match="formula or an expression"):
        ic.compare(3, ic.diff(W @ x, x))


def test_cli_compare(capsys):
    args = ["compare", "--of", "W @ sigmoid(x)", "--wrt", "x", "--shape", "W=n n",
            "--shape", "x=n"]
    assert main([args[0], "W diag(σ'(x))", *args[1:]]) == 0
    assert "numerator layout" in capsys.readouterr().out
    assert main([args[0], "Wᵀ diag(σ'(x))", *args[1:]]) == 1
    assert "neither layout" in capsys.readouterr().out
    assert main([args[0], "(e ⊗ I) diag(x)", *args[1:], "--shape", "e=m"]) == 2
    assert "conforms to no layout" in capsys.readouterr().err
