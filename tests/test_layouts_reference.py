"""Every printed form equals the derivative, by a reference written from the contract (issue 13).

The references are ``tests/layout_reference.py`` (NumPy reshapes and transposes by the contract's
definitions, no library layout code); ``tests/form_checks.py`` renders each form —
``to_matrix`` both layouts × both vector conventions, ``to_kron`` both layouts × both vec orders,
``to_einsum``, ``vec_jacobian`` — evaluates it and compares. A form equals its reference or is
refused with ``ic.LayoutError``; ``to_matrix`` may not refuse a result of order ≤ 2 and ``to_kron``
may not refuse a derivative (the contract, API.md v2). The derivatives' values are proven against
finite differences elsewhere (``tests/test_calculus_fuzz.py``); here ``ic.evaluate`` of the
derivative is the truth the forms are held to.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fuzz_expressions as fz
import indexcalc as ic
from form_checks import check_forms, check_seed, failures
from layout_reference import kron_reference, matrix_reference, vec


# --------------------------------------------------------------------------- the references


def test_vec_reference_is_the_contracts_index_map():
    # docs/conventions.md: vec_col puts X[i, j] at i + m·j, vec_row at i·n + j
    m, n = 3, 4
    X = np.arange(12.0).reshape(m, n) ** 2
    col, row = vec(X, "col"), vec(X, "row")
    for i, j in itertools.product(range(m), range(n)):
        assert col[i + m * j] == X[i, j] and row[i * n + j] == X[i, j]


def test_kron_reference_is_the_jacobian_of_vec():
    # J[vec F index, vec X index] = ∂F[I]/∂X[J], entry by entry, for F of order 2, X of order 2
    rng = np.random.default_rng(0)
    D = rng.normal(size=(2, 3, 4, 5))
    for order, (lay_f, lay_x) in (("col", ("F", "F")), ("row", ("C", "C"))):
        J = kron_reference(D, 2, "numerator", order)
        assert J.shape == (6, 20)
        for I in itertools.product(range(2), range(3)):
            for K in itertools.product(range(4), range(5)):
                r = np.ravel_multi_index(I, (2, 3), order=lay_f)
                c = np.ravel_multi_index(K, (4, 5), order=lay_x)
                assert J[r, c] == D[I + K]
        np.testing.assert_array_equal(kron_reference(D, 2, "denominator", order), J.T)


def test_kron_reference_gives_the_textbook_identity():
    # vec(A X B) = (Bᵀ ⊗ A) vec(X) column-major; (A ⊗ Bᵀ) row-major
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(2, 3)), rng.normal(size=(4, 5))
    D = np.einsum("pq,rs->psqr", A, B)  # ∂(A X B)[p, s]/∂X[q, r]
    np.testing.assert_allclose(kron_reference(D, 2, "numerator", "col"), np.kron(B.T, A))
    np.testing.assert_allclose(kron_reference(D, 2, "numerator", "row"), np.kron(A, B.T))


def test_matrix_reference_follows_the_conventions_table():
    # docs/conventions.md §2: vector f (m) by vector x (n) is m × n in numerator layout; a scalar
    # by a matrix W (d × h) is h × d (like Wᵀ) in numerator layout, d × h in denominator layout
    J = np.arange(6.0).reshape(2, 3)
    assert matrix_reference(J, 1, "numerator").shape == (2, 3)
    assert matrix_reference(J, 1, "denominator").shape == (3, 2)
    G = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(matrix_reference(G, 0, "denominator"), G)
    np.testing.assert_array_equal(matrix_reference(G, 0, "numerator"), G.T)
    np.testing.assert_array_equal(matrix_reference(G, 2, "numerator"), G)  # matrix by a scalar
    np.testing.assert_array_equal(matrix_reference(G, None, "numerator"), G)  # no derivative
    g = np.arange(3.0)
    assert matrix_reference(g, 0, "denominator").shape == (3, 1)  # a gradient is a column
    assert matrix_reference(g, 0, "numerator").shape == (1, 3)
    assert matrix_reference(g, 0, "denominator", "row").shape == (1, 3)
    assert matrix_reference(g, 1, "numerator").shape == (3, 1)  # a vector by a scalar, like f
    assert matrix_reference(g, None, "numerator", "row").shape == (1, 3)
    assert matrix_reference(np.float64(2.0), 0, "numerator").shape == ()


# --------------------------------------------------------------------------- random expressions


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_expressions_every_form_equals_the_derivative_or_is_refused(seed):
    """The random expression of ``seed``, its derivatives, and derivatives whose value is the
    expression itself (by a scalar, a gradient, ``∂(f v)/∂v``, an outer-product Hessian):
    ``tests/form_checks.py``'s ``subjects`` and ``template_subjects``."""
    bad = check_seed(seed)
    assert not bad, "\n".join(bad)


