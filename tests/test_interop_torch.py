"""ic.to_torch and ic.einsum_function(backend="torch"): torch's gradcheck and gradgradcheck in
float64 (its own finite differences), and proof that the backward is indexcalc's VJP rather than
torch's autograd through the forward. Skipped only where the torch extra is not installed."""

from __future__ import annotations

import numpy as np
import pytest

import indexcalc as ic

torch = pytest.importorskip("torch", reason="the torch extra is not installed")


def rand(*shape, seed=0, grad=True):
    g = torch.Generator().manual_seed(seed + 17 * len(shape) + sum(shape))
    return torch.randn(*shape, generator=g, dtype=torch.float64, requires_grad=grad)


def attention():
    Q, K, V = ic.tensors("Q[t,k] K[s,k] V[s,v]")
    return ic.softmax(Q @ K.T / 2.0, axis=1) @ V, (Q, K, V)


def layer():
    X, W, b = ic.tensors("X[n,d] W[d,h] b[h]")
    return ic.tanh(X @ W + b), (X, W, b)


def logistic():
    X, y, w = ic.tensors("X[n,d] y[n] w[d]")
    return ic.sum(ic.log(1 + ic.exp(-y * (X @ w)))), (X, y, w)


def unused_and_broadcast():
    x, b, A = ic.tensors("x[n] b[m] A[n,n]")  # f ignores b; Σ A's VJP broadcasts G
    return ic.sum(x * x) + ic.sum(A), (x, b, A)


@pytest.mark.parametrize("case,shapes", [
    (unused_and_broadcast, [(3,), (2,), (3, 3)]),
    (attention, [(3, 4), (5, 4), (5, 2)]),
    (layer, [(3, 4), (4, 5), (5,)]),
    (logistic, [(4, 3), (4,), (3,)]),
])
def test_gradcheck_and_gradgradcheck(case, shapes):
    f, inputs = case()
    fn = ic.to_torch(f, *inputs)
    args = tuple(rand(*s, seed=i) for i, s in enumerate(shapes))
    assert torch.autograd.gradcheck(fn, args)
    assert torch.autograd.gradgradcheck(fn, args)


def test_only_the_inputs_that_require_grad_get_one():
    f, (X, W, b) = layer()
    fn = ic.to_torch(f, X, W, b)
    x, w, bb = rand(3, 4, grad=False), rand(4, 5), rand(5, grad=False)
    fn(x, w, bb).sum().backward()
    assert x.grad is None and bb.grad is None
    expected = x.detach().numpy().T @ (1 - np.tanh(x.detach().numpy() @ w.detach().numpy()
                                                    + bb.numpy()) ** 2)
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12)


def test_backward_is_indexcalcs_vjp_not_autograd_through_the_forward():
    f, inputs = attention()
    fn = ic.to_torch(f, *inputs)
    args = tuple(rand(*s, seed=i) for i, s in enumerate([(3, 4), (5, 4), (5, 2)]))
    out = fn(*args)
    assert type(out.grad_fn).__name__ == "IndexcalcFunctionBackward"
    assert out.grad_fn.next_functions and all(
        type(n).__name__ == "AccumulateGrad" for n, _ in out.grad_fn.next_functions)
    g = torch.autograd.grad(out.sum(), args[0], create_graph=True)[0]
    assert type(g.grad_fn).__name__ == "IndexcalcFunctionBackward"  # the VJP's own Function


def test_einsum_function_chain_gradchecks():
    chain = ic.einsum_function("ij,jk,kl->il", backend="torch")
    args = (rand(2, 3), rand(3, 4, seed=1), rand(4, 5, seed=2))
    assert torch.autograd.gradcheck(chain, args)
    assert torch.autograd.gradgradcheck(chain, args)
    trace = ic.einsum_function("ii")
    assert torch.autograd.gradcheck(trace, (rand(3, 3),))


def test_refusals():
    f, (X, W, b) = layer()
    with pytest.raises(ic.BindingError, match="'b'"):
        ic.to_torch(f, X, W)
    with pytest.raises(ic.IndexcalcError, match="ic.Tensor"):
        ic.to_torch(f, X, W, "b")
    with pytest.raises(ic.IndexcalcError, match="backend"):
        ic.einsum_function("ij->i", backend="tensorflow")
    with pytest.raises(ic.IndexcalcError, match="ellipsis"):
        ic.einsum_function("...i->i")
    fn = ic.to_torch(f, X, W, b)
    with pytest.raises(ic.BindingError, match="expected 3"):
        fn(rand(3, 4))
    with pytest.raises(ic.BindingError, match="dimension 'd'"):
        fn(rand(3, 4), rand(5, 5), rand(5))
