"""ic.explain: the chain rule step by step, on the four problems that motivate the library."""

import importlib.util

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.derivations.records import Step

from _latex import assert_well_formed

rng = np.random.default_rng(0)
HAS_LAYOUTS = importlib.util.find_spec("indexcalc.layouts.matrix_layout") is not None


def values(expr, sizes):
    """Random values for every tensor of ``expr`` (one-hot for a tensor named y)."""
    from indexcalc.core.graph_walk import tensors_of
    out = {}
    for t in tensors_of(expr):
        shape = tuple(sizes.get(d, d) for d in t.shape)
        out[t.name] = rng.standard_normal(shape)
    return out


def local(d, of, by):
    return next(l for s in d.steps for l in s.locals if (l.of, l.by) == (of, by))


def assert_result(d, f, x, sizes):
    vals = values(f, sizes)
    np.testing.assert_allclose(d.result.evaluate(**vals, **sizes),
                               ic.diff(f, x).evaluate(**vals, **sizes), rtol=1e-10, atol=1e-12)
    assert all(isinstance(s, Step) for s in d.steps)
    assert_well_formed(d.latex())
    text = str(d)
    assert text.splitlines()[0].startswith(f"d{d.f}/d{d.x} by the chain rule")
    assert "Result:" in text
    if HAS_LAYOUTS:  # the layouts module is merged: the result has its matrix line
        assert d.matrix is not None and "matrix form" in text
    else:
        assert d.matrix is None
    return vals


def test_rnn_cell_by_input_weights():
    e, h0, W_hx, W_hh = ic.tensors("e[ni] h0[nh] W_hx[ni,nh] W_hh[nh,nh]")
    h = ic.tanh(W_hx.T @ e + W_hh.T @ h0).named("h")
    d = ic.explain(h, W_hx)
    assert d.direction == "reverse" and [s.target for s in d.steps] == ["dh/dz1", "dh/dW_hx"]
    pre = local(d, "z1", "W_hx")  # the pre-activation by W_hx: 3rd order, with its delta
    assert (pre.order, pre.shape) == (3, ("nh", "ni", "nh"))
    # the local line names each axis as the chain line does: z1's axis is the summed nh''
    assert pre.index.text == "∂z1/∂W_hx[nh'',ni,nh'] = e[ni] δ[nh'',nh']"
    assert "δ[nh'',nh']" in d.steps[-1].chain.text
    act = local(d, "h", "z1")
    assert (act.order, act.shape) == (2, ("nh", "nh"))
    assert d.steps[-1].collapses[0].text == "δ[nh'',nh']: nh'' → nh'"
    assert d.index.text == "dh/dW_hx[nh,ni,nh'] = (1 - h[nh] h[nh]) e[ni] δ[nh,nh']"
    assert_result(d, h, W_hx, {"ni": 3, "nh": 4})


def test_rnn_language_model_by_hidden_weights():
    h_prev, H, e, I, b1, U, b2, y = ic.tensors(
        "h_prev[nh] H[nh,nh] e[ni] I[ni,nh] b1[nh] U[nh,nv] b2[nv] y[nv]")
    h = ic.sigmoid(h_prev @ H + e @ I + b1).named("h")
    J = ic.sum(y * ic.log_softmax(h @ U + b2))
    d = ic.explain(J, H)
    names = [name for name, _ in d.definitions]
    assert names == ["z1", "h", "z2", "z3", "f"]  # the user's name kept, the others numbered
    assert [s.node for s in d.steps] == ["z3", "z2", "h", "z1", "H"]  # from f inward
    pre = local(d, "z1", "H")
    assert (pre.order, pre.shape) == (3, ("nh", "nh", "nh"))
    assert pre.index.text == "∂z1/∂H[nh'',nh,nh'] = h_prev[nh] δ[nh'',nh']"
    assert local(d, "h", "z1").order == 2 and local(d, "z2", "h").order == 2
    assert local(d, "z3", "z2").shape == ("nv",)  # ∂ logsumexp / ∂ logits: the softmax
    last = d.steps[-1]
    assert (last.order, last.shape, last.summed) == (2, ("nh", "nh"), ("nh''",))
    assert "df/dz1[nh'']" in last.chain.text and "δ[nh'',nh']" in last.chain.text
    assert "δ" not in last.index.text  # collapsed in the simplified result
    vals = assert_result(d, J, H, {"nh": 3, "ni": 2, "nv": 4})
    if HAS_LAYOUTS:  # the matrix it prints is the gradient (denominator layout: H's shape)
        np.testing.assert_allclose(d.matrix_form.evaluate(**vals), ic.grad(J, H).evaluate(**vals),
                                   rtol=1e-10)