def test_to_kron_asks_for_the_split_where_it_is_unknown():
    # an expression that is no derivative does not say which axes are F's: never a guess
    A, X = ic.tensors("A[3,4] X[4,5]")
    with pytest.raises(ic.LayoutError, match="out_ndim"):
        ic.to_kron(A @ X)
    # told the split, both renderers write it (to_matrix too: out_ndim= overrides "as is")
    vals = dict(A=np.arange(12.0).reshape(3, 4), X=np.arange(20.0).reshape(4, 5) % 7)
    for out_ndim in (0, 1, 2):
        bad = failures(check_forms(A @ X, out_ndim, vals))
        assert not bad, f"out_ndim={out_ndim}:\n" + "\n".join(map(str, bad))


# --------------------------------------------------------------------------- chosen shapes


def _v(name, named):
    fz._MODE["named"] = named
    return fz.variable(name)


def _values(seed=0):
    return fz.values(np.random.default_rng(seed))


K3 = np.random.default_rng(7).normal(size=(3, 3))
K4 = np.random.default_rng(8).normal(size=(4,))

# Each row: (label, build(x, y, A, B, S, s) -> (expression, out_ndim by the contract)).
# The shapes issue 13 names: bare-leaf derivatives, constants, outer products, slicing,
# scalar-by-matrix gradients, matrix-by-scalar derivatives, outer-product Hessians.
CHOSEN = {
    "bare leaf d(A y)/dy = A": lambda x, y, A, B, S, s: (ic.diff(A @ y, y), 1),
    "bare leaf d(x A)/dx = Aᵀ": lambda x, y, A, B, S, s: (ic.diff(x @ A, x), 1),
    "bare leaf d(Aᵀ x)/dx": lambda x, y, A, B, S, s: (ic.diff(A.T @ x, x), 1),
    "bare leaf grad(tr(Aᵀ ... )) = a tensor": lambda x, y, A, B, S, s: (ic.grad(ic.trace(A.T @ S @ A), S), 0),
    "bare leaf grad(xᵀ A y, A) of a sum": lambda x, y, A, B, S, s: (ic.grad(x @ A @ y + ic.sum(A), A), 0),
    "identity d x / dx": lambda x, y, A, B, S, s: (ic.diff(x, x), 1),
    "transpose d Aᵀ/dA": lambda x, y, A, B, S, s: (ic.diff(A.T, A), 2),
    "outer product": lambda x, y, A, B, S, s: (ic.outer(x, y), None),
    "d outer(x, y)/dx": lambda x, y, A, B, S, s: (ic.diff(ic.outer(x, y), x), 2),
    "d outer(x, x)/dx": lambda x, y, A, B, S, s: (ic.diff(ic.outer(x, x), x), 2),
    "hessian of (xᵀ A y)² by A (outer product)": lambda x, y, A, B, S, s: (ic.hessian((x @ A @ y) ** 2, A), 2),
    "hessian of (xᵀ S x)² by x": lambda x, y, A, B, S, s: (ic.hessian((x @ S @ x) ** 2, x), 1),
    "scalar by matrix grad tr(A B Bᵀ Aᵀ)": lambda x, y, A, B, S, s: (ic.grad(ic.trace(A @ B @ B.T @ A.T), A), 0),
    "scalar by matrix grad xᵀ tanh(A) y": lambda x, y, A, B, S, s: (ic.grad(x @ ic.tanh(A) @ y, A), 0),
    "matrix by scalar d(s A)/ds": lambda x, y, A, B, S, s: (ic.diff(s * A, s), 2),
    "matrix by scalar d exp(s B)/ds": lambda x, y, A, B, S, s: (ic.diff(ic.exp(s * B), s), 2),
    "vector by scalar d(s x)/ds": lambda x, y, A, B, S, s: (ic.diff(ic.sin(s) * x, s), 1),
    "scalar by scalar": lambda x, y, A, B, S, s: (ic.diff(s * s * 3.0, s), 0),
    "matrix by matrix d(A B)/dA": lambda x, y, A, B, S, s: (ic.diff(A @ B, A), 2),
    "matrix by vector d(A diag(y))/dy": lambda x, y, A, B, S, s: (ic.diff(A @ ic.diag(y), y), 2),
    "vector by matrix d(A y)/dA": lambda x, y, A, B, S, s: (ic.diff(A @ y, A), 1),
    "softmax Jacobian": lambda x, y, A, B, S, s: (ic.diff(ic.softmax(A @ y), y), 1),
    "inverse by matrix": lambda x, y, A, B, S, s: (ic.diff(ic.inv(S @ S.T + 3.0 * ic.eye(S.shape[0])), S), 2),
}

