"""The operations NumPy users' test suites reach for, each matched against NumPy's own function
on arrays, its derivative against central finite differences (float64, distinct sizes 3, 4, 5),
and every printed form (generated code, LaTeX, the matrix form where the order is ≤ 2) against
the value. JAX is not a dependency: where it is installed, ``jax.grad`` is a second oracle.

NumPy behaviour matched (each row names its NumPy call): ``np.mean/var/std(axis, keepdims,
ddof)``, ``np.sum(keepdims)``, ``np.linalg.norm(ord, axis, keepdims)``, ``np.cumsum(axis)``
(``axis=None`` flattens), ``np.tensordot(axes)``, ``np.trace/diagonal(offset)`` (non-square
matrices too), ``np.kron`` (the operand with fewer axes gets leading 1s), ``np.hstack`` (1-D
joined end to end, else along axis 1), ``np.vstack`` (1-D is a row), ``np.einsum``'s sublist
form, and ``@`` broadcasting leading batch axes (``np.matmul``).
"""

from __future__ import annotations

import importlib.util
import inspect

import graph_check
import numpy as np
import pytest
from _fd import assert_close, fd_jacobian, values_of
from _latex import assert_well_formed

import indexcalc as ic
from indexcalc.core import nodes

SIZES = {"a": 3, "b": 4, "c": 5}
X, Y, Z = ic.tensors("X[a,b] Y[a,b] Z[b,c]")
T, U = ic.tensors("T[a,b,c] U[b,c,a]")
u, v, w = ic.tensors("u[a] v[b] w[c]")
R = ic.Tensor("R", (3, 5))          # int dimensions: off-diagonals need them
q = ic.Tensor("q", 5)
P3 = ic.Tensor("P3", (3, 4, 5))     # prod needs int sizes along its axes
Bt, Bm = ic.tensors("Bt[c,1,a,b] Bm[3,b,a]")
Sq = ic.Tensor("Sq", "c a a")        # a stack of well-conditioned square matrices
VARS = (X, Y, Z, T, U, u, v, w, R, q, P3, Bt, Bm, Sq)


