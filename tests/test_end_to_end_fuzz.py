"""Random expressions through every stage after the front end: simplify, to_python, LaTeX, str.

The generator is ``tests/fuzz_expressions.py`` (its derivative checks are
``tests/test_calculus_fuzz.py``). Each generated expression must keep its value under
``ic.simplify`` (and satisfy the graph checker, ``tests/graph_check.py``, after it), give the same
array from the source ``ic.to_python`` writes as from ``ic.evaluate``, render to well-formed
LaTeX and print with ``str``; so must the gradient of a scalarization of it (scatters and sliced
deltas exist only in derivatives). The checks are ``tests/fuzz_checks.py``. A table of one small expression per structure node (slices, ints,
``None``, ``...``, stack, concatenate, tril/triu, where) pins every stage of each, with its
derivatives checked against central differences, so a failure names the node and the stage.
"""

import collections

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import indexcalc as ic
from fuzz_checks import check_all, check_stages
from fuzz_expressions import SIZES, Node, _MODE, build, case, run_one, values


@settings(max_examples=120, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_graphs_through_every_stage(seed):
    found = run_one(seed, derivatives=False)
    assert not found, "\n".join(map(str, found))


def test_the_generator_builds_every_structure_operation():
    """A fixed range of seeds uses each new operation, in both dimension modes."""
    used = collections.Counter()
    for seed in range(60):
        rng = np.random.default_rng(seed)
        base = values(rng)
        for named in (False, True):
            _MODE["named"] = named
            _, kinds = build(rng, 8, base)
            used.update((k, named) for k in kinds)
    for kind in ("index", "stack", "concatenate", "triangle", "where"):
        assert used[(kind, False)] > 0, kind
        if kind != "where":  # a mask is an array: where needs int dimensions
            assert used[(kind, True)] > 0, kind


def test_cases_are_reproducible():
    f1, base1, _ = case(1234)
    f2, base2, _ = case(1234)
    assert f1.expr is f2.expr and f1.what == f2.what
    assert all(np.array_equal(base1[k], base2[k]) for k in base1)


# --------------------------------------------------------------------------- one row per node

def _v(name):
    return ic.Tensor(name, {"x": ("a",), "y": ("b",), "A": ("a", "b"), "B": ("b", "c"),
                            "S": ("a", "a"), "s": ()}[name])


def _i(name):
    """The variable with int dimensions (3, 4, 5): slices whose length depends on the size."""
    return ic.Tensor(name, tuple(SIZES[d] for d in _v(name).shape))


x, y, A, B, S, s = map(_v, ("x", "y", "A", "B", "S", "s"))
xi, yi, Ai, Bi, Si = map(_i, ("x", "y", "A", "B", "S"))
MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])

# name: (expression, NumPy twin, whether the variables have int dimensions)
STRUCTURE = {
    "slice from 1": (lambda: xi[1:] * 2.0, lambda v: v["x"][1:] * 2.0, True),
    "reversed": (lambda: ic.tanh(x[::-1]) * x, lambda v: np.tanh(v["x"][::-1]) * v["x"], False),
    "reversed int": (lambda: xi[::-1] @ Ai, lambda v: v["x"][::-1] @ v["A"], True),
    "every other": (lambda: Ai[::2, 1:3], lambda v: v["A"][::2, 1:3], True),
    "range of a named": (lambda: ic.exp(A[0:2]), lambda v: np.exp(v["A"][0:2]), False),
    "int index": (lambda: A[1] @ B, lambda v: v["A"][1] @ v["B"], False),
    "negative int": (lambda: Ai[-1, ::-1], lambda v: v["A"][-1, ::-1], True),
    "new axis": (lambda: x[None] * A.T[:, :, None].sum(2), lambda v: v["x"][None] * v["A"].T, False),
    "ellipsis": (lambda: ic.sin(A[..., None, ::-1]), lambda v: np.sin(v["A"][..., None, ::-1]), False),
    "stack": (lambda: ic.stack([x, 2 * x, ic.tanh(x)], axis=1),
              lambda v: np.stack([v["x"], 2 * v["x"], np.tanh(v["x"])], axis=1), False),
    "stack last": (lambda: ic.stack([A, A * A], axis=-1) ** 2,
                   lambda v: np.stack([v["A"], v["A"] ** 2], axis=-1) ** 2, False),
    "concatenate": (lambda: ic.concatenate([Ai, Ai[:2]]) @ yi,
                    lambda v: np.concatenate([v["A"], v["A"][:2]]) @ v["y"], True),
    "concatenate named": (lambda: ic.concatenate([S, S * S], axis=1).T @ x,
                          lambda v: np.concatenate([v["S"], v["S"] ** 2], axis=1).T @ v["x"], False),
    "concatenate equal names": (lambda: ic.concatenate([x, ic.exp(x)]) * 1.5,
                                lambda v: np.concatenate([v["x"], np.exp(v["x"])]) * 1.5, False),
    "tril": (lambda: ic.tril(S) @ x, lambda v: np.tril(v["S"]) @ v["x"], False),
    "triu k": (lambda: ic.triu(A * A, 1), lambda v: np.triu(v["A"] ** 2, 1), False),
    "tril of a transpose": (lambda: ic.tril(B.T, -1), lambda v: np.tril(v["B"].T, -1), False),
    "where": (lambda: ic.where(MASK, Ai, ic.exp(Ai)),
              lambda v: np.where(MASK, v["A"], np.exp(v["A"])), True),
    "where broadcast": (lambda: ic.where(MASK[0], Ai * Ai, 0.5),
                        lambda v: np.where(MASK[0], v["A"] ** 2, 0.5), True),
    # Regressions the fuzzers found (issue 12), each a row with the seed that found it:
    # seed 10201: a product of five operands with an empty axis: opt_einsum's "dp" search
    # (chosen for 5-16 operands) raises a bare RuntimeError instead of planning an empty result
    "empty axis in a long product": (
        lambda: ic.einsum("ef,eb,ab,c,fd->abcd", Si, Si[:, :2], Si[3:, :2], xi, Si @ Bi[:3]),
        lambda v: np.einsum("ef,eb,ab,c,fd->abcd", v["S"], v["S"][:, :2], v["S"][3:, :2], v["x"],
                            v["S"] @ v["B"][:3]), True),
    # seed 20018: to_python broadcasts a one-entry constant with np.reshape(t, (1, ())) (TypeError)
    "slice plus a one-entry constant": (lambda: Ai[:, :1] + np.array([5.0]),
                                        lambda v: v["A"][:, :1] + 5.0, True),
    # seed 20137: to_python of a 2*a dimension under log_softmax: KeyError '(2' escapes
    "log_softmax of a doubled named axis": (
        lambda: ic.log_softmax(ic.diag(ic.concatenate([x, x])), 0),
        lambda v: _log_softmax0(np.diag(np.concatenate([v["x"], v["x"]]))), False),
}


def _log_softmax0(a):
    return a - np.log(np.sum(np.exp(a), axis=0, keepdims=True))


def _structure_case(name):
    build_expr, ref, ints = STRUCTURE[name]
    _MODE["named"] = not ints
    rng = np.random.default_rng(7)
    return Node(build_expr(), ref, name), values(rng), rng


@pytest.mark.parametrize("name", STRUCTURE)
def test_structure_node_through_every_stage(name):
    f, base, _ = _structure_case(name)
    bad = check_stages(f, base)
    assert not bad, bad


@pytest.mark.parametrize("name", STRUCTURE)
def test_structure_node_derivatives(name):
    f, base, rng = _structure_case(name)
    bad = check_all(f, base, rng)
    assert not bad, bad
