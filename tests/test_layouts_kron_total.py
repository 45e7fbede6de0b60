"""``ic.to_kron`` is total on derivatives and evaluates to exactly ∂vec(F)/∂vec(X) (issue 13).

The reference is written here from the contract's definitions, not with the library's layout
helpers: the derivative tensor ``D`` of shape ``F.shape + X.shape``, reshaped in Fortran order
(column-major vec: the first index fastest) or C order (row-major vec), to ``(|F|, |X|)``; its
transpose in denominator layout. Every form must also evaluate to that reference from its own
tree (what ``MatrixForm.evaluate`` computes is what it prints).
"""

from math import prod

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import indexcalc as ic
import fuzz_expressions as fz
from indexcalc.core.graph_walk import tensors_of

LAYOUTS = ("numerator", "denominator")
VECS = ("col", "row")


def reference(D: np.ndarray, out_ndim: int, layout: str, vec: str) -> np.ndarray:
    D = np.asarray(D, dtype=float)
    rows, cols = prod(D.shape[:out_ndim]), prod(D.shape[out_ndim:])
    J = D.reshape((rows, cols), order="F" if vec == "col" else "C")
    return J.T if layout == "denominator" else J


def _assert_forms(d, values: dict) -> dict:
    """Every layout × vec form of ``d`` equals the reference; returns the texts."""
    D = np.asarray(ic.evaluate(d, **values), dtype=float)
    texts = {}
    for layout in LAYOUTS:
        for vec in VECS:
            form = ic.to_kron(d, layout, vec)
            texts[layout, vec] = str(form)
            with np.errstate(all="ignore"):
                got = np.asarray(form.evaluate(**values), dtype=float)
            want = reference(D, d.out_ndim, layout, vec)
            got = got.reshape(want.shape) if got.size == want.size == 1 else got
            assert got.shape == want.shape, (layout, vec, str(form))
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10,
                                       err_msg=f"{layout} {vec}: {form}")
    return texts


# --------------------------------------------------------------------------- the issue's rows

def _w_b():
    W, B = ic.Tensor("W", (3, 2)), ic.Tensor("B", (2, 3))
    return ic.grad(ic.trace(W @ B), B), {"W": np.arange(6.0).reshape(3, 2),
                                          "B": np.ones((2, 3))}


def _mwy(build):
    M, w, y = ic.Tensor("M", (2, 3)), ic.Tensor("w", (2,)), ic.Tensor("y", (3,))
    rng = np.random.default_rng(5)
    return build(M, w, y), {"M": rng.normal(size=(2, 3)), "w": rng.normal(size=2),
                            "y": rng.normal(size=3)}


# (label, build() -> (derivative, values), names that must appear in every text)
ISSUE_ROWS = {
    "grad tr(W B) by B is vec(Wᵀ), not vec(W)": (_w_b, ("W",)),
    "hessian w·(M∘³) y by M keeps M": (
        lambda: _mwy(lambda M, w, y: ic.hessian(w @ ((M ** 3) @ y), M)), ("M", "w", "y")),
    "grad w·|M| y by M keeps w and y": (
        lambda: _mwy(lambda M, w, y: ic.grad(w @ (ic.abs(M) @ y), M)), ("M", "w", "y")),
    "matrix by scalar": (
        lambda: _mwy(lambda M, w, y: ic.diff(ic.sum(M) * M, ic.Tensor("M", (2, 3)))), ("M",)),
    "outer-product Hessian": (
        lambda: _mwy(lambda M, w, y: ic.hessian((w @ M @ y) ** 2, M)), ("w", "y")),
}


@pytest.mark.parametrize("label", list(ISSUE_ROWS))
def test_issue_rows(label):
    build, names = ISSUE_ROWS[label]
    d, values = build()
    for text in _assert_forms(d, values).values():
        for name in names:
            assert name in text, (label, text)


def test_gradient_by_matrix_prints_the_column_major_vec():
    d, values = _w_b()
    form = ic.to_kron(d)
    assert form.evaluate(**values).ravel().tolist() == [0, 1, 2, 3, 4, 5]


def test_a_term_without_kronecker_factors_is_written_and_evaluated_as_its_reshape():
    S = ic.Tensor("S", (3, 3))
    d = ic.diff(ic.softmax(S, axis=0), S)
    texts = _assert_forms(d, {"S": np.random.default_rng(1).normal(size=(3, 3))})
    assert "mat_col[i j | k l](" in texts["numerator", "col"]
    assert "mat_row[i j | k l](" in texts["numerator", "row"]
    assert "mat_col[k l | i j](" in texts["denominator", "col"]  # rows: X's indices
    assert ic.to_kron(d).notes


