"""``ic.to_matrix``: every printed form evaluates, from its own tree, to the tensor it came from.

Each row of the table is an expression (mostly a derivative) of order ≤ 2. For both layouts and
both vector conventions the form's value must equal the tensor laid out by the convention: as is
(rows on the first axis, vectors as columns or rows), transposed where the layout says so. Sizes
are distinct (2, 3, 4, 5) so a transpose in the wrong place changes the shape or the values.
"""

from types import SimpleNamespace

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.layouts.conventions import split_of, transposes

SIZES = {"n": 2, "d": 3, "k": 4, "m": 5}


def _tensors():
    """Fresh variables per test: tensors kept alive at module level would make a name such as
    ``W`` ambiguous for other tests that bind a dimension through a tensor's name."""
    names = "X[n,d] W[d,k] A[n,n] B[d,d] S[d,d] x[d] v[k] y[n] u[n] w[d] M[d,k] C[d,n]"
    return SimpleNamespace(**{t.name: t for t in ic.tensors(names)})


def _values(rng, t):
    vals = {name: rng.normal(size=tuple(SIZES[s] for s in v.shape)) for name, v in vars(t).items()}
    vals["S"] = vals["S"] @ vals["S"].T + 3 * np.eye(3)  # invertible, positive determinant
    vals["B"] = vals["B"] + 4 * np.eye(3)
    return vals


def _loss(t):
    return 0.5 * ic.sum((t.X @ t.W @ t.v - t.y) ** 2)


CASES = {
    # gradients of scalars (out_ndim 0)
    "least squares by W": lambda t: ic.grad(_loss(t), t.W),
    "least squares by v": lambda t: ic.grad(_loss(t), t.v),
    "trace(A X B) by X": lambda t: ic.grad(ic.trace(t.A @ t.X @ t.C), t.X),
    "quadratic form by x": lambda t: ic.grad(t.x @ t.S @ t.x, t.x),
    "bilinear u X w by X": lambda t: ic.grad(t.u @ t.X @ t.w, t.X),
    "trace(X^T A X) by X": lambda t: ic.grad(ic.trace(t.X.T @ t.A @ t.X), t.X),
    "logdet by S": lambda t: ic.grad(ic.logdet(t.S), t.S),
    "det by S": lambda t: ic.grad(ic.det(t.S), t.S),
    "trace(S^-1 B) by S": lambda t: ic.grad(ic.trace(ic.inv(t.S) @ t.B), t.S),
    "sum(X*X) by X": lambda t: ic.grad(ic.sum(t.X * t.X), t.X),
    "tr(B)^2 by B": lambda t: ic.grad(ic.trace(t.B) * ic.trace(t.B), t.B),
    "sum tanh(Xw) by w": lambda t: ic.grad(ic.sum(ic.tanh(t.X @ t.w)), t.w),
    "sum log(exp(Xw)) by w": lambda t: ic.grad(ic.sum(ic.log(ic.exp(t.X @ t.w))), t.w),
    "sum softplus by X": lambda t: ic.grad(ic.sum(ic.softplus(t.X @ t.W)), t.W),
    "logsumexp by w": lambda t: ic.grad(ic.logsumexp(t.X @ t.w), t.w),
    "cross entropy by W": lambda t: ic.grad(ic.sum(t.y * ic.log_softmax(ic.tanh(t.X @ t.W) @ t.v)), t.W),
    "named tanh by W": lambda t: ic.grad(ic.sum(ic.tanh(t.X @ t.W).named("h") @ t.v), t.W),
    # Jacobians of vectors (out_ndim 1)
    "A x by x": lambda t: ic.diff(t.B @ t.x, t.x),
    "W sigma(x) by x": lambda t: ic.diff(t.B @ ic.sigmoid(t.x) + t.w, t.x),
    "x * w by x": lambda t: ic.diff(t.x * t.w, t.x),
    "tanh(x) by x": lambda t: ic.diff(ic.tanh(t.x), t.x),
    "named tanh by x": lambda t: ic.diff(ic.tanh(t.B @ t.x).named("h"), t.x),
    "named sigmoid by x": lambda t: ic.diff(ic.sigmoid(t.B @ t.x).named("h"), t.x),
    "softmax by x": lambda t: ic.diff(ic.softmax(t.x), t.x),
    "u (w.x) by x": lambda t: ic.diff(t.u * (t.w @ t.x), t.x),
    "X^T X x by x": lambda t: ic.diff(t.X.T @ (t.X @ t.x), t.x),
    "Hessian of x^T S x": lambda t: ic.hessian(t.x @ t.S @ t.x, t.x),
    "Hessian of logsumexp": lambda t: ic.hessian(ic.logsumexp(t.X @ t.w), t.w),
    # plain expressions (no layout: as is)
    "plain A B^T": lambda t: t.X @ t.B.T,
    "plain Hadamard": lambda t: t.X * (t.X @ t.B),
    "plain trace": lambda t: ic.trace(t.B @ t.S),
    "plain diag": lambda t: ic.diag(t.w) @ t.M,
    "plain inverse chain": lambda t: ic.inv(t.S) @ t.M,
    "plain outer": lambda t: ic.outer(t.u, t.x) - 2.0 * t.X,
    "plain vector": lambda t: t.M.T @ t.x,
    "plain row sums": lambda t: ic.sum(t.M, 1),
    "plain identity": lambda t: ic.eye("d") + ic.outer(t.x, t.w),
    "plain scalar": lambda t: ic.sum(t.x) * (t.w @ t.x),
}


