"""``ic.to_matrix`` is total on order ≤ 2, and every form is what it says (issue 13, items 2, 4).

Each reference is written here from the contract: a derivative of a scalar is laid out like the
variable in denominator layout and transposed in numerator layout; a Jacobian of vectors is
out × in in numerator layout; a vector is a column (n × 1) unless ``vectors="row"``; a plain
expression is its value as is. Closed forms come from the identities table (written there
independently of the library) or are written below with NumPy. Sizes are distinct (3, 4, 5).
"""

from __future__ import annotations

import numpy as np
import pytest

import indexcalc as ic
import test_calculus_identities as identities
from indexcalc.core.nodes import Derivative

LAYOUTS = [(layout, vectors) for layout in ("denominator", "numerator")
           for vectors in ("column", "row")]


def _as_matrix(value: np.ndarray, vectors: str) -> np.ndarray:
    """A value written as a 2-D array: a vector as a column, or a row when asked."""
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return value
    if value.ndim == 1:
        return value.reshape(-1, 1) if vectors == "column" else value.reshape(1, -1)
    return value


def _scalar_gradient_reference(closed: np.ndarray, layout: str, vectors: str) -> np.ndarray:
    """A scalar differentiated by a vector or matrix: the variable's shape (denominator), its
    transpose (numerator); a vector gradient is a column in denominator layout with column
    vectors (and a row in numerator layout), flipped again for row vectors."""
    closed = np.asarray(closed, dtype=float)
    if closed.ndim == 1:
        column = (layout == "denominator") == (vectors == "column")
        return closed.reshape(-1, 1) if column else closed.reshape(1, -1)
    return closed if layout == "denominator" else closed.T


#: The order-≤2 identities to_matrix refused before issue 13 ("a subexpression of order 3/4
#: has no matrix form"): all are scalars differentiated by a vector or a matrix.
FORMERLY_REFUSED = [
    "tr(A ⊗ B) by A = tr(B) I",
    "log det(Lᵀ L) = 2 L (LᵀL)⁻¹",
    "det(Lᵀ Mm L) (cookbook 47)",
    "log|det X²| = 2X⁻ᵀ",
    "cross-entropy with softmax = s Σy − y",
    "batch softmax cross-entropy = Fᵀ(S − Y)",
    "lm: ∂J/∂H, one-hot y",
]
_ROWS = {row[0]: row for row in identities.ROWS}


@pytest.mark.parametrize("name", FORMERLY_REFUSED)
def test_formerly_refused_identity_has_a_form_equal_to_the_closed_form(name):
    _, f, var, closed, convention = _ROWS[name]
    assert f.ndim == 0
    D = ic.diff(f, var, convention=convention)
    expected = closed(identities.V)
    for layout, vectors in LAYOUTS:
        form = ic.to_matrix(D, layout, vectors)
        got = form.evaluate(**identities.V)
        want = _scalar_gradient_reference(expected, layout, vectors)
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10,
                                   err_msg=f"{name} {layout} {vectors}: {form}")


def test_every_order_2_identity_of_the_table_has_a_form():
    refused = []
    for name, f, var, _, convention in identities.ROWS:
        D = ic.diff(f, var, convention=convention)
        if D.ndim > 2:
            continue
        try:
            ic.to_matrix(D)
        except ic.LayoutError as e:
            refused.append((name, str(e)[:80]))
    assert not refused


def _third_order_contracted():
    T, u, v = ic.tensors("T[i,j,k] u[j] v[k]")
    return ic.diff(ic.einsum("ijk,j,k->i", T, u, v), u)


def _vec_sandwich():
    A, B, x = ic.Tensor("A", (3, 4)), ic.Tensor("B", (5, 2)), ic.Tensor("x", 20)
    return ic.diff(ic.vec(A @ ic.unvec(x, (4, 5)) @ B), x)


def _col_major_kron_reference(v):
    # vec(A X B) = (Bᵀ ⊗ A) vec(X), vec column-major: the Jacobian is Bᵀ ⊗ A (numerator, out × in)
    return np.kron(v["B"].T, v["A"])


RNG = np.random.default_rng(11)
SANDWICH = {"A": RNG.normal(size=(3, 4)), "B": RNG.normal(size=(5, 2)), "x": RNG.normal(size=20)}
THIRD = {"T": RNG.normal(size=(3, 4, 5)), "u": RNG.normal(size=4), "v": RNG.normal(size=5)}
SQUARE = {"X": RNG.normal(size=(3, 3)), "Y": RNG.normal(size=(4, 5))}

