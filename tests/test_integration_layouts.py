"""Where structure (vec, indexing, masks) meets the layout renderers and ``ic.explain``.

Every printed form is evaluated from its own tree and compared with the tensor reshaped by the
layout's convention (``ic.vec_jacobian`` for Kronecker forms), in both vec orders and layouts;
sizes are distinct (2, 3, 4, 5) so that a misplaced transpose changes a shape.
"""

import numpy as np
import pytest

import indexcalc as ic
import indexcalc.calculus.splits  # noqa: F401  (ic.calculus.splits below)
import indexcalc.core.graph_walk  # noqa: F401
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


# --------------------------------------------------------------------------- to_matrix, structure

def _matrix_matches(expr, vals, layout, vectors):
    form = ic.to_matrix(expr, layout, vectors)
    want = np.asarray(ic.evaluate(expr, **vals))
    got = form.evaluate(**vals)
    flip = ic.calculus.splits.transposes(layout, ic.calculus.splits.split_of(expr, None))
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
        "grad through triu": (ic.grad(ic.sum(ic.triu(X) @ v), X), "triu(1 1ᵀ) diag(v)",
                              "TriMask"),
        "vec": (ic.vec(W), "vec(W)", "Reshape"),
        "vec row": (ic.vec(W, order="row"), "vec_row(W)", "Reshape"),
        "unvec": (ic.unvec(u, (3, 4)), "unvec(u)", "Reshape"),
        "unvec row": (ic.unvec(u, (3, 4), order="row"), "unvec_row(u)", "Reshape"),
        "grad through vec": (ic.grad(ic.vec(W) @ u, W), "unvec(u)", "Reshape"),
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
            assert "mat(" not in str(form)
    if text is not None:
        assert _norm(str(ic.to_matrix(expr))) == _norm(text)
        assert "[" in ic.to_matrix(expr).latex() or "]" not in text


def test_every_structure_node_type_is_covered():
    from indexcalc.frontend.indexing import Index, Scatter
    from indexcalc.frontend.shaping import Concat, TriMask
    from indexcalc.core.graph_walk import postorder
    _, cases = _structure_cases()
    for kind in (Index, Scatter, Concat, TriMask, ic.core.nodes.Reshape):
        named = [n for n, (_, _, k) in cases.items() if k == kind.__name__]
        assert named and all(any(isinstance(m, kind) for m in postorder([cases[n][0]]))
                             for n in named), kind


def test_structure_without_a_matrix_form_says_which_node():
    from indexcalc.core.graph_walk import postorder
    T3, x = ic.Tensor("T", (2, 3, 4)), ic.Tensor("x", 6)
    scatter3 = ic.grad(ic.sum(T3[0] ** 2), T3)  # order 3: zeros but the first slice
    cases = {"Reshape": ic.reshape(ic.Tensor("M", (2, 6)), (3, 4)),
             "Index": ic.sum(ic.Tensor("Q", (2, 3, 4, 5))[:, :, 0][None] ** 2, axis=(0, 1)),
             "Concat": ic.exp(ic.concatenate([T3, T3]))[1],
             "Scatter": ic.sum(scatter3, axis=0)}  # (a TriMask is a matrix: tril(1 1ᵀ) at worst)
    for kind, expr in cases.items():
        assert expr.ndim <= 2 and kind in {type(m).__name__ for m in postorder([expr])}
        with pytest.raises(ic.LayoutError, match="to_kron") as err:
            ic.to_matrix(expr)
        assert kind in str(err.value) and "index notation" in str(err.value), (kind, err.value)
    with pytest.raises(ic.LayoutError, match="Reshape"):
        ic.to_matrix(ic.reshape(x, (2, 3)) @ ic.reshape(ic.Tensor("M", (2, 6)), (3, 4)))


# --------------------------------------------------------------------------- explain

def _rnn_lm():
    h_prev, H, e, I, b1, U, b2, y = ic.tensors(
        "h_prev[q] H[q,q] e[p] I[p,q] b1[q] U[q,r] b2[r] y[r]")
    h = ic.sigmoid(h_prev @ H + e @ I + b1).named("h")
    z = h @ U + b2
    rng = np.random.default_rng(11)
    sizes = {"q": 3, "p": 2, "r": 5}
    vals = {t.name: rng.normal(size=tuple(sizes[s] for s in t.shape))
            for t in (h_prev, H, e, I, b1, U, b2)}
    vals["y"] = np.eye(5)[3]  # one-hot, as declared by normalized=("y",)
    return h_prev, H, y, z, vals


ROW = "h_prevᵀ (y − ŷ) Uᵀ diag(h∘(1 − h))"
COL = "h_prev ((U (y − ŷ)) ∘ h ∘ (1 − h))ᵀ"


def _check_explained(d, J, H, vals, vectors, want):
    assert _norm(str(d).splitlines()[-1].split(": ", 1)[1]) == _norm(want)
    assert d.matrix_form.notes and "Σ y = 1" in d.matrix_form.notes[0]
    np.testing.assert_allclose(d.matrix_form.evaluate(**vals), ic.evaluate(ic.grad(J, H), **vals),
                               rtol=1e-10, atol=1e-12)
    assert "y − ŷ" in d.steps[-1].matrix.text  # the step of ∂J/∂H reads so as well


