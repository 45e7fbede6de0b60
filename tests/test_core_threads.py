"""Interning is thread-safe: threads building the same expressions at once share every node.

Two "equal" nodes made by a race would break equality-is-identity silently (a ``grad`` whose
``2Q`` term vanished because two ``Q`` were no longer the same); the lock in ``_intern`` makes
look-up and insertion one step.
"""

import sys
import threading

import numpy as np

import indexcalc as ic
from indexcalc.core.graph_walk import postorder
from indexcalc.core.expr import Expr, _rebuild

THREADS = 8


def _work(seed: int) -> tuple:
    """Build, differentiate and evaluate the same expressions in every thread."""
    Q, W = ic.tensors("Q[n,d] W[d,h]")
    f = ic.sum(Q * Q) + ic.sum(Q) + ic.sum(ic.tanh(Q @ W))
    for k in range(1, 30):  # many fresh nodes, all equal across threads
        f = f + ic.sum(ic.sin(k * Q))
    g = ic.grad(f, Q)
    fresh = [ic.Tensor(f"t{k}", 3) for k in range(3000)]  # new in all threads
    rng = np.random.default_rng(0)  # the same values everywhere
    values = {"Q": rng.normal(size=(3, 4)), "W": rng.normal(size=(4, 5))}
    return f, g, g.evaluate(**values), fresh


def test_eight_threads_build_one_graph():
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to provoke races
    try:
        results: list = [None] * THREADS
        barrier = threading.Barrier(THREADS)

        def run(i: int) -> None:
            barrier.wait()
            results[i] = _work(i)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(previous)
    f0, g0, v0, fresh0 = results[0]
    for f, g, v, fresh in results:
        assert f is f0 and g is g0
        assert all(a is b for a, b in zip(fresh, fresh0))
        np.testing.assert_array_equal(v, v0)
    Q = ic.Tensor("Q", ("n", "d"))
    rng = np.random.default_rng(0)
    q = rng.normal(size=(3, 4))
    w = rng.normal(size=(4, 5))  # independent reference of the gradient
    k = np.arange(1, 30)[:, None, None]
    ref = 2 * q + 1 + (1 - np.tanh(q @ w) ** 2) @ w.T + (k * np.cos(k * q)).sum(0)
    np.testing.assert_allclose(v0, ref, rtol=1e-10, atol=1e-12)
    # no duplicate: every node of both graphs is the one its fields rebuild
    for node in postorder([f0, g0]):
        assert isinstance(node, Expr)
        assert _rebuild(type(node), {k: getattr(node, k) for k in node._fields}) is node
    assert Q in postorder([f0])
