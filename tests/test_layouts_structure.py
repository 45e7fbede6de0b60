"""Where structure (vec, indexing, masks) meets the layout renderers ``ic.to_kron``/``ic.to_matrix``.

Every printed form is evaluated from its own tree and compared with the tensor reshaped by the
layout's convention (``ic.vec_jacobian`` for Kronecker forms), in both vec orders and layouts;
sizes are distinct (2, 3, 4, 5) so that a misplaced transpose changes a shape.
"""

import numpy as np
import pytest

import indexcalc as ic
from _latex import assert_well_formed
from indexcalc.layouts.conventions import split_of, transposes
from indexcalc.core.graph_walk import postorder
from indexcalc.core.nodes import Concat, Index, Reshape, Scatter, TriMask
from indexcalc.frontend.shaping import kron_name

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
    assert "K_(" in str(form) and "mat_" not in str(form)  # vec_row(F) = K vec_col(F): exact


@pytest.mark.parametrize("vec", ORDERS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_vec_identity_and_commutation(vec, layout):
    A, X, B = _abx()
    vals = _vals(np.random.default_rng(3), X)
    ident = _kron_matches(ic.diff(ic.vec(X, order=vec), X), 1, vals, layout, vec)
    assert str(ident) == "I_12" and ident.latex() == "I_{12}"   # alone, I says its size
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
        assert str(form) == "I_(m·n)" and form.latex() == "I_{m·n}"


@pytest.mark.parametrize("vec", ORDERS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_unvec_on_the_variable_side(vec, layout):
    A, _, B = _abx()
    x = ic.Tensor("x", 12)
    vals = _vals(np.random.default_rng(4), A, B, x)
    d = ic.diff(A @ ic.unvec(x, (3, 4), order=vec) @ B, x)
    assert _norm(str(_kron_matches(d, 2, vals, layout, vec))) == _norm(AXB[vec, layout])
    ident = _kron_matches(ic.diff(ic.unvec(x, (3, 4), order=vec), x), 2, vals, layout, vec)
    assert str(ident) == "I_12"


@pytest.mark.parametrize("vec", ORDERS)
def test_vec_of_a_sum_is_read_term_by_term(vec):
    A, X, B = ic.tensors("A[3,3] X[3,4] B[4,4]")
    vals = _vals(np.random.default_rng(5), A, X, B)
    d = ic.diff(ic.vec(A @ X @ B + 2 * X, order=vec), X)
    for layout in LAYOUTS:
        form = _kron_matches(d, 1, vals, layout, vec)
        assert "mat_" not in str(form) and "⊗" in str(form)
    want = "Bᵀ ⊗ A + 2 I" if vec == "col" else "A ⊗ Bᵀ + 2 I"
    assert _norm(str(ic.to_kron(d, vec=vec))) == _norm(want)


# --------------------------------------------------------------------------- to_matrix, structure

def _matrix_matches(expr, vals, layout, vectors):
    form = ic.to_matrix(expr, layout, vectors)
    want = np.asarray(ic.evaluate(expr, **vals))
    got = form.evaluate(**vals)
    flip = transposes(layout, split_of(expr, None))
    if want.ndim == 2 and flip:
        want = want.T
    if want.ndim == 1:  # a vector: a column n × 1 or a row 1 × n, flipped by the layout
        column = (vectors == "column") != flip
        assert got.shape == ((want.size, 1) if column else (1, want.size)), str(form)
        got = got.ravel()
    assert got.shape == want.shape, (str(form), got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=str(form))
    return form


def _structure_cases():
    x, v, u = ic.Tensor("x", 5), ic.Tensor("v", 4), ic.Tensor("u", 12)
    X, W, S = ic.Tensor("X", (4, 4)), ic.Tensor("W", (3, 4)), ic.Tensor("S", (2, 3))
    h = ic.tanh(W @ v).named("h")
    return (x, v, u, X, W, S), {
        # name: (expression, its column-vector denominator-layout form or None, node types)
        "slice": (x[1:3], "x[1:3]", "Index"),
        "row of a matrix": (X[1], "X[1, :]", "Index"),
        "column of a matrix": (W[:, 2], "W[:, 2]", "Index"),
        "entry": (W[2, 1], "W[2, 1]", "Index"),
        "slice of a named": (h[1:], "h[1:3]", "Index"),
        "slice of a product": ((W @ v)[1:], "W[1:3, :] v", "Index"),
        "slice of a function": (ic.tanh(W @ v)[1:], "I[1:3, :] tanh(W v)", "Index"),
        "new axis": (x[None, :], "xᵀ", "Index"),
        "new axis last": (x[:, None], "x", "Index"),
        "d slice / dx": (ic.diff(x[1:3], x), "I[1:3, :]ᵀ", "Index"),
        "grad of a slice": (ic.grad(ic.sum(x[1:3] ** 2), x), "I[1:3, :]ᵀ (2 x[1:3])", "Scatter"),
        "grad of a row": (ic.grad(ic.sum(X[1] * v), X), "I[1, :] vᵀ", "Scatter"),
        "grad of a block": (ic.grad(ic.sum(X[1:3, :2] * S.T[:2]), X), None, "Scatter"),
        "concatenate": (ic.concatenate([x, 2 * x]), "[x; 2 x]", "Concat"),
        "concatenate columns": (ic.concatenate([W, W[:, :1]], axis=1), "[W, W[:, :1]]", "Concat"),
        "stack": (ic.stack([v, W.T @ W[:, 0]]), None, "Concat"),
        "grad through concat": (ic.grad(ic.sum(ic.concatenate([W @ v, v]) ** 2), v), None,
                                "Concat"),
        "tril": (ic.tril(X), "tril(X)", "TriMask"),
        "triu k": (ic.triu(X, 1) @ v, "triu(X, 1) v", "TriMask"),
        "tril of a transpose": (ic.tril(X.T, -1), "tril(Xᵀ, -1)", "TriMask"),
        "grad through triu": (ic.grad(ic.sum(ic.triu(X) @ v), X), "triu(1_4 1_4ᵀ) diag(v)",
                              "TriMask"),
        "vec": (ic.vec(W), "vec(W)", "Reshape"),
        "vec row": (ic.vec(W, order="row"), "vec_row(W)", "Reshape"),
        # alone, unvec(u) does not say its shape (3 × 4 or 4 × 3, …): the text states it
        "unvec": (ic.unvec(u, (3, 4)), "unvec_(3,4)(u)", "Reshape"),
        "unvec row": (ic.unvec(u, (3, 4), order="row"), "unvec_row_(3,4)(u)", "Reshape"),
        "grad through vec": (ic.grad(ic.vec(W) @ u, W), "unvec_(3,4)(u)", "Reshape"),
        "vec in a product": (ic.vec(S) @ ic.vec(W[:2, :3]), None, "Reshape"),
    }


@pytest.mark.parametrize("name", list(_structure_cases()[1]))
def test_to_matrix_prints_and_evaluates_structure_nodes(name):
    tensors, cases = _structure_cases()
    expr, text, _ = cases[name]
    vals = _vals(np.random.default_rng(len(name)), *tensors)
    for layout in LAYOUTS:
        for vectors in ("column", "row"):
            form = _matrix_matches(expr, vals, layout, vectors)
            assert "mat_" not in str(form)
    if text is not None:
        assert _norm(str(ic.to_matrix(expr))) == _norm(text)
        assert "[" in ic.to_matrix(expr).latex() or "]" not in text


def test_every_structure_node_type_is_covered():
    _, cases = _structure_cases()
    for kind in (Index, Scatter, Concat, TriMask, Reshape):
        named = [n for n, (_, _, k) in cases.items() if k == kind.__name__]
        assert named and all(any(isinstance(m, kind) for m in postorder([cases[n][0]]))
                             for n in named), kind


def test_structure_of_order_above_2_inside_an_order_2_result_has_a_form():
    """Issue 13: to_matrix is total on order ≤ 2; pieces of order 3 or 4 inside are re-associated
    or written as a where-definition, and the form evaluates to the expression's value."""
    T3, x = ic.Tensor("T", (2, 3, 4)), ic.Tensor("x", 6)
    scatter3 = ic.grad(ic.sum(T3[0] ** 2), T3)  # order 3: zeros but the first slice
    cases = {"Reshape": ic.reshape(ic.Tensor("M", (2, 6)), (3, 4)),
             "Index": ic.sum(ic.Tensor("Q", (2, 3, 4, 5))[:, :, 0][None] ** 2, axis=(0, 1)),
             "Concat": ic.exp(ic.concatenate([T3, T3]))[1],
             "Scatter": ic.sum(scatter3, axis=0),
             "chain": ic.reshape(x, (2, 3)) @ ic.reshape(ic.Tensor("M", (2, 6)), (3, 4))}
    rng = np.random.default_rng(3)
    vals = {"T": rng.normal(size=(2, 3, 4)), "x": rng.normal(size=6),
            "M": rng.normal(size=(2, 6)), "Q": rng.normal(size=(2, 3, 4, 5))}
    for kind, expr in cases.items():
        assert expr.ndim <= 2
        form = ic.to_matrix(expr)
        used = {t.name: vals[t.name] for t in postorder([expr]) if isinstance(t, ic.Tensor)}
        want = np.asarray(expr.evaluate(**used))
        want = want.reshape(-1, 1) if want.ndim == 1 else want
        np.testing.assert_allclose(form.evaluate(**used), want, rtol=1e-10, err_msg=kind)


def test_latex_of_structure_forms_is_balanced_and_known():
    tensors, cases = _structure_cases()
    for expr, _, _ in cases.values():
        assert_well_formed(ic.to_matrix(expr).latex())
    A, X, B = _abx()
    for d in (ic.diff(ic.vec(A @ X @ B), X), ic.diff(ic.vec(X.T), X),
              ic.diff(ic.vec(A @ X @ B, order="row"), X)):
        assert_well_formed(ic.to_kron(d).latex())
