"""The benchmark's yardsticks are right: every hand-written closed form equals finite differences
of the very function the frameworks differentiate (always), and JAX / torch.func (where installed),
at small sizes. Also the benchmark's own bookkeeping: agreement check, framework memory estimate,
workload selection, and a quick end-to-end run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import benchmark  # noqa: E402
import benchmark_workloads as bw  # noqa: E402

WORKLOADS = {w.key: w for w in bw.WORKLOADS}
KEYS = list(WORKLOADS)


def fd_jacobian(fun, x, eps):
    """Central differences: an array of shape ``fun(x).shape + x.shape``."""
    columns = []
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = eps
        step = step.reshape(x.shape)
        columns.append((np.asarray(fun(x + step)) - np.asarray(fun(x - step))) / (2 * eps))
    out_shape = np.shape(fun(x))
    return np.moveaxis(np.array(columns), 0, -1).reshape(out_shape + x.shape)


def fd_derivative(workload, inputs):
    """Finite-difference derivative of ``workload.function`` by ``workload.wrt`` (NumPy ops)."""
    def fun(x):
        return workload.function(bw.NUMPY_OPS, **{**inputs, workload.wrt: x})

    x = inputs[workload.wrt]
    if workload.mode == "hessian":
        return fd_jacobian(lambda y: fd_jacobian(fun, y, 1e-4), x, 1e-4), 1e-5
    return fd_jacobian(fun, x, 1e-6), 1e-7


def relative_error(value, reference):
    return np.max(np.abs(value - reference)) / np.max(np.abs(reference))


@pytest.fixture(params=KEYS)
def case(request):
    workload = WORKLOADS[request.param]
    inputs = bw.random_inputs(workload, workload.quick_sizes, seed=1)
    return workload, inputs, workload.closed_form(**inputs)


def test_closed_form_matches_finite_differences(case):
    workload, inputs, closed = case
    expected, tolerance = fd_derivative(workload, inputs)
    assert closed.shape == expected.shape
    assert relative_error(closed, expected) < tolerance


def framework_transform(name, transform):
    """``(derive, ops, convert)`` for JAX (jitted, as benchmarked) or torch.func."""
    module = pytest.importorskip(name)
    if name == "jax":
        module.config.update("jax_enable_x64", True)
        ops = bw.SimpleNamespace(sum=module.numpy.sum, tanh=module.numpy.tanh,
                                 softplus=module.nn.softplus)
        return (lambda f: module.jit(getattr(module, transform)(f))), ops, module.numpy.asarray
    import torch.func

    ops = bw.SimpleNamespace(sum=module.sum, tanh=module.tanh,
                             softplus=module.nn.functional.softplus)
    return getattr(torch.func, transform), ops, module.from_numpy


def framework_derivative(name, workload, inputs, closed):
    """The framework's derivative of the benchmark function, as a NumPy array."""
    transform = benchmark.transform_name(workload, inputs[workload.wrt].size, closed.size)
    derive, ops, convert = framework_transform(name, transform)
    x, rest = benchmark.split_wrt(workload, inputs, convert)
    return np.asarray(derive(benchmark.as_function_of_wrt(workload, ops))(x, rest))


@pytest.mark.parametrize("framework", ["jax", "torch"])
def test_closed_form_matches_framework(case, framework):
    workload, inputs, closed = case
    value = framework_derivative(framework, workload, inputs, closed)
    assert value.shape == closed.shape
    assert relative_error(value, closed) < 1e-10


