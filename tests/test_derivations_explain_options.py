"""``ic.explain`` with its options (``vectors``, ``names``, ``normalized``) on the RNN language model:
the derivation ends with the textbook form, which evaluates to the gradient.
"""

import numpy as np
import pytest

import indexcalc as ic


def _norm(s: str) -> str:
    return s.replace(" ", "").replace("^T", "ᵀ").replace("−", "-")


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


def test_normalized_simplifies_the_index_lines_as_the_matrix_lines():
    # the step's index line used to carry −y + Σ_r' y[r'] ŷ[r] while its matrix line read ŷ − y
    h_prev, H, y, z, vals = _rnn_lm()
    J = -ic.sum(y * ic.log(ic.softmax(z).named("ŷ")))
    d = ic.explain(J, H, normalized=("y",))
    for step in d.steps:
        assert "Σ_r' y[r']" not in step.index.text, step.index.text
    shown = [s for s in d.steps if "ŷ[r] - y[r]" in s.index.text]
    assert shown and all("assumes Σ y = 1 (declared normalized)" in s.notes for s in shown)
    assert "Σ_r' y[r']" in ic.explain(J, H).steps[-1].index.text  # not assumed: it stays