def make_values(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    vals = {t.name: rng.uniform(0.3, 1.2, size=tuple(SIZES.get(d, d) for d in t.shape))
            * rng.choice([-1.0, 1.0], size=tuple(SIZES.get(d, d) for d in t.shape))
            for t in VARS}
    vals["Sq"] = vals["Sq"] + 3.0 * np.eye(SIZES["a"])
    vals.update(SIZES)
    return vals


VALUES = make_values()
V = {k: v for k, v in VALUES.items() if not isinstance(v, int)}

# (id, expression, the same computed by NumPy from the values, variables to differentiate by)
CASES = [
    ("sum keepdims", ic.sum(T, axis=1, keepdims=True), lambda d: np.sum(d["T"], 1, keepdims=True), (T,)),
    ("sum all keepdims", ic.sum(X * X, keepdims=True), lambda d: np.sum(d["X"] ** 2, keepdims=True), (X,)),
    ("mean", ic.mean(X), lambda d: np.mean(d["X"]), (X,)),
    ("mean axis keepdims", ic.mean(T, axis=(0, 2), keepdims=True),
     lambda d: np.mean(d["T"], (0, 2), keepdims=True), (T,)),
    ("var", ic.var(X), lambda d: np.var(d["X"]), (X,)),
    ("var axis", ic.var(T, axis=2), lambda d: np.var(d["T"], 2), (T,)),
    ("var ddof keepdims", ic.var(X, axis=0, keepdims=True, ddof=1),
     lambda d: np.var(d["X"], 0, keepdims=True, ddof=1), (X,)),
    ("std", ic.std(X @ Z, axis=1), lambda d: np.std(d["X"] @ d["Z"], 1), (X, Z)),
    ("std keepdims", ic.std(u, keepdims=True), lambda d: np.std(d["u"], keepdims=True), (u,)),
    ("norm axis", ic.norm(X, axis=1), lambda d: np.linalg.norm(d["X"], axis=1), (X,)),
    ("norm axis 0 keepdims", ic.norm(X, axis=0, keepdims=True),
     lambda d: np.linalg.norm(d["X"], axis=0, keepdims=True), (X,)),
    ("norm ord 1 axis", ic.norm(X, 1, axis=0), lambda d: np.linalg.norm(d["X"], 1, axis=0), (X,)),
    ("norm ord 3 axis", ic.norm(T, 3, axis=-1), lambda d: np.linalg.norm(d["T"], 3, axis=-1), (T,)),
    ("norm fro two axes", ic.norm(T, "fro", axis=(0, 2)),
     lambda d: np.linalg.norm(d["T"], "fro", axis=(0, 2)), (T,)),
    ("norm keepdims", ic.norm(X, keepdims=True), lambda d: np.linalg.norm(d["X"], keepdims=True), (X,)),
    ("cumsum axis", ic.cumsum(X, axis=1), lambda d: np.cumsum(d["X"], 1), (X,)),
    ("cumsum axis 0 of 3", ic.cumsum(T, axis=0), lambda d: np.cumsum(d["T"], 0), (T,)),
    ("cumsum flat", ic.cumsum(X), lambda d: np.cumsum(d["X"]), (X,)),
    ("cumsum in a chain", ic.tanh(ic.cumsum(X @ Z, axis=-1)),
     lambda d: np.tanh(np.cumsum(d["X"] @ d["Z"], -1)), (X, Z)),
    ("tensordot 2", ic.tensordot(T, ic.tanh(Z), 2), lambda d: np.tensordot(d["T"], np.tanh(d["Z"]), 2), (T, Z)),
    ("tensordot pairs", ic.tensordot(T, U, ([0, 2], [2, 1])),
     lambda d: np.tensordot(d["T"], d["U"], ([0, 2], [2, 1])), (T, U)),
    ("tensordot 0", ic.tensordot(u, v, 0), lambda d: np.tensordot(d["u"], d["v"], 0), (u, v)),
    ("diagonal offset 1", ic.diagonal(R, 1), lambda d: np.diagonal(d["R"], 1), (R,)),
    ("diagonal offset -1", ic.diagonal(R, -1), lambda d: np.diagonal(d["R"], -1), (R,)),
    ("diagonal non-square", ic.diagonal(R), lambda d: np.diagonal(d["R"]), (R,)),
    ("trace offset 2", ic.trace(R, offset=2), lambda d: np.trace(d["R"], 2), (R,)),
    ("trace offset of a product", ic.trace(R.T @ R, offset=-1),
     lambda d: np.trace(d["R"].T @ d["R"], -1), (R,)),
    ("kron 1-D", ic.kron(u, v), lambda d: np.kron(d["u"], d["v"]), (u, v)),
    ("kron 1-D with 2-D", ic.kron(w, X), lambda d: np.kron(d["w"], d["X"]), (w, X)),
    ("hstack vectors", ic.hstack([u, ic.sin(u), u]), lambda d: np.hstack([d["u"], np.sin(d["u"]), d["u"]]), (u,)),
    ("hstack matrices", ic.hstack([X, Y * Y]), lambda d: np.hstack([d["X"], d["Y"] ** 2]), (X, Y)),
    ("vstack", ic.vstack([q, R, 2 * q]), lambda d: np.vstack([d["q"], d["R"], 2 * d["q"]]), (q, R)),
    ("einsum sublist", ic.einsum(X, [0, 1], Z, [1, 2], [0, 2]),
     lambda d: np.einsum(d["X"], [0, 1], d["Z"], [1, 2], [0, 2]), (X, Z)),
    ("einsum sublist implicit", ic.einsum(T, [0, 1, 2], u, [0]),
     lambda d: np.einsum(d["T"], [0, 1, 2], d["u"], [0]), (T, u)),
    ("prod", ic.prod(R), lambda d: np.prod(d["R"]), (R,)),
    ("prod axes keepdims", ic.prod(P3, axis=(0, 2), keepdims=True),
     lambda d: np.prod(d["P3"], (0, 2), keepdims=True), (P3,)),
    ("prod axis of a product", ic.prod(ic.tanh(R) @ R.T, axis=1),
     lambda d: np.prod(np.tanh(d["R"]) @ d["R"].T, 1), (R,)),
    ("max", ic.max(X), lambda d: np.max(d["X"]), (X,)),
    ("max axis keepdims", ic.max(T, axis=(0, 2), keepdims=True),
     lambda d: np.max(d["T"], (0, 2), keepdims=True), (T,)),
    ("min axis", ic.min(X @ Z, axis=0), lambda d: np.min(d["X"] @ d["Z"], 0), (X, Z)),
    ("maximum broadcast", ic.maximum(X, v), lambda d: np.maximum(d["X"], d["v"]), (X, v)),
    ("maximum number", ic.maximum(0.2, ic.tanh(X)), lambda d: np.maximum(0.2, np.tanh(d["X"])), (X,)),
    ("minimum", ic.minimum(X, Y), lambda d: np.minimum(d["X"], d["Y"]), (X, Y)),
    ("clip", ic.clip(X @ Z, -0.5, 0.6), lambda d: np.clip(d["X"] @ d["Z"], -0.5, 0.6), (X, Z)),
    ("clip lower only", ic.clip(u, 0.0), lambda d: np.clip(d["u"], 0.0, None), (u,)),
    ("batched @", Bt @ Bm, lambda d: d["Bt"] @ d["Bm"], (Bt, Bm)),
    ("batched @ vector", Bm @ u, lambda d: d["Bm"] @ d["u"], (Bm, u)),
    ("vector @ batched", u @ Bt, lambda d: d["u"] @ d["Bt"], (u, Bt)),
    ("matrix @ batched", ic.tanh(Bm @ X), lambda d: np.tanh(d["Bm"] @ d["X"]), (Bm, X)),
    ("batched inv", ic.inv(Sq), lambda d: np.linalg.inv(d["Sq"]), (Sq,)),
    ("batched inv @", ic.inv(Sq) @ X, lambda d: np.linalg.inv(d["Sq"]) @ d["X"], (Sq, X)),
    ("batched det", ic.det(Sq), lambda d: np.linalg.det(d["Sq"]), (Sq,)),
    ("batched logdet", ic.logdet(Sq @ Sq + Sq), lambda d: np.linalg.slogdet(d["Sq"] @ d["Sq"] + d["Sq"])[1],
     (Sq,)),
    ("batched det of a negative stack", ic.sum(ic.logdet(-Sq) * ic.det(Sq)),
     lambda d: np.sum(np.linalg.slogdet(-d["Sq"])[1] * np.linalg.det(d["Sq"])), (Sq,)),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_value_is_numpys(case):
    _, f, numpy_f, _ = case
    want = numpy_f(V)
    got = values_of(f, **VALUES)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_derivative_and_vjp_against_finite_differences(case):
    _, f, _, wrt = case
    cot = np.random.default_rng(1).normal(size=values_of(f, **VALUES).shape)
    ct = ic.Tensor("ct", f.shape)
    graph_check.check(f, SIZES)
    for var in wrt:
        expected = fd_jacobian(f, var, VALUES)
        graph_check.check(ic.diff(f, var), SIZES)
        assert_close(values_of(ic.diff(f, var), **VALUES), expected, what=f"∂f/∂{var.name}")
        vj = values_of(ic.vjp(f, var, ct), **VALUES, ct=cot)
        assert_close(vj, np.tensordot(cot, expected, axes=cot.ndim), what=f"vjp {var.name}")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_printed_forms_compute_the_value(case):
    _, f, numpy_f, wrt = case
    want = np.asarray(numpy_f(V), dtype=np.float64)
    namespace: dict = {}
    exec(ic.to_python(f), namespace)
    takes = inspect.signature(namespace["f"]).parameters
    np.testing.assert_allclose(namespace["f"](**{k: V[k] for k in takes}), want, rtol=1e-12,
                               atol=1e-12)
    assert_well_formed(ic.to_latex(f))
    assert str(f)
    if max(t.ndim for t in wrt) > 2:
        return  # an operand of order 3 or more has no matrix form (to_kron is the form there)
    if f.ndim <= 2:
        form = ic.to_matrix(f)
        assert_well_formed(form.latex())
        np.testing.assert_allclose(np.ravel(form.evaluate(**VALUES)), np.ravel(want),
                                   rtol=1e-12, atol=1e-12)
    # the gradient of a weighted sum in matrix form (to_matrix is total on order ≤ 2)
    var = wrt[0]
    ct = ic.Tensor("ct", f.shape)
    cot = np.random.default_rng(2).normal(size=want.shape)
    g = ic.grad(ic.sum(f * ct), var)
    expected = np.tensordot(cot, fd_jacobian(f, var, VALUES), axes=cot.ndim)
    got = ic.to_matrix(g).evaluate(**VALUES, ct=cot)
    assert_close(np.reshape(got, expected.shape), expected, what=f"matrix form of ∇{var.name}")


def test_named_dimensions_count_at_evaluation():
    """``mean`` over a named dimension divides by its size, bound only when evaluated."""
    x = ic.Tensor("x", "n")
    for n in (3, 4, 5):
        a = np.arange(1.0, n + 1.0)
        np.testing.assert_allclose(ic.mean(x).evaluate(x=a), np.mean(a))
        np.testing.assert_allclose(ic.var(x, ddof=1).evaluate(x=a), np.var(a, ddof=1))
        np.testing.assert_allclose(ic.grad(ic.mean(x), x).evaluate(x=a), np.full(n, 1.0 / n))
    assert str(ic.mean(X)) == "Σ_a,b X[a,b] (a b)^-1"


def test_cumsum_keeps_the_mask_symbolic():
    """The running sum is a product with the triangular mask, not a stored n×n constant."""
    from indexcalc.core.nodes import Constant, TriMask
    f = ic.cumsum(X, axis=1)
    assert any(isinstance(g, TriMask) for g, _ in f.factors)
    assert not any(isinstance(g, Constant) for g, _ in f.factors)


def test_refusals_name_the_way_out():
    with pytest.raises(ic.ShapeError, match="int dimensions"):
        ic.diagonal(X, 1)
    with pytest.raises(ic.ShapeError, match="empty"):
        ic.trace(R, offset=5)
    with pytest.raises(ic.IndexcalcError, match="ord=inf"):
        ic.norm(X, np.inf, axis=0)
    with pytest.raises(ic.IndexcalcError, match="Frobenius"):
        ic.norm(X, 2, axis=(0, 1))
    with pytest.raises(ic.IndexcalcError, match="keepdims"):
        ic.sum(X, keepdims="yes")
    with pytest.raises(ic.ShapeError, match="stacks of matrices"):
        ic.Tensor("P", (2, 3, 4)) @ ic.Tensor("Q", (3, 4, 5))
    with pytest.raises(ic.ShapeError, match="tensordot"):
        ic.tensordot(X, Z, ([0], [0]))
    with pytest.raises(ic.IndexcalcError, match="sublist labels"):
        ic.einsum(X, [0, "b"])
    with pytest.raises(ic.ShapeError, match="int size"):
        ic.prod(X, axis=0)  # X[a,b]: named dimensions
    with pytest.raises(ic.ShapeError, match="MAX_PROD_LENGTH"):
        ic.prod(ic.Tensor("long", 1000))
    with pytest.raises(ic.IndexcalcError, match="cumsum"):
        ic.cumsum(X, axis=(0, 1))


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is an optional oracle")
def test_gradients_agree_with_jax():
    import jax
    import jax.numpy as jnp

    a = VALUES["X"]
    ties = np.array([[1.0, 3.0, 3.0, 0.5]] * 3)          # tied maxima in every row
    pairs = [  # (scalar f of X, the same in jax.numpy, the value of X)
        (ic.sum(ic.var(X, axis=1)), lambda x: jnp.sum(jnp.var(x, 1)), a),
        (ic.std(X), jnp.std, a),
        (ic.sum(ic.cumsum(X, axis=0) ** 2), lambda x: jnp.sum(jnp.cumsum(x, 0) ** 2), a),
        (ic.sum(ic.max(X, axis=1)), lambda x: jnp.sum(jnp.max(x, 1)), ties),
        (ic.sum(ic.maximum(X, 3.0)), lambda x: jnp.sum(jnp.maximum(x, 3.0)), ties),
        (ic.sum(ic.clip(X, 0.5, 3.0)), lambda x: jnp.sum(jnp.clip(x, 0.5, 3.0)), ties),
        (ic.sum(ic.log1p(X * X)), lambda x: jnp.sum(jnp.log1p(x * x)), a),
    ]
    x64 = jax.enable_x64(True) if hasattr(jax, "enable_x64") else jax.experimental.enable_x64()
    with x64:
        for f, jf, at in pairs:
            got = values_of(ic.grad(f, X), **{**VALUES, "X": at})
            np.testing.assert_allclose(got, np.asarray(jax.grad(jf)(at)), rtol=1e-10, atol=1e-12)


def test_ties_split_the_cotangent_as_jax_does():
    """JAX's subgradients, written out: ``jax.grad(jnp.max)([1, 3, 3]) = [0, ½, ½]``,
    ``jax.grad(jnp.maximum, (0, 1))(1., 1.) = (½, ½)``, ``jnp.clip`` = minimum(maximum(x, lo), hi)
    gives ½ at a bound, and ``min`` ties like ``max``."""
    x = ic.Tensor("x", 3)
    at = np.array([1.0, 3.0, 3.0])
    np.testing.assert_array_equal(ic.grad(ic.max(x), x).evaluate(x=at), [0.0, 0.5, 0.5])
    np.testing.assert_array_equal(ic.grad(ic.min(x), x).evaluate(x=-at), [0.0, 0.5, 0.5])
    np.testing.assert_array_equal(ic.grad(ic.max(x), x).evaluate(x=np.full(3, 2.0)), [1 / 3] * 3)
    s, t = ic.tensors("s[] t[]")
    for fn in (ic.maximum, ic.minimum):
        assert float(ic.grad(fn(s, t), s).evaluate(s=1.0, t=1.0)) == 0.5
        assert float(ic.grad(fn(s, t), t).evaluate(s=1.0, t=1.0)) == 0.5
    g = ic.grad(ic.sum(ic.clip(x, 1.0, 3.0)), x).evaluate(x=np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [0.5, 1.0, 0.5])
    g = ic.grad(ic.sum(ic.clip(x, 1.0, 3.0)), x).evaluate(x=np.array([0.0, 2.0, 4.0]))
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])
    assert ic.hessian(ic.max(x), x).evaluate(x=at).tolist() == np.zeros((3, 3)).tolist()


