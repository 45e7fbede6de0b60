"""Printed forms as short as the textbook's (issue 15, item 4).

Each row: an identity from the Matrix Cookbook (equation numbers in the comments) or issue 15,
the textbook's matrix form (denominator layout, the names the expression uses), and the
derivative by the textbook's formula in NumPy. The printed form (``to_matrix``, denominator
layout) must be no longer than the textbook's, counted in symbols (a name, a number, an operator
or a parenthesis is one), and must not fall back on the long spellings issue 15 lists; the
derivative must equal the textbook's numbers, and every form of it (both layouts, both vector
conventions, the Kronecker forms) must evaluate to the reference of ``tests/layout_reference.py``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import indexcalc as ic
from form_checks import check_forms, failures

RNG = np.random.default_rng(1515)
inv, det = np.linalg.inv, np.linalg.det


def _square(n):
    return RNG.normal(size=(n, n)) * 0.3 + 3.0 * np.eye(n)


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# distinct sizes: A 5×3, X 3×4, B 4×3, P 4×4, S/Q/M 3×3, a/x/w 3, b/c/y 4, v 5
V = dict(A=RNG.normal(size=(5, 3)), X=RNG.normal(size=(3, 4)), B=RNG.normal(size=(4, 3)),
         P=_square(4), S=_square(3), Q=_square(3), M=RNG.normal(size=(3, 3)), a=RNG.normal(size=3),
         x=RNG.normal(size=3), w=RNG.normal(size=3), b=RNG.normal(size=4), c=RNG.normal(size=4),
         y=RNG.normal(size=4), v=RNG.normal(size=5))
A, X, B, P, S, Q, M, a, x, w, b, c, y, v = ic.tensors(
    "A[5,3] X[3,4] B[4,3] P[4,4] S[3,3] Q[3,3] M[3,3] a[3] x[3] w[3] b[4] c[4] y[4] v[5]")

# (label, build() -> (expression, out_ndim), textbook form, textbook(values) -> derivative)
IDENTITIES = [
    # (100)
    ("tr(X B)", lambda: (ic.grad(ic.trace(X @ B), X), 0), "Bᵀ", lambda v: v["B"].T),
    # (103)
    ("tr(Xᵀ X)", lambda: (ic.grad(ic.trace(X.T @ X), X), 0), "2 X", lambda v: 2 * v["X"]),
    # (117)
    ("tr(X P Xᵀ)", lambda: (ic.grad(ic.trace(X @ P @ X.T), X), 0), "X (P + Pᵀ)",
     lambda v: v["X"] @ (v["P"] + v["P"].T)),
    # (49)
    ("det(S)", lambda: (ic.grad(ic.det(S), S), 0), "det(S) S⁻ᵀ",
     lambda v: det(v["S"]) * inv(v["S"]).T),
    # (57)
    ("log|det S|", lambda: (ic.grad(ic.logdet(S), S), 0), "S⁻ᵀ", lambda v: inv(v["S"]).T),
    # issue 15: det(X⁻¹) — not −det(X⁻¹) X⁻ᵀ (X⁻¹)⁻ᵀ X⁻ᵀ
    ("det(S⁻¹)", lambda: (ic.grad(ic.det(ic.inv(S)), S), 0), "−det(S⁻¹) S⁻ᵀ",
     lambda v: -det(inv(v["S"])) * inv(v["S"]).T),
    ("log|det S⁻¹|", lambda: (ic.grad(ic.logdet(ic.inv(S)), S), 0), "−S⁻ᵀ",
     lambda v: -inv(v["S"]).T),
    # issue 15: log det(XᵀX) = 2 X (XᵀX)⁻¹ — not X (XᵀX)⁻¹ + X (XᵀX)⁻ᵀ
    ("log|det AᵀA|", lambda: (ic.grad(ic.logdet(A.T @ A), A), 0), "2 A (Aᵀ A)⁻¹",
     lambda v: 2 * v["A"] @ inv(v["A"].T @ v["A"])),
    ("log|det X Xᵀ|", lambda: (ic.grad(ic.logdet(X @ X.T), X), 0), "2 (X Xᵀ)⁻¹ X",
     lambda v: 2 * inv(v["X"] @ v["X"].T) @ v["X"]),
    # issue 15: det(X⁵) = 5 det(X⁵) X⁻ᵀ — not five terms
    ("det(S⁵)", lambda: (ic.grad(ic.det(S @ S @ S @ S @ S), S), 0), "5 det(S⁵) S⁻ᵀ",
     lambda v: 5 * det(np.linalg.matrix_power(v["S"], 5)) * inv(v["S"]).T),
    ("det(S²)", lambda: (ic.grad(ic.det(S @ S), S), 0), "2 det(S²) S⁻ᵀ",
     lambda v: 2 * det(v["S"] @ v["S"]) * inv(v["S"]).T),
    # (50) det(Xᵀ) = det(X)
    ("det(Sᵀ)", lambda: (ic.grad(ic.det(S.T), S), 0), "det(S) S⁻ᵀ",
     lambda v: det(v["S"]) * inv(v["S"]).T),
    # (51) with square factors: det(Q S Q) S⁻ᵀ
    ("det(Q S Q)", lambda: (ic.grad(ic.det(Q @ S @ Q), S), 0), "det(Q S Q) S⁻ᵀ",
     lambda v: det(v["Q"] @ v["S"] @ v["Q"]) * inv(v["S"]).T),
    ("log|det Q S|", lambda: (ic.grad(ic.logdet(Q @ S), S), 0), "S⁻ᵀ", lambda v: inv(v["S"]).T),
    # issue 15: reciprocals det(X)⁻¹ — not det(X)^∘-1
    ("1/det(S)", lambda: (ic.grad(1 / ic.det(S), S), 0), "−det(S)⁻¹ S⁻ᵀ",
     lambda v: -inv(v["S"]).T / det(v["S"])),
    # (61)
    ("aᵀ S⁻¹ x", lambda: (ic.grad(a @ ic.inv(S) @ x, S), 0), "−S⁻ᵀ a xᵀ S⁻ᵀ",
     lambda v: -inv(v["S"]).T @ np.outer(v["a"], v["x"]) @ inv(v["S"]).T),
    # (63)
    ("tr(S⁻¹ M)", lambda: (ic.grad(ic.trace(ic.inv(S) @ M), S), 0), "−(S⁻¹ M S⁻¹)ᵀ",
     lambda v: -(inv(v["S"]) @ v["M"] @ inv(v["S"])).T),
    # (69)
    ("aᵀ X b", lambda: (ic.grad(a @ X @ b, X), 0), "a bᵀ", lambda v: np.outer(v["a"], v["b"])),
    # (81): (M + Mᵀ) x — not M x + Mᵀ x
    ("xᵀ M x", lambda: (ic.grad(x @ M @ x, x), 0), "(M + Mᵀ) x",
     lambda v: (v["M"] + v["M"].T) @ v["x"]),
    ("Hessian of xᵀ M x", lambda: (ic.hessian(x @ M @ x, x), 1), "M + Mᵀ",
     lambda v: v["M"] + v["M"].T),
    # (84) (D + Dᵀ)(X b + s) bᵀ, here with X 3×4 and b, x
    ("(X b + x)ᵀ M (X b + x)", lambda: (ic.grad((X @ b + x) @ M @ (X @ b + x), X), 0),
     "(M + Mᵀ) (X b + x) bᵀ", lambda v: (v["M"] + v["M"].T) @ np.outer(v["X"] @ v["b"] + v["x"], v["b"])),
    # least squares, ½‖B w − y‖²
    ("½‖B w − y‖²", lambda: (ic.grad(0.5 * ic.sum((B @ w - y) ** 2), w), 0), "Bᵀ (B w − y)",
     lambda v: v["B"].T @ (v["B"] @ v["w"] - v["y"])),
    # issue 15: the logistic gradient Xᵀ(σ(Xw) − y) — not −Xᵀy + Xᵀσ(Xw)
    ("logistic loss", lambda: (ic.grad(ic.sum(ic.softplus(B @ w)) - y @ (B @ w), w), 0),
     "Bᵀ (σ(B w) − y)", lambda v: v["B"].T @ (_sigmoid(v["B"] @ v["w"]) - v["y"])),
    # issue 15: the Hessian of logsumexp, diag(s) − s sᵀ with s = softmax(v)
    ("Hessian of logsumexp", lambda: (ic.hessian(ic.logsumexp(v), v), 1),
     "diag(softmax(v)) − softmax(v) softmax(v)ᵀ",
     lambda v: np.diag(_softmax(v["v"])) - np.outer(_softmax(v["v"]), _softmax(v["v"]))),
    # issue 15: 2 ** v — not exp(0.693147 v); the textbook's ln(2) 2^v, ln 2 as a number
    ("2 ** v", lambda: (ic.grad(ic.sum(2 ** v), v), 0), "0.693147 2^∘v",
     lambda v: np.log(2) * 2 ** v["v"]),
    # issue 15: a matrix of ones — not 1 1ᵀ
    ("Hessian of (Σ v)²", lambda: (ic.hessian(ic.sum(v) ** 2, v), 1), "2 1 1ᵀ",
     lambda v: np.full((5, 5), 2.0)),
    # the cross-entropy's y ⊘ ŷ (Hadamard division) — not y∘ŷ^∘-1; c > 0 here
    ("Σ y log c", lambda: (ic.grad(ic.sum(y * ic.log(c * c + 1)), c), 0), "2 (y ⊘ (c∘c + 1))∘c",
     lambda v: 2 * v["y"] * v["c"] / (v["c"] ** 2 + 1)),
    ("yᵀ (b ⊘ c)", lambda: (ic.grad(y @ (b / (c * c + 1)), b), 0), "y ⊘ (c∘c + 1)",
     lambda v: v["y"] / (v["c"] ** 2 + 1)),
    # issue 15: a zero — not 0ᵀ
    ("zero gradient", lambda: (ic.grad(ic.sum(y) + 0 * ic.sum(w), w), 0), "0",
     lambda v: np.zeros(3)),
]

#: The long spellings issue 15 lists; no printed form may use them.
LONG_SPELLINGS = ("(S⁻¹)⁻", "^∘-1", "exp(0.693147", "1 1ᵀ", "0ᵀ")

_SYMBOL = re.compile(r"\d+(?:\.\d+)?|[^\W\d]\w*|\S")


def symbols(text: str) -> int:
    """The length of a form in symbols: names and numbers count one, so does each operator."""
    return len(_SYMBOL.findall(text))


#: A size subscript (``I_n``, ``1_5``, ``0_(m·n)``): printed where the text alone leaves the size
#: open (the textbook's context gives it), so the comparison with the textbook leaves it out.
_SIZE = re.compile(r"(?<!\w)([I10])_(?:\([^)]*\)|[^\W_ᵀ]+)")


def unsized(text: str) -> str:
    """``text`` without the size subscripts of its ``I``, ``1`` and ``0``."""
    return _SIZE.sub(r"\1", text)


def test_symbols_count_names_numbers_and_operators():
    assert symbols("−det(S⁻¹) S⁻ᵀ") == 10 and symbols("0.693147 2^∘v") == 5
    assert unsized("2 1_5 1_5ᵀ") == "2 1 1ᵀ" and unsized("I_(m·n) ⊗ W_1") == "I ⊗ W_1"


@pytest.mark.parametrize("label,build,textbook,reference", IDENTITIES, ids=[r[0] for r in IDENTITIES])
def test_identity_prints_no_longer_than_the_textbook(label, build, textbook, reference):
    e, out_ndim = build()
    np.testing.assert_allclose(ic.evaluate(e, **V), reference(V), rtol=1e-9, atol=1e-10,
                               err_msg=f"{label}: the derivative itself")
    for layout in ("denominator", "numerator"):
        form = ic.to_matrix(e, layout=layout)
        text = str(form)
        assert not [s for s in LONG_SPELLINGS if s in text], f"{label} ({layout}): {text}"
        assert "^∘-1" not in form.latex() and r"\circ -1" not in form.latex(), form.latex()
        if layout == "denominator":
            assert symbols(unsized(text)) <= symbols(textbook), \
                f"{label}: {text!r} is longer than {textbook!r}"
    bad = failures(check_forms(e, out_ndim, V))
    assert not bad, f"{label}: {e}\n" + "\n".join(map(str, bad))


SHAPES = {name: " ".join(map(str, np.shape(value))) for name, value in V.items()}


#: ``2 𝟙`` alone does not say its size (nor did ``2 1 1ᵀ``): the form prints ``2 1_5 1_5ᵀ``
PARSED = IDENTITIES


def test_a_matrix_of_ones_alone_asks_for_its_size():
    with pytest.raises(ic.ShapeError, match="cannot be inferred"):
        ic.parse("2 𝟙", shapes=SHAPES)
    np.testing.assert_allclose(ic.parse("diag(v) + 2 𝟙", shapes=SHAPES).evaluate(**V),
                               np.diag(V["v"]) + 2.0)


@pytest.mark.parametrize("label,build,textbook,reference", PARSED, ids=[r[0] for r in PARSED])
def test_identity_form_parses_back_to_its_values(label, build, textbook, reference):
    # the short spellings (S⁵, det(S)⁻¹, 2^∘v, 𝟙) are matrix notation ic.parse reads
    e, _ = build()
    form = ic.to_matrix(e)
    parsed = ic.parse(str(form), shapes=SHAPES)
    want = form.evaluate(**V)
    got = np.asarray(ic.evaluate(parsed, **V))  # a vector (n,) for the form's n × 1; 0 a number
    got = got.reshape(want.shape) if got.size == want.size else np.broadcast_to(got, want.shape)
    # numbers print with 6 significant digits (0.693147 for ln 2)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-10, err_msg=str(form))
