"""Matrix forms of deep recurrences: a subexpression used several times is defined once.

The gradient of an unrolled recurrence shares its hidden states and cotangents between steps;
written out in full its text grows quadratically with the depth. ``ic.to_matrix`` writes each
large shared piece once, in a ``where`` clause (``z1 = …``), and the form still evaluates, from
its own tree, to exactly the tensor. Sizes are distinct (h = 4, d = 3) so a transpose in the wrong
place changes the shape or the values.
"""

import re

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.cli import main
from indexcalc.layouts.conventions import split_of, transposes

from _work import calls


def _recurrence(steps: int):
    """``h_t = tanh(W h_{t−1} + U x)``; the loss is ``Σ h_T``."""
    W, U, x, h0 = ic.tensors("W[h,h] U[h,d] x[d] h0[h]")
    h = h0
    for _ in range(steps):
        h = ic.tanh(W @ h + U @ x)
    return ic.sum(h), (W, U, x, h0)


def _values(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {"W": 0.5 * rng.normal(size=(4, 4)), "U": rng.normal(size=(4, 3)),
            "x": rng.normal(size=3), "h0": rng.normal(size=4)}


def _expected(value: np.ndarray, expr, layout: str, vectors: str) -> np.ndarray:
    m = value.reshape(-1, 1) if value.ndim == 1 else value
    if value.ndim == 1 and vectors == "row":
        m = m.T
    return m.T if transposes(layout, split_of(expr, None)) else m


def _size(form) -> int:
    return len(str(form))


def test_text_and_work_grow_linearly_with_depth():
    sizes, work = {}, {}
    for steps in (100, 400):
        loss, (W, *_) = _recurrence(steps)
        g = ic.grad(loss, W)
        work[steps], form = calls(lambda: ic.to_matrix(g))
        sizes[steps] = len(str(form)) + len(form.latex())
    assert sizes[400] / sizes[100] < 6, sizes  # 4× deeper: about 4× the text, not 16×
    assert work[400] / work[100] < 6, work  # counted calls: quadratic text took ~24 s here


@pytest.mark.parametrize("wrt", ["W", "U", "h0", "x"])
def test_deep_form_evaluates_to_the_gradient_in_every_convention(wrt):
    loss, tensors = _recurrence(30)
    g = ic.grad(loss, dict(zip("W U x h0".split(), tensors))[wrt])
    vals = _values()
    tensor = ic.evaluate(g, **vals)
    for layout in ("numerator", "denominator"):
        for vectors in ("column", "row"):
            form = ic.to_matrix(g, layout, vectors)
            assert "\nwhere\n  z1 = " in str(form), (wrt, layout, vectors)
            got = form.evaluate(**vals)
            want = _expected(tensor, g, layout, vectors)
            assert got.shape == want.shape, (wrt, layout, vectors)
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12,
                                       err_msg=f"{wrt} {layout} {vectors}")


def test_every_definition_is_used_and_defined_before_use():
    loss, (W, *_) = _recurrence(12)
    text = str(ic.to_matrix(ic.grad(loss, W)))
    main_text, _, defs = text.partition("\nwhere\n")
    lines = defs.splitlines()
    names = [line.split(" = ")[0].strip() for line in lines]
    assert names == [f"z{k}" for k in range(1, len(names) + 1)]
    for k, (name, line) in enumerate(zip(names, lines)):
        body = line.split(" = ", 1)[1]
        later = set(re.findall(r"z\d+", body)) - set(names[:k])
        assert not later, f"{name} uses {later} before they are defined"
        uses = re.findall(rf"\b{name}\b", main_text + "\n" + "\n".join(lines[k + 1:]))
        assert len(uses) >= 1, f"{name} is defined but never used"


def test_names_skip_the_names_of_tensors_in_scope():
    W, h0, z1 = ic.tensors("W[h,h] h0[h] z1[h]")
    h = h0
    for _ in range(6):
        h = ic.tanh(W @ h + z1)
    g = ic.grad(ic.sum(h), W)
    form = ic.to_matrix(g)
    assert "\n  z1 = " not in str(form) and "\n  z2 = " in str(form)
    vals = {"W": 0.3 * np.eye(4) + 0.1, "h0": np.arange(4.0), "z1": np.ones(4)}
    np.testing.assert_allclose(form.evaluate(**vals), ic.evaluate(g, **vals), rtol=1e-10)


def test_latex_is_one_balanced_aligned_block():
    loss, (W, *_) = _recurrence(5)
    tex = ic.to_matrix(ic.grad(loss, W)).latex()
    assert tex.startswith(r"\begin{aligned}") and tex.endswith(r"\end{aligned}")
    assert r"\text{where}" in tex and r"\quad \mathrm{z1} = " in tex
    depth = 0
    for ch in tex:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0


def test_small_shared_pieces_stay_inline():
    X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
    r = X @ W @ v - y  # reached from both terms of the loss, but short
    g = ic.grad(0.5 * ic.sum(r ** 2) + ic.sum(r), W)
    text = str(ic.to_matrix(g))
    assert "where" not in text
    assert str(ic.to_matrix(ic.grad(0.5 * ic.sum(r ** 2), W))) == "Xᵀ (X W v − y) vᵀ"
    h = ic.tanh(X @ W).named("h")
    assert "where" not in str(ic.to_matrix(ic.diff(ic.tanh(h @ v), v)))


def test_explain_and_the_command_line_show_the_where_clause(capsys):
    loss, (W, *_) = _recurrence(3)
    d = ic.explain(loss, W)
    assert "\nwhere\n  z" in str(d) and r"\text{where}" in d.latex()
    # the form's definitions never reuse a name the derivation gave an intermediate
    defined = set(d.matrix_form.definition_names)
    assert defined and not defined & {name for name, _ in d.definitions}
    vals = {k: v for k, v in _values().items() if k in ("W", "U", "x", "h0")}
    np.testing.assert_allclose(d.matrix_form.evaluate(**vals),
                               ic.evaluate(ic.grad(loss, W), **vals), rtol=1e-10)
    code = main(["diff", "sum(tanh(W@tanh(W@tanh(W@h0+u)+u)+u))", "--wrt", "W",
                 "--shape", "W=h h", "--shape", "h0=h", "--shape", "u=h", "--format", "matrix"])
    out = capsys.readouterr().out
    assert code == 0
    assert "\nwhere\n  z1 = tanh(W tanh(W h0 + u) + u)\n" in out
