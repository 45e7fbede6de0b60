"""Printed forms of spectral derivatives: index notation, LaTeX, to_matrix and to_kron, each
evaluating to the derivative, against references written here from NumPy's eigh/svd (the
textbook formulas) or from central differences, laid out by ``tests/layout_reference.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

import indexcalc as ic

from _fd import fd_jacobian
from _latex import assert_well_formed
from layout_reference import LAYOUTS, VECS, kron_reference, matrix_reference, max_error

RNG = np.random.default_rng(11)
_M = RNG.normal(size=(4, 4))
S0 = _M + _M.T
X0 = RNG.normal(size=(5, 3))
LAM, VEC = np.linalg.eigh(S0)
U0, SV0, VH0 = np.linalg.svd(X0, full_matrices=False)

A = ic.Tensor("A", (4, 4), symmetric=True)
X = ic.Tensor("X", (5, 3))
W, V = ic.eigh(A)
U, S, VH = ic.svd(X)

#: name -> (derivative, its dense value written from the formulas, text the matrix form shows)
CASES = {
    "∂Σλ/∂A = I": (ic.grad(ic.sum(W), A), np.eye(4), "I_4"),   # alone, I says its size
    "∂λ₁/∂A = v₁ v₁ᵀ": (ic.grad(W[1], A), np.outer(VEC[:, 1], VEC[:, 1]), None),
    "∂tr(V e^Λ Vᵀ)/∂A = V diag(e^λ) Vᵀ": (
        ic.grad(ic.trace(V @ ic.diag(ic.exp(W)) @ V.T), A), VEC @ np.diag(np.exp(LAM)) @ VEC.T,
        "eigvecsh(A) diag(exp(eigvalsh(A))) eigvecsh(A)ᵀ"),
    "∂‖X‖_*/∂X = U Vᵀ": (ic.grad(ic.norm(X, "nuc"), X), U0 @ VH0, "svd_U(X) svd_Vh(X)"),
    "∂‖X‖₂/∂X = u₁ v₁ᵀ": (ic.grad(ic.norm(X, 2), X), np.outer(U0[:, 0], VH0[0]), None),
    "∂‖X‖_F²/∂X = 2 U S Vᵀ": (ic.grad(ic.sum(S ** 2), X), 2 * X0, "2 svd_U(X) diag(svdvals(X)) svd_Vh(X)"),
    "∂λ/∂A": (ic.diff(W, A), np.einsum("ai,bi->iab", VEC, VEC), None),
    "∂s/∂X": (ic.diff(S, X), np.einsum("ai,ib->iab", U0, VH0), None),
}
VALUES = {"A": S0, "X": X0}


@pytest.mark.parametrize("case", list(CASES))
def test_value_is_the_textbook_formula(case):
    d, want, _ = CASES[case]
    assert max_error(ic.evaluate(d, **VALUES), want) < 1e-10


@pytest.mark.parametrize("case", [c for c in CASES if CASES[c][0].ndim <= 2])
def test_matrix_form_evaluates_to_the_derivative(case):
    d, want, text = CASES[case]
    for layout in LAYOUTS:
        form = ic.to_matrix(d, layout=layout)
        ref = matrix_reference(want, d.out_ndim, layout)
        assert max_error(form.evaluate(**VALUES), ref) < 1e-10, (case, layout, str(form))
        assert_well_formed(form.latex())
    if text is not None:
        assert str(ic.to_matrix(d)) == text


@pytest.mark.parametrize("case", list(CASES))
def test_kron_form_evaluates_to_the_derivative(case):
    d, want, _ = CASES[case]
    for layout in LAYOUTS:
        for order in VECS:
            form = ic.to_kron(d, layout=layout, vec=order)
            ref = kron_reference(want, d.out_ndim, layout, order)
            assert max_error(form.evaluate(**VALUES), ref) < 1e-10, (case, layout, order)


def test_vector_derivatives_forms_against_differences():
    """∂U/∂X and ∂V/∂A (order 4): the Kronecker form against central differences."""
    Y = ic.Tensor("Y", (5, 3))
    B = ic.Tensor("B", (4, 4))
    w, vecs = ic.eigh(B + B.T)
    for f, x, value in [(ic.svd(Y)[0], Y, X0), (vecs, B, S0 / 2)]:
        d = ic.diff(f, x)
        fd = fd_jacobian(f, x, {x.name: value})
        for layout in LAYOUTS:
            form = ic.to_kron(d, layout=layout)
            assert max_error(form.evaluate(**{x.name: value}), kron_reference(fd, 2, layout)) < 1e-6


def test_index_notation_and_latex():
    assert str(ic.grad(ic.norm(X, "nuc"), X)) == "Σ_k svd_U(X)[i,k] svd_Vh(X)[k,j]"
    assert str(ic.diff(W, A)) == "i,j,k ↦ eigvecsh(A)[j,i] eigvecsh(A)[k,i]"   # axes stated
    assert str(ic.svdvals(X)) == "svdvals(X)[i]"
    for d, _, _ in CASES.values():
        assert_well_formed(ic.to_latex(d))
    tex = ic.to_latex(ic.diff(V, A))
    assert r"\operatorname{eiggaps}\left(A\right)" in tex
    assert_well_formed(tex)
