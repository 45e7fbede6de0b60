"""indexcalc.calculus.einsum_queries: gradient and Jacobian strings against Jacobians built from basis tensors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexcalc.calculus.einsum_queries import EinsumGrad, einsum_grad, einsum_jacobian
from indexcalc.errors import ParseError, ShapeError

# Distinct sizes, so that an axis given the wrong letter changes a shape or a value.
LETTER_SIZES = {"a": 2, "b": 3, "c": 4, "B": 5}
ELLIPSIS_SIZES = (3, 2)  # sizes of the broadcast axes, left to right


@st.composite
def equations(draw):
    """A valid einsum string, its operands' shapes, and the operand to differentiate by.

    Terms repeat letters (diagonals, traces), leave letters to one operand (broadcast
    gradients), carry ellipses covering fewer axes or axes of size 1 (NumPy broadcasting).
    """
    broadcast = draw(st.integers(0, 2))
    terms, shapes = [], []
    for _ in range(draw(st.integers(1, 3))):
        letters = draw(st.lists(st.sampled_from(sorted(LETTER_SIZES)), max_size=3))
        sizes = [LETTER_SIZES[x] for x in letters]
        at = draw(st.integers(0, len(letters)))
        if broadcast and draw(st.booleans()):
            full = ELLIPSIS_SIZES[2 - broadcast :]
            dims = [draw(st.sampled_from([size, 1])) for size in full[draw(st.integers(0, broadcast)) :]]
            terms.append("".join(letters[:at]) + "..." + "".join(letters[at:]))
            shapes.append((*sizes[:at], *dims, *sizes[at:]))
        else:
            terms.append("".join(letters))
            shapes.append(tuple(sizes))
    inputs = ",".join(terms)
    wrt = draw(st.integers(0, len(terms) - 1))
    if draw(st.booleans()):
        return inputs, shapes, wrt
    used = sorted(set(inputs) - {".", ","})
    output = "".join(draw(st.permutations(used))[: draw(st.integers(0, len(used)))])
    if any("..." in term for term in terms):
        wide = any(len(shape) > len(term.replace("...", "")) for term, shape in zip(terms, shapes))
        if wide or draw(st.booleans()):
            at = draw(st.integers(0, len(output)))
            output = output[:at] + "..." + output[at:]
    return f"{inputs}->{output}", shapes, wrt


def basis_jacobian(subscripts, operands, wrt):
    """``D[out..., a...]`` by linearity: the forward einsum of each basis tensor of operand ``wrt``."""
    shape = operands[wrt].shape
    columns = []
    for index in np.ndindex(*shape):
        basis = np.zeros(shape)
        basis[index] = 1.0
        columns.append(np.einsum(subscripts, *operands[:wrt], basis, *operands[wrt + 1 :]))
    stacked = np.stack(columns, axis=-1)
    return stacked.reshape(stacked.shape[:-1] + shape)


def random_operands(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def size_of(letter, operands, subscripts):
    """A forward letter's size, read off the operands' shapes (ellipsis-free terms only)."""
    terms = subscripts.split("->")[0].split(",")
    for term, operand in zip(terms, operands):
        if "..." not in term and letter in term:
            return operand.shape[term.index(letter)]
    return LETTER_SIZES[letter]


def documented_extras(grad, operands):
    """The arrays ``grad.extras`` describes, built from the documented form alone."""
    built = []
    for kind, letters in grad.extras:
        n = size_of(letters[0], operands, grad.subscripts)
        built.append(np.eye(n) if kind == "delta" else np.ones(n))
    return built


@settings(max_examples=250, deadline=None)
@given(equations(), st.integers(0, 2**32 - 1))
def test_grad_is_the_vjp(equation, seed):
    subscripts, shapes, wrt = equation
    operands = random_operands(shapes, seed)
    jacobian = basis_jacobian(subscripts, operands, wrt)
    out_ndim = jacobian.ndim - operands[wrt].ndim
    cotangent = random_operands([jacobian.shape[:out_ndim]], seed + 1)[0]
    expected = np.tensordot(cotangent, jacobian, axes=out_ndim)
    grad = einsum_grad(subscripts, wrt)
    np.testing.assert_allclose(grad.evaluate(*operands, cotangent=cotangent), expected, atol=1e-10)
    result = np.einsum(grad, *grad.operands(*operands, cotangent=cotangent))
    if result.shape == operands[wrt].shape:  # operand wrt was not broadcast
        np.testing.assert_allclose(result, expected, atol=1e-10)
    if "..." not in subscripts:
        others = operands[:wrt] + operands[wrt + 1 :]
        direct = np.einsum(grad, *others, cotangent, *documented_extras(grad, operands))
        np.testing.assert_allclose(direct, expected, atol=1e-10)


def jacobian_operands(subscripts, spec, operands):
    """The arrays an ``einsum_jacobian`` spec names, from the documented form alone."""
    terms = subscripts.split("->")[0].split(",")
    built = []
    for term, name in zip(terms, spec):
        if name.startswith("op"):
            built.append(operands[int(name[2:])])
        elif name == "delta":
            built.append(np.eye(LETTER_SIZES[term[0]]))
        else:
            built.append(np.ones([LETTER_SIZES[x] for x in term]))
    return built


@settings(max_examples=250, deadline=None)
@given(equations(), st.integers(0, 2**32 - 1))
def test_jacobian_is_the_basis_jacobian(equation, seed):
    subscripts, shapes, wrt = equation
    operands = random_operands(shapes, seed)
    target = subscripts.split("->")[0].split(",")[wrt]
    if "..." in target and ("->" not in subscripts or "..." in subscripts.split("->")[1]):
        with pytest.raises(ParseError, match=f"Jacobian by operand {wrt} cannot be written"):
            einsum_jacobian(subscripts, wrt)
        return
    jacobian, spec = einsum_jacobian(subscripts, wrt)
    assert len(spec) == len(jacobian.split("->")[0].split(","))
    result = np.einsum(jacobian, *jacobian_operands(jacobian, spec, operands))
    np.testing.assert_allclose(result, basis_jacobian(subscripts, operands, wrt), atol=1e-10)


@pytest.mark.parametrize(
    ("subscripts", "shapes", "wrt"),
    [
        ("...,B...,->...", [(2,), (5,), ()], 1),  # regression: added axes sit after 'B', not first
        ("b...c,...->...", [(3, 1, 4), (3, 2)], 0),  # an ellipsis axis of size 1 is stretched
        ("i,...i->...i", [(2,), (3, 2, 2)], 0),  # no '...' in operand 0: all ellipsis axes summed
    ],
)
def test_evaluate_sums_broadcast_axes(subscripts, shapes, wrt):
    operands = random_operands(shapes, 0)
    jacobian = basis_jacobian(subscripts, operands, wrt)
    out_ndim = jacobian.ndim - operands[wrt].ndim
    cotangent = random_operands([jacobian.shape[:out_ndim]], 1)[0]
    expected = np.tensordot(cotangent, jacobian, axes=out_ndim)
    actual = einsum_grad(subscripts, wrt).evaluate(*operands, cotangent=cotangent)
    np.testing.assert_allclose(actual, expected, atol=1e-10)


@pytest.mark.parametrize(
    ("subscripts", "wrt", "expected", "extras"),
    [
        ("ij,jk->ik", 0, "jk,ik->ij", ()),
        ("ij,jk->ik", 1, "ij,ik->jk", ()),
        ("ij,jk", 0, "jk,ik->ij", ()),  # implicit output
        ("ij,ij->", 0, "ij,->ij", ()),  # one array passed twice: add both positions' gradients
        ("i,i", 1, "i,->i", ()),
        ("->", 0, "->", ()),
        ("ij->", 0, ",i,j->ij", (("ones", "i"), ("ones", "j"))),
        ("ij->i", 0, "i,j->ij", (("ones", "j"),)),
        ("ii->", 0, ",ia->ia", (("delta", "ia"),)),
        ("iij->j", 0, "j,ia->iaj", (("delta", "ia"),)),
        ("iii", 0, ",ia,ib->iab", (("delta", "ia"), ("delta", "ib"))),
        ("ii->i", 0, "i,ia->ia", (("delta", "ia"),)),
        ("ab,bb->a", 1, "ab,a,bc->bc", (("delta", "bc"),)),
        ("...ij,...jk->...ik", 0, "...jk,...ik->...ij", ()),
        ("...ij,...jk->...ik", 1, "...ij,...ik->...jk", ()),
        ("i,...i->...i", 0, "...i,...i->...i", ()),  # evaluate() sums the ellipsis away
        ("...i->i", 0, "i->...i", ()),
    ],
)
def test_documented_grads(subscripts, wrt, expected, extras):
    grad = einsum_grad(subscripts, wrt)
    assert grad == expected
    assert grad.extras == extras
    assert (grad.subscripts, grad.wrt) == (subscripts, wrt)


@pytest.mark.parametrize(
    ("subscripts", "wrt", "expected", "spec"),
    [
        ("ij,jk->ik", 0, "jk,ia->ikaj", ("op1", "delta")),
        ("ij,jk->ik", 1, "ij,ka->ikja", ("op0", "delta")),
        ("ij->ij", 0, "ia,jb->ijab", ("delta", "delta")),
        ("ij->", 0, "i,j->ij", ("ones", "ones")),
        ("ii->", 0, "ia->ia", ("delta",)),
        ("ii->i", 0, "ia,ib->iab", ("delta", "delta")),
        ("i->i", 0, "ia->ia", ("delta",)),
        ("->", 0, "->", ("ones",)),
        (",->", 0, "->", ("op1",)),
        ("ij,jk,kl->il", 1, "ij,kl->iljk", ("op0", "op2")),
        ("...i,i->...", 1, "...i->...i", ("op0",)),
        ("i...->i", 0, "ia->ia", ("delta",)),
    ],
)
def test_documented_jacobians(subscripts, wrt, expected, spec):
    assert einsum_jacobian(subscripts, wrt) == (expected, spec)


@pytest.mark.parametrize("query", [einsum_grad, einsum_jacobian])
@pytest.mark.parametrize(
    ("subscripts", "wrt", "fragment"),
    [
        ("ij,jk->ik", 2, "einsum 'ij,jk->ik': wrt=2 is out of range for 2 operands (0 to 1)"),
        ("ij,jk->ik", -1, "wrt=-1 is out of range"),
        ("ij,jk->ik", "0", "wrt must be an operand number (an int), got '0'"),
        ("ij,jk->ik", 1.0, "got 1.0"),
        ("ij,jk->ik", True, "got True"),
        ("ij,jk->il", 0, "output letter 'l' appears in no input"),
        ("ij,j1", 0, "term 1 'j1' has '1'"),
    ],
)
def test_bad_input_raises_parse_error(query, subscripts, wrt, fragment):
    with pytest.raises(ParseError) as caught:
        query(subscripts, wrt)
    assert fragment in str(caught.value)


def test_jacobian_refuses_a_kept_ellipsis_of_operand_wrt():
    with pytest.raises(ParseError, match=r"write the axes of term 0 '\.\.\.i' as letters"):
        einsum_jacobian("...i,i->...", 0)


def test_out_of_fresh_letters():
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"  # leaves X, Y, Z
    with pytest.raises(ParseError, match="needs 4 fresh letters but only 3 are unused"):
        einsum_grad(f"{letters}WWWW", 0)


def test_operands_check_the_cotangent_and_sizes():
    grad = einsum_grad("ij,jk->ik", 0)
    with pytest.raises(ShapeError, match=r"cotangent has shape \(2, 2\), the output has shape \(2, 4\)"):
        grad.operands(np.ones((2, 3)), np.ones((3, 4)), cotangent=np.ones((2, 2)))
    mismatch = r"label 'j' for operand 1 axis 0 \(5\) does not match previous terms \(3\)"
    with pytest.raises(ShapeError, match=mismatch):
        grad.operands(np.ones((2, 3)), np.ones((5, 4)), cotangent=np.ones((2, 4)))
    with pytest.raises(ParseError, match="2 input terms but 1 operands"):
        grad.operands(np.ones((2, 3)), cotangent=np.ones((2, 4)))


def test_grad_string_survives_pickling():
    grad = einsum_grad("ii->", 0)
    again = pickle.loads(pickle.dumps(grad))
    assert isinstance(again, EinsumGrad)
    assert (again, again.extras, again.subscripts, again.wrt) == (grad, grad.extras, "ii->", 0)