def test_prod_derivative_is_right_at_zeros():
    """∂Π/∂x_i = Π_{j≠i} x_j: with one zero only its own entry is nonzero, with two none is
    (``prod/x`` would give nan there); the Hessian's entries are the products of the rest."""
    x = ic.Tensor("x", 4)
    for at in ([2.0, 0.0, 5.0, 3.0], [0.0, 0.0, 5.0, 3.0], [1.5, -2.0, 0.5, 4.0]):
        at = np.array(at)
        others = [np.prod(np.delete(at, i)) for i in range(4)]
        np.testing.assert_allclose(ic.grad(ic.prod(x), x).evaluate(x=at), others, rtol=1e-14)
        pairs = [[0.0 if i == j else np.prod(np.delete(at, [i, j])) for j in range(4)]
                 for i in range(4)]
        np.testing.assert_allclose(ic.hessian(ic.prod(x), x).evaluate(x=at), pairs, rtol=1e-14)
        assert_close(values_of(ic.diff(ic.prod(x), x), x=at), fd_jacobian(ic.prod(x), x, {"x": at}))


def test_extrema_propagate_nan_as_numpy():
    x = ic.Tensor("x", 3)
    at = np.array([1.0, np.nan, 2.0])
    assert np.isnan(ic.max(x).evaluate(x=at)) and np.isnan(np.max(at))
    np.testing.assert_array_equal(ic.maximum(x, 1.5).evaluate(x=at), np.maximum(at, 1.5))