#: (what, build, values, reference in numerator layout with column vectors)
REPRODUCERS = [
    ("∂vec(A unvec(x) B)/∂x = Bᵀ ⊗ A", _vec_sandwich, SANDWICH, _col_major_kron_reference),
    ("Σ_k T[i,j,k] v[k]: a 3rd-order input tensor", _third_order_contracted, THIRD,
     lambda v: np.einsum("ijk,k->ij", v["T"], v["v"])),
    ("tr(sin X) by X = diag(cos(diag X))", lambda: ic.grad(ic.trace(ic.sin(ic.Tensor("X", "n n"))),
                                                           ic.Tensor("X", "n n")),
     SQUARE, lambda v: np.diag(np.cos(np.diag(v["X"])))),  # symmetric: no transpose to tell
    ("logsumexp over one axis of a matrix", lambda: ic.logsumexp(ic.Tensor("Y", "m p"), axis=1),
     SQUARE, lambda v: np.log(np.exp(v["Y"]).sum(axis=1)).reshape(-1, 1)),
    ("logsumexp over the other axis", lambda: ic.logsumexp(ic.Tensor("Y", "m p"), axis=0),
     SQUARE, lambda v: np.log(np.exp(v["Y"]).sum(axis=0)).reshape(-1, 1)),
    ("a matrix reshaped to a matrix (C order)", lambda: ic.Tensor("Y", (4, 5)).reshape(2, 10),
     SQUARE, lambda v: v["Y"].reshape(2, 10)),
    ("softmax of a 1 × p matrix along axis 0 is all ones",
     lambda: ic.softmax(ic.Tensor("Y", (1, 5)), axis=0), {"Y": SQUARE["Y"][:1]},
     lambda v: np.ones((1, 5))),
    ("softmax of a 1 × p matrix along axis 1", lambda: ic.softmax(ic.Tensor("Y", (1, 5)), axis=1),
     {"Y": SQUARE["Y"][:1]}, lambda v: np.exp(v["Y"]) / np.exp(v["Y"]).sum()),
    ("softmax of an m × 1 matrix along axis 1 is all ones",
     lambda: ic.softmax(ic.Tensor("Y", (4, 1)), axis=1), {"Y": SQUARE["Y"][:, :1]},
     lambda v: np.ones((4, 1))),
]


@pytest.mark.parametrize("what, build, values, reference", REPRODUCERS,
                         ids=[r[0] for r in REPRODUCERS])
def test_issue_reproducer_has_a_form_equal_to_the_reference(what, build, values, reference):
    expr = build()
    form = ic.to_matrix(expr, "numerator")
    np.testing.assert_allclose(form.evaluate(**values), reference(values), rtol=1e-10,
                               atol=1e-12, err_msg=f"{what}: {form}")
    # the transposed layout (a derivative) or the same (a plain expression), never a refusal
    other = ic.to_matrix(expr, "denominator").evaluate(**values)
    flipped = isinstance(expr, Derivative) and expr.out_ndim >= 1
    np.testing.assert_allclose(other, reference(values).T if flipped else reference(values),
                               rtol=1e-10, atol=1e-12)


def test_order_above_2_is_the_only_refusal_and_points_at_to_kron():
    X, W = ic.tensors("X[n,d] W[d,h]")
    with pytest.raises(ic.LayoutError, match="to_kron"):
        ic.to_matrix(ic.diff(X @ W, W))


def test_a_lost_dimension_binds_from_the_variable_or_a_size_keyword():
    z = ic.Tensor("z", "h")
    form = ic.to_matrix(ic.diff(0.5 * z, z))
    np.testing.assert_array_equal(form.evaluate(z=np.ones(3), h=3), 0.5 * np.eye(3))
    np.testing.assert_array_equal(form.evaluate(h=3), 0.5 * np.eye(3))
    np.testing.assert_array_equal(form.evaluate(z=np.ones(4)), 0.5 * np.eye(4))


def test_form_evaluation_refuses_before_allocating_past_the_memory_limit():
    v = ic.Tensor("v", "n")
    form = ic.to_matrix(ic.diag(v))
    with pytest.raises(ic.IndexcalcError, match="memory limit"):
        form.evaluate(v=np.ones(10**7, dtype=np.float32))  # diag: 10¹⁴ entries
    u = ic.Tensor("u", "n")
    previous = ic.set_memory_limit(1000)
    try:
        with pytest.raises(ic.IndexcalcError, match="memory limit"):
            ic.to_matrix(ic.diag(u)).evaluate(u=np.ones(20))
    finally:
        ic.set_memory_limit(previous)