def test_least_squares():
    X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
    sizes = {"n": 2, "d": 3, "h": 4}
    loss = 0.5 * ic.sum((X @ W @ v - y) ** 2)
    d = ic.explain(loss, W)
    assert local(d, "z1", "W").order == 3  # ∂(XWv − y)/∂W = X[n,d] v[h]
    assert local(d, "z2", "z1").order == 2  # the square, elementwise: a diagonal
    assert_result(d, loss, W, sizes)
    lin = ic.explain(X @ W, W)  # ∂(XW)/∂W: order 4, X δ
    assert (lin.steps[-1].order, lin.steps[-1].shape) == (4, ("n", "h", "d", "h"))
    assert lin.index.text == "df/dW[n,h,d,h'] = X[n,d] δ[h,h']"
    assert_result(lin, X @ W, W, sizes)


@pytest.mark.parametrize("direction", ["reverse", "forward"])
def test_recurrence_jacobian(direction):
    W, W_in, u, b, x = ic.tensors("W[n,n] W_in[n,m] u[m] b[n] x[n]")
    x_next = W @ ic.sigmoid(x) + W_in @ u + b
    d = ic.explain(x_next, x, layout="numerator", direction=direction)
    assert d.direction == direction
    act = local(d, "z1", "x")
    want = {"reverse": "∂z1/∂x[n'',n'] = σ'(x[n'']) δ[n'',n']",  # z1's axis summed: n''
            "forward": "∂z1/∂x[n,n'] = σ'(x[n]) δ[n,n']"}[direction]  # z1's axis first: n
    assert act.index.text == want and act.order == 2
    assert d.index.text == "df/dx[n,n'] = W[n,n'] σ'(x[n'])"
    assert_result(d, x_next, x, {"n": 3, "m": 2})


def test_forward_and_reverse_agree_on_a_shared_input():
    A, x = ic.tensors("A[3,3] x[3]")
    f = ic.tanh(x @ A @ x) * ic.sum(ic.exp(x))
    vals = values(f, {})
    r, fw = ic.explain(f, x, direction="reverse"), ic.explain(f, x, direction="forward")
    assert [s.node for s in fw.steps][-1] == "f" and [s.node for s in r.steps][-1] == "x"
    for d in (r, fw):
        np.testing.assert_allclose(d.result.evaluate(**vals), ic.grad(f, x).evaluate(**vals),
                                   rtol=1e-10)


def test_independent_variable_and_bad_input():
    x, z = ic.tensors("x[3] z[2]")
    d = ic.explain(ic.sum(ic.exp(x)), z)
    assert d.steps == () and d.result.shape == (2,)
    np.testing.assert_array_equal(d.result.evaluate(), np.zeros(2))
    with pytest.raises(ic.IndexcalcError):
        ic.explain(ic.exp(x), ic.exp(x))
    with pytest.raises(ic.IndexcalcError):
        ic.explain(ic.exp(x), x, direction="sideways")
    with pytest.raises(ic.IndexcalcError):
        ic.explain(ic.exp(x), x, layout="diagonal")


def test_a_local_derivative_keeps_the_intermediates_whole():
    # ∂z2/∂z1 of z2 = z1² with z1 = ŷ − y printed (2 ŷ[n'] − 2 y[n']) δ[n',n]: the rule's 2·z1
    # was distributed over z1's terms, so the step's names were lost
    X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
    yhat = (X @ W @ v).named("ŷ")
    d = ic.explain(0.5 * ic.sum((yhat - y) ** 2), W)
    lines = [loc.index.text for s in d.steps for loc in s.locals]
    assert any("= 2 z1[n'] δ[n',n]" in t for t in lines), lines
    assert not any("2 ŷ" in t for t in lines), lines