def _expected(value: np.ndarray, expr, layout: str, vectors: str) -> np.ndarray:
    """The tensor as the layout writes it: as is, or transposed; vectors as n×1 or 1×n."""
    if value.ndim == 0:
        return value
    m = value.reshape(-1, 1) if value.ndim == 1 else value
    if value.ndim == 1 and vectors == "row":
        m = m.T
    return m.T if transposes(layout, split_of(expr, None)) else m


@pytest.mark.parametrize("name", list(CASES))
def test_form_evaluates_to_the_tensor(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    t = _tensors()
    expr = CASES[name](t)
    vals = _values(rng, t)
    tensor = ic.evaluate(expr, **vals)
    for layout in ("numerator", "denominator"):
        for vectors in ("column", "row"):
            form = ic.to_matrix(expr, layout, vectors)
            got = form.evaluate(**vals)
            want = _expected(tensor, expr, layout, vectors)
            assert got.shape == want.shape, (name, layout, vectors, str(form))
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12,
                                       err_msg=f"{name} {layout} {vectors}: {form}")


def test_out_ndim_argument_overrides_the_remembered_split():
    t = _tensors()
    g = ic.grad(_loss(t), t.W)
    vals = _values(np.random.default_rng(1), t)
    as_is = ic.evaluate(g, **vals)
    np.testing.assert_allclose(ic.to_matrix(g, "numerator", out_ndim=1).evaluate(**vals), as_is)
    np.testing.assert_allclose(ic.to_matrix(g, "denominator", out_ndim=1).evaluate(**vals), as_is.T)
    xw = vals["X"] @ vals["W"]
    plain = t.X @ t.W  # no derivative: as is in both layouts unless told
    np.testing.assert_allclose(ic.to_matrix(plain, "numerator").evaluate(**vals), xw)
    np.testing.assert_allclose(ic.to_matrix(plain, "denominator").evaluate(**vals), xw)
    np.testing.assert_allclose(ic.to_matrix(plain, "numerator", out_ndim=0).evaluate(**vals), xw.T)


def test_evaluate_checks_bindings():
    t = _tensors()
    form = ic.to_matrix(ic.grad(_loss(t), t.W))
    with pytest.raises(ic.BindingError, match="'v'"):
        form.evaluate(X=np.ones((2, 3)), W=np.ones((3, 4)), y=np.ones(2))


@pytest.mark.parametrize("build, kwargs, match", [
    (lambda t: ic.diff(t.X @ t.W, t.W), {}, "to_kron"),
    (lambda t: t.X, {"layout": "sideways"}, "layout"),
    (lambda t: t.x, {"vectors": "diagonal"}, "vectors"),
    (lambda t: t.X, {"out_ndim": 3}, "out_ndim"),
    (lambda t: t.X, {"names": [ic.Tensor("P", 2)]}, "named"),
])
def test_layout_errors_say_what_to_use(build, kwargs, match):
    with pytest.raises(ic.LayoutError, match=match):
        ic.to_matrix(build(_tensors()), **kwargs)


def test_deep_recurrence_prints_and_evaluates_without_recursion():
    B = _tensors().B
    h = ic.Tensor("h0", "d")
    for _ in range(1500):
        h = ic.tanh(B @ h)
    form = ic.to_matrix(h)
    assert str(form).count("tanh") == 1500
    vals = {"B": 0.3 * np.eye(3), "h0": np.ones(3)}
    np.testing.assert_allclose(form.evaluate(**vals).ravel(), ic.evaluate(h, **vals))
