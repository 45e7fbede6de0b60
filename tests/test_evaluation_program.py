"""Compiled programs: every benchmark workload equals its closed form, plans are cached per sizes,
the NumPy pairwise kernels equal ``numpy.einsum``, values die after their last reader, and the
σ' of the logistic Hessians stays exact where the sigmoid saturates.
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import indexcalc as ic
from indexcalc.evaluation.kernels import pair_kernel

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import benchmark_workloads as bw  # noqa: E402

DERIVE = {"grad": ic.grad, "jacobian": ic.diff, "hessian": ic.hessian}


_ALIVE = []  # tensors of derivatives that lost their variable bind its dimensions while alive


def derivative(workload):
    spec = " ".join(f"{name}[{','.join(dims)}]" for name, dims in workload.shapes.items())
    tensors = dict(zip(workload.shapes, ic.tensors(spec)))
    _ALIVE.append(tensors)
    return DERIVE[workload.mode](workload.function(ic, **tensors), tensors[workload.wrt])


@pytest.mark.parametrize("workload", bw.WORKLOADS, ids=lambda w: w.key)
def test_compiled_workload_equals_closed_form(workload):
    f = ic.compile(derivative(workload))
    for seed in (1, 2):  # the second call runs the cached program on new values
        inputs = bw.random_inputs(workload, workload.quick_sizes, seed=seed)
        want = workload.closed_form(**inputs)
        got = f(**inputs)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12 * np.max(np.abs(want)))
    assert len(f._programs) == 1  # (its plans may come from the shared cache: no _plans entry)


def test_plans_reused_for_equal_sizes_and_replanned_for_new_sizes():
    X, W, v = ic.tensors("X[n,d] W[d,h] v[h]")
    f = ic.compile(ic.grad(ic.sum(ic.tanh(X @ W) @ v), W))
    rng = np.random.default_rng(0)

    def values(n, d, h):
        return dict(X=rng.standard_normal((n, d)), W=rng.standard_normal((d, h)),
                    v=rng.standard_normal(h))

    def expected(X, W, v):
        return X.T @ ((1 - np.tanh(X @ W) ** 2) * v)

    for vals in (values(5, 3, 4), values(5, 3, 4)):
        np.testing.assert_allclose(f(**vals), expected(**vals), rtol=1e-12)
    first = next(iter(f._plans.values()))
    assert len(f._plans) == 1
    bigger = values(6, 2, 7)
    np.testing.assert_allclose(f(**bigger), expected(**bigger), rtol=1e-12)
    assert len(f._plans) == 2 and first in f._plans.values()
    f(**values(5, 3, 4))
    assert len(f._plans) == 2
    f(**{k: a.astype(np.float32) for k, a in values(5, 3, 4).items()})  # a new dtype, same plan
    assert len(f._plans) == 2 and len(f._programs) == 3


def test_auto_optimizer_depends_on_operand_count():
    from indexcalc.evaluation.product_plans import choose_optimizer

    assert [choose_optimizer("auto", n) for n in (2, 4, 5, 16, 17)] == \
        ["optimal", "optimal", "dp", "dp", "greedy"]
    mats = ic.tensors(" ".join(f"M{i}[a{i},a{i + 1}]" for i in range(6)))
    chain = mats[0]
    for m in mats[1:]:
        chain = chain @ m
    sizes = {f"a{i}": s for i, s in enumerate((2, 30, 3, 40, 4, 50, 5))}
    best = ic.plan(chain, optimize="dp", **sizes)
    assert ic.plan(chain, **sizes).flops == best.flops < ic.plan(chain, optimize="greedy", **sizes).flops * 1.0001
    arrays = {f"M{i}": np.random.default_rng(i).standard_normal((sizes[f"a{i}"], sizes[f"a{i + 1}"]))
              for i in range(6)}
    want = np.linalg.multi_dot([arrays[f"M{i}"] for i in range(6)])
    np.testing.assert_allclose(ic.compile(chain)(**arrays), want, rtol=1e-10)


@st.composite
def pairwise_equations(draw):
    """Two operands over letters a–e (sizes 2–5), any output: matmuls, batches, outers, sums."""
    letters = "abcde"
    sa = "".join(draw(st.permutations(letters))[:draw(st.integers(0, 4))])
    sb = "".join(draw(st.permutations(letters))[:draw(st.integers(0, 4))])
    pool = sorted(set(sa + sb))
    so = "".join(draw(st.permutations(pool))[:draw(st.integers(0, len(pool)))]) if pool else ""
    return sa, sb, so


@settings(max_examples=120, deadline=None)
@given(pairwise_equations(), st.booleans())
def test_pair_kernel_equals_einsum(eq, transposed):
    sa, sb, so = eq
    size = {c: n for c, n in zip("abcde", (2, 3, 4, 5, 2))}
    rng = np.random.default_rng(0)
    a = rng.standard_normal(tuple(size[c] for c in sa))
    b = rng.standard_normal(tuple(size[c] for c in sb))
    if transposed:  # operands that are views in another memory order
        a, sa = a.T, sa[::-1]
        b, sb = b.T, sb[::-1]
    kernel, _ = pair_kernel(sa, sb, so, size)
    np.testing.assert_allclose(kernel(a, b), np.einsum(f"{sa},{sb}->{so}", a, b),
                               rtol=1e-12, atol=1e-12)


def test_full_jacobian_is_written_through_its_diagonal():
    X, W = ic.tensors("X[n,d] W[d,h]")
    f = ic.compile(ic.diff(3.0 * (X @ W), W))
    x = np.random.default_rng(0).standard_normal((50, 20))
    got = f(X=x, W=np.zeros((20, 30)))
    np.testing.assert_array_equal(got, 3.0 * np.einsum("nd,hk->nhdk", x, np.eye(30)))
    # the output is the only array of its size: no dense identity, no scaled copy
    tracemalloc.start()
    f(X=x, W=np.zeros((20, 30)))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1.5 * got.nbytes


def test_terms_of_a_sum_die_as_soon_as_they_are_added():
    """Σ_t x_tᵀ x_t over 30 terms: the peak holds one running total, not all 30 products."""
    xs = ic.tensors(" ".join(f"x{t}[b,h]" for t in range(30)))
    total = xs[0].T @ xs[0]
    for x in xs[1:]:
        total = total + x.T @ x
    f = ic.compile(total)
    arrays = {f"x{t}": np.random.default_rng(t).standard_normal((3, 200)) for t in range(30)}
    want = sum(a.T @ a for a in arrays.values())
    np.testing.assert_allclose(f(**arrays), want, rtol=1e-12)
    tracemalloc.start()
    f(**arrays)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 * want.nbytes


def test_folded_constants_are_never_modified_in_place():
    S = ic.Tensor("S", ("n", "n"))
    f = ic.compile(ic.det(3 * ic.eye("n") + 2 * ic.eye("n") + ic.tanh(S) + S))
    rng = np.random.default_rng(0)
    for _ in range(3):
        s = rng.standard_normal((3, 3))
        np.testing.assert_allclose(f(S=s), np.linalg.det(5 * np.eye(3) + np.tanh(s) + s),
                                   rtol=1e-12)


@pytest.mark.parametrize("key", ["c1", "c2"])
@pytest.mark.parametrize("z", [1000.0, -1000.0, 40.0, -40.0])
def test_logistic_hessians_stay_exact_where_the_sigmoid_saturates(key, z):
    """Every pre-activation is ±z: σ'(±1000) = e^-1000 underflows to 0, σ'(±40) ≈ 4e-18 exactly."""
    workload = {w.key: w for w in bw.WORKLOADS}[key]
    inputs = bw.random_inputs(workload, workload.quick_sizes, seed=3)
    if key == "c1":
        n = inputs["x"].size
        inputs["x"] = np.full(n, z / n)
        inputs["B"] = np.abs(inputs["B"]) / np.abs(inputs["B"]).sum(axis=1, keepdims=True) * n
    else:
        inputs["X"] = np.abs(inputs["X"]) / np.abs(inputs["X"]).sum(axis=1, keepdims=True)
        inputs["w"] = np.full(inputs["w"].size, z)
    pre = inputs["B"] @ inputs["x"] if key == "c1" else inputs["X"] @ inputs["w"]
    np.testing.assert_allclose(pre, z, rtol=1e-12)
    got = ic.compile(derivative(workload))(**inputs)
    want = workload.closed_form(**inputs)
    assert np.all(np.isfinite(got))
    sigma_prime = np.exp(-abs(z)) / (1 + np.exp(-abs(z))) ** 2
    assert bw.sigmoid_prime(np.array(z)) == pytest.approx(sigma_prime, rel=1e-14)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)


def test_a_product_with_more_labels_than_ascii_letters_evaluates():
    """Regression (forms fuzz, seed 5518): opt_einsum names the 53rd and later labels with other
    Unicode letters, which numpy.einsum refused with a bare UnicodeEncodeError."""
    rng = np.random.default_rng(5)
    cases = [("éé", "éb", "b"),   # a diagonal inside an operand
             ("aé", "é", "a"),    # many matrix–vector products (einsum's loop)
             ("éb", "b", "é")]
    size = {"a": 3, "b": 4, "é": 5}
    for sa, sb, so in cases:
        a = rng.normal(size=tuple(size[c] for c in sa))
        b = rng.normal(size=tuple(size[c] for c in sb))
        kernel, _ = pair_kernel(sa, sb, so, size)
        ascii_eq = f"{sa},{sb}->{so}".replace("é", "z")
        np.testing.assert_allclose(kernel(a, b), np.einsum(ascii_eq, a, b), rtol=1e-12)
    mats = [ic.Tensor(f"A{k}", (2, 2)) for k in range(60)]
    chain = mats[0]
    for m in mats[1:]:  # one product of 60 factors: 61 labels
        chain = chain @ m
    values = {m.name: rng.normal(size=(2, 2)) / 1.5 for m in mats}
    expected = np.linalg.multi_dot([values[m.name] for m in mats])
    np.testing.assert_allclose(ic.trace(chain).evaluate(**values), np.trace(expected), rtol=1e-10)