FORMULAS = [  # (formula, the same built with the library's functions)
    ("mean(X, 1, True)", ic.mean(X, 1, keepdims=True)),
    ("var(X, axis=0, ddof=1)", ic.var(X, axis=0, ddof=1)),
    ("std(X @ Z, keepdims=True)", ic.std(X @ Z, keepdims=True)),
    ("cumsum(X, 1)", ic.cumsum(X, axis=1)),
    ("tensordot(T, Z, 2)", ic.tensordot(T, Z, 2)),
    ("norm(X, 3, axis=0, keepdims=True)", ic.norm(X, 3, axis=0, keepdims=True)),
    ("trace(R, 1) + sum(diagonal(R, offset=-1))", ic.trace(R, 1) + ic.sum(ic.diagonal(R, -1))),
    ("prod(R, 0, True) + prod(R)", ic.prod(R, 0, keepdims=True) + ic.prod(R)),
    ("max(X, 1, True) + min(X, axis=0)", ic.max(X, 1, keepdims=True) + ic.min(X, axis=0)),
    ("maximum(X, Y) - minimum(X, 0.5) + clip(X, -0.5, a_max=0.5)",
     ic.maximum(X, Y) - ic.minimum(X, 0.5) + ic.clip(X, -0.5, 0.5)),
    ("log1p(X * X) + expm1(X) + exp2(X) + sign(X)",
     ic.log1p(X * X) + ic.expm1(X) + ic.exp2(X) + ic.sign(X)),
]


