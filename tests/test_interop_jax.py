"""ic.to_jax and ic.einsum_function(backend="jax"): jax.test_util.check_grads to order 2 in
float64 (JAX's own finite differences), under jit, with the backward shown to be indexcalc's VJP.
Skipped only where the jax extra is not installed."""

from __future__ import annotations

import numpy as np
import pytest

import indexcalc as ic

jax = pytest.importorskip("jax", reason="the jax extra is not installed")
jnp = pytest.importorskip("jax.numpy")
from jax.test_util import check_grads  # noqa: E402


@pytest.fixture(autouse=True)
def float64():
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


def rand(*shape, seed=0):
    return jnp.asarray(np.random.default_rng(seed + sum(shape)).standard_normal(shape))


def attention():
    Q, K, V = ic.tensors("Q[t,k] K[s,k] V[s,v]")
    return ic.softmax(Q @ K.T / 2.0, axis=1) @ V, (Q, K, V), [(3, 4), (5, 4), (5, 2)]


def logistic():
    X, y, w = ic.tensors("X[n,d] y[n] w[d]")
    return ic.sum(ic.log(1 + ic.exp(-y * (X @ w)))), (X, y, w), [(4, 3), (4,), (3,)]


def broadcast_sum():
    x, A = ic.tensors("x[n] A[m,n]")
    return ic.sum(x) * ic.sum(A @ x), (x, A), [(3,), (4, 3)]


@pytest.mark.parametrize("case", [attention, logistic, broadcast_sum])
def test_check_grads_to_second_order(case):
    f, inputs, shapes = case()
    fn = ic.to_jax(f, *inputs)
    args = tuple(rand(*s, seed=i) for i, s in enumerate(shapes))
    check_grads(fn, args, order=1, modes=["rev"], atol=1e-6, rtol=1e-6)  # eager
    check_grads(jax.jit(fn), args, order=2, modes=["rev"], atol=1e-6, rtol=1e-6)


def test_value_and_gradient_agree_with_plain_jax_under_jit():
    f, inputs, shapes = attention()
    fn = jax.jit(ic.to_jax(f, *inputs))
    args = tuple(rand(*s, seed=i) for i, s in enumerate(shapes))

    def reference(q, k, v):
        return jax.nn.softmax(q @ k.T / 2.0, axis=1) @ v

    np.testing.assert_allclose(fn(*args), reference(*args), rtol=1e-12)
    got = jax.jit(jax.grad(lambda *a: jnp.sum(jnp.sin(fn(*a))), argnums=(0, 1, 2)))(*args)
    want = jax.grad(lambda *a: jnp.sum(jnp.sin(reference(*a))), argnums=(0, 1, 2))(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_backward_is_indexcalcs_vjp():
    f, inputs, shapes = logistic()
    fn = ic.to_jax(f, *inputs)
    args = tuple(rand(*s, seed=i) for i, s in enumerate(shapes))
    text = str(jax.make_jaxpr(jax.grad(fn, argnums=2))(*args))
    assert "custom_vjp_call" in text
    hess = str(jax.make_jaxpr(jax.jacrev(jax.jacrev(fn, argnums=2), argnums=2))(*args))
    assert hess.count("custom_vjp_call") >= 2  # the VJP is itself an exported function


def test_einsum_function_chain():
    chain = ic.einsum_function("ij,jk,kl->il", backend="jax")
    args = (rand(2, 3), rand(3, 4, seed=1), rand(4, 5, seed=2))
    np.testing.assert_allclose(chain(*args), args[0] @ args[1] @ args[2], rtol=1e-12)
    check_grads(jax.jit(chain), args, order=2, modes=["rev"])


def test_a_program_built_inside_a_trace_serves_the_next_trace():
    x = ic.Tensor("x", "n")
    f = ic.compile(ic.sum(ic.sigmoid(x) * (1 + x)), backend="jax")  # folded constants
    a = jnp.linspace(-1.0, 1.0, 3)
    first = jax.jit(lambda v: f(x=v))(a)
    second = jax.jit(lambda v: 2 * f(x=v))(a)  # reuses the program the first trace built
    want = np.sum((1 + np.asarray(a)) / (1 + np.exp(-np.asarray(a))))
    np.testing.assert_allclose([first, second], [want, 2 * want], rtol=1e-12)
