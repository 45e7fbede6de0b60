"""Plans are made once and reused; a shared subexpression is computed once per evaluation.

- a compiled expression calls opt_einsum's planner once per set of sizes (``Compiled._plans``
  holds one entry per set) and re-plans only for new sizes;
- ``ic.plan`` prints a table of paths, FLOPs, largest intermediates and totals that agree with
  opt_einsum's own ``contract_path``.
"""

import numpy as np
import opt_einsum as oe
import pytest

import indexcalc as ic
from indexcalc.core.graph_walk import postorder

from _work import calls

X, W, v, b = ic.tensors("X[n,d] W[d,h] v[h] b[h]")
rng = np.random.default_rng(3)


def values(n=4, d=3, h=5, dtype=np.float64):
    return {"X": rng.normal(size=(n, d)).astype(dtype), "W": rng.normal(size=(d, h)).astype(dtype),
            "v": rng.normal(size=h).astype(dtype), "b": rng.normal(size=h).astype(dtype)}


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


def test_planning_a_dense_product_has_a_bounded_cost():
    """Π sin(i·x) joins every factor by one letter: dp searched 2ᵏ subsets (69 s at k = 14)."""
    from indexcalc.evaluation.product_plans import choose_optimizer

    x = ic.Tensor("x", 4)
    xv = np.linspace(0.1, 0.9, 4)
    ic.sum(ic.sin(x) * ic.sin(2 * x)).evaluate(x=xv)  # warm imports
    for k in (12, 16, 64):
        e = ic.sin(x)
        for i in range(2, k + 1):
            e = e * ic.sin(i * x)
        f = ic.sum(e)
        work, value = calls(lambda: f.evaluate(x=xv))
        # counted, not timed: ~300 calls per factor today; dp's 2ᵏ subsets are millions at k = 12
        assert work < 1000 * k, (k, work)
        ref = np.prod(np.sin(np.arange(1, k + 1)[:, None] * xv), axis=0).sum()
        np.testing.assert_allclose(value, ref, rtol=1e-12, atol=1e-300)
        assert choose_optimizer("auto", k, ["a"] * k) == "greedy"