def test_float32_in_float32_out():
    X = ic.Tensor("X", "m p")
    g = ic.grad(ic.sum(ic.tanh(X) * X), X)
    x32 = SQUARE["Y"].astype(np.float32)
    for layout, vectors in LAYOUTS:
        out = ic.to_matrix(g, layout, vectors).evaluate(X=x32)
        assert out.dtype == np.float32, (layout, vectors)
    z = ic.Tensor("z", "h")
    assert ic.to_matrix(ic.diff(0.5 * z, z)).evaluate(z=np.ones(3, np.float32)).dtype == np.float32


def test_user_names_are_never_confused_with_the_identity_or_constants():
    I, C = ic.Tensor("I", (3, 3)), ic.Tensor("C", (3, 3))
    c1, c2 = np.arange(9.0).reshape(3, 3), np.full((3, 3), 2.0)
    expr = I @ ic.eye(3) @ C + ic.Constant(c1) @ C + ic.Constant(c2) + ic.eye(3)
    form = ic.to_matrix(expr)
    text = str(form)
    assert "C₁" in text and "C₂" in text and "I_3" in text, text
    words = text.replace("(", " ").replace(")", " ").split()
    assert words.count("C") >= 1 and words.count("I") >= 1  # the user's own names stay
    vals = {"I": RNG.normal(size=(3, 3)), "C": RNG.normal(size=(3, 3))}
    want = vals["I"] @ vals["C"] + c1 @ vals["C"] + c2 + np.eye(3)
    np.testing.assert_allclose(form.evaluate(**vals), want, rtol=1e-12)


def test_one_anonymous_constant_is_c_and_two_are_numbered():
    x = ic.Tensor("x", 3)
    c1, c2 = np.arange(9.0).reshape(3, 3), np.eye(3)[::-1]
    assert str(ic.to_matrix(ic.Constant(c1) @ x)) == "C x"
    # (C₁ x + C₂ x would fold to one constant once x is taken out: two vectors keep two)
    y = ic.Tensor("y", 3)
    two = ic.to_matrix(ic.Constant(c1) @ x + ic.Constant(c2) @ y)
    assert str(two) == "C₁ x + C₂ y"
    xv, yv = np.array([1.0, -2.0, 0.5]), np.array([0.3, 1.0, -1.5])
    np.testing.assert_allclose(two.evaluate(x=xv, y=yv), (c1 @ xv + c2 @ yv).reshape(-1, 1))


@pytest.mark.parametrize("expr, scale", [
    (lambda X, W: 2 * X, 2.0), (lambda X, W: -X, -1.0), (lambda X, W: -3 * (X @ W), -3.0)])
def test_to_einsum_of_a_scaled_product(expr, scale):
    X, W = ic.tensors("X[n,d] W[d,h]")
    e = expr(X, W)
    subscripts, operands = ic.to_einsum(e)
    assert operands[-1].value == scale and subscripts.split("->")[0].endswith(",")
    vals = {"X": RNG.normal(size=(3, 4)), "W": RNG.normal(size=(4, 5))}
    arrays = [vals[o.name] if isinstance(o, ic.Tensor) else np.asarray(o.value) for o in operands]
    want = scale * (vals["X"] if e.shape == X.shape else vals["X"] @ vals["W"])
    np.testing.assert_allclose(np.einsum(subscripts, *arrays), want, rtol=1e-12)


def test_rendering_does_not_depend_on_history():
    u, w, X = ic.tensors("u[n] w[m] X[n,m]")
    O = ic.outer(u, w)
    L = ic.Tensor("L", "m n")
    g = ic.grad(ic.logdet(L.T @ L), L)
    before = [str(ic.to_matrix(O, "numerator")), str(ic.to_matrix(g, "numerator"))]
    ic.grad(u @ X @ w, X)  # an unrelated derivation that builds the same outer product
    ic.diff(ic.einsum("ijk,k->ij", ic.Tensor("T", "n m n"), u), u)
    after = [str(ic.to_matrix(O, "numerator")), str(ic.to_matrix(g, "numerator"))]
    assert before == after


def test_text_grows_linearly_with_depth():
    W, u = ic.tensors("W[n,n] u[n]")
    lengths = []
    for depth in (4, 8, 16):
        h = u
        for _ in range(depth):
            h = ic.softmax(W @ h)
        lengths.append(len(str(ic.to_matrix(ic.grad(ic.sum(h * h), W)))))
    assert lengths[2] - lengths[1] <= 2.5 * (lengths[1] - lengths[0]), lengths
