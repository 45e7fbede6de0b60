"""ic.to_python: the generated source, executed, computes what ic.evaluate computes."""

import ast
import re

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.core.graph_walk import tensors_of

X, W, v, y, A, x, c = ic.tensors("X[n,d] W[d,h] v[h] y[n] A[n,n] x[n] c[3]")
SIZES = {"n": 2, "d": 3, "h": 4}
rng = np.random.default_rng(3)
VALUES = {"X": rng.normal(size=(2, 3)), "W": rng.normal(size=(3, 4)), "v": rng.normal(size=4),
          "y": rng.normal(size=2), "A": rng.normal(size=(2, 2)) + 3 * np.eye(2),
          "x": rng.normal(size=2), "c": rng.normal(size=3)}

# each exercises a code path: planned chains, surviving deltas (diagonal writes), broadcasting,
# size multipliers, every elementwise helper, softmax/logsumexp, matrix functions, reshape, names
EXPRESSIONS = {
    "grad": ic.grad(0.5 * ic.sum((X @ W @ v - y) ** 2), W),
    "jacobian-diagonal": ic.diff(ic.tanh(x), x),
    "hessian-sigmoid": ic.hessian(ic.sum(ic.sigmoid(A @ x)), x),
    "steps-and-signs": ic.diff(ic.relu(x) + ic.abs(x) + ic.softplus(x) + ic.sin(x) * ic.cos(x), x),
    "softmax": ic.diff(ic.softmax(X, axis=0), X),
    "logsumexp": ic.grad(ic.logsumexp(X) + ic.sum(ic.log_softmax(X, axis=1)), X),
    "matrix-functions": ic.grad(ic.logdet(A) + ic.det(A) + ic.sum(ic.inv(A)), A),
    "inverse-jacobian": ic.diff(ic.inv(A), A),
    "kron-reshape": ic.kron(A, X),
    "broadcast": ic.outer(x, ic.delta("h", 1)) + ic.outer(y, v),
    "delta-and-size": ic.eye("n") + ic.trace(ic.eye("n")) * A,
    "constants": c * np.array([1.0, -2.0, 3.5]) + 2.0,
    "powers": ic.sqrt(ic.exp(x)) + x ** 3 + ic.square(x) + 1 / (1 + ic.exp(-x)),
    "named": ic.grad(ic.sum(ic.tanh(A @ x).named("h") ** 2), x),
    "scalar": ic.sum(X) * ic.norm(v),
}


def _run(src, name="f", **args):
    namespace = {}
    exec(src, namespace)
    return namespace[name](**args)


def _args(e, values=VALUES):
    return {t.name: values[t.name] for t in tensors_of(e)}


def _close(got, want, rtol=1e-12):
    got = np.asarray(got)
    assert got.shape == want.shape and got.dtype == want.dtype
    scale = max(float(np.max(np.abs(want), initial=0.0)), 1e-300)
    assert float(np.max(np.abs(got - want), initial=0.0)) <= rtol * scale


@pytest.mark.parametrize("sizes", [{}, SIZES], ids=["plan-at-call", "planned-path"])
@pytest.mark.parametrize("key", EXPRESSIONS)
def test_generated_numpy_matches_evaluate(key, sizes):
    e = EXPRESSIONS[key]
    src = ic.to_python(e, **sizes)
    _close(_run(src, **_args(e)), ic.evaluate(e, **_args(e)))


def test_embedded_paths_are_the_planned_ones():
    e = EXPRESSIONS["hessian-sigmoid"]
    src = ic.to_python(e, n=50)
    planned = [list(s.path) for s in ic.plan(e, n=50).steps if s.path and s.path != ((0,),)]
    embedded = [ast.literal_eval(f"[{p}]") for p in
                re.findall(r"optimize=\['einsum_path', (.*?)\]\)", src)]
    assert len(planned) >= 2 and embedded == planned
    assert "optimize='optimal'" in ic.to_python(e)


def test_source_shape():
    src = ic.to_python(EXPRESSIONS["grad"], name="grad_W")
    assert "def grad_W(W, X, v, y):" in src                 # sorted by name
    assert "eval" not in src and "exec" not in src
    assert src.count("_sigmoid") == 0                       # helpers only when used
    src = ic.to_python(EXPRESSIONS["hessian-sigmoid"])
    assert "def _sigmoid(a):" in src and "def _dsigmoid(a):" in src


def test_dtypes_follow_the_inputs():
    e = EXPRESSIONS["named"]
    f32 = {k: np.asarray(val, dtype=np.float32) for k, val in _args(e).items()}
    _close(_run(ic.to_python(e), **f32), ic.evaluate(e, **f32), rtol=1e-6)
    ints = {"A": np.array([[2, 1], [0, 3]]), "x": np.array([1, -1])}
    _close(_run(ic.to_python(e), **ints), ic.evaluate(e, **ints))


def test_names_never_collide():
    np_, dtype, t0, n, size = ic.tensors("np[n] dtype[n] t0[n] n[n] _floats[n]")
    e = ic.tanh(np_ * dtype) + t0 * n + ic.sum(size) + ic.trace(ic.eye("n"))
    vals = {k: rng.normal(size=3) for k in ("np", "dtype", "t0", "n", "_floats")}
    _close(_run(ic.to_python(e), **vals), ic.evaluate(e, **vals))


def test_dimensions_no_input_carries_are_keywords():
    d = ic.diff(X @ W, W)                                    # X δ: W (and so h) has gone
    src = ic.to_python(d)
    assert "def f(X, *, h):" in src
    _close(_run(src, X=VALUES["X"], h=4), ic.evaluate(d, X=VALUES["X"], h=4))
    zero = ic.diff(ic.sum(X), W)                             # no tensor left at all
    assert np.array_equal(_run(ic.to_python(zero, n=2, d=3, h=4)), np.zeros((3, 4)))
    assert np.array_equal(_run(ic.to_python(zero), d=1, h=2), np.zeros((1, 2)))


def test_bad_arguments():
    with pytest.raises(ic.IndexcalcError, match="backend must be one of numpy, jax, torch"):
        ic.to_python(x, backend="tensorflow")
    with pytest.raises(ic.IndexcalcError, match="identifier"):
        ic.to_python(x, name="not a name")
    with pytest.raises(ic.IndexcalcError, match="keyword"):
        ic.to_python(ic.Tensor("lambda", 3) * 2)
    with pytest.raises(ic.BindingError, match="not for d, h"):
        ic.to_python(EXPRESSIONS["grad"], n=3)


@pytest.mark.parametrize("key", EXPRESSIONS)
def test_generated_jax_matches_evaluate(key):
    jax = pytest.importorskip("jax")
    e = EXPRESSIONS[key]
    x64 = jax.enable_x64(True) if hasattr(jax, "enable_x64") else jax.experimental.enable_x64()
    with x64:
        got = _run(ic.to_python(e, backend="jax", **SIZES), **_args(e))
        _close(np.asarray(got), ic.evaluate(e, **_args(e)), rtol=1e-12)
    assert "[...] =" not in ic.to_python(e, backend="jax")  # functional updates only
