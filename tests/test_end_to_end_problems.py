"""The four problems that motivate indexcalc, derived exactly (as values, shapes and structure).

Sizes: ni = 4, nh = 3, nv = 5, n = 6 (samples), d = 3, h = 2 — all distinct where it matters.
"""

from __future__ import annotations


import numpy as np
from _fd import assert_close, fd_jacobian, values_of

import indexcalc as ic
from indexcalc.core.nodes import Apply, Delta, Named, Product
from indexcalc.core.graph_walk import postorder

rng = np.random.default_rng(42)


def sig(z):
    return 1 / (1 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


# --------------------------------------------------------------------------- 1. RNN cell

W_hx, W_hh, e, h0 = ic.tensors("W_hx[ni,nh] W_hh[nh,nh] e[ni] h0[nh]")
RNN = {"W_hx": rng.normal(size=(4, 3)), "W_hh": rng.normal(size=(3, 3)), "e": rng.normal(size=4),
       "h0": rng.normal(size=3)}


def test_rnn_cell_derivative_by_w_hx():
    h = ic.tanh(W_hx.T @ e + W_hh.T @ h0)
    D = ic.diff(h, W_hx)
    assert D.shape == ("nh", "ni", "nh")
    hv = np.tanh(RNN["W_hx"].T @ RNN["e"] + RNN["W_hh"].T @ RNN["h0"])
    expected = np.einsum("a,b,ac->abc", 1 - hv ** 2, RNN["e"], np.eye(3))  # (1 − h_a²) e_b δ_ac
    assert_close(values_of(D, **RNN), expected, rtol=1e-10)
    assert_close(fd_jacobian(h, W_hx, RNN), expected)
    deltas = [f for n in postorder([D]) if isinstance(n, Product) for f, _ in n.factors
              if isinstance(f, Delta)]
    assert deltas, "the δ_ac of the derivative is kept symbolic"


def test_rnn_cell_named_h_writes_the_derivative_with_h():
    h = ic.tanh(W_hx.T @ e + W_hh.T @ h0).named("h")
    D = ic.diff(h, W_hx)
    nodes = postorder([D])
    assert any(isinstance(n, Named) and n.name == "h" for n in nodes)
    tanh_nodes = [n for n in nodes if isinstance(n, Apply) and n.fn == "tanh"]
    assert all(n is h.arg for n in tanh_nodes), "tanh' is written 1 − h∘h with the name"
    assert_close(values_of(D, **RNN), values_of(ic.diff(h.arg, W_hx), **RNN), rtol=1e-12)
    assert_close(values_of(ic.diff(h, W_hh), **RNN), fd_jacobian(h, W_hh, RNN))


# --------------------------------------------------------------------------- 2. language model

h_prev, e_t, H, I, b1, U, b2, y = ic.tensors(
    "h_prev[nh] e_t[ni] H[nh,nh] I[ni,nh] b1[nh] U[nh,nv] b2[nv] y[nv]")
hidden = ic.sigmoid(h_prev @ H + e_t @ I + b1)
J = ic.sum(y * ic.log_softmax(hidden @ U + b2))
LM = {"h_prev": rng.normal(size=3), "e_t": rng.normal(size=4), "H": rng.normal(size=(3, 3)),
      "I": rng.normal(size=(4, 3)), "b1": rng.normal(size=3), "U": rng.normal(size=(3, 5)),
      "b2": rng.normal(size=5)}


def _lm_pieces(v):
    h = sig(v["h_prev"] @ v["H"] + v["e_t"] @ v["I"] + v["b1"])
    yhat = softmax(h @ v["U"] + v["b2"])
    top = v["y"] - yhat * v["y"].sum()  # ∂J/∂(logits) for any y
    return h, yhat, top, (top @ v["U"].T) * h * (1 - h)


def test_language_model_one_hot_target():
    v = {**LM, "y": np.eye(5)[3]}
    h, yhat, _, _ = _lm_pieces(v)
    expected = np.outer(v["h_prev"], ((v["y"] - yhat) @ v["U"].T) * h * (1 - h))
    G = ic.grad(J, H)
    assert G.shape == ("nh", "nh")
    assert_close(values_of(G, **v), expected, rtol=1e-10)
    assert_close(fd_jacobian(J, H, v), expected)


def test_language_model_any_target_every_parameter():
    v = {**LM, "y": np.array([0.2, -1.0, 0.7, 2.0, 0.4])}  # not one-hot, not summing to 1
    h, _, top, back = _lm_pieces(v)
    closed = {
        "H": np.outer(v["h_prev"], back), "I": np.outer(v["e_t"], back), "b1": back,
        "U": np.outer(h, top), "b2": top, "h_prev": v["H"] @ back, "e_t": v["I"] @ back,
    }
    for var in (H, I, b1, U, b2, h_prev, e_t):
        g = ic.grad(J, var)
        assert_close(values_of(g, **v), closed[var.name], rtol=1e-10, what=var.name)
        assert_close(fd_jacobian(J, var, v), closed[var.name], what=f"{var.name} (differences)")


# --------------------------------------------------------------------------- 3. least squares

X, W, vv, yy = ic.tensors("X[n,d] W[d,h] vv[h] yy[n]")
LS = {"X": rng.normal(size=(6, 3)), "W": rng.normal(size=(3, 2)), "vv": rng.normal(size=2),
      "yy": rng.normal(size=6)}
loss = 0.5 * ic.sum((X @ W @ vv - yy) ** 2)


def test_least_squares_gradient():
    r = LS["X"] @ LS["W"] @ LS["vv"] - LS["yy"]
    expected = LS["X"].T @ np.outer(r, LS["vv"])  # Xᵀ (XWv − y) vᵀ
    g = ic.grad(loss, W)
    assert g.shape == ("d", "h")
    assert_close(values_of(g, **LS), expected, rtol=1e-10)
    assert_close(values_of(ic.diff(loss, W), **LS), expected, rtol=1e-10)  # forward agrees


def test_least_squares_order_four_jacobian_is_x_delta():
    D = ic.diff(X @ W, W)
    assert D.shape == ("n", "h", "d", "h")
    assert isinstance(D.arg, Product) and sorted(type(f).__name__ for f, _ in D.arg.factors) == \
        ["Delta", "Tensor"]  # X_nd δ_hh' and nothing else
    assert_close(values_of(D, X=LS["X"], W=LS["W"]), np.einsum("nd,hk->nhdk", LS["X"], np.eye(2)))


def test_least_squares_hessian_is_xtx_outer_vvt():
    Hs = ic.hessian(loss, W)
    assert Hs.shape == ("d", "h", "d", "h")
    expected = np.einsum("de,h,k->dhek", LS["X"].T @ LS["X"], LS["vv"], LS["vv"])
    assert_close(values_of(Hs, **LS), expected, rtol=1e-10)


# --------------------------------------------------------------------------- 4. recurrence

Wr, W_in, u, b, x_prev = ic.tensors("Wr[m,m] W_in[m,k] u[k] b[m] x_prev[m]")
REC = {"Wr": rng.normal(size=(4, 4)), "W_in": rng.normal(size=(4, 2)), "u": rng.normal(size=2),
       "b": rng.normal(size=4), "x_prev": rng.normal(size=4)}


def step(x):
    return Wr @ ic.sigmoid(x) + W_in @ u + b


def test_recurrence_one_step():
    D = ic.diff(step(x_prev), x_prev)
    s = sig(REC["x_prev"])
    assert_close(values_of(D, **REC), REC["Wr"] @ np.diag(s * (1 - s)), rtol=1e-10)


def test_recurrence_unrolled_jacobian_is_the_product_of_steps():
    xs = [x_prev]
    for _ in range(6):
        xs.append(step(xs[-1]))
    xv = [REC["x_prev"]]
    for _ in range(6):
        xv.append(REC["Wr"] @ sig(xv[-1]) + REC["W_in"] @ REC["u"] + REC["b"])
    expected = np.eye(4)
    for t in range(6):
        s = sig(xv[t])
        expected = REC["Wr"] @ np.diag(s * (1 - s)) @ expected
    assert_close(values_of(ic.diff(xs[-1], x_prev), **REC), expected, rtol=1e-10)
    f = ic.sum(xs[-1] * xs[-1])
    assert_close(values_of(ic.grad(f, Wr), **REC), fd_jacobian(f, Wr, REC))


def test_long_recurrence_derives_linearly():
    """Reverse accumulation through T steps shares cotangents: no quadratic blow-up.

    Counted in nodes, not seconds, so a loaded machine cannot make it flaky.
    """
    nodes = {}
    for T in (50, 200):
        x = x_prev
        for _ in range(T):
            x = step(x)
        nodes[T] = len(postorder([ic.grad(ic.sum(x), Wr)]))
        assert nodes[T] < 40 * T, f"{nodes[T]} nodes for T = {T}"
    assert nodes[200] < 5 * nodes[50]  # about 4× for 4× the steps, not 16×
