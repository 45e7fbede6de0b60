"""An RNN unrolled with a Python loop over ``xs[t]``: exact gradients, linear size in the steps."""

from __future__ import annotations

import numpy as np

import indexcalc as ic
from indexcalc.core.graph_walk import postorder

from _structure_util import fd_jacobian


def rnn_loss(steps: int, n="n", h="h"):
    """``Σ_t vᵀ h_t`` with ``h_t = tanh(W h_{t−1} + U xs[t] + b)``, ``h_0 = 0``."""
    xs = ic.Tensor("xs", (steps, n))
    W, U = ic.Tensor("W", (h, h)), ic.Tensor("U", (h, n))
    b, v = ic.Tensor("b", h), ic.Tensor("v", h)
    state = None
    loss = 0.0
    for t in range(steps):
        pre = U @ xs[t] + b if state is None else W @ state + U @ xs[t] + b
        state = ic.tanh(pre)
        loss = loss + v @ state
    return loss, (xs, W, U, b, v)


def _values(steps: int, n: int = 3, h: int = 4, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {"xs": rng.normal(size=(steps, n)), "W": 0.5 * rng.normal(size=(h, h)),
            "U": rng.normal(size=(h, n)), "b": rng.normal(size=h), "v": rng.normal(size=h)}


def _numpy_loss(vals: dict) -> float:
    state, loss = np.zeros(len(vals["b"])), 0.0
    for x in vals["xs"]:
        state = np.tanh(vals["W"] @ state + vals["U"] @ x + vals["b"])
        loss += vals["v"] @ state
    return loss


def test_rnn_value_and_gradients_by_weights():
    loss, (xs, W, U, b, v) = rnn_loss(20)
    vals = _values(20)
    np.testing.assert_allclose(loss.evaluate(**vals), _numpy_loss(vals))
    for weight in (W, U, b):
        g = ic.grad(loss, weight)
        assert g.shape == weight.shape
        np.testing.assert_allclose(g.evaluate(**vals), fd_jacobian(loss, weight, vals),
                                   rtol=1e-6, atol=1e-8)


def test_rnn_gradient_by_the_sequence():
    loss, (xs, *_) = rnn_loss(20)
    vals = _values(20, seed=1)
    g = ic.grad(loss, xs)
    assert g.shape == (20, "n")
    np.testing.assert_allclose(g.evaluate(**vals), fd_jacobian(loss, xs, vals),
                               rtol=1e-6, atol=1e-8)


def _size(steps: int) -> tuple[int, int, int]:
    loss, (xs, W, *_) = rnn_loss(steps)
    g = ic.grad(loss, W)
    return len(postorder([loss])), len(postorder([g])), len(ic.plan(g, n=3, h=4).steps)


def test_rnn_grows_linearly_in_the_steps():
    small, large = _size(20), _size(40)
    for a, b in zip(small, large):
        assert 1.8 <= b / a <= 2.1, (small, large)
    # one matrix product per step and direction: no step's gradient repeats the chain behind it
    loss_nodes, grad_nodes, products = large
    assert products <= 8 * 40


def test_rnn_second_order_through_indexing():
    loss, (xs, W, U, b, v) = rnn_loss(5)
    vals = _values(5, seed=2)
    H = ic.hessian(loss, b)
    np.testing.assert_allclose(H.evaluate(**vals), fd_jacobian(ic.grad(loss, b), b, vals),
                               rtol=1e-5, atol=1e-7)
