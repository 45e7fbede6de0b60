"""The graph is interned: building an equal expression twice gives the same node, a subexpression
used twice is one node, alpha-equivalent products are one node, and nodes are immutable.
"""

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.core.graph_walk import postorder

X, W, v, b = ic.tensors("X[n,d] W[d,h] v[h] b[h]")


# --------------------------------------------------------------------------- interning

@pytest.mark.parametrize("build", [
    lambda: ic.Tensor("X", ("n", "d")),
    lambda: ic.tensors("X[n,d]")[0],
    lambda: X @ W,
    lambda: ic.einsum("nd,dh->nh", X, W),
    lambda: ic.tanh(X @ W + b),
    lambda: ic.softmax(X @ W, axis=0),
    lambda: ic.sum(ic.exp(X), axis=1),
    lambda: ic.inv(X.T @ X),
    lambda: ic.Constant(np.arange(3.0)),
    lambda: ic.delta("n", 3),
    lambda: (X @ W).named("h"),
], ids=["tensor", "tensors", "matmul", "einsum", "tanh", "softmax", "sum", "inv", "constant",
        "delta", "named"])
def test_building_twice_gives_one_node(build):
    assert build() is build()
    assert hash(build()) == hash(build())


def test_equal_subexpressions_are_one_node():
    h = ic.tanh(X @ W + b)
    e = ic.sum(h * h) + ic.sum(ic.tanh(X @ W + b))  # h rebuilt from scratch on the right
    nodes = postorder([e])
    assert sum(1 for n in nodes if n is h) == 1
    assert len(nodes) == len({id(n) for n in nodes})


def test_alpha_equivalent_products_are_one_node():
    assert ic.einsum("ij,jk->ik", X, W) is ic.einsum("ab,bc->ac", X, W) is X @ W
    assert ic.einsum("ij->ji", X) is X.T is X.transpose(1, 0) is ic.transpose(X)
    assert (X @ W).T is ic.einsum("ij,jk->ki", X, W)


def test_nodes_are_immutable():
    with pytest.raises(AttributeError):
        X.name = "Y"
    with pytest.raises(AttributeError):
        (X @ W).coef = 2.0
