"""Size declarations in index notation (``i∈[3]``) under hostile input, and the printed texts
that read back to another value or not at all (a red team of issue 15 item 2).

Values are checked against NumPy written here from the notation's definitions; a refusal must be
an ``IndexcalcError`` naming the culprit, never another exception.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import indexcalc as ic

rng = np.random.default_rng(11)
x, s, S = ic.Tensor("x", (3,)), ic.Tensor("s", ()), ic.Tensor("S", (3, 3))
SHAPES = {"x": x, "s": s, "S": S}
VALUES = dict(x=rng.normal(size=3), s=np.array(0.7), S=rng.normal(size=(3, 3)))


def _read_back(expr: ic.Expr, names: dict, values: dict, sizes: dict | None = None) -> None:
    """``str(expr)`` parsed with ``names`` evaluates to ``expr``'s value (same shape)."""
    sizes = sizes or {}
    want = np.asarray(ic.evaluate(expr, **values, **sizes))
    got = np.asarray(ic.evaluate(ic.parse(str(expr), names), **values, **sizes))
    assert got.shape == want.shape, (str(expr), got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8, err_msg=str(expr))


@pytest.mark.parametrize("text,notation", [
    ("i∈[³] ↦ 1[i]", "index"),                  # '³'.isdigit(), but int('³') raised ValueError
    ("[δ[i,j]]_(i∈[³],j)", "matrix"),
    ("reshape(S, (³,))[i]", "index"),
    ("(2*³) x[i]", "index"),
    ("mat_col[i j](δ[i,j])", "matrix"),          # no '|': block.index raised ValueError
])
def test_a_malformed_size_is_an_indexcalc_error(text, notation):
    with pytest.raises(ic.IndexcalcError, match="³|size"):
        ic.parse(text, SHAPES, notation=notation)


def test_a_superscript_digit_is_no_dimension():
    with pytest.raises(ic.ShapeError, match="not a dimension name"):
        ic.Tensor("A", ("³",))


def test_a_block_head_without_a_bar_reads_its_indices_as_rows():
    assert ic.parse("mat_col[](1)", notation="matrix").shape == ()
    got = ic.parse("mat_col[i∈[2]](1[i])", notation="matrix")
    np.testing.assert_allclose(ic.evaluate(got), np.ones(2))


@pytest.mark.parametrize("text,notation", [
    ("i,i ↦ x[i]", "index"),                      # was "internal: repeated output label"
    ("i∈[3],i∈[4] ↦ 1[i]", "index"),
    ("Σ_i,i x[i]", "index"),                      # was read as Σ_i x[i]
    ("Σ_k∈[3],k∈[4] 2", "index"),
    ("z1[i]\nwhere\n  z1[i,i] = x[i]", "index"),
    ("[ζ1[i,j]]_(i,j) with ζ1[i∈[3],i] = δ[i,i]", "matrix"),   # was read as the identity
    ("mat_col[i∈[2] | i∈[2]](δ[i,i])", "matrix"),
    ("[δ[i,j]]_(i∈[3],i∈[3])", "matrix"),
])
def test_an_index_bound_twice_at_once_is_refused(text, notation):
    with pytest.raises(ic.ParseError, match="bound twice"):
        ic.parse(text, SHAPES, notation=notation)


def test_softmax_declares_no_size():
    # softmax_j binds no index: its declaration was ignored, unchecked (softmax_i∈[4] of x[i])
    with pytest.raises(ic.ParseError, match="declares no size"):
        ic.parse("softmax_i∈[4](x[i])", SHAPES, notation="index")


def test_a_declaration_comes_before_an_index_named_after_a_dimension():
    # a tensor of dimension i: Σ_i∈[3] s was refused (the name's i, then 3 ≠ i)
    shapes = {**SHAPES, "X": ic.Tensor("X", ("i",))}
    got = ic.parse("Σ_i∈[3] s", shapes, notation="index")
    np.testing.assert_allclose(ic.evaluate(got, s=0.7), 2.1)


@pytest.mark.parametrize("text,want", [
    ("logsumexp_m∈[3](2)", 2 + np.log(3)),        # was "over an index its argument lacks"
    ("max_m∈[3](2)", 2.0),
    ("i∈[4] ↦ softmax_i(1)", np.full(4, 0.25)),
    ("logsumexp_m∈[3](x[i])", VALUES["x"] + np.log(3)),
])
def test_a_reduction_over_an_index_its_argument_lacks_is_over_copies(text, want):
    got = np.asarray(ic.evaluate(ic.parse(text, SHAPES, notation="index"), **VALUES))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_int_indices_are_not_named_after_a_tensors_dimension():
    # X has a dimension named i (size 2): str printed Σ_i',j' X[i',j'] δ[i,j] for eye(3), which
    # read back as the 2×2 identity (i sized by its name): a silent wrong value
    X = ic.Tensor("X", ("i", "j"))
    names, vals, sizes = {**SHAPES, "X": X}, {**VALUES, "X": rng.normal(size=(2, 5))}, {}
    for e in [ic.sum(X) * ic.eye(3), ic.diff(ic.sum(X) * x, x), ic.sum(X) * ic.delta(4, 3),
              ic.sum(s * np.ones((3, 4))) * ic.sum(X), ic.kron(X, ic.eye(3))]:
        _read_back(e, names, vals, sizes)


