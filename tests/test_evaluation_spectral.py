"""Evaluating eigh/svd parts: one decomposition per argument and run, every backend, to_python.

References are NumPy's own ``eigh``/``svd`` called here; eigenvector signs are arbitrary and
differ between libraries, so other backends are compared on sign-free functions of the vectors.
"""

from __future__ import annotations

import numpy as np
import pytest

import indexcalc as ic

RNG = np.random.default_rng(7)
S0 = RNG.normal(size=(4, 4))
S0 = S0 + S0.T
X0 = RNG.normal(size=(5, 3))
A, X = ic.Tensor("A", (4, 4), symmetric=True), ic.Tensor("X", (5, 3))
W_, V_ = ic.eigh(A)
U_, s_, Vh_ = ic.svd(X)


def test_values_are_numpys():
    w, v = np.linalg.eigh(S0)
    u, s, vh = np.linalg.svd(X0, full_matrices=False)
    got = [ic.evaluate(e, A=S0, X=X0) for e in (W_, V_, U_, s_, Vh_)]
    for g, want in zip(got, (w, v, u, s, vh)):
        np.testing.assert_allclose(g, want, atol=1e-12)
    assert float(ic.norm(X, 2).evaluate(X=X0)) == pytest.approx(np.linalg.norm(X0, 2))
    assert float(ic.norm(X, "nuc").evaluate(X=X0)) == pytest.approx(np.linalg.norm(X0, "nuc"))


def test_one_decomposition_per_argument_and_run(monkeypatch):
    calls = {"eigh": 0, "svd": 0}
    eigh, svd = np.linalg.eigh, np.linalg.svd

    def counted(name, fn):
        def run(*a, **k):
            calls[name] += 1
            return fn(*a, **k)
        return run

    monkeypatch.setattr(np.linalg, "eigh", counted("eigh", eigh))
    monkeypatch.setattr(np.linalg, "svd", counted("svd", svd))
    f = ic.grad(ic.sum(V_ ** 3) + ic.sum(W_ ** 2), A)  # values, vectors and gaps
    g = ic.grad(ic.sum(U_ ** 3) + ic.sum(Vh_ ** 3) + ic.sum(s_), X)  # all five svd parts
    both = f + ic.sum(g)
    compiled = ic.compile(both)
    value = S0.copy()
    first = compiled(A=value, X=X0)
    assert calls == {"eigh": 1, "svd": 1}
    value *= 2  # changed in place: the next run decomposes again, nothing kept between runs
    second = compiled(A=value, X=X0)
    assert calls == {"eigh": 2, "svd": 2}
    np.testing.assert_allclose(second, ic.evaluate(both, A=value, X=X0), atol=1e-10)
    assert not np.allclose(first, second)


def test_values_alone_skip_the_vectors(monkeypatch):
    """A program that uses no vectors asks for eigenvalues (singular values) only."""
    def refuse(*args, **kwargs):
        raise AssertionError("vectors computed for a program that needs none")

    monkeypatch.setattr(np.linalg, "eigh", refuse)
    svd = np.linalg.svd
    monkeypatch.setattr(np.linalg, "svd", lambda a, full_matrices=True, compute_uv=True:
                        refuse() if compute_uv else svd(a, compute_uv=False))
    np.testing.assert_allclose(ic.evaluate(ic.sum(ic.exp(W_)) + ic.norm(X, "nuc"), A=S0, X=X0),
                               np.exp(np.linalg.eigvalsh(S0)).sum() + np.linalg.norm(X0, "nuc"))


def _sign_free():
    return [V_ @ ic.diag(ic.exp(W_ / 4)) @ V_.T, ic.abs(U_) @ ic.abs(Vh_),
            ic.grad(ic.sum(V_ ** 4) + ic.sum(ic.sin(W_)), A),
            ic.grad(ic.sum(U_ ** 4) + ic.sum(Vh_ ** 4) + ic.sum(s_ ** 3), X),
            W_, s_]


@pytest.mark.parametrize("backend", ["jax", "torch", "dask"])
def test_backends_agree_with_numpy(backend):
    module = pytest.importorskip({"jax": "jax", "torch": "torch", "dask": "dask.array"}[backend])
    x64 = module.enable_x64(True) if backend == "jax" else None
    try:
        if x64 is not None:
            x64.__enter__()
        for e in _sign_free():
            run = ic.compile(e, backend=backend)
            if backend == "jax":  # traced: one XLA compilation, and the checks skip tracers
                run = module.jit(run)
            out = run(A=S0, X=X0)
            out = out.compute() if backend == "dask" else out
            out = out.numpy() if backend == "torch" else np.asarray(out)
            np.testing.assert_allclose(out, ic.evaluate(e, A=S0, X=X0), atol=1e-9,
                                       err_msg=f"{backend}: {str(e)[:50]}")
    finally:
        if x64 is not None:
            x64.__exit__(None, None, None)


def test_dask_refuses_at_compute_and_stacks_work():
    da = pytest.importorskip("dask.array")
    B = ic.Tensor("B", (3, 4, 4))
    w, V = ic.eigh(B)
    stack = np.stack([S0, 2 * S0, S0 + np.eye(4)])
    f = ic.compile(w, backend="dask")
    np.testing.assert_allclose(f(B=da.from_array(stack, chunks=(1, 2, 2))).compute(),
                               np.linalg.eigh(stack)[0], atol=1e-12)
    bad = ic.compile(ic.diff(V, B), backend="dask")(B=np.stack([np.eye(4)] * 3))
    with pytest.raises(ic.IndexcalcError, match="repeated eigenvalues"):
        bad.compute()


def test_to_python_equals_evaluate_and_refuses_like_it():
    for e in [ic.diff(V_, A), ic.diff(U_, X), ic.diff(Vh_, X), ic.grad(ic.norm(X, "nuc"), X)]:
        namespace: dict = {}
        exec(ic.to_python(e, name="f"), namespace)
        args = {"A": S0, "X": X0}
        args = {k: v for k, v in args.items() if k in namespace["f"].__code__.co_varnames}
        np.testing.assert_allclose(namespace["f"](**args), ic.evaluate(e, A=S0, X=X0), atol=1e-12)
    src = ic.to_python(ic.diff(V_, A) + ic.diff(ic.sum(W_), A), name="f")
    assert src.count("_eigh(A)") == 1  # one decomposition, however many parts
    namespace = {}
    exec(src, namespace)
    with pytest.raises(ValueError, match="repeated eigenvalues"):
        namespace["f"](np.eye(4))
    with pytest.raises(ValueError, match="not symmetric"):
        namespace["f"](np.arange(16.0).reshape(4, 4))
