"""The graph is shared and the plans are reused; the numerics are stable and keep float32.

- interning: building an equal expression twice gives the same node; a subexpression used twice
  is one node and is computed once per evaluation;
- a compiled expression calls opt_einsum's planner once per set of sizes (``Compiled._plans``
  holds one entry per set) and re-plans only for new sizes;
- ``ic.plan`` prints a table of paths, FLOPs, largest intermediates and totals that agree with
  opt_einsum's own ``contract_path``;
- softmax / log_softmax / logsumexp shift by the maximum, sigmoid / softplus never overflow;
- float32 inputs give float32 results.
"""

import numpy as np
import opt_einsum as oe
import pytest

import indexcalc as ic
from indexcalc.core.graph_walk import postorder

X, W, v, b = ic.tensors("X[n,d] W[d,h] v[h] b[h]")
rng = np.random.default_rng(3)


def values(n=4, d=3, h=5, dtype=np.float64):
    return {"X": rng.normal(size=(n, d)).astype(dtype), "W": rng.normal(size=(d, h)).astype(dtype),
            "v": rng.normal(size=h).astype(dtype), "b": rng.normal(size=h).astype(dtype)}


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


@pytest.mark.parametrize("named", [False, True])
def test_shared_subexpression_is_computed_once(monkeypatch, named):
    vals = values()
    h = ic.tanh(X @ W + b)
    if named:
        h = h.named("h")
    e = ic.sum(h * h) + ic.sum(h @ v) + ic.sum(ic.exp(h))
    hv = np.tanh(vals["X"] @ vals["W"] + vals["b"])
    want = np.sum(hv * hv) + np.sum(hv @ vals["v"]) + np.sum(np.exp(hv))
    calls = []
    real_tanh = np.tanh

    def counting_tanh(a, *args, **kwargs):
        calls.append(np.shape(a))
        return real_tanh(a, *args, **kwargs)

    monkeypatch.setattr(np, "tanh", counting_tanh)
    np.testing.assert_allclose(ic.evaluate(e, **vals), want, rtol=1e-12)
    assert calls == [(4, 5)]


# --------------------------------------------------------------------------- plans

@pytest.fixture
def planner_calls(monkeypatch):
    calls = []
    real = oe.contract_path

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(oe, "contract_path", counting)
    return calls


def test_compiled_plans_once_per_set_of_sizes(planner_calls):
    e = ic.sum(ic.exp(X @ W) @ v) + ic.sum(X @ W @ v)
    f = ic.compile(e)
    products = sum(1 for n in postorder([e]) if type(n).__name__ == "Product")
    small, small2, big = values(), values(), values(n=7, d=2, h=6)

    r1 = f(**small)
    assert len(f._plans) == 1 and len(planner_calls) == products
    first = next(iter(f._plans.values()))

    r2 = f(**small2)                       # new values, same sizes: the plan is reused
    assert len(f._plans) == 1 and len(planner_calls) == products
    assert next(iter(f._plans.values())) is first

    f(**big)                               # new sizes: planned once more
    assert len(f._plans) == 2 and len(planner_calls) == 2 * products
    f(**big), f(**small)
    assert len(f._plans) == 2 and len(planner_calls) == 2 * products

    for r, vals in ((r1, small), (r2, small2)):
        want = (np.exp(vals["X"] @ vals["W"]) @ vals["v"]).sum() + (vals["X"] @ vals["W"] @ vals["v"]).sum()
        np.testing.assert_allclose(r, want, rtol=1e-12)


def test_compiled_keys_plans_by_sizes():
    f = ic.compile(X @ W @ v)
    f(**values(n=2, d=3, h=4))
    f(**values(n=5, d=3, h=4))
    assert sorted(f._plans) == [(("d", 3), ("h", 4), ("n", 2)), (("d", 3), ("h", 4), ("n", 5))]


def test_plan_table_agrees_with_opt_einsum():
    sizes = dict(n=100, d=50, h=40)
    p = ic.plan(X @ W @ v, **sizes)
    path, info = oe.contract_path("nd,dh,h->n", (100, 50), (50, 40), (40,), shapes=True)
    assert len(p.steps) == 1
    (step,) = p.steps
    assert step.path == tuple(tuple(c) for c in path)
    assert step.flops == p.flops == int(info.opt_cost)
    # naive: left to right with materialized deltas (none here): (X W) first, then v
    _, left_to_right = oe.contract_path("nd,dh,h->n", (100, 50), (50, 40), (40,), shapes=True,
                                        optimize=[(0, 1), (0, 1)])
    assert p.naive_flops == int(left_to_right.opt_cost) > p.flops
    assert p.largest_intermediate == max(int(info.largest_intermediate), 100)
    text = str(p)
    lines = text.splitlines()
    for word in ("path", "FLOPs", "largest", "naive"):
        assert word in lines[1]
    assert str(list(step.path)) in text and f"{step.flops:,}" in text
    assert lines[-1].startswith("total") and f"{p.flops:,}" in lines[-1]
    assert f"{p.largest_intermediate:,}" in lines[-1]
    assert "n=100" in lines[0]


