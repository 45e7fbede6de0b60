"""Derivative cost and structure, checked through ``ic.plan`` (planning only, no evaluation).

References are the hand-written formulas, costed with ``opt_einsum.contract_path`` step by step.
"""

from __future__ import annotations

import numpy as np
import opt_einsum as oe
import pytest

import indexcalc as ic
from indexcalc.core.graph_walk import postorder
from indexcalc.core.nodes import Apply, Product, Sum, is_zero, plain

from _work import calls


def reference_flops(*steps) -> int:
    """Total FLOPs of hand-written contraction steps ``(equation, shape, shape, ...)``."""
    total = 0
    for eq, *shapes in steps:
        _, info = oe.contract_path(eq, *shapes, shapes=True)
        total += int(info.opt_cost)
    return total


N, D, H = 2000, 500, 300


def test_least_squares_gradient_costs_the_hand_written_formula():
    X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
    g = ic.grad(0.5 * ic.sum(((X @ W) @ v - y) ** 2), W)  # written in the costly order
    p = ic.plan(g, n=N, d=D, h=H)
    ref = reference_flops(("dh,h->d", (D, H), (H,)), ("nd,d->n", (N, D), (D,)),
                          ("nd,n->d", (N, D), (N,)), ("d,h->dh", (D,), (H,)))
    assert p.flops <= 1.5 * ref, str(p)
    assert p.largest_intermediate <= D * H, str(p)  # nothing larger than the output
    assert p.flops < p.naive_flops / 100


def test_hessian_of_quadratic_plus_softplus_is_a_plus_at_plus_bt_d_b():
    n, m = 500, 2000
    A, B, x = ic.tensors("A[n,n] B[m,n] x[n]")
    Hs = ic.hessian(x @ A @ x + ic.sum(ic.softplus(B @ x)), x)
    p = ic.plan(Hs, n=n, m=m)
    ref = reference_flops(("mn,n->m", (m, n), (n,)), ("mi,m,mj->ij", (m, n), (m,), (m, n)))
    assert p.flops <= 1.2 * ref, str(p)
    assert p.largest_intermediate <= m * n, str(p)


def test_logistic_loss_hessian_is_xt_d_x():
    n, d = 2000, 500
    X, w, y = ic.tensors("X[n,d] w[d] y[n]")
    Hs = ic.hessian(ic.sum(ic.softplus(X @ w)) - y @ (X @ w), w)
    p = ic.plan(Hs, n=n, d=d)
    ref = reference_flops(("nd,d->n", (n, d), (d,)), ("ni,n,nj->ij", (n, d), (n,), (n, d)))
    assert p.flops <= 1.2 * ref, str(p)
    assert p.largest_intermediate <= n * d, str(p)


def test_softplus_hessian_is_one_product_bt_diag_b():
    """Bᵀ diag(σ'(Bx)) B as one einsum of B, σ'(Bx) and B: no dense n²×n² (or m×n×n) tensor."""
    n, m = 400, 1000
    B, x = ic.tensors("B[m,n] x[n]")
    Hs = ic.hessian(ic.sum(ic.softplus(B @ x)), x).arg  # the Derivative's value
    assert isinstance(Hs, Product)
    factors = [f for f, _ in Hs.factors]
    assert factors.count(B) == 2
    assert any(isinstance(f, Apply) and f.fn == "dsigmoid" for f in factors)
    p = ic.plan(Hs, n=n, m=m)
    assert p.largest_intermediate <= m * n, str(p)
    assert p.largest_intermediate < m * n * n
    vals = {"B": np.random.default_rng(0).normal(size=(5, 3)), "x": np.arange(3.0)}
    s = 1 / (1 + np.exp(-(vals["B"] @ vals["x"])))
    np.testing.assert_allclose(ic.evaluate(Hs, **vals), vals["B"].T @ np.diag(s * (1 - s)) @ vals["B"])