@pytest.mark.parametrize("formula, built", FORMULAS, ids=[f for f, _ in FORMULAS])
def test_formulas_call_the_new_functions(formula, built):
    shapes = {t.name: t for t in VARS}
    got = ic.parse(formula, shapes)
    np.testing.assert_allclose(values_of(got, **VALUES), values_of(built, **VALUES), rtol=1e-13)


SECOND_ORDER = [  # (id, scalar f, variable): the Hessian against differences of the gradient
    ("batched logdet", ic.sum(ic.logdet(Sq) * w), Sq),
    ("batched inv", ic.sum(ic.inv(Sq) @ X), Sq),
    ("batched det", ic.sum(ic.det(Sq)), Sq),
    ("prod", ic.prod(ic.tanh(R), axis=0) @ q, R),
    ("var", ic.var(X, axis=1) @ u, X),
    ("std", ic.sum(ic.std(X @ Z, axis=0)), Z),
    ("cumsum", ic.sum(ic.cumsum(X, 1) ** 3), X),
]


@pytest.mark.parametrize("name, f, var", SECOND_ORDER, ids=[c[0] for c in SECOND_ORDER])
def test_second_derivatives(name, f, var):
    g = ic.grad(f, var)
    assert_close(values_of(ic.hessian(f, var), **VALUES), fd_jacobian(g, var, VALUES), rtol=1e-4,
                 what=f"hessian of {name}")