# int dimensions only: a named axis slices only with bounds, and a constant's shape is ints
CHOSEN_INT = {
    "constant matrix times vector": lambda x, y, A, B, S, s: (ic.diff(ic.Constant(K3) @ x, x), 1),
    "constant itself": lambda x, y, A, B, S, s: (ic.Constant(K3) @ S, None),
    "two anonymous constants": lambda x, y, A, B, S, s: (ic.Constant(K3) @ S @ ic.Constant(K3.T * 2), None),
    "constant vector gradient": lambda x, y, A, B, S, s: (ic.grad(ic.Constant(K4) @ y * s, y), 0),
    "slice d x[1:]/dx": lambda x, y, A, B, S, s: (ic.diff(x[1:], x), 1),
    "slice grad of Σ A[:, ::-1]∘A": lambda x, y, A, B, S, s: (ic.grad(ic.sum(A[:, ::-1] * A), A), 0),
    "slice d A[1:, :2]/dA": lambda x, y, A, B, S, s: (ic.diff(A[1:, :2], A), 2),
    "slice d (S[::-1] x)/dx": lambda x, y, A, B, S, s: (ic.diff(S[::-1] @ x, x), 1),
    "row of a matrix d A[1]/dA": lambda x, y, A, B, S, s: (ic.diff(A[1], A), 1),
}


def _chosen_cases():
    for label in CHOSEN:
        for named in (True, False):
            yield pytest.param(CHOSEN[label], named, id=f"{label} ({'named' if named else 'int'})")
    for label in CHOSEN_INT:
        yield pytest.param(CHOSEN_INT[label], False, id=label)


@pytest.mark.parametrize("build,named", list(_chosen_cases()))
def test_chosen_shapes_every_form_equals_the_derivative(build, named):
    saved = fz._MODE["named"]
    try:
        variables = [_v(n, named) for n in ("x", "y", "A", "B", "S", "s")]
        e, out_ndim = build(*variables)
    finally:
        fz._MODE["named"] = saved
    outcomes = check_forms(e, out_ndim, _values(), fz.SIZES)
    bad = failures(outcomes)
    assert not bad, f"{e}:\n" + "\n".join(map(str, bad))
    assert any(o.form.startswith("to_matrix") or o.form.startswith("to_kron") for o in outcomes)