@pytest.mark.parametrize("depth", [4, 16])
def test_gradient_costs_a_small_multiple_of_the_function(depth):
    """Reverse accumulation through a deep network: grad FLOPs ≤ 4 × the forward pass's."""
    Ws = ic.tensors(" ".join(f"W{i}[d,d]" for i in range(depth)))
    x, = ic.tensors("x[d]")
    h = x
    for W in Ws:
        h = ic.tanh(W @ h)
    f = ic.sum(h * h)
    for W in (Ws[0], Ws[-1]):
        pf, pg = ic.plan(f, d=300), ic.plan(ic.grad(f, W), d=300)
        assert pg.flops <= 4 * pf.flops, (str(pf), str(pg))
        assert pg.largest_intermediate <= 300 * 300


# --------------------------------------------------------------------------- zeros

X, W, v, y, Z, z = ic.tensors("X[n,d] W[d,h] v[h] y[n] Z[h,n] z[k]")
F = ic.tanh(X @ W) @ v - y


def _zero_of(e, shape):
    return is_zero(e) and isinstance(plain(e), Sum) and e.shape == shape


def test_derivative_by_an_absent_tensor_is_an_exact_zero_of_the_right_shape():
    assert _zero_of(ic.diff(F, Z), ("n", "h", "n"))
    assert _zero_of(ic.diff(F, z), ("n", "k"))
    assert _zero_of(ic.grad(ic.sum(F), Z), ("h", "n"))
    assert _zero_of(ic.hessian(ic.sum(F), z), ("k", "k"))
    assert _zero_of(ic.jvp(F, z, ic.Tensor("t", "k")), ("n",))
    assert _zero_of(ic.vjp(F, Z, ic.Tensor("c", "n")), ("h", "n"))
    assert _zero_of(ic.diff(ic.diff(F, W), z), ("n", "d", "h", "k"))
    assert _zero_of(ic.diff(ic.diff(X @ W, W), W), ("n", "h", "d", "h", "d", "h"))  # linear
    assert ic.evaluate(ic.diff(F, z), n=2, k=3).shape == (2, 3)


def test_derivative_by_a_present_tensor_is_never_silently_zero():
    for var in (X, W, v, y):
        assert not is_zero(ic.diff(F, var))
        assert not is_zero(ic.grad(ic.sum(F * F), var))
    assert not is_zero(ic.hessian(ic.sum(F * F), W))


# --------------------------------------------------------------------------- derivation time

def _problems():
    Whx, Whh, e, h0 = ic.tensors("Whx[ni,nh] Whh[nh,nh] e[ni] h0[nh]")
    yield "rnn cell", ic.tanh(Whx.T @ e + Whh.T @ h0), Whx, "diff"
    hp, ei, Hm, Im, b1, U, b2, yv = ic.tensors(
        "hp[nh] ei[ni] Hm[nh,nh] Im[ni,nh] b1[nh] U[nh,nv] b2[nv] yv[nv]")
    J = ic.sum(yv * ic.log_softmax(ic.sigmoid(hp @ Hm + ei @ Im + b1) @ U + b2))
    yield "language model", J, Hm, "grad"
    Xl, Wl, vl, yl = ic.tensors("Xl[n,d] Wl[d,h] vl[h] yl[n]")
    yield "least squares", 0.5 * ic.sum((Xl @ Wl @ vl - yl) ** 2), Wl, "grad"
    yield "least squares order 4", Xl @ Wl, Wl, "diff"
    Wr, Win, u, b, xp = ic.tensors("Wr[m,m] Win[m,k] u[k] b[m] xp[m]")
    yield "recurrence", Wr @ ic.sigmoid(xp) + Win @ u + b, xp, "diff"


@pytest.mark.parametrize("name,f,x,how", list(_problems()), ids=lambda p: p if isinstance(p, str) else "")
def test_derivation_work_is_a_small_multiple_of_the_function(name, f, x, how):
    # counted, not timed: today ~200-550 calls and at most 2 derivative nodes per node of f (a few
    # milliseconds); an expansion that copies shared subgraphs or a rewrite loop multiplies both
    derive = ic.diff if how == "diff" else ic.grad
    work, d = calls(lambda: ic.simplify(derive(f, x)))
    size = len(postorder([f]))
    assert not is_zero(d)
    assert work < 2000 * size, f"{name}: derivation made {work} calls for {size} nodes"
    assert len(postorder([d])) <= 4 * size, f"{name}: the derivative has grown"
