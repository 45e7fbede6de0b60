"""Evaluation is numerically stable and keeps float32.

- softmax / log_softmax / logsumexp shift by the maximum, sigmoid / softplus never overflow;
- float32 inputs give float32 results.
"""

import numpy as np
import pytest

import indexcalc as ic

X, W, v, b = ic.tensors("X[n,d] W[d,h] v[h] b[h]")
rng = np.random.default_rng(3)


def values(n=4, d=3, h=5, dtype=np.float64):
    return {"X": rng.normal(size=(n, d)).astype(dtype), "W": rng.normal(size=(d, h)).astype(dtype),
            "v": rng.normal(size=h).astype(dtype), "b": rng.normal(size=h).astype(dtype)}


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
