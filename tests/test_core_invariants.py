"""The graph checker (``tests/graph_check.py``): it passes on what the library builds, derives and
simplifies, has a row for every node type, and fails on nodes that break an invariant.

The random expressions of ``tests/fuzz_expressions.py`` run through it after every ``diff``,
``grad``, ``hessian`` and ``simplify`` (``tests/test_calculus_fuzz.py``,
``tests/test_end_to_end_fuzz.py``); here are hand-written graphs and hand-broken nodes.
"""

import numpy as np
import pytest

import graph_check
import indexcalc as ic
from indexcalc.core import nodes
from indexcalc.core.graph_walk import tensors_of
from indexcalc.core.nodes import Delta, Product, Sum, _intern

X, W, v, h0 = ic.tensors("X[n,d] W[d,h] v[h] h0[h]")
x, M, T = ic.Tensor("x", 4), ic.Tensor("M", (3, 4)), ic.Tensor("T", (2, 3, 4))
S = ic.Tensor("S", ("n", "n"), symmetric=True)
SIZES = {"n": 3, "d": 4, "h": 5}


def _deep(steps=300):
    H = ic.Tensor("H", ("h", "h"))
    z = h0
    for _ in range(steps):
        z = ic.tanh(H @ z)
    return ic.sum(z), H


EXPRESSIONS = {
    "least squares": 0.5 * ic.sum((X @ W @ v - ic.Tensor("y", "n")) ** 2),
    "softmax and logsumexp": ic.sum(ic.log_softmax(X @ W, axis=1)) + ic.logsumexp(X, axis=0).sum(),
    "matrix functions": ic.logdet(S) + ic.det(ic.inv(S)) + ic.trace(S @ S),
    "reshape and vec": ic.vec(X @ W) @ ic.vec(ic.Tensor("U", ("n", "h"))),
    "named and shared": ic.sum(ic.tanh(X @ W).named("h") ** 2),
    "delta": ic.sum(ic.eye("n") * ic.trace(ic.eye("d")) * (X @ X.T)),
    "slices": ic.sum(M[1:, ::-1] ** 2) + ic.sum(T[0, None, ..., 1:3]),
    "stack and concatenate": ic.sum(ic.concatenate([ic.stack([x, 2 * x]), M[:1]]) ** 2),
    "tril, triu, where": ic.sum(ic.tril(M, 1) * ic.triu(M) + ic.where(np.eye(3, 4) > 0, M, 1.0)),
    "deep chain": _deep()[0],
}


@pytest.mark.parametrize("name", EXPRESSIONS)
def test_built_derived_and_simplified_graphs_pass(name):
    e = EXPRESSIONS[name]
    assert graph_check.check(e, SIZES) >= 2
    for t in tensors_of(e):
        g = ic.grad(e, t)
        graph_check.check(g, SIZES)
        if name != "deep chain":
            graph_check.check(ic.diff(g, t), SIZES)
    graph_check.check(ic.simplify(e), SIZES)


def test_every_node_type_has_a_row_and_is_declared_in_core():
    """The node set is closed: declared once (``NODE_TYPES``), and the checker has each row."""
    declared = {t.__name__ for t in nodes.NODE_TYPES}
    assert declared == set(graph_check.RULES_BY_TYPE)


def test_a_thousand_levels_are_checked_without_recursion():
    e, H = _deep(1000)
    assert graph_check.check(e) > 1000
    graph_check.check(ic.grad(e, H))


def _forged(cls, **fields):
    """A node built around its constructor's checks (as a buggy rule could)."""
    return _intern(cls, **fields)


BROKEN = {
    "delta of order 1": (lambda: Delta("n", 1), "order 1"),
    "labels not canonical": (lambda: _forged(Product, coef=1.0, factors=((X, (1, 0)),), out=(1, 0),
                                             dims=("n", "d"), shape=("d", "n")), "canonical"),
    "label joins two dimensions": (lambda: _forged(Product, coef=1.0, factors=((X, (0, 2)), (W, (2, 1))),
                                                   out=(0, 1), dims=("n", "h", "h"), shape=("n", "h")),
                                   "joins dimension"),
    "repeated output label": (lambda: _forged(Product, coef=1.0, factors=((v, (0,)),), out=(0, 0),
                                              dims=("h",), shape=("h", "h")), "repeated"),
    "shape not from the output": (lambda: _forged(Product, coef=1.0, factors=((v, (0,)),), out=(0,),
                                                  dims=("h",), shape=("d",)), "Product"),
    "sum of two shapes": (lambda: _forged(Sum, terms=((1.0, v), (1.0, X)), shape=("h",)), "term of shape"),
    "unknown function": (lambda: _forged(nodes.Apply, fn="frobnicate", arg=v, param=None, shape=("h",)),
                         "rule table"),
    "det of a vector": (lambda: _forged(nodes.Det, arg=v, shape=()), "non-square"),
    "reshape changes the size": (lambda: _forged(nodes.Reshape, arg=x, shape=(3, 2)), "reshape"),
    "not interned": (lambda: _not_interned(), "another object"),
}


def _not_interned():
    node = object.__new__(nodes.Tensor)
    for k, val in (("name", "q"), ("shape", (2,)), ("symmetric", False), ("_pins", None)):
        object.__setattr__(node, k, val)
    return node


@pytest.mark.parametrize("name", BROKEN)
def test_broken_nodes_are_caught(name):
    build, words = BROKEN[name]
    bad = build()
    with pytest.raises(AssertionError, match=words):
        graph_check.check(bad)
    inside = _forged(nodes.Named, name="outer", arg=bad, shape=bad.shape)  # found below the root
    with pytest.raises(AssertionError, match=words):
        graph_check.check(inside)
