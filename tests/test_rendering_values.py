"""Values that print (issue 16): short reprs that say what a value is, notebook forms, and
``evaluate`` taking a dict positionally."""

from __future__ import annotations


import numpy as np
import pytest

import indexcalc as ic

X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
LOSS = 0.5 * ic.sum((X @ W @ v - y) ** 2)


@pytest.mark.parametrize("expr, starts", [
    (X @ W, "<Product (n, h): "),
    (ic.grad(LOSS, W), "<Derivative ∂f/∂W (d, h): "),
    (ic.grad(LOSS.named("l"), W), "<Derivative ∂l/∂W (d, h): "),
    (ic.tanh(X), "<Apply (n, d): tanh(X[n,d])"),
    (LOSS, "<Product (): "),
])
def test_repr_says_kind_shape_and_notation(expr, starts):
    text = repr(expr)
    assert text.startswith(starts) and text.endswith(">")
    assert len(text) < 120
    body = text[len(starts):-1]
    assert str(expr).startswith(body.rstrip(" …"))  # the start of the index notation


def test_long_notation_is_cut_with_an_ellipsis():
    g = ic.grad(0.5 * ic.sum(ic.tanh(X @ W) ** 2), W)
    assert len(str(g)) > 80
    assert repr(g).endswith(" …>") and len(repr(g)) < 120


def test_repr_of_a_deep_graph_is_short_and_does_not_raise():
    """A graph too large to show says its size (the walk stops there: no recursion, no full
    rendering; its speed is measured by examples/depth_benchmark.py, not asserted here)."""
    x = ic.Tensor("x", 3)
    e = x
    for _ in range(10_000):
        e = ic.tanh(e)
    text, html = repr(e), e._repr_html_()
    assert len(text) < 200
    assert text.startswith("<Apply (3,): a graph of over") and "nodes" in html
    assert e._repr_latex_() is None  # too large to typeset; the notebook shows the HTML


def test_notebook_forms():
    f = X @ W
    assert f._repr_latex_().startswith("$") and "X_{nd}" in f._repr_latex_()
    assert "Σ_d X[n,d] W[d,h]" in f._repr_html_()
    m = ic.to_matrix(ic.grad(LOSS, W))
    assert m._repr_html_() == f"<pre>{m}</pre>".replace("−", "−")
    d = ic.explain(LOSS, W)
    assert d._repr_latex_().startswith("$$") and d._repr_html_().startswith("<pre>")
    p = ic.plan(X @ W @ v, n=3, d=4, h=5)
    assert p._repr_html_().startswith("<pre>") and "contraction" in p._repr_html_()


def test_derivation_and_plan_reprs_are_short():
    d = ic.explain(LOSS, W)
    p = ic.plan(X @ W @ v, n=3, d=4, h=5)
    assert repr(d).startswith("<Derivation df/dW") and len(repr(d)) < 160
    assert repr(p).startswith("<Plan for d=4, h=5, n=3: 1 contraction(s)") and len(repr(p)) < 160
    assert "FLOPs" in repr(p)


def test_to_latex_accepts_a_matrix_form_and_a_derivation():
    m = ic.to_matrix(ic.grad(LOSS, W))
    assert ic.to_latex(m) == m.latex()
    d = ic.explain(LOSS, W)
    assert ic.to_latex(d) == d.latex()


def test_evaluate_takes_a_dict_positionally():
    rng = np.random.default_rng(0)
    values = {"X": rng.normal(size=(5, 3)), "W": rng.normal(size=(3, 4))}
    expected = values["X"] @ values["W"]
    f = X @ W
    for out in (f.evaluate(values), ic.evaluate(f, values), ic.compile(f)(values),
                ic.evaluate(f, {"X": values["X"]}, W=values["W"])):
        np.testing.assert_allclose(out, expected)
    with pytest.raises(ic.BindingError, match="dict"):
        ic.evaluate(f, [values["X"]])
