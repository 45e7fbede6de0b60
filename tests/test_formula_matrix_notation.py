"""``ic.parse`` of textbook matrix notation (issue 15, item 2).

Each formula's value is held to NumPy written here from the notation's textbook meaning (``ᵀ`` a
transpose, juxtaposition the matrix product, ``⊗`` ``np.kron``, ``vec`` the column-major stack,
``K_(m,n) vec(A) = vec(Aᵀ)``), on values of distinct sizes (3, 4, 5), never through the library's
own printing or layout helpers.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import indexcalc as ic
from indexcalc.formula.matrix_reader import atom_sizes, read_matrix

scipy_linalg = pytest.importorskip("scipy.linalg")
from indexcalc.formula.notation import is_matrix_notation

M, N, P = 3, 4, 5
SHAPES = {"A": "m n", "C": "m n", "B": "n p", "S": "m m", "T": "m m", "x": "m", "y": "n",
          "s": ()}
SIZES = {"m": M, "n": N, "p": P}
RNG = np.random.default_rng(15)
S0 = RNG.normal(size=(M, M)) + 3 * np.eye(M)   # well conditioned
VALUES = {"A": RNG.normal(size=(M, N)), "C": RNG.uniform(0.5, 1.5, size=(M, N)),
          "B": RNG.normal(size=(N, P)), "S": S0, "T": RNG.normal(size=(M, M)),
          "x": RNG.normal(size=M), "y": RNG.normal(size=N), "s": np.asarray(RNG.normal())}
A, C, B, S, T, x, y, s = (VALUES[k] for k in "ACBSTxys")


def vec(a, order="F"):
    return np.asarray(a).reshape(-1, order=order)


def sig(z):
    return 1 / (1 + np.exp(-z))


CASES = [
    ("Xᵀ (X W v − y) vᵀ", {"X": "n m", "W": "m m", "v": "m", "y": "n"},
     lambda v: v["X"].T @ np.outer(v["X"] @ v["W"] @ v["v"] - v["y"], v["v"])),
    ("X^T (X W v - y) v^T", {"X": "n m", "W": "m m", "v": "m", "y": "n"},
     lambda v: v["X"].T @ np.outer(v["X"] @ v["W"] @ v["v"] - v["y"], v["v"])),
    ("X' * (X * W * v - y) * v'", {"X": "n m", "W": "m m", "v": "m", "y": "n"},
     lambda v: v["X"].T @ np.outer(v["X"] @ v["W"] @ v["v"] - v["y"], v["v"])),
    ("x^T S x", SHAPES, lambda v: x @ S @ x),
    ("xᵀ A y + s", SHAPES, lambda v: x @ A @ y + s),
    ("A ⊗ B", SHAPES, lambda v: np.kron(A, B)),
    ("kron(A, B)", SHAPES, lambda v: np.kron(A, B)),
    ("A .* C − A∘C + A ⊘ C", SHAPES, lambda v: A / C),
    ("A ./ C", SHAPES, lambda v: A / C),
    ("diag(x) S 1", SHAPES, lambda v: np.diag(x) @ S @ np.ones(M)),
    ("tr(S) I + S⁻¹ − S⁻ᵀ", SHAPES,
     lambda v: np.trace(S) * np.eye(M) + np.linalg.inv(S) - np.linalg.inv(S).T),
    ("inv(S) T^-1 T", SHAPES, lambda v: np.linalg.inv(S)),
    ("det(S)^∘-1 + log|det(S)|", SHAPES,
     lambda v: 1 / np.linalg.det(S) + np.log(abs(np.linalg.det(S)))),
    ("(1_nᵀ ⊗ I) vec(A)", SHAPES, lambda v: np.kron(np.ones((1, N)), np.eye(M)) @ vec(A)),
    ("(I ⊗ 1_nᵀ) vec_row(A)", SHAPES,
     lambda v: np.kron(np.eye(M), np.ones((1, N))) @ vec(A, "C")),
    ("(I_m ⊗ 1ᵀ) vec_row(A)", SHAPES,
     lambda v: np.kron(np.eye(M), np.ones((1, N))) @ vec(A, "C")),
    ("K_(m,n) vec(A)", SHAPES, lambda v: vec(A.T)),
    ("vec(A) vec(A)ᵀ", SHAPES, lambda v: np.outer(vec(A), vec(A))),
    ("[A; C]", SHAPES, lambda v: np.vstack([A, C])),
    ("[S, T]", SHAPES, lambda v: np.hstack([S, T])),
    ("σ'(x) ∘ tanh(x) + sigmoid(x)", SHAPES,
     lambda v: sig(x) * (1 - sig(x)) * np.tanh(x) + sig(x)),
    ("softmax(A, axis=1)", SHAPES,
     lambda v: np.exp(A) / np.exp(A).sum(axis=1, keepdims=True)),
    ("logsumexp(A, axis=0) 1_mᵀ", SHAPES,
     lambda v: np.outer(np.log(np.exp(A).sum(axis=0)), np.ones(M))),
    ("S^2 − S^∘2", SHAPES, lambda v: S @ S - S * S),
    ("2 A − 0.5 1 1ᵀ", SHAPES, lambda v: 2 * A - 0.5),
    ("1 − tanh(x)∘tanh(x)", SHAPES, lambda v: 1 - np.tanh(x) ** 2),
    ("diagonal(S) + diag(S 1) 1", SHAPES, lambda v: np.diag(S) + S.sum(axis=1)),
    ("tril(S, 1) − triu(S) + sum(S) I", SHAPES,
     lambda v: np.tril(S, 1) - np.triu(S) + S.sum() * np.eye(M)),
    ("A[0, :]ᵀ y + x[::-1]ᵀ x", SHAPES, lambda v: A[0] @ y + x[::-1] @ x),
    ("z1 z1ᵀ − I\nwhere\n  z1 = A y", SHAPES,
     lambda v: np.outer(A @ y, A @ y) - np.eye(M)),
    ("−s (x ⊗ yᵀ)", SHAPES, lambda v: -s * np.outer(x, y)),
    ("tr(S) + -0.5 − −s", SHAPES, lambda v: np.trace(S) - 0.5 + s),
    ("(e ⊗ I) x", {**SHAPES, "e": "p"}, lambda v: np.kron(v["e"][:, None], np.eye(M)) @ x),
    # sized matrices of ones and zeros, as the printer writes an open size (1 1ᵀ, 0 0ᵀ)
    ("1_m 1_nᵀ ∘ A", SHAPES, lambda v: A),
    ("tril(1_m 1_mᵀ, 1) + 0_m 0_mᵀ", SHAPES, lambda v: np.tril(np.ones((M, M)), 1)),
    ("[S; 0_m 0_mᵀ]", SHAPES, lambda v: np.vstack([S, np.zeros((M, M))])),
    ("[I, 0_m 0_mᵀ] [x; 2 x]", SHAPES, lambda v: x),
    ("A (0_n 0_pᵀ) + A B", SHAPES, lambda v: A @ B),
    # the calls linear-algebra forms print: matrix functions, Fréchet derivatives, decompositions
    ("expm(S) − sqrtm(S Sᵀ) + logm(S Sᵀ)", SHAPES,
     lambda v: _expm(S) - _sqrtm(S @ S.T) + _logm(S @ S.T)),
    ("L_exp(Sᵀ, T)", SHAPES, lambda v: _expm(np.block([[S.T, T], [0 * S, S.T]]))[:M, M:]),
    ("L_sqrt(S Sᵀ, T) + L_log(S Sᵀ, T)", SHAPES,
     lambda v: _sqrtm(np.block([[S @ S.T, T], [0 * S, S @ S.T]]))[:M, M:]
     + _logm(np.block([[S @ S.T, T], [0 * S, S @ S.T]]))[:M, M:]),
    ("cholesky(S Sᵀ)", SHAPES, lambda v: np.linalg.cholesky(S @ S.T)),
    ("eigvecsh(S + Sᵀ) diag(eigvalsh(S + Sᵀ)) eigvecsh(S + Sᵀ)ᵀ", SHAPES, lambda v: S + S.T),
    ("svd_U(A3) diag(svdvals(A3)) svd_Vh(A3)", {"A3": (3, 4)}, lambda v: v["A3"]),
    ("1.5^(s + 1) x − 2^∘x", SHAPES, lambda v: 1.5 ** (s + 1) * x - 2.0 ** x),
]


def _expm(a):
    return scipy_linalg.expm(a)


def _sqrtm(a):
    return np.real(scipy_linalg.sqrtm(a))


def _logm(a):
    return np.real(scipy_linalg.logm(a))


@pytest.mark.parametrize("text, shapes, reference", CASES, ids=[c[0] for c in CASES])
def test_matrix_notation_means_what_the_textbook_says(text, shapes, reference):
    vals = {**VALUES, **SIZES}
    rng = np.random.default_rng(3)
    for name, spec in shapes.items():
        if name not in VALUES:
            dims = spec.split() if isinstance(spec, str) else spec
            vals[name] = rng.normal(size=tuple(SIZES.get(d, d) for d in dims))
    expr = ic.parse(text, shapes)
    want = np.asarray(reference(vals), dtype=float)
    got = np.asarray(expr.evaluate(**vals), dtype=float)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_the_orientation_of_the_value_is_returned():
    _, shape = read_matrix("x yᵀ", SHAPES)
    assert shape == ("m", "n")
    _, shape = read_matrix("A y", SHAPES)
    assert shape == ("m", None)
    _, shape = read_matrix("yᵀ Aᵀ", SHAPES)
    assert shape == (None, "m")
    _, shape = read_matrix("x", SHAPES, vectors="row")
    assert shape == (None, "m")


def test_sizes_of_identity_ones_and_zero_come_from_what_they_meet():
    # I meets A's rows, 1 A's columns, 0 the sum's shape; a lone 1 is the number 1
    e = ic.parse("I A 1 + 0", SHAPES)
    np.testing.assert_allclose(e.evaluate(A=A), A.sum(axis=1))
    e = ic.parse("1 + s", SHAPES)
    assert e.shape == ()
    e, shape = read_matrix("I", {}, expect=("n", "n"))
    np.testing.assert_array_equal(e.evaluate(n=4), np.eye(4))
    e, _ = read_matrix("0", {}, expect=("m", None))
    np.testing.assert_array_equal(e.evaluate(m=3), np.zeros(3))


def test_matrix_mode_is_chosen_by_the_characters_only_it_uses():
    assert not is_matrix_notation("A * C") and not is_matrix_notation("X.T @ X")
    assert is_matrix_notation("Xᵀ X") and is_matrix_notation("X W") and is_matrix_notation("X'")
    assert is_matrix_notation("x^T y") and is_matrix_notation("A .* C")
    assert is_matrix_notation("[A; C]") and is_matrix_notation("[x, S]")   # no Python list
    # * is elementwise in Python notation, the matrix product in matrix notation
    np.testing.assert_allclose(ic.parse("A * C", SHAPES).evaluate(A=A, C=C), A * C)
    prod = ic.parse("A * B", SHAPES, notation="matrix")
    np.testing.assert_allclose(prod.evaluate(A=A, B=B), A @ B)


@pytest.mark.parametrize("text, error, words", [
    ("A B + S", ic.ShapeError, "do not conform"),
    ("A A", ic.ShapeError, "n and m"),
    ("x ∘ y", ic.ShapeError, "do not conform"),
    ("I", ic.ShapeError, "I_n"),
    ("(1ᵀ ⊗ I) vec(A)", ic.ShapeError, "cannot be inferred"),   # 1_nᵀ ⊗ I_m or 1_mᵀ ⊗ I_n?
    ("x 1ᵀ", ic.ShapeError, "cannot be inferred"),
    ("2^S", ic.ShapeError, "b^∘X for each entry"),   # 2^S of a matrix: entrywise or expm?
    ("L_exp(S)", ic.ParseError, "takes 2 argument"),
    ("svdvals(x)", ic.ShapeError, "svdvals"),
    ("inv(A)", ic.ShapeError, "square"),
    ("Q x", ic.ParseError, "unknown name 'Q'"),
    ("frob(A)", ic.ParseError, "unknown function 'frob'"),
    ("Aᵀ ⊗", ic.ParseError, "expected a value"),
    ("(A B", ic.ParseError, "expected ')'"),
    ("mat_col[i | j](A[i,j] B)", ic.ParseError, "used without index names"),   # a block's
    ("Σ_i x[i]", ic.ParseError, "index notation"),
    ("A[i, j]ᵀ", ic.ParseError, "subscript takes integers"),
    ("softmax(A, dim=1)ᵀ", ic.ParseError, "no keyword 'dim'"),
    ("x ⊗ $", ic.ParseError, "unexpected character"),
    ("z1ᵀ x\nwhere\n  z1[i] = x", ic.ParseError, "where clause defines names"),
])
def test_bad_formulas_are_refused_naming_the_culprit(text, error, words):
    with pytest.raises(error) as info:
        ic.parse(text, SHAPES, notation="matrix")
    message = str(info.value)
    assert words in message and "^" in message   # the caret points into the formula


def test_a_formula_nested_too_deep_or_too_long_is_refused():
    with pytest.raises(ic.ParseError, match="nested more than"):
        ic.parse("(" * 300 + "x" + ")" * 300 + "ᵀ", SHAPES)
    with pytest.raises(ic.ParseError, match="characters long"):
        ic.parse("x + " * 3000 + "xᵀ", SHAPES)
    long_chain = " ".join(["S"] * 2000) + " x"   # a long product is no deep nesting
    assert ic.parse(long_chain, SHAPES, notation="matrix").shape == ("m",)


_ALPHABET = ["A", "S", "x", "y", "1", "0", "I", "ᵀ", "⁻¹", "∘", "⊗", " ", "(", ")", "+", "−",
             "diag(", "tr(", "vec(", "[", ";", ",", "]", "^T", "'", "2.5", "^∘2", "σ(", ".*"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET), min_size=1, max_size=14))
def test_any_text_parses_or_is_refused_with_an_indexcalc_error(parts):
    text = "".join(parts)
    try:
        e = ic.parse(text, SHAPES, notation="matrix")
    except ic.IndexcalcError:
        return
    assert isinstance(e, ic.Expr)
    # what parsed evaluates; the sizes too: a product that folds to zero (0 0 A) keeps A's shape
    # but not A, so only the sizes bind it (random seed 5035)
    e.evaluate(**VALUES, **SIZES)


def test_a_scalar_power_that_is_no_whole_number_reads_back():
    # to_matrix prints a scalar's power as s^-0.5 (round-trip seed 100 without the CI profile):
    # a number's power, refused on a matrix (whose elementwise power is X^∘p)
    f = ic.parse("(xᵀ x + 0.5)^-0.5", {"x": "n"}, notation="matrix")
    v = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(f.evaluate(x=v), (v @ v + 0.5) ** -0.5, rtol=1e-14)
    assert ic.parse("A^2", {"A": "n n"}, notation="matrix").shape == ("n", "n")
    with pytest.raises(ic.ShapeError, match="X\\^∘p"):
        ic.parse("A^-0.5", {"A": "n n"}, notation="matrix")


def test_a_where_clause_cannot_redefine_a_declared_tensor():
    # "A where A = B" read as B, silently (red team)
    with pytest.raises(ic.ParseError, match="declared tensor"):
        ic.parse("A\nwhere\n  A = B", {"A": "n n", "B": "n n"}, notation="matrix")
    assert ic.parse("z1\nwhere\n  z1 = B", {"B": "n n"}, notation="matrix").shape == ("n", "n")


def test_a_three_axis_tensor_reads_where_a_block_or_a_slice_holds_it():
    # to_matrix prints a reduction of a 3-axis tensor as an explicit block (and a slice of it as
    # T[:, 1, :]ᵀ); declaring T was refused outright, so the printed form did not read back
    T = ic.Tensor("T", (3, 4, 5))
    t = np.random.default_rng(0).standard_normal((3, 4, 5))
    for expr, want in [(ic.sum(T, axis=1), t.sum(axis=1)), (T[:, 1, :].T, t[:, 1, :].T)]:
        text = str(ic.to_matrix(expr))
        back = ic.parse(text, {"T": (3, 4, 5)})
        np.testing.assert_allclose(back.evaluate(T=t), want)
    with pytest.raises(ic.ShapeError, match="T has 3 axes"):   # matrix notation's own use of T
        ic.parse("Tᵀ A", {"T": (3, 4, 5), "A": (3, 3)})


@pytest.mark.parametrize("text,want", [
    ("x + D", lambda d: x + d[:, 0]), ("D - x", lambda d: d[:, 0] - x),
    ("x ∘ D", lambda d: x * d[:, 0]), ("x ⊘ D", lambda d: x / d[:, 0]),
    ("xᵀ + Dᵀ", lambda d: x + d[:, 0])])
def test_a_vector_beside_a_one_column_matrix_is_that_column(text, want):
    # a printed form's (y + C₁) 1 1ᵀ: NumPy's (m,) + (m, 1) broadcast to m × m, a wrong value
    d = RNG.uniform(1, 2, size=(M, 1))
    got = ic.parse(text, {**SHAPES, "D": ("m", 1)}, notation="matrix")
    value = np.asarray(ic.evaluate(got, **VALUES, D=d, **SIZES))
    assert value.size == M
    np.testing.assert_allclose(value.reshape(M), want(d), rtol=1e-12)


def test_a_name_given_with_its_own_shape_is_oriented_not_an_index_error():
    # MatrixForm.names() gives a name an explicit block uses its own shape, () for a scalar;
    # matrix notation took () for (rows, cols) and raised IndexError (a fuzz seed's to_kron)
    s_, x_ = ic.Tensor("s", ()), ic.Tensor("x", ("m",))
    got = ic.parse("s x", {"s": (s_, ()), "x": (x_, ("m", None))}, notation="matrix")
    np.testing.assert_allclose(np.asarray(ic.evaluate(got, s=s, x=x)).ravel(), s * x)
    got = ic.parse("x s", {"s": (s_, ()), "x": (x_, ("m",))}, notation="matrix")
    np.testing.assert_allclose(np.asarray(ic.evaluate(got, s=s, x=x)).ravel(), s * x)


def test_kron_called_by_name_reads():
    # red3: kron(A, B), the ASCII variant of A ⊗ B, raised KeyError (the call's operands were
    # rebuilt into a node whose shape was never inferred). Reference: np.kron of the operands as
    # the matrices matrix notation makes of them (a vector is a column).
    rng = np.random.default_rng(6)
    a, u, y = rng.standard_normal((2, 2)), rng.standard_normal(5), rng.standard_normal(4)
    shapes = {"A": (2, 2), "u": (5,), "y": (4,)}
    for text, want in [("kron(A, A)", np.kron(a, a)), ("kron(u, y)", np.kron(u, y)),
                       ("kron(A, u)", np.kron(a, u[:, None])), ("kron(2, A)", 2 * a),
                       ("kron(A, y) + A ⊗ y", 2 * np.kron(a, y[:, None]))]:
        got = ic.parse(text, shapes, notation="matrix").evaluate(A=a, u=u, y=y)
        np.testing.assert_allclose(got, want, err_msg=text)


def test_a_bracket_right_after_a_value_is_no_block_factor():
    # red3: X[0][1] read as X[0] times the block [1] (a row of X, where NumPy's reader sees the
    # entry X[0, 1]); (X)[1] as X times [1]. A subscript follows a name only: such text is
    # refused; a block factor takes a space before it and keeps its reading.
    shapes = {"X": (3, 4), "x": (3,)}
    for text in ["X[0][1]", "(X)[1]", "Xᵀ[0]", "2[1]"]:
        with pytest.raises(ic.ParseError, match="a subscript follows a name only"):
            ic.parse(text, shapes, notation="matrix")
    xv = np.arange(3.0) + 1
    np.testing.assert_allclose(ic.parse("x [2]", shapes, notation="matrix").evaluate(x=xv),
                               2 * xv)


def test_an_unvec_after_a_factor_reads():
    # red3: unvec_(m,n)(u), printed since today, could not follow a factor: a printed
    # 'I[0, :]ᵀ unvec_row_(3,b)(…)' (a fuzzed gradient) was refused, "unexpected
    # 'unvec_row_(3,b)'". Reference: NumPy's column-major (or C-order) reshape.
    rng = np.random.default_rng(8)
    a, u = rng.standard_normal((2, 3)), rng.standard_normal(12)
    shapes = {"A": (2, 3), "u": (12,)}
    for text, want in [("A unvec_(3,4)(u)", a @ u.reshape((3, 4), order="F")),
                       ("2 unvec_(3,4)(u)", 2 * u.reshape((3, 4), order="F")),
                       ("A unvec_row_(3,4)(u)", a @ u.reshape(3, 4))]:
        np.testing.assert_allclose(ic.parse(text, shapes).evaluate(A=a, u=u), want, err_msg=text)


def test_a_row_after_a_one_column_factor_reads_in_the_row_convention():
    # red3: in the row convention a vector C of one entry is 1 × 1 and C x (x a row, 1 × 3) is
    # 1 × 3; the shapes solved, but the value was NumPy's (1,) @ (3,), a ShapeError, so a printed
    # gradient '2 (x∘(C log(…) + 1_1 Cᵀ log(…)) ⊘ (…))ᵀ' was refused. Reference: NumPy's outer.
    x, C, A = ic.Tensor("x", 3), ic.Tensor("C", 1), ic.Tensor("A", (2, 1))
    xv, cv, av = np.arange(3.0) + 1, np.array([2.0]), np.array([[1.0], [10.0]])
    names = {"x": (x, (None, 3)), "C": (C, (None, 1)), "A": (A, (2, 1))}
    for text, want in [("C x", cv[0] * xv), ("C x + 1_1 Cᵀ x", 2 * cv[0] * xv),
                       ("A x", np.outer(av[:, 0], xv))]:
        got = ic.parse(text, names, vectors="row").evaluate(x=xv, C=cv, A=av)
        np.testing.assert_allclose(got, want, err_msg=text)


def test_a_block_with_a_new_axis_is_a_block_matrix():
    # red3: [S[None, 0, :] A; S[None, 0, :] A], printed for a fuzzed expression, was taken for
    # an explicit block of index notation (S[None… looked like an index name) and refused,
    # "unexpected ';'"; so was a where line z1 = S[None, 0, :] A. Reference: NumPy.
    rng = np.random.default_rng(9)
    s, a = rng.standard_normal((3, 3)), rng.standard_normal((3, 4))
    row = s[None, 0, :] @ a
    shapes = {"S": (3, 3), "A": (3, 4)}
    for text, want in [("[S[None, 0, :] A; S[None, 0, :] A]", np.vstack([row, row])),
                       ("2 z1\nwhere\n  z1 = S[None, 0, :] A", 2 * row)]:
        got = ic.parse(text, shapes).evaluate(S=s, A=a)
        np.testing.assert_allclose(np.reshape(got, want.shape), want, err_msg=text)
