"""``ic.to_kron`` and ``ic.vec_jacobian``: Kronecker forms evaluate to ∂vec(F)/∂vec(X).

``vec_jacobian`` is checked against its definition (the Jacobian times ``vec(dX)`` is
``vec(dF)`` for a linear map); every ``to_kron`` form, in both layouts and both vec conventions,
must evaluate from its own tree to ``vec_jacobian`` of the tensor. Dimensions are ints where a
derivative loses every tensor that carries them (``∂(XW)/∂W`` has no ``W`` left to bind ``k``).
"""

from types import SimpleNamespace

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.layouts.conventions import split_of



def _tensors():
    """Fresh variables per test (module-level tensors would make names ambiguous elsewhere)."""
    spec = "X[2,3] W[3,4] A[5,2] B[4,3] Y[3,3] e[5] W_hx[5,4] W_hh[4,4] h0[4] u[4] z[3]"
    t = SimpleNamespace(**{v.name: v for v in ic.tensors(spec)})
    t.Whx, t.Whh = t.W_hx, t.W_hh
    return t


def _h(t):
    return ic.tanh(t.Whx.T @ t.e + t.Whh.T @ t.h0).named("h")


#: A bare ``I`` of these texts is sized by the product beside it (``(I ⊗ X)`` after a ``diag``);
#: alone, the text gives its size (``I_4 ⊗ X``: Magnus–Neudecker's ``I_n``), as ``ic.parse`` needs.
CASES = {
    "d(XW)/dW": (lambda t: ic.diff(t.X @ t.W, t.W), "I_4 ⊗ X", "X ⊗ I_4"),
    "d(XW)/dX": (lambda t: ic.diff(t.X @ t.W, t.X), "Wᵀ ⊗ I_2", "I_2 ⊗ Wᵀ"),
    "d(AXB)/dX": (lambda t: ic.diff(t.A @ t.X @ t.B.T, t.X), "B ⊗ A", "A ⊗ B"),
    "d(X^T)/dX": (lambda t: ic.diff(t.X.T, t.X), "K_(2,3)", "K_(3,2)"),
    "d(Y Y)/dY": (lambda t: ic.diff(t.Y @ t.Y, t.Y), "Yᵀ ⊗ I_3 + I_3 ⊗ Y",
                  "I_3 ⊗ Yᵀ + Y ⊗ I_3"),
    "dh/dW_hx": (lambda t: ic.diff(_h(t), t.Whx), "diag(1 − h∘h) (I ⊗ eᵀ)",
                 "diag(1 − h∘h) (eᵀ ⊗ I)"),
    "d tanh(XW)/dW": (lambda t: ic.diff(ic.tanh(t.X @ t.W), t.W),
                      "diag(vec(𝟙 − tanh(X W)∘tanh(X W))) (I ⊗ X)",
                      "diag(vec_row(𝟙 − tanh(X W)∘tanh(X W))) (X ⊗ I)"),
    "d(XWu)/dW": (lambda t: ic.diff(t.X @ t.W @ t.u, t.W), "uᵀ ⊗ X", "X ⊗ uᵀ"),
    "d sum(XW)/dW": (lambda t: ic.diff(ic.sum(t.X @ t.W), t.W), None, None),
    "d (x . x) x / dx": (lambda t: ic.diff(t.z * (t.z @ t.z), t.z), None, None),
    "d inv(Y)/dY": (lambda t: ic.diff(ic.inv(t.Y), t.Y), None, None),
    "d(X diag(z) ... )": (lambda t: ic.diff(t.X @ ic.diag(t.z) @ t.W, t.z), None, None),
    "hessian of tr(W^T Y^T Y W)": (lambda t: ic.hessian(ic.trace(t.W.T @ t.Y.T @ t.Y @ t.W), t.W), None, None),
    "d(outer(z, z))/dz": (lambda t: ic.diff(ic.outer(t.z, t.z), t.z), None, None),
    "d(X * X)/dX": (lambda t: ic.diff(t.X * t.X, t.X), None, None),
}


def _values(rng, t):
    return {v.name: rng.normal(size=v.shape) for v in set(vars(t).values())}


def _norm(s: str) -> str:
    return s.replace(" ", "").replace("^T", "ᵀ").replace("−", "-")


@pytest.mark.parametrize("name", list(CASES))
def test_kron_form_evaluates_to_the_vec_jacobian(name):
    build, col_form, row_form = CASES[name]
    t = _tensors()
    d = build(t)
    vals = _values(np.random.default_rng(len(name)), t)
    tensor = ic.evaluate(d, **vals)
    for layout in ("numerator", "denominator"):
        for vec in ("col", "row"):
            form = ic.to_kron(d, layout, vec)
            split = split_of(d, None)
            want = ic.vec_jacobian(tensor, split, layout, vec)
            got = form.evaluate(**vals)
            got = got.reshape(want.shape) if got.ndim == 0 else got
            assert got.shape == want.shape, (name, layout, vec, str(form))
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12,
                                       err_msg=f"{name} {layout} {vec}: {form}")
    if col_form is not None:
        assert _norm(str(ic.to_kron(d, "numerator", "col"))) == _norm(col_form)
        assert _norm(str(ic.to_kron(d, "numerator", "row"))) == _norm(row_form)


def test_unfactorizable_terms_are_explicit_and_say_so():
    t = _tensors()
    d = ic.diff(ic.einsum("ij,jk,ik->i", t.X, t.W, ic.Tensor("V", (2, 4))), t.W)
    form = ic.to_kron(d)
    assert form.notes and "does not factorize" in form.notes[0]
    vals = _values(np.random.default_rng(3), t)
    vals["V"] = np.random.default_rng(4).normal(size=(2, 4))
    np.testing.assert_allclose(form.evaluate(**vals), ic.vec_jacobian(ic.evaluate(d, **vals), 1))


@pytest.mark.parametrize("vec", ["col", "row"])
def test_vec_jacobian_is_the_linear_map_on_vec(vec):
    rng = np.random.default_rng(7)
    a, b, x = rng.normal(size=(5, 2)), rng.normal(size=(3, 4)), rng.normal(size=(2, 3))
    tensor = np.einsum("ik,lj->ijkl", a, b)  # ∂(a x b)/∂x, shape F + X
    order = "F" if vec == "col" else "C"
    jac = ic.vec_jacobian(tensor, 2, "numerator", vec)
    np.testing.assert_allclose(jac @ x.reshape(-1, order=order), (a @ x @ b).reshape(-1, order=order))
    np.testing.assert_allclose(ic.vec_jacobian(tensor, 2, "denominator", vec), jac.T)
    want = np.kron(b.T, a) if vec == "col" else np.kron(a, b.T)
    np.testing.assert_allclose(jac, want)


def test_kron_needs_the_split_and_valid_choices():
    t = _tensors()
    z, X, W = t.z, t.X, t.W
    with pytest.raises(ic.LayoutError, match="out_ndim"):
        ic.to_kron(ic.outer(z, z))
    np.testing.assert_allclose(
        ic.to_kron(ic.outer(z, z), out_ndim=1).evaluate(z=np.arange(3.0)),
        np.outer(np.arange(3.0), np.arange(3.0)))
    with pytest.raises(ic.LayoutError, match="vec"):
        ic.to_kron(ic.diff(X @ W, W), vec="diagonal")
    with pytest.raises(ic.LayoutError, match="out_ndim"):
        ic.vec_jacobian(np.ones((2, 3)), 3)
