"""``s = s + term`` is linear in the number of terms: a nested sum past ``FLATTEN_LIMIT`` terms
stays one term instead of being copied into each new sum (T² term copies at T = 4000: 45 s)."""

import numpy as np

import indexcalc as ic
from indexcalc.core.algebra import FLATTEN_LIMIT
from indexcalc.core.graph_walk import postorder
from indexcalc.core.nodes import Sum


def test_a_sum_built_term_by_term_copies_a_bounded_number_of_terms():
    T = 5 * FLATTEN_LIMIT
    terms = [ic.Tensor(f"t{i}", 3) for i in range(T)]
    s = terms[0]
    for t in terms[1:]:
        s = s + t
    sums = [n for n in postorder([s]) if isinstance(n, Sum)]
    assert max(len(n.terms) for n in sums) <= FLATTEN_LIMIT + 1
    rng = np.random.default_rng(0)
    values = {f"t{i}": rng.normal(size=3) for i in range(T)}
    np.testing.assert_allclose(s.evaluate(values), sum(values.values()), rtol=1e-12)
    g = ic.grad(ic.sum(s * s), terms[7])  # the derivative sees every term
    np.testing.assert_allclose(g.evaluate(values), 2 * sum(values.values()), rtol=1e-12)


def test_small_sums_are_still_flattened_and_collected():
    x, y = ic.tensors("x[n] y[n]")
    assert (x + y) + x is 2 * x + y
    assert ((x + y) - y) is x