def test_a_subscripted_dimension_is_not_read_as_its_base():
    # dimensions h and h_1: δ[h_1,h_1'] read as δ over h (the base of h_1), a wrong value
    W, v, X = ic.Tensor("W", ("h_1", "h_2")), ic.Tensor("v", ("h_2",)), ic.Tensor("X", ("n", "h"))
    H = ic.Tensor("H", ("h_3",))
    names = {"W": W, "v": v, "X": X, "H": H}
    vals = dict(W=rng.normal(size=(2, 5)), v=rng.normal(size=5), X=rng.normal(size=(4, 3)),
                H=rng.normal(size=6))
    sizes = dict(h_1=2, h_2=5, n=4, h=3, h_3=6)
    for e in [ic.diff(ic.sum(X) * (W @ v), W), ic.diff(W @ v, W) * ic.sum(X),
              ic.diff(ic.sum(X) * W, W), ic.diff(ic.sum(X) * H, H)]:
        _read_back(e, names, vals, sizes)


def test_a_reduction_of_a_broadcast_value_reads_back():
    # logsumexp_i(1): the ones of a gradient printed without the index they are over
    g = ic.grad(ic.sum(x), x)
    for e in [ic.logsumexp(g), ic.logsumexp(g * s), ic.softmax(g), ic.max(g),
              ic.logsumexp(ic.grad(ic.sum(S), S), axis=1)]:
        _read_back(e, SHAPES, VALUES)
    assert str(ic.logsumexp(g)) == "logsumexp_i∈[3](1)"


def test_an_empty_constant_keeps_its_shape():
    # [[],[]] (the values of a 2×0×1 constant) reads as 2×0: "3 index names for shape (2, 0)"
    e = s * ic.Constant(np.zeros((2, 0, 1)))
    assert ic.parse(str(e), SHAPES).shape == (2, 0, 1)
    B = ic.Tensor("B", (4, 5))
    g = ic.grad(ic.sum(ic.sin(B[1:4, None, :][:3:2, :, 4:5]) ** 2), B)
    _read_back(g, {"B": B}, {"B": rng.normal(size=(4, 5))})


def test_an_entry_reads_back():
    # str(B[0, 1]) is "B[0, 1]": auto read it as Python's and refused the integer subscript
    B = ic.Tensor("B", (3, 4))
    b = rng.normal(size=(3, 4))
    for e in [B[0, 1], B[2, 3] * s]:
        _read_back(e, {"B": B, "s": s}, {"B": b, "s": np.array(0.7)})
    # Python's (an operator): read as NumPy reads it, the row B[0] twice (red3)
    np.testing.assert_allclose(ic.parse("B[0] * 2", {"B": B}).evaluate(B=b), 2 * b[0])


def test_a_text_whose_indices_are_named_after_its_tensors_dimensions_is_not_read(monkeypatch):
    # the oracle read every text holding a δ back: a Hessian of 20 ops of named dimensions took
    # ~1 s (50 ms before declarations); such a text sizes each index by its name at worst
    import indexcalc.rendering.index_notation as notation
    calls = []
    real = notation.read_sizes
    monkeypatch.setattr(notation, "read_sizes", lambda *a: calls.append(1) or real(*a))
    X, W = ic.Tensor("X", ("n", "d")), ic.Tensor("W", ("d", "h"))
    H = ic.hessian(ic.sum(ic.tanh(X @ W) ** 2), W)
    assert "δ[" in str(H) and calls == []
    _read_back(H, {"X": X, "W": W}, {"X": rng.normal(size=(4, 2)), "W": rng.normal(size=(2, 3))})
    str(ic.eye(3) * s)   # an int dimension: read back, and declared
    assert calls and str(ic.eye(3) * s) == "i∈[3],j ↦ s δ[i,j]"


def test_a_printed_constant_meets_a_named_dimension():
    # xn + np.array([1, 2, 3]) gives the constant xn's dimension a (core.dim_meeting); str
    # printed [1.0,2.0,3.0][a], which the reader refused: "index a is of dimension a elsewhere
    # but 3 here" (in either order; and auto: "a list is not allowed")
    xn, An = ic.Tensor("xn", ("a",)), ic.Tensor("An", ("a", "b"))
    vals = dict(xn=rng.normal(size=3), An=rng.normal(size=(3, 4)))
    C3, C34 = np.array([1.0, 2.0, 3.0]), rng.normal(size=(3, 4)).round(2)
    for e in [xn + C3, C3 * xn, ic.tanh(An) + C34, ic.hessian(ic.sum(C3 * ic.tanh(xn)), xn),
              ic.Constant(C3)[:, None] * ic.eye("a")]:
        _read_back(e, {"xn": xn, "An": An}, vals)
    # a constant of named axes beside an int one: str declares the int index, and the reading
    # of its sized text took b∈[b] at the constant's axis as 4 ≠ b, so nothing was declared
    yn, C = ic.Tensor("yn", ("b",)), ic.Constant(np.eye(4) + 0.5, shape=("b", "b"))
    for e in [ic.outer(C @ yn, ic.Constant(np.ones(3))), (C @ yn)[:, None] * np.ones((1, 3))]:
        _read_back(e, {"yn": yn}, {"yn": rng.normal(size=4)})
    assert ic.parse("b∈[b] ↦ [1,2,3,4][b]").shape == ("b",)
    # the constant pins a = 3: another size is a BindingError, never a silent broadcast
    got = ic.parse("[1,2,3][a] xn[a]", {"xn": xn})
    with pytest.raises(ic.BindingError):
        ic.evaluate(got, xn=np.ones(4))


def test_a_dimension_named_none_is_not_an_index_named_none():
    # i∈[None] ↦ 1[i] printed as 1[None] (the index named after its dimension), a new axis
    e = ic.parse("i∈[None] ↦ 1[i]")
    assert ic.parse(str(e)).shape == ("None",)
    N = ic.Tensor("N", ("None",))
    _read_back(ic.sum(N) * ic.eye("None"), {"N": N}, {"N": np.ones(2)})
