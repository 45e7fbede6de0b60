"""ic.to_python(backend="torch"): a standalone module (numpy and torch only) whose function is a
torch.autograd.Function with indexcalc's VJPs as its backward, to order 2. Checked with torch's
own gradcheck / gradgradcheck (central finite differences) in float64; skipped only where the
torch extra is not installed."""

from __future__ import annotations

import ast

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.core.graph_walk import tensors_of

torch = pytest.importorskip("torch", reason="the torch extra is not installed")

SIZES = {"n": 3, "d": 4, "h": 5, "t": 3, "s": 4, "k": 5, "v": 3, "m": 4, "T": 5}


def load(expr, **kw):
    src = ic.to_python(expr, backend="torch", name="fn", **kw)
    namespace: dict = {}
    exec(compile(src, "<generated>", "exec"), namespace)
    return namespace["fn"], src


def arrays(expr, seed=0, dtype=torch.float64):
    tensors = sorted({t.name: t for t in tensors_of(expr)}.values(), key=lambda t: t.name)
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(*(SIZES[d] if isinstance(d, str) else d for d in t.shape), generator=g,
                        dtype=dtype, requires_grad=True) for t in tensors]


def cases():
    X, W, b = ic.tensors("X[n,d] W[d,h] b[h]")
    Q, K, V = ic.tensors("Q[t,k] K[s,k] V[s,v]")
    A, x = ic.tensors("A[m,n] x[n]")
    return {
        "layer": ic.tanh(X @ W + b),
        "three-operand einsum chain": ic.einsum("nd,dh,h->n", X, W, b),
        "attention": ic.softmax(Q @ K.T / 2.0, axis=1) @ V,
        "linear (second derivative by x is zero)": ic.sum(ic.sin(A @ x)) + ic.sum(A @ x),
        "scalar loss": ic.sum(ic.log(1 + ic.exp(-(X @ W) @ b))),
        "recurrence (ic.scan)": ic.sum(ic.scan(lambda h, e: ic.tanh(A.T @ A @ h + e), x,
                                               ic.Tensor("es", "T n"))),
    }


@pytest.mark.parametrize("name", list(cases()))
def test_gradcheck_and_gradgradcheck_float64(name):
    fn, _ = load(cases()[name])
    inputs = arrays(cases()[name])
    assert torch.autograd.gradcheck(fn, inputs)
    assert torch.autograd.gradgradcheck(fn, inputs)


def test_values_match_evaluate_and_the_backward_is_indexcalcs():
    f = cases()["attention"]
    fn, _ = load(f)
    inputs = arrays(f, seed=1)
    out = fn(*inputs)
    assert type(out.grad_fn).__name__ == "IndexcalcFunctionBackward"  # not torch's einsum graph
    want = ic.evaluate(f, **{t.name: a.detach().numpy() for t, a in
                             zip(sorted(tensors_of(f), key=lambda t: t.name), inputs)})
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-12)
    g = torch.autograd.grad(out.sum(), inputs, create_graph=True)
    assert all(type(gi.grad_fn).__name__ == "IndexcalcFunctionBackward" for gi in g)


def test_module_is_standalone_numpy_and_torch():
    _, src = load(cases()["layer"], n=3, d=4, h=5)
    imported = {a.name.split(".")[0] for node in ast.walk(ast.parse(src))
                if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
    assert imported == {"numpy", "torch"}
    assert "optimize=['einsum_path'" in src  # the planned path, as to_python embeds it


def test_float32_stays_float32():
    f = cases()["layer"]
    fn, _ = load(f)
    inputs = arrays(f, dtype=torch.float32)
    out = fn(*inputs)
    out.sum().backward()
    assert out.dtype == torch.float32 and all(a.grad.dtype == torch.float32 for a in inputs)


def test_third_order_refuses_naming_the_way_out():
    A, x = ic.tensors("A[m,n] x[n]")
    fn, _ = load(ic.sum(ic.sin(A @ x)))
    a, xv = arrays(ic.sum(ic.sin(A @ x)))
    (gx,) = torch.autograd.grad(fn(a, xv), xv, create_graph=True)
    (hx,) = torch.autograd.grad(gx.sum(), xv, create_graph=True)
    with pytest.raises(RuntimeError, match="order 2.*ic.diff"):
        torch.autograd.grad(hx.sum(), xv)


def test_refusals_name_the_culprit():
    A, x = ic.tensors("A[m,n] x[n]")
    with pytest.raises(ic.IndexcalcError, match="'torch' is taken"):
        ic.to_python(A @ x, backend="torch", name="torch")
    clash = ic.Tensor("IndexcalcFunction", "n")
    with pytest.raises(ic.IndexcalcError, match="tensor name 'IndexcalcFunction'"):
        ic.to_python(clash * x, backend="torch")
    with pytest.raises(ic.IndexcalcError, match=r"dimension 'n'.*n=\.\.\."):
        ic.to_python(ic.diff(x, x), backend="torch")  # δ[n,n']: no input carries n
    fn, _ = load(ic.diff(x, x), n=3)  # its size given: the module embeds it
    np.testing.assert_array_equal(fn().numpy(), np.eye(3))


def test_a_function_whose_second_derivative_is_refused_still_exports_its_gradient():
    # expm's Fréchet derivative has no derivative by A in indexcalc: the whole module was refused
    # (red team); now the gradient is exported and only torch's double backward says why not
    A, C = ic.tensors("A[3,3] C[3,3]")
    namespace: dict = {}
    exec(ic.to_python(ic.sum(C * ic.expm(A)), backend="torch", name="f"), namespace)
    a = torch.tensor(np.random.default_rng(0).normal(size=(3, 3)) * 0.3, requires_grad=True)
    c = torch.tensor(np.random.default_rng(1).normal(size=(3, 3)))
    assert torch.autograd.gradcheck(lambda a: namespace["f"](a, c), (a,))
    (g,) = torch.autograd.grad(namespace["f"](a, c), a, create_graph=True)
    with pytest.raises(RuntimeError, match="not in this module"):
        g.sum().backward()
