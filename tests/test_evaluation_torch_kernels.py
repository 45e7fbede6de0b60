"""The torch backend's product steps: an elementwise step is a broadcasting multiply, many small
dot products a multiply and a sum, every other step torch's einsum; each equals ``numpy.einsum``
on the same operands. Every node type's case (and its derivative) equals the NumPy evaluation
in float64, and what the backend creates (the diagonal written) takes the inputs' device and
dtype (torch's ``meta`` device stands in for a GPU).
"""

from __future__ import annotations

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.evaluation.backend_kernels import (backend_path_kernel, is_batched_dot,
                                                  is_elementwise)
from test_package_node_tables import CASES, _values

torch = pytest.importorskip("torch")

SIZE = {"a": 3, "b": 4, "c": 5, "d": 2}

#: (equation, which kernel the step must take)
STEPS = [
    ("c,ca->ca", "multiply"), ("ca,c->ac", "multiply"), ("ab,cd->abcd", "multiply"),
    ("ab,ba->ab", "multiply"), ("a,a->a", "multiply"),
    ("ba,ba->a", "multiply-sum"), ("abc,ac->a", "einsum"), ("b,ba->a", "einsum"),
    ("ab,bc->ac", "einsum"), ("abc,bd->acd", "einsum"), ("ab,ab->", "einsum"),
]


@pytest.mark.parametrize("equation, kind", STEPS)
def test_pair_step_equals_numpy_einsum(equation, kind):
    inputs, out = equation.split("->")
    sa, sb = inputs.split(",")
    assert is_elementwise(sa, sb, out) == (kind == "multiply")
    assert is_batched_dot(sa, sb, out) == (kind == "multiply-sum")
    rng = np.random.default_rng(0)
    a = rng.standard_normal([SIZE[c] for c in sa])
    b = rng.standard_normal([SIZE[c] for c in sb])
    kernel = backend_path_kernel([((1, 0), None, equation)], torch,
                                 lambda t, axes: t.permute(*axes))
    got = kernel(torch.from_numpy(b), torch.from_numpy(a)).numpy()  # opt_einsum pops 1, then 0
    np.testing.assert_allclose(got, np.einsum(equation, a, b), rtol=1e-12, atol=1e-12)


#: the matrix functions PyTorch has no function for: refused by name on this backend
NOT_ON_TORCH = {"sqrtm", "logm"}


@pytest.mark.parametrize("case", list(CASES))
def test_torch_program_equals_numpy(case):
    expr, var = CASES[case]
    if case in NOT_ON_TORCH:
        with pytest.raises(ic.IndexcalcError, match=f"{case} is not available on the torch backend"):
            ic.compile(expr, backend="torch")(**_values(expr))
        return
    for e in (expr, ic.diff(expr, var)):
        values = _values(e)
        want = ic.compile(e)(**values)
        got = ic.compile(e, backend="torch")(**values)
        assert isinstance(got, torch.Tensor) and got.dtype == torch.float64
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)


def test_written_diagonal_takes_the_inputs_device_and_dtype():
    X, W = ic.tensors("X[n,d] W[d,h]")
    f = ic.compile(ic.diff(X @ W, W), backend="torch")  # X[n,d] δ[h,h']: a written diagonal
    out = f(X=torch.ones(3, 4, device="meta", dtype=torch.float32),
            W=torch.ones(4, 2, device="meta", dtype=torch.float32))
    assert (out.device.type, out.dtype, tuple(out.shape)) == ("meta", torch.float32, (3, 2, 4, 2))


def test_reversed_slices_and_their_scatter_equal_numpy():
    """torch slices take no negative step: ``X[::-2, 1::-1]`` (and the Scatter its gradient
    writes) once escaped as torch's ValueError."""
    X, = ic.tensors("X[3,4]")
    a = np.arange(12.0).reshape(3, 4)
    f = X[::-2, 1::-1]
    got = ic.compile(f, backend="torch")(X=a)
    np.testing.assert_array_equal(got.numpy(), a[::-2, 1::-1])
    g = ic.grad(ic.sum(f * f), X)
    want = np.zeros_like(a)
    want[::-2, 1::-1] = 2 * a[::-2, 1::-1]
    np.testing.assert_array_equal(ic.compile(g, backend="torch")(X=a).numpy(), want)