def test_plan_has_one_row_per_contraction():
    h = ic.tanh(X @ W).named("h")
    e = ic.sum(h @ v) + ic.sum(X, axis=0) @ W @ v
    p = ic.plan(e, n=6, d=5, h=4)
    products = [n for n in postorder([e]) if type(n).__name__ == "Product"]
    assert len(p.steps) == len(products) >= 3
    assert len(str(p).splitlines()) == len(p.steps) + 3
    assert p.flops == sum(s.flops for s in p.steps)
    assert p.largest_intermediate >= max(s.output_size for s in p.steps)


def test_plan_uses_the_planned_path_not_left_to_right():
    A, B, C, x = ic.tensors("A[n,n] B[n,n] C[n,n] x[n]")
    p = ic.plan(A @ B @ C @ x, n=200)
    # matrix-vector products only: never an n×n×n matrix-matrix product
    assert p.flops < 200 ** 3
    assert p.largest_intermediate == 200


# --------------------------------------------------------------------------- stability

HUGE = np.array([[1000.0, 1e4, -1e4, 0.0], [-1e4, -1e4, -1e4 + 1, -1e4]])


def test_softmax_at_huge_inputs():
    x = ic.Tensor("x", (2, 4))
    s = ic.softmax(x).evaluate(x=HUGE)
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s.sum(axis=-1), 1.0)
    np.testing.assert_allclose(s[0], [0, 1, 0, 0])
    e = np.exp(1.0)
    np.testing.assert_allclose(s[1], np.array([1, 1, e, 1]) / (3 + e))
    s0 = ic.softmax(x, axis=0).evaluate(x=HUGE)
    np.testing.assert_allclose(s0.sum(axis=0), 1.0)


def test_log_softmax_and_logsumexp_at_huge_inputs():
    x = ic.Tensor("x", (2, 4))
    ls = ic.log_softmax(x).evaluate(x=HUGE)
    assert np.all(np.isfinite(ls))
    np.testing.assert_allclose(ls[0], [1000 - 1e4, 0, -2e4, -1e4])
    lse = ic.logsumexp(x, axis=1).evaluate(x=HUGE)
    np.testing.assert_allclose(lse, [1e4, -1e4 + 1 + np.log(1 + 3 / np.e)], rtol=1e-14)
    np.testing.assert_allclose(ic.logsumexp(x).evaluate(x=HUGE), 1e4)
    assert ic.logsumexp(x).evaluate(x=np.full((2, 4), -np.inf)) == -np.inf


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_and_softplus_are_finite_at_1000(dtype):
    x = ic.Tensor("x", 5)
    z = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=dtype)
    with np.errstate(over="raise", invalid="raise"):
        s = ic.sigmoid(x).evaluate(x=z)
        sp = ic.softplus(x).evaluate(x=z)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(sp))
    np.testing.assert_allclose(s, [0, np.exp(-30.0), 0.5, 1 - np.exp(-30.0), 1], rtol=1e-6, atol=0)
    np.testing.assert_allclose(sp, [0, np.log1p(np.exp(-30.0)), np.log(2), 30, 1000], rtol=1e-6)


FLOAT32_CASES = {
    "matmul + bias": X @ W + b,
    "constants": 2.5 * X + 1,
    "number on the left": 1 - ic.sum(X, axis=0),
    "elementwise": ic.sigmoid(X) * ic.softplus(X) + ic.tanh(X) ** 2,
    "softmax": ic.softmax(X @ W),
    "log_softmax": ic.log_softmax(X @ W, axis=0),
    "logsumexp": ic.logsumexp(X @ W),
    "norm": ic.norm(X) + ic.norm(X, ord=1),
    "inv det logdet": ic.inv(X.T @ X) * ic.det(X.T @ X) + ic.logdet(X.T @ X),
    "eye delta diag": X.T @ X + ic.eye("d") + ic.diag(ic.diagonal(X.T @ X)),
    "trace outer kron": ic.trace(ic.outer(v, b)) + ic.sum(ic.kron(X, W)),
    "reshape": X.reshape(-1),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_CASES))
def test_float32_in_float32_out(name):
    e = FLOAT32_CASES[name]
    vals = values(n=5, dtype=np.float32)
    got = e.evaluate(**vals)
    assert got.dtype == np.float32
    want = e.evaluate(**{k: a.astype(np.float64) for k, a in vals.items()})
    assert want.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=1e-4)


def test_float32_softmax_at_huge_inputs():
    x = ic.Tensor("x", (2, 4))
    s = ic.softmax(x).evaluate(x=HUGE.astype(np.float32))
    assert s.dtype == np.float32 and np.all(np.isfinite(s))


# --------------------------------------------------------------------------- printing

def test_size_factors_print_without_a_sum():
    # regression: tr(I_n) printed 'Σ_n n', which reads as n²
    assert str(ic.trace(ic.eye("n"))) == "n"
    assert "Σ" not in str(ic.sum(ic.Tensor("u", "n") ** 0))
    assert str(ic.sum(X, axis=1)) == "Σ_d X[n,d]"
