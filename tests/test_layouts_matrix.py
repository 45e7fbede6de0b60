"""``ic.to_matrix``: every printed form evaluates, from its own tree, to the tensor it came from.

Each row of the table is an expression (mostly a derivative) of order ≤ 2. For both layouts and
both vector conventions the form's value must equal the tensor laid out by the convention: as is
(rows on the first axis, vectors as columns or rows), transposed where the layout says so. Sizes
are distinct (2, 3, 4, 5) so a transpose in the wrong place changes the shape or the values.
"""

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.layout import split_of, transposes

SIZES = {"n": 2, "d": 3, "k": 4, "m": 5}
X, W, A, B, S = ic.tensors("X[n,d] W[d,k] A[n,n] B[d,d] S[d,d]")
x, v, y, u, w = ic.tensors("x[d] v[k] y[n] u[n] w[d]")
M, C = ic.Tensor("M", "d k"), ic.Tensor("C", "d n")


def _values(rng):
    vals = {t.name: rng.normal(size=tuple(SIZES[s] for s in t.shape))
            for t in (X, W, A, B, S, x, v, y, u, w, M, C)}
    vals["S"] = vals["S"] @ vals["S"].T + 3 * np.eye(3)  # invertible, positive determinant
    vals["B"] = vals["B"] + 4 * np.eye(3)
    return vals


def _loss():
    return 0.5 * ic.sum((X @ W @ v - y) ** 2)


CASES = {
    # gradients of scalars (out_ndim 0)
    "least squares by W": lambda: ic.grad(_loss(), W),
    "least squares by v": lambda: ic.grad(_loss(), v),
    "trace(A X B) by X": lambda: ic.grad(ic.trace(A @ X @ C), X),
    "quadratic form by x": lambda: ic.grad(x @ S @ x, x),
    "bilinear u X w by X": lambda: ic.grad(u @ X @ w, X),
    "trace(X^T A X) by X": lambda: ic.grad(ic.trace(X.T @ A @ X), X),
    "logdet by S": lambda: ic.grad(ic.logdet(S), S),
    "det by S": lambda: ic.grad(ic.det(S), S),
    "trace(S^-1 B) by S": lambda: ic.grad(ic.trace(ic.inv(S) @ B), S),
    "sum(X*X) by X": lambda: ic.grad(ic.sum(X * X), X),
    "tr(B)^2 by B": lambda: ic.grad(ic.trace(B) * ic.trace(B), B),
    "sum tanh(Xw) by w": lambda: ic.grad(ic.sum(ic.tanh(X @ w)), w),
    "sum log(exp(Xw)) by w": lambda: ic.grad(ic.sum(ic.log(ic.exp(X @ w))), w),
    "sum softplus by X": lambda: ic.grad(ic.sum(ic.softplus(X @ W)), W),
    "logsumexp by w": lambda: ic.grad(ic.logsumexp(X @ w), w),
    "cross entropy by W": lambda: ic.grad(ic.sum(y * ic.log_softmax(ic.tanh(X @ W) @ v)), W),
    "named tanh by W": lambda: ic.grad(ic.sum(ic.tanh(X @ W).named("h") @ v), W),
    # Jacobians of vectors (out_ndim 1)
    "A x by x": lambda: ic.diff(B @ x, x),
    "W sigma(x) by x": lambda: ic.diff(B @ ic.sigmoid(x) + w, x),
    "x * w by x": lambda: ic.diff(x * w, x),
    "tanh(x) by x": lambda: ic.diff(ic.tanh(x), x),
    "named tanh by x": lambda: ic.diff(ic.tanh(B @ x).named("h"), x),
    "named sigmoid by x": lambda: ic.diff(ic.sigmoid(B @ x).named("h"), x),
    "softmax by x": lambda: ic.diff(ic.softmax(x), x),
    "u (w.x) by x": lambda: ic.diff(u * (w @ x), x),
    "X^T X x by x": lambda: ic.diff(X.T @ (X @ x), x),
    "Hessian of x^T S x": lambda: ic.hessian(x @ S @ x, x),
    "Hessian of logsumexp": lambda: ic.hessian(ic.logsumexp(X @ w), w),
    # plain expressions (no layout: as is)
    "plain A B^T": lambda: X @ B.T,
    "plain Hadamard": lambda: X * (X @ B),
    "plain trace": lambda: ic.trace(B @ S),
    "plain diag": lambda: ic.diag(w) @ M,
    "plain inverse chain": lambda: ic.inv(S) @ M,
    "plain outer": lambda: ic.outer(u, x) - 2.0 * X,
    "plain vector": lambda: M.T @ x,
    "plain row sums": lambda: ic.sum(M, 1),
    "plain identity": lambda: ic.eye("d") + ic.outer(x, w),
    "plain scalar": lambda: ic.sum(x) * (w @ x),
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
    expr = CASES[name]()
    vals = _values(rng)
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
    g = ic.grad(_loss(), W)
    vals = _values(np.random.default_rng(1))
    as_is = ic.evaluate(g, **vals)
    np.testing.assert_allclose(ic.to_matrix(g, "numerator", out_ndim=1).evaluate(**vals), as_is)
    np.testing.assert_allclose(ic.to_matrix(g, "denominator", out_ndim=1).evaluate(**vals), as_is.T)
    plain = X @ W  # no derivative: as is in both layouts unless told
    np.testing.assert_allclose(ic.to_matrix(plain, "numerator").evaluate(**vals), as_is.shape and
                               vals["X"] @ vals["W"])
    np.testing.assert_allclose(ic.to_matrix(plain, "numerator", out_ndim=0).evaluate(**vals),
                               (vals["X"] @ vals["W"]).T)


def test_evaluate_checks_bindings():
    form = ic.to_matrix(ic.grad(_loss(), W))
    with pytest.raises(ic.BindingError, match="'v'"):
        form.evaluate(X=np.ones((2, 3)), W=np.ones((3, 4)), y=np.ones(2))


@pytest.mark.parametrize("build, kwargs, match", [
    (lambda: ic.diff(X @ W, W), {}, "to_kron"),
    (lambda: X, {"layout": "sideways"}, "layout"),
    (lambda: x, {"vectors": "diagonal"}, "vectors"),
    (lambda: X, {"out_ndim": 3}, "out_ndim"),
    (lambda: X, {"names": [X]}, "named"),
    (lambda: ic.einsum("ijk,k->ij", ic.einsum("ai,aj,ak->ijk", X, X, X).named("T"), x), {},
     "to_kron"),
    (lambda: ic.einsum("ab,ai,bi,aj,bj->ij", A, X, X, X, X), {}, "to_einsum"),
    (lambda: ic.Tensor("Z", (2, 3)).reshape(3, 2), {}, "reshape"),
])
def test_layout_errors_say_what_to_use(build, kwargs, match):
    with pytest.raises(ic.LayoutError, match=match):
        ic.to_matrix(build(), **kwargs)


def test_deep_recurrence_prints_and_evaluates_without_recursion():
    h = ic.Tensor("h0", "d")
    for _ in range(1500):
        h = ic.tanh(B @ h)
    form = ic.to_matrix(h)
    assert str(form).count("tanh") == 1500
    vals = {"B": 0.3 * np.eye(3), "h0": np.ones(3)}
    np.testing.assert_allclose(form.evaluate(**vals).ravel(), ic.evaluate(h, **vals))