@pytest.mark.parametrize("key", ["b1", "d"])
def test_strided_diagonal_writes_equal_dense_deltas(key):
    workload = WORKLOADS[key]
    inputs = bw.random_inputs(workload, workload.quick_sizes)
    X, W = inputs["X"], inputs["W"]
    eye = np.eye(W.shape[1])
    dense = {"b1": lambda: np.einsum("nd,hk->nhdk", X, eye),
             "d": lambda: 2 * np.einsum("nd,ne,hk->dhek", X, X, eye)}[key]()
    np.testing.assert_allclose(workload.closed_form(**inputs), dense, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("z, expected", [
    (0.0, 0.25),
    (1000.0, 0.0),
    (-1000.0, 0.0),
    (40.0, np.exp(-40.0)),
    (-40.0, np.exp(-40.0)),
])
def test_sigmoid_prime_is_stable(z, expected):
    assert bw.sigmoid_prime(np.array([z]))[0] == pytest.approx(expected, rel=1e-12, abs=0.0)


@pytest.mark.parametrize("key, matrix, vector", [("c1", "B", "x"), ("c2", "X", "w")])
def test_hessians_are_exact_where_the_sigmoid_saturates(key, matrix, vector):
    """Every z = (matrix @ vector) is ±1000, where σ'(z) is 0 in float64 and naive σ(1−σ) NaNs."""
    workload = WORKLOADS[key]
    inputs = bw.random_inputs(workload, workload.quick_sizes)
    inputs[matrix] = 1000.0 * np.where(inputs[matrix] > 0, 1.0, -1.0)
    inputs[vector] = np.eye(inputs[vector].size)[0]
    expected = inputs["A"] + inputs["A"].T if key == "c1" else 0.0
    np.testing.assert_array_equal(workload.closed_form(**inputs), expected)


def test_random_inputs_are_seeded_and_labels_binary():
    workload = WORKLOADS["c2"]
    first = bw.random_inputs(workload, workload.quick_sizes, seed=3)
    second = bw.random_inputs(workload, workload.quick_sizes, seed=3)
    other = bw.random_inputs(workload, workload.quick_sizes, seed=4)
    assert all(np.array_equal(first[k], second[k]) for k in first)
    assert not np.array_equal(first["X"], other["X"])
    assert set(np.unique(first["y"])) <= {0.0, 1.0}


def test_select_rejects_unknown_keys_and_keeps_order():
    assert [w.key for w in bw.select("c1, a")] == ["c1", "a"]
    assert bw.select(None) == bw.WORKLOADS
    with pytest.raises(ValueError, match="valid: a, b1, b2"):
        bw.select("a,zz")


@pytest.mark.parametrize("key, transform, needed_gib_at_least", [
    ("a", "grad", 0.0),
    ("b1", "jacfwd", 0.1),   # 8000 outputs, 2000 inputs: forward mode
    ("b2", "jacrev", 0.05),  # 200 outputs, 40000 inputs: reverse mode (jacfwd needs 12 GiB)
    ("c1", "hessian", 0.01),
])
def test_framework_transform_and_memory_estimate(key, transform, needed_gib_at_least):
    workload = WORKLOADS[key]
    in_size = np.prod([workload.sizes[d] for d in workload.shapes[workload.wrt]])
    result_size = in_size if workload.mode == "grad" else {
        "b1": 200 * 40 * in_size, "b2": 200 * in_size, "c1": in_size * in_size}[key]
    assert benchmark.transform_name(workload, in_size, result_size) == transform
    needed = benchmark.dense_bytes(transform, in_size, result_size)
    assert needed >= needed_gib_at_least * 2**30
    assert needed < 8 * 2**30
    assert benchmark.dense_bytes("jacfwd", 40000, 200 * 40000) > 8 * 2**30


def test_agreement_note_flags_wrong_values_and_shapes():
    reference = np.arange(6.0).reshape(2, 3)
    assert benchmark.agreement_note(reference + 1e-12, reference) == ""
    assert "MISMATCH" in benchmark.agreement_note(reference + 1e-3, reference)
    assert "shape" in benchmark.agreement_note(reference.T, reference)


def test_quick_run_prints_every_workload_and_no_mismatch(capsys):
    rows = benchmark.main(["--quick", "--columns", "indexcalc"])
    table = capsys.readouterr().out
    assert [row.workload.key for row in rows] == KEYS
    for row in rows:
        assert row.closed.seconds > 0
        assert f"({row.workload.key}) " in table
        assert "MISMATCH" not in row.columns["indexcalc"].note


def test_framework_column_runs_in_a_child_process_and_agrees(capsys):
    pytest.importorskip("jax")
    (row,) = benchmark.main(["--quick", "--only", "a", "--columns", "jax"])
    cell = row.columns["jax"]
    assert cell.seconds > 0 and cell.setup > 0
    assert cell.note == "jax: grad"  # the transform, and no MISMATCH
    assert "jax" in capsys.readouterr().out