@pytest.mark.parametrize("backend", ["dask", "torch", "cupy", "jax"])
def test_every_installed_backend_computes_the_new_nodes(backend):
    """``Max``, batched inverses and determinants, the statistics: each backend as NumPy."""
    pytest.importorskip({"dask": "dask.array"}.get(backend, backend))
    for f in (ic.max(T, axis=(0, 2)), ic.minimum(T, 0.1), ic.clip(X, -0.5, 0.5), ic.inv(Sq) @ X,
              ic.logdet(Sq), ic.det(Sq), ic.std(X, axis=0), ic.cumsum(X, axis=1), ic.prod(R, axis=0)):
        if backend == "dask" and isinstance(f, (nodes.Det, nodes.LogDet)):
            with pytest.raises(ic.IndexcalcError, match="dask"):  # dask has no chunked det
                ic.compile(f, backend=backend)(**V)
            continue
        got = ic.compile(f, backend=backend)(**V)
        got = got.compute() if hasattr(got, "compute") else got
        got = got.cpu().numpy() if hasattr(got, "cpu") else np.asarray(got)
        np.testing.assert_allclose(got, values_of(f, **VALUES), rtol=1e-5 if backend == "jax" else 1e-12)


METHODS = [  # (method, positional args, keyword args): as the ndarray method of that name
    ("sum", (1,), {"keepdims": True}), ("mean", (0,), {}), ("var", (), {"ddof": 1}),
    ("std", (1,), {"keepdims": True}), ("prod", (0,), {}), ("cumsum", (1,), {}),
    ("max", (1,), {"keepdims": True}), ("min", (), {}), ("clip", (-0.5, 0.5), {}),
    ("trace", (1,), {}), ("diagonal", (-1,), {}),
]


