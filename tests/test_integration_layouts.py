"""Where structure (vec, indexing, masks) meets the layout renderers and ``ic.explain``.

Every printed form is evaluated from its own tree and compared with the tensor reshaped by the
layout's convention (``ic.vec_jacobian`` for Kronecker forms), in both vec orders and layouts;
sizes are distinct (2, 3, 4, 5) so that a misplaced transpose changes a shape.
"""

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.structure import kron_name

ORDERS = ("col", "row")
LAYOUTS = ("numerator", "denominator")


def _norm(s: str) -> str:
    return s.replace(" ", "").replace("^T", "ᵀ").replace("−", "-")


def _abx():
    A, X, B = ic.tensors("A[2,3] X[3,4] B[4,5]")
    return A, X, B


def _vals(rng, *ts):
    return {t.name: rng.normal(size=t.shape) for t in ts}


def _kron_matches(d, out_ndim, vals, layout, vec):
    form = ic.to_kron(d, layout, vec)
    want = ic.vec_jacobian(ic.evaluate(d, **vals), out_ndim, layout, vec)
    got = form.evaluate(**vals)
    assert got.shape == want.shape, (layout, vec, str(form))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=f"{layout} {vec}: {form}")
    return form


# the Kronecker form of ∂vec(A X B)/∂X, by the vec order of to_kron and the layout
AXB = {("col", "numerator"): "Bᵀ ⊗ A", ("col", "denominator"): "B ⊗ Aᵀ",
       ("row", "numerator"): "A ⊗ Bᵀ", ("row", "denominator"): "Aᵀ ⊗ B"}


@pytest.mark.parametrize("vec", ORDERS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_vec_of_axb_prints_its_kronecker_product(vec, layout):
    A, X, B = _abx()
    vals = _vals(np.random.default_rng(1), A, X, B)
    d = ic.diff(ic.vec(A @ X @ B, order=vec), X)
    assert _norm(str(_kron_matches(d, 1, vals, layout, vec))) == _norm(AXB[vec, layout])
    # the same derivative without vec reads the same: vec only regroups F's axes
    assert str(ic.to_kron(ic.diff(A @ X @ B, X), layout, vec)) == str(ic.to_kron(d, layout, vec))


@pytest.mark.parametrize("vec", ORDERS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_vec_in_the_other_order_is_still_evaluated_exactly(vec, layout):
    A, X, B = _abx()
    vals = _vals(np.random.default_rng(2), A, X, B)
    other = "row" if vec == "col" else "col"
    form = _kron_matches(ic.diff(ic.vec(A @ X @ B, order=other), X), 1, vals, layout, vec)
    assert "mat(" in str(form) and form.notes  # no Kronecker product: said so, still exact


@pytest.mark.parametrize("vec", ORDERS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_vec_identity_and_commutation(vec, layout):
    A, X, B = _abx()
    vals = _vals(np.random.default_rng(3), X)
    ident = _kron_matches(ic.diff(ic.vec(X, order=vec), X), 1, vals, layout, vec)
    assert str(ident) == "I" and ident.latex() == "I_{12}"
    assert kron_name(ic.diff(ic.vec(X, order=vec), X), 2, vec, layout) == "I_{12}"
    dk = ic.diff(ic.vec(X.T, order=vec), X)
    comm = _kron_matches(dk, 1, vals, layout, vec)
    assert comm.latex() == kron_name(dk, 2, vec, layout)
    # K_{m,n} vec(A) = vec(Aᵀ) for A of shape m × n: X is 3 × 4 in column-major vec
    want = "K_{3,4}" if (vec == "col") == (layout == "numerator") else "K_{4,3}"
    assert comm.latex() == want and str(comm) == want.replace("{", "(").replace("}", ")")


def test_vec_identity_with_named_dimensions_is_i_mn():
    X = ic.Tensor("X", "m n")
    for vec in ORDERS:
        form = ic.to_kron(ic.diff(ic.vec(X, order=vec), X), vec=vec)
        assert str(form) == "I" and form.latex() == "I_{m·n}"


@pytest.mark.parametrize("vec", ORDERS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_unvec_on_the_variable_side(vec, layout):
    A, _, B = _abx()
    x = ic.Tensor("x", 12)
    vals = _vals(np.random.default_rng(4), A, B, x)
    d = ic.diff(A @ ic.unvec(x, (3, 4), order=vec) @ B, x)
    assert _norm(str(_kron_matches(d, 2, vals, layout, vec))) == _norm(AXB[vec, layout])
    ident = _kron_matches(ic.diff(ic.unvec(x, (3, 4), order=vec), x), 2, vals, layout, vec)
    assert str(ident) == "I"


@pytest.mark.parametrize("vec", ORDERS)
def test_vec_of_a_sum_is_read_term_by_term(vec):
    A, X, B = ic.tensors("A[3,3] X[3,4] B[4,4]")
    vals = _vals(np.random.default_rng(5), A, X, B)
    d = ic.diff(ic.vec(A @ X @ B + 2 * X, order=vec), X)
    for layout in LAYOUTS:
        form = _kron_matches(d, 1, vals, layout, vec)
        assert "mat(" not in str(form) and "⊗" in str(form)
    want = "Bᵀ ⊗ A + 2 I" if vec == "col" else "A ⊗ Bᵀ + 2 I"
    assert _norm(str(ic.to_kron(d, vec=vec))) == _norm(want)
