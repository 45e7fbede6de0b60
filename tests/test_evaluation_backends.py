"""Backends: the same compiled expression on NumPy, JAX, torch and dask (each where installed),
and clear errors for unknown or missing backends. ``import indexcalc`` imports none of them.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.evaluation import backends

X, W, v, S = ic.tensors("X[n,d] W[d,h] v[h] S[h,h]")

#: name -> expression: contractions, elementwise rules, a full Jacobian with a delta in the
#: output (written through its diagonal), softmax, logsumexp, inverse, determinant.
EXPRESSIONS = {
    "grad": ic.grad(ic.sum(ic.softplus(X @ W @ v)) + ic.sum(ic.relu(X @ W) ** 2), W),
    "jacobian": ic.diff(ic.tanh(X @ W), W),
    "hessian": ic.hessian(ic.sum(ic.sigmoid(X @ W)), W),
    "softmax": ic.softmax(X @ W, axis=1) * ic.logsumexp(X @ W, axis=1)[:, None],
    "inverse": ic.inv(S) @ v + ic.det(S) * ic.logdet(S @ S.T + 3 * ic.eye("h")) * v,
}


def values(dtype=np.float64):
    rng = np.random.default_rng(0)
    return {k: rng.standard_normal(s).astype(dtype)
            for k, s in dict(X=(4, 3), W=(3, 5), v=(5,), S=(5, 5)).items()}


def check_backend(name, to_numpy, array_type, rtol, dtype=np.float64, skip=()):
    for key, e in EXPRESSIONS.items():
        if key in skip:
            continue
        want = ic.compile(e)(**values(np.float64))
        got = ic.compile(e, backend=name)(**values(dtype))
        assert isinstance(got, array_type), key
        np.testing.assert_allclose(to_numpy(got), want, rtol=rtol, atol=rtol, err_msg=key)


def test_import_never_imports_a_backend_library():
    code = ("import sys, indexcalc as ic, numpy as np; x = ic.Tensor('x', 3); "
            "ic.compile(ic.sum(x * x))(x=np.ones(3)); "
            "print([m for m in ('jax', 'torch', 'cupy', 'dask') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_backend_lists_the_valid_names():
    with pytest.raises(ic.IndexcalcError, match="unknown backend 'tensorflow'; valid: numpy, jax, "
                                                "torch, cupy, dask"):
        ic.compile(X @ W, backend="tensorflow")
    with pytest.raises(ic.IndexcalcError, match="unknown backend"):
        ic.compile(X @ W, backend=["jax"])


def test_missing_backend_says_what_to_install(monkeypatch):
    monkeypatch.setitem(backends.BACKENDS, "jax", ("indexcalc_no_such_module", "jax",
                                                   backends.BACKENDS["jax"][2]))
    monkeypatch.delitem(backends._LOADED, "jax", raising=False)
    with pytest.raises(ic.IndexcalcError, match=r"pip install indexcalc\[jax\]"):
        ic.compile(X @ W, backend="jax")


def test_numpy_backend_by_name():
    check_backend("numpy", np.asarray, np.ndarray, 1e-12)


def test_torch_backend():
    torch = pytest.importorskip("torch")
    check_backend("torch", lambda t: t.numpy(), torch.Tensor, 1e-12)
    f = ic.compile(EXPRESSIONS["jacobian"], backend="torch")  # torch tensors in, float32 kept
    got = f(**{k: torch.from_numpy(a) for k, a in values(np.float32).items()})
    assert got.dtype == torch.float32


def test_jax_backend():
    jax = pytest.importorskip("jax")
    # JAX computes in float32 unless x64 is enabled: compare at float32 precision
    check_backend("jax", np.asarray, jax.Array, 2e-4, dtype=np.float32)


def test_dask_backend_on_a_local_cluster():
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((600, 40)), rng.standard_normal((40, 30))
    f = ic.compile(ic.hessian(ic.sum((X @ W) ** 2) + ic.sum(ic.softplus(X @ W)), W), backend="dask")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        lazy = f(X=da.from_array(x, chunks=(150, 40)), W=w)  # chunked over the summed rows
        assert isinstance(lazy, da.Array)
        got = lazy.compute()
    np.testing.assert_allclose(got, ic.compile(f.expr)(X=x, W=w), rtol=1e-12, atol=1e-12)
    check_backend("dask", lambda a: a.compute(), da.Array, 1e-12, skip=("inverse",))
