"""Deep and wide graphs: a 1000-step unrolled ``tanh(W @ h)`` recurrence, end to end.

Building, differentiating (``diff``, ``grad``, a Hessian-vector product), simplifying, planning,
rendering and evaluating must not recurse (the graph is ~3000 nodes deep, past Python's default
recursion limit) and must do work linear in depth: 4× the steps may make well under the 16× the
function calls a quadratic step would (counted, not timed). Hash-consing keeps the chain shared:
node counts grow linearly.

``to_matrix`` of the chain's *gradient* writes each shared back-propagated cotangent once, in
its where clause, so its text grows linearly too (4,047 characters at 50 steps, 17,047 at 200;
``tests/test_layouts_deep.py`` and ``tests/test_end_to_end_depth_work.py`` hold it); here the
chain itself is rendered.
"""

import numpy as np

import indexcalc as ic
from indexcalc.core.graph_walk import postorder

from _work import calls

W, x, V = ic.Tensor("W", "h h"), ic.Tensor("x", "h"), ic.Tensor("V", "h h")
RNG = np.random.default_rng(0)
VALUES = dict(W=RNG.normal(size=(3, 3)) * 0.6, x=RNG.normal(size=3), V=RNG.normal(size=(3, 3)))


def chain(n):
    h = x
    for _ in range(n):
        h = ic.tanh(W @ h)
    return h


def everything(n):
    """Every stage on an ``n``-step chain; returns the results."""
    h = chain(n)
    f = ic.sum(h)
    g = ic.grad(f, W)
    out = {
        "f": f, "grad": g, "diff": ic.diff(h, x), "hvp": ic.jvp(g, W, V),
        "simplified": ic.simplify(g), "plan": ic.plan(g, h=3), "str": str(g),
        "latex": ic.to_latex(g), "matrix": str(ic.to_matrix(h)),
    }
    out["values"] = {k: ic.evaluate(out[k], **VALUES) for k in ("f", "grad", "diff")}
    return out


def numpy_chain(n, Wv, xv):
    """Forward values and the reverse-mode gradient of Σ h_n by W, written by hand."""
    hs = [xv]
    for _ in range(n):
        hs.append(np.tanh(Wv @ hs[-1]))
    ct, gW = np.ones(3), np.zeros((3, 3))
    for k in range(n, 0, -1):
        pre = ct * (1 - hs[k] ** 2)
        gW += np.outer(pre, hs[k - 1])
        ct = Wv.T @ pre
    return hs[-1], gW, ct


def test_1000_steps_everything_linear_in_depth():
    everything(20)  # warm caches and imports
    w_small, small = calls(lambda: everything(250))
    w_big, big = calls(lambda: everything(1000))
    assert w_big / w_small < 6.0, (w_small, w_big)  # linear: ~4; quadratic: ~16
    for key in ("grad", "diff", "hvp", "simplified"):
        assert len(postorder([big[key]])) < 6 * len(postorder([small[key]])), key
    assert len(big["str"]) < 6 * len(small["str"]) and len(big["latex"]) < 6 * len(small["latex"])
    hn, gW, gx = numpy_chain(1000, VALUES["W"], VALUES["x"])
    vals = big["values"]
    np.testing.assert_allclose(vals["f"], hn.sum(), rtol=1e-10)
    np.testing.assert_allclose(vals["grad"], gW, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(vals["diff"].sum(0), gx, rtol=1e-8, atol=1e-12)  # 1ᵀ ∂h/∂x
    assert "tanh" in big["str"] and "tanh" in big["latex"] and big["matrix"].count("tanh") == 1000
    assert big["plan"].flops > 0 and big["hvp"].shape == ("h", "h")


def test_hessian_vector_product_of_a_deep_chain_matches_finite_differences():
    n = 200
    f = ic.sum(chain(n))
    hv = ic.evaluate(ic.jvp(ic.grad(f, W), W, V), **VALUES)
    step = 1e-6
    g = ic.grad(f, W)
    plus = ic.evaluate(g, **{**VALUES, "W": VALUES["W"] + step * VALUES["V"]})
    minus = ic.evaluate(g, **{**VALUES, "W": VALUES["W"] - step * VALUES["V"]})
    np.testing.assert_allclose(hv, (plus - minus) / (2 * step), rtol=1e-5, atol=1e-9)


def test_hash_consing_keeps_the_chain_shared():
    assert chain(300) is chain(300)  # rebuilt, it is the very same graph
    counts = {n: len(postorder([chain(n)])) for n in (250, 1000)}
    assert counts[1000] == 2 * 1000 + 2  # W, x, and one product and one tanh per step
    assert counts[250] == 2 * 250 + 2
    grads = {n: len(postorder([ic.grad(ic.sum(chain(n)), W)])) for n in (250, 1000)}
    assert grads[1000] <= 4.2 * grads[250], grads  # the backward pass shares the forward values