@pytest.mark.parametrize("name, args, kwargs", METHODS, ids=[m[0] for m in METHODS])
def test_methods_are_the_ndarray_methods(name, args, kwargs):
    got = getattr(R, name)(*args, **kwargs).evaluate(R=V["R"])
    np.testing.assert_allclose(got, getattr(V["R"], name)(*args, **kwargs), rtol=1e-13)


NUMPY_CALLS = [  # NumPy's own functions on an expression (__array_function__/__array_ufunc__)
    lambda m: np.mean(m, axis=0), lambda m: np.var(m, 1, ddof=1), lambda m: np.std(m, keepdims=True),
    lambda m: np.prod(m, axis=1), lambda m: np.cumsum(m, axis=0),
    lambda m: np.max(m, axis=1, keepdims=True), lambda m: np.min(m), lambda m: np.amax(m, 0),
    lambda m: np.clip(m, -0.5, 0.5), lambda m: np.maximum(m, 0.1), lambda m: np.minimum(m, 2 * m),
    lambda m: np.log1p(m * m), lambda m: np.expm1(m), lambda m: np.log2(m * m + 1),
    lambda m: np.log10(m * m + 1), lambda m: np.exp2(m), lambda m: np.sign(m),
    lambda m: np.tensordot(m, m, ([1], [1])), lambda m: np.hstack([m, m]),
    lambda m: np.vstack([m, m[0]]), lambda m: np.trace(m, 1), lambda m: np.diagonal(m, -1),
    lambda m: np.linalg.norm(m, axis=1), lambda m: np.sum(m, axis=0, keepdims=True),
]


@pytest.mark.parametrize("call", NUMPY_CALLS, ids=range(len(NUMPY_CALLS)))
def test_numpy_functions_on_expressions_are_the_new_operations(call):
    got = call(R)
    assert isinstance(got, ic.Expr)
    np.testing.assert_allclose(got.evaluate(R=V["R"]), call(V["R"]), rtol=1e-12)


def test_numpy_linear_algebra_on_stacks():
    s = V["Sq"]
    for call in (np.linalg.inv, np.linalg.det, lambda m: m @ m):
        np.testing.assert_allclose(call(Sq).evaluate(Sq=s), call(s), rtol=1e-12)
    with pytest.raises(ic.IndexcalcError, match="out"):
        np.max(R, out=np.zeros(3))
