"""The layout and explanation stages do work linear in the depth of a graph (issue 14).

The graph is the depth benchmark's (``benchmarks/depth_benchmark.py``): ``x → sin(x) → sin(sin(x))
→ …``, whose gradient is a Hadamard product of one cosine per level, nested as the gradient's
products are (eight factors and the rest). Work is counted (function calls, ``tests/_work.py``),
never timed: 4× the depth must make about 4× the calls, where a stage that re-flattens the
nested products at every level (``to_matrix``, ``to_kron``) or rewrites every step's LaTeX by a
table of all earlier names (``explain``) made ~16× of its part of the work. Values are checked
against the chain rule written out in NumPy.
"""

import numpy as np
import pytest

import indexcalc as ic

from _work import calls

X = ic.Tensor("x", "n")
VALUE = np.array([0.1, 0.7, 1.3])


def sin_chain(depth: int):
    e = X
    for _ in range(depth):
        e = ic.sin(e)
    return ic.sum(e)


def gradient_by_hand(depth: int, x: np.ndarray) -> np.ndarray:
    """``Π_k cos(e_k)``, ``e_0 = x``, ``e_{k+1} = sin(e_k)``: the chain rule, level by level."""
    g, e = np.ones_like(x), x
    for _ in range(depth):
        g, e = g * np.cos(e), np.sin(e)
    return g


STAGES = {
    "to_matrix": lambda f: ic.to_matrix(ic.grad(f, X)),
    "to_kron": lambda f: ic.to_kron(ic.grad(f, X)),
}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_matrix_forms_of_a_deep_gradient_do_linear_work(stage):
    run = STAGES[stage]
    str(run(sin_chain(20)))  # imports and caches warmed, not counted
    work, forms = {}, {}
    for depth in (1000, 4000):
        f = sin_chain(depth)
        work[depth], forms[depth] = calls(lambda: str(run(f)))
    # linear: 4.00× (counts are exact); re-flattening every level's product made 4.56× here:
    # a quadratic part, n²/16 calls, small at 1000 and a sixth of the work at 4000
    assert work[4000] / work[1000] < 4.3, work
    assert forms[4000].count("cos") == 4000, stage


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_matrix_forms_of_a_deep_gradient_evaluate_to_the_chain_rule(stage):
    form = STAGES[stage](sin_chain(300))
    got = form.evaluate(x=VALUE)
    assert got.size == 3 and 1 in got.shape, got.shape  # a column (to_matrix) or row (to_kron)
    np.testing.assert_allclose(got.ravel(), gradient_by_hand(300, VALUE), rtol=1e-12)


def test_explain_of_a_deep_chain_does_linear_work():
    str(ic.explain(sin_chain(10), X))  # warm
    work, texts = {}, {}
    for depth in (200, 800):
        f = sin_chain(depth)
        work[depth], d = calls(lambda: ic.explain(f, X))
        texts[depth] = str(d) + d.latex()
        np.testing.assert_allclose(ic.evaluate(d.result, x=VALUE), gradient_by_hand(depth, VALUE),
                                   rtol=1e-12)
    # linear: 3.9×; rewriting each step's LaTeX by a table of every earlier name made it 6.5×
    assert work[800] / work[200] < 5.0, work
    assert len(texts[800]) < 5 * len(texts[200])