@pytest.mark.parametrize("vectors, want", [("row", ROW), ("column", COL)])
def test_explain_rnn_language_model_ends_with_the_textbook_form(vectors, want):
    h_prev, H, y, z, vals = _rnn_lm()
    J = ic.sum(y * ic.log_softmax(z))
    d = ic.explain(J, H, vectors=vectors, names=[ic.softmax(z).named("ŷ")], normalized=("y",))
    _check_explained(d, J, H, vals, vectors, want)
    assert r"\hat{y}" in d.latex()


@pytest.mark.parametrize("vectors, want", [("row", ROW), ("column", COL)])
def test_explain_uses_the_users_own_name_for_the_softmax(vectors, want):
    h_prev, H, y, z, vals = _rnn_lm()
    J = ic.sum(y * ic.log(ic.softmax(z).named("ŷ")))
    d = ic.explain(J, H, vectors=vectors, normalized=("y",))
    assert _norm(str(d).splitlines()[-1].split(": ", 1)[1]) == _norm(want)
    np.testing.assert_allclose(d.matrix_form.evaluate(**vals), ic.evaluate(ic.grad(J, H), **vals),
                               rtol=1e-10, atol=1e-12)
    # to_matrix of the gradient reads the same (ŷ ŷ^-1 cancels in the algebra)
    form = ic.to_matrix(ic.grad(J, H), vectors=vectors, normalized=("y",))
    assert _norm(str(form)) == _norm(want)


def test_explain_without_the_options_stays_exact_and_names_are_checked():
    h_prev, H, y, z, vals = _rnn_lm()
    J = ic.sum(y * ic.log_softmax(z))
    vals["y"] = np.array([0.2, -1.0, 0.4, 2.0, 0.3])  # not normalized: sum(y) stays
    d = ic.explain(J, H)
    assert "sum(y)" in d.matrix.text
    np.testing.assert_allclose(d.matrix_form.evaluate(**vals), ic.evaluate(ic.grad(J, H), **vals))
    with pytest.raises(ic.IndexcalcError, match="named"):
        ic.explain(J, H, names=[ic.softmax(z)])


# --------------------------------------------------------------------------- LaTeX of the four problems

def _four_problems():
    """(expression, the LaTeX of every renderer on it) for the four motivating problems."""
    W_hx, W_hh, e, h0 = ic.tensors("W_hx[5,4] W_hh[4,4] e[5] h0[4]")
    h = ic.tanh(W_hx.T @ e + W_hh.T @ h0).named("h")
    h_prev, H, y, z, _ = _rnn_lm()
    J = ic.sum(y * ic.log_softmax(z))
    X, W, v, t = ic.tensors("X[5,3] W[3,4] v[4] t[5]")
    A, Z, B = ic.tensors("A[2,3] Z[3,4] B[4,5]")
    loss = 0.5 * ic.sum((X @ W @ v - t) ** 2)
    R, W_in, u, b, x_prev = ic.tensors("R[4,4] W_in[4,3] u[3] b[4] x_prev[4]")
    x_t = R @ ic.sigmoid(x_prev) + W_in @ u + b
    y_hat = ic.softmax(z).named("ŷ")
    return {
        "dh/dW_hx": [ic.to_latex(ic.diff(h, W_hx)), ic.to_kron(ic.diff(h, W_hx)).latex(),
                     ic.to_kron(ic.diff(h, W_hx), "denominator", "row").latex(),
                     ic.explain(h, W_hx).latex()],
        "dJ/dH": [ic.to_latex(ic.grad(J, H)),
                  ic.to_matrix(ic.grad(J, H), vectors="row", names=[y_hat],
                               normalized=("y",)).latex(),
                  ic.explain(J, H, vectors="row", names=[y_hat], normalized=("y",)).latex()],
        "least squares": [ic.to_latex(ic.grad(loss, W)), ic.to_matrix(ic.grad(loss, W)).latex(),
                          ic.to_kron(ic.diff(X @ W, W)).latex(),
                          ic.to_kron(ic.diff(ic.vec(A @ Z @ B), Z)).latex(),
                          ic.explain(loss, W).latex()],
        "dx_t/dx_prev": [ic.to_latex(ic.diff(x_t, x_prev)),
                         ic.to_matrix(ic.diff(x_t, x_prev), "numerator").latex(),
                         ic.explain(x_t, x_prev, "numerator").latex()],
    }


@pytest.mark.parametrize("problem", ["dh/dW_hx", "dJ/dH", "least squares", "dx_t/dx_prev"])
def test_latex_of_the_four_problems_is_balanced_and_known(problem):
    from _latex import assert_well_formed
    for tex in _four_problems()[problem]:
        assert tex
        assert_well_formed(tex)


def test_latex_of_structure_forms_is_balanced_and_known():
    from _latex import assert_well_formed
    tensors, cases = _structure_cases()
    for expr, _, _ in cases.values():
        assert_well_formed(ic.to_matrix(expr).latex())
    A, X, B = _abx()
    for d in (ic.diff(ic.vec(A @ X @ B), X), ic.diff(ic.vec(X.T), X),
              ic.diff(ic.vec(A @ X @ B, order="row"), X)):
        assert_well_formed(ic.to_kron(d).latex())
