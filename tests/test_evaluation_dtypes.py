"""float32 in, float32 out, on every output path (issue 16), as NumPy: ``np.tanh(a32) @ b32``
is float32. Constants (float64 arrays in the expression) do not promote, as NumPy's Python
scalars do not; each result also matches the float64 value to float32 precision.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.evaluation.backends import namespace

X, W = ic.tensors("X[n,d] W[d,h]")
RNG = np.random.default_rng(32)
VALUES64 = {"X": RNG.normal(size=(5, 3)), "W": RNG.normal(size=(3, 4))}
VALUES32 = {k: v.astype(np.float32) for k, v in VALUES64.items()}

CASES = {
    "product": X @ W,
    "gradient": ic.grad(0.5 * ic.sum(ic.tanh(X @ W) ** 2), W),
    "constant": ic.tanh(X @ W) @ np.ones((4, 2)) + 1.0,
    "where": ic.where(np.arange(3.0) > 0.5, X, 2 * X),
    "reshape and index": X.reshape(-1)[2:7],
    "softmax": ic.softmax(X @ W),
    "inverse": ic.inv(W @ W.T + np.eye(3)),
    "logsumexp": ic.logsumexp(X, axis=0),
    "stack": ic.stack([X, X]),
}


def _backends() -> list[str]:
    out = []
    for name in ("numpy", "jax", "torch", "cupy", "dask"):
        try:
            namespace(name)
        except ic.IndexcalcError:  # not installed here
            continue
        out.append(name)
    return out


def _numpy(a) -> np.ndarray:
    a = a.compute() if hasattr(a, "compute") else a
    return np.asarray(a.cpu() if hasattr(a, "cpu") else a)


@pytest.mark.parametrize("name", list(CASES))
def test_evaluate_keeps_float32(name):
    f = CASES[name]
    out = ic.evaluate(f, **VALUES32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ic.evaluate(f, **VALUES64), rtol=1e-4, atol=1e-5)
    assert ic.evaluate(f, **VALUES64).dtype == np.float64


@pytest.mark.parametrize("name", list(CASES))
def test_compile_keeps_float32_on_every_installed_backend(name):
    f = CASES[name]
    expected = ic.evaluate(f, **VALUES64)
    backends = _backends()
    assert "numpy" in backends
    for backend in backends:
        try:
            out = ic.compile(f, backend=backend)(**VALUES32)
        except ic.IndexcalcError as e:  # an operation the backend lacks says so
            assert "not available" in str(e), backend
            continue
        assert str(out.dtype).endswith("float32"), (backend, out.dtype)
        np.testing.assert_allclose(_numpy(out), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", list(CASES))
def test_generated_code_keeps_float32(name):
    f = CASES[name]
    namespace_: dict = {}
    exec(ic.to_python(f), namespace_)  # noqa: S102 - the library's own generated source
    fn = namespace_["f"]
    args = {k: VALUES32[k] for k in inspect.signature(fn).parameters}
    out = np.asarray(fn(**args))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ic.evaluate(f, **VALUES64), rtol=1e-4, atol=1e-5)
