"""Never silently wrong: random expression graphs, every derivative against finite differences.

The generator (``tests/fuzz_expressions.py``) grows DAGs from every operation of the front end
(einsum with traces, diagonals and ``...``; broadcasting arithmetic with arrays and numbers;
``@``; transposes; every elementwise function on a safe domain; sums, softmax, log_softmax,
logsumexp, norm; inv/det/logdet of well-conditioned matrices; trace/diag/diagonal/outer/kron;
reshape; named; slices, ints, ``None`` and ``...`` in ``x[…]``; stack, concatenate, tril/triu,
where) with a NumPy twin of each, in named or int dimensions of sizes 3, 4, 5. Each expression is
checked for its value, ``diff`` by every variable, ``grad`` of a scalarization, the jvp/vjp adjoint
identity, ``hessian`` and ``diff(diff(·))``, and the graph checker (``tests/graph_check.py``) runs
after every ``diff``, ``grad`` and ``hessian``. The later stages (simplify, to_python, LaTeX) are
``tests/test_end_to_end_fuzz.py``. The large batch is ``benchmarks/fuzz_batch.py``.
"""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import indexcalc as ic
from fuzz_checks import check_all
from fuzz_expressions import SIZES, Node, _MODE, run_one, values


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_graphs_differentiate_exactly(seed):
    found = run_one(seed, stages=False)
    assert not found, "\n".join(map(str, found))


def _v(name):
    return ic.Tensor(name, {"x": ("a",), "y": ("b",), "A": ("a", "b"), "B": ("b", "c"),
                            "S": ("a", "a"), "s": ()}[name])


x, y, A, B, S, s = map(_v, ("x", "y", "A", "B", "S", "s"))


def _lsm(a, axis):
    return a - np.log(np.sum(np.exp(a), axis=axis, keepdims=True))


# Each row: a failure the fuzzers found, rebuilt by hand (expression, NumPy twin), and why.
REGRESSIONS = [
    # seed 157: the Hessian of Σ log_softmax(|x|) lost the factor n of a broadcast label that the
    # sum then summed (the size of a label in no factor was dropped by the product rules)
    ("sum_log_softmax_abs", lambda: ic.log_softmax(ic.abs(x)).sum(0),
     lambda v: _lsm(np.abs(v["x"]), -1).sum(0)),
    ("n_times_s", lambda: ic.sum(x * 0 + s), lambda v: np.sum(v["x"] * 0 + v["s"])),
    # seed 199: diag(y) named, times diag(y): differentiating twice met a delta whose labels were
    # all output labels listed out of output order (KeyError in delta elimination)
    ("named_diag_matmul_diag", lambda: ic.diag(y).named("h") @ ic.diag(y),
     lambda v: np.diag(v["y"]) @ np.diag(v["y"])),
    # seed 37: the transpose of a product holding a delta over permuted output labels
    ("transpose_of_diag_outer", lambda: ic.einsum("ij,k->jik", ic.diag(x), y).T,
     lambda v: np.einsum("ij,k->jik", np.diag(v["x"]), v["y"]).T),
    ("eye_transposed", lambda: (ic.eye("a") * s).T @ x,
     lambda v: (np.eye(SIZES["a"]) * v["s"]).T @ v["x"]),
]


@pytest.mark.parametrize("name,build,ref", REGRESSIONS, ids=[r[0] for r in REGRESSIONS])
def test_regressions(name, build, ref):
    rng = np.random.default_rng(1)
    base = values(rng)
    _MODE["named"] = True
    bad = check_all(Node(build(), ref, name), base, rng)
    assert not bad, bad


def test_the_checks_can_fail():
    """A twin with the right value but a slope off by 1% is reported by every first-order check."""
    rng = np.random.default_rng(2)
    base = values(rng)
    _MODE["named"] = True
    x0 = base["x"]
    bad = check_all(Node(ic.sin(x), lambda v: np.sin(v["x"]) + 0.01 * (v["x"] - x0), "wrong"),
                    base, rng, second_order=False)
    assert {c for c, _ in bad} >= {"diff by x", "grad by x", "jvp by x"}, bad