def test_only_a_non_derivative_without_out_ndim_is_refused():
    A, x = ic.Tensor("A", (3, 4)), ic.Tensor("x", (4,))
    with pytest.raises(ic.LayoutError, match="out_ndim="):
        ic.to_kron(A @ x)
    form = ic.to_kron(A @ x, out_ndim=1)
    np.testing.assert_allclose(form.evaluate(A=np.eye(3, 4), x=np.ones(4)),
                               np.ones((3, 1)) * [[1], [1], [1]])


def test_the_form_binds_the_dimensions_its_variable_gave():
    X, W = ic.tensors("X[n,d] W[d,h]")
    d = ic.diff(X @ W, W)
    rng = np.random.default_rng(2)
    _assert_forms(d, {"X": rng.normal(size=(3, 4)), "W": rng.normal(size=(4, 5))})


# --------------------------------------------------------------------------- random derivatives

def _derivatives(f):
    out = []
    for x in tensors_of(f.expr):
        out.append(ic.diff(f.expr, x))
        if f.expr.ndim <= 1 and int(np.prod(fz.shape_of(x) or (1,))) <= 16:
            out.append(ic.hessian(ic.sum(f.expr) if f.expr.ndim else f.expr, x))
    return out


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_derivatives_every_form_equals_the_reshaped_tensor(seed):
    saved = fz._MODE["named"]
    try:
        f, base, _ = fz.case(seed)
        values = {**fz.SIZES, **base}  # a Hessian may lose a dimension no variable of it has
        for d in _derivatives(f):
            with np.errstate(all="ignore"):
                D = np.asarray(ic.evaluate(d, **values), dtype=float)
            if not np.all(np.isfinite(D)):
                continue
            _assert_forms(d, values)
    finally:
        fz._MODE["named"] = saved


# --------------------------------------------------------------------------- text length

def _softmax_chain(depth: int, by: str):
    x, W = ic.Tensor("x", (4,)), ic.Tensor("W", (4, 4))
    h = x
    for _ in range(depth):
        h = ic.softmax(W @ h)
    if by == "x":
        return ic.diff(h, x)
    return ic.grad(ic.sum(ic.log(h)), W)


@pytest.mark.parametrize("by", ["x", "W"])
def test_text_grows_linearly_with_the_depth_of_a_softmax_chain(by):
    lengths = {k: len(str(ic.to_kron(_softmax_chain(k, by)))) for k in (4, 8, 16)}
    # doubling the depth at most a little more than doubles the text (it was ×16 per doubling)
    assert lengths[8] <= 2.6 * lengths[4] and lengths[16] <= 2.6 * lengths[8], lengths


def test_a_named_piece_of_order_three_is_written_explicitly():
    x, A = ic.Tensor("x", (3,)), ic.Tensor("A", (3, 4))
    h = ic.einsum("i,ij,k->ijk", x, A, x).named("h")
    rng = np.random.default_rng(6)
    texts = _assert_forms(ic.diff(2.0 * ic.tanh(h), x),
                          {"x": rng.normal(size=3), "A": rng.normal(size=(3, 4))})
    assert "mat_col[i j k | l](" in texts["numerator", "col"]


def test_a_scalar_part_of_a_kronecker_product_multiplies_it():
    """Regression (forms fuzz, seed 938): a part that reduces to 1 × 1 (Σ v over a unit axis) was
    dropped from ⊗ as if it were the number 1."""
    S, v = ic.Tensor("S", (4, 5)), ic.Tensor("v", (3,))
    D = ic.diff(ic.einsum("ab,cd->cb", v[:, None], S), S)
    rng = np.random.default_rng(3)
    values = {"S": rng.normal(size=(4, 5)), "v": rng.normal(size=3)}
    dense = D.evaluate(**values)  # shape (4, 1, 4, 5)
    for vec, order in (("col", "F"), ("row", "C")):
        reference = dense.reshape(4, 20, order=order)  # ∂vec(F)/∂vec(S), numerator layout
        form = ic.to_kron(D, vec=vec)
        assert "v" in str(form), str(form)
        np.testing.assert_allclose(form.evaluate(**values), reference, rtol=1e-12, atol=1e-12)
