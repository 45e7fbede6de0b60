"""indexcalc.frontend.subscripts: labels agree with numpy.einsum, malformed strings raise ParseError."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexcalc.errors import ParseError
from indexcalc.frontend.subscripts import implicit_output, parse_subscripts, split_subscripts

# Distinct sizes, so that a label given to the wrong axis changes a shape or a value.
LETTER_SIZES = {"a": 2, "b": 3, "c": 4, "B": 5}
ELLIPSIS_SIZES = (6, 7)  # sizes of the broadcast axes '.0', '.1'
# Letters the explicit rebuild uses for ellipsis labels; never drawn as subscripts.
ELLIPSIS_LETTERS = {".0": "y", ".1": "z"}


@st.composite
def equations(draw):
    """A valid einsum string, its operands' shapes, and whether the output is implicit."""
    broadcast = draw(st.integers(0, 2))
    n_operands = draw(st.integers(1, 4))
    terms, shapes = [], []
    for _ in range(n_operands):
        letters = draw(st.lists(st.sampled_from(sorted(LETTER_SIZES)), max_size=3))
        if broadcast and draw(st.booleans()):
            covered = draw(st.integers(0, broadcast))
            at = draw(st.integers(0, len(letters)))
            dims = ELLIPSIS_SIZES[broadcast - covered : broadcast]
            terms.append("".join(letters[:at]) + "..." + "".join(letters[at:]))
            sizes = tuple(LETTER_SIZES[x] for x in letters)
            shapes.append(sizes[:at] + dims + sizes[at:])
        else:
            terms.append("".join(letters))
            shapes.append(tuple(LETTER_SIZES[x] for x in letters))
    has_ellipsis = any("..." in t for t in terms)
    inputs = ",".join(terms)
    if draw(st.booleans()):
        return inputs, shapes
    used = sorted(set(inputs) - {".", ","})
    output = "".join(draw(st.permutations(used))[: draw(st.integers(0, len(used)))])
    wide = any(len(shape) > len(term.replace("...", "")) for term, shape in zip(terms, shapes))
    if wide or (has_ellipsis and draw(st.booleans())):
        at = draw(st.integers(0, len(output)))
        output = output[:at] + "..." + output[at:]
    return f"{inputs}->{output}", shapes


def explicit(labels, output):
    """Rewrite resolved labels as an explicit, ellipsis-free einsum string."""
    def letters(term):
        return "".join(ELLIPSIS_LETTERS.get(label, label) for label in term)
    return ",".join(letters(term) for term in labels) + "->" + letters(output)


@settings(max_examples=300, deadline=None)
@given(equations(), st.randoms(use_true_random=False))
def test_labels_reproduce_numpy_einsum(equation, random):
    subscripts, shapes = equation
    rng = np.random.default_rng(random.randrange(2**32))
    operands = [rng.standard_normal(shape) for shape in shapes]
    labels, output = parse_subscripts(subscripts, [len(s) for s in shapes])
    assert [len(term) for term in labels] == [len(s) for s in shapes]
    expected = np.einsum(subscripts, *operands)
    actual = np.einsum(explicit(labels, output), *operands)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("subscripts", "ndims", "labels", "output"),
    [
        ("ij,jk->ik", [2, 2], [("i", "j"), ("j", "k")], ("i", "k")),
        ("ij,jk", [2, 2], [("i", "j"), ("j", "k")], ("i", "k")),
        ("ba", [2], [("b", "a")], ("a", "b")),
        ("aB", [2], [("a", "B")], ("B", "a")),
        ("ii", [2], [("i", "i")], ()),
        ("ii->i", [2], [("i", "i")], ("i",)),
        ("", [0], [()], ()),
        ("->", [0], [()], ()),
        ("i,->i", [1, 0], [("i",), ()], ("i",)),
        ("...i,...->...", [3, 1], [(".0", ".1", "i"), (".1",)], (".0", ".1")),
        ("i...j,...", [3, 0], [("i", ".0", "j"), ()], (".0", "i", "j")),
        ("...ij->ij", [2], [("i", "j")], ("i", "j")),
        ("ij->...ij", [2], [("i", "j")], ("i", "j")),
        ("i...->i", [1], [("i",)], ("i",)),
        (" i j , j k -> k i ", [2, 2], [("i", "j"), ("j", "k")], ("k", "i")),
    ],
)
def test_documented_labels(subscripts, ndims, labels, output):
    assert parse_subscripts(subscripts, ndims) == (labels, output)


@pytest.mark.parametrize(
    ("subscripts", "terms", "output"),
    [
        ("ij,jk->ik", ["ij", "jk"], "ik"),
        ("ij,jk", ["ij", "jk"], None),
        ("...i, i... -> ...", ["...i", "i..."], "..."),
        ("", [""], None),
        (",->", ["", ""], ""),
    ],
)
def test_split(subscripts, terms, output):
    assert split_subscripts(subscripts) == (terms, output)


@pytest.mark.parametrize(
    ("inputs", "output"),
    [(["ij", "jk"], "ik"), (["ba"], "ab"), (["zA"], "Az"), (["i...i"], "..."), (["ii", "j"], "j")],
)
def test_implicit_output(inputs, output):
    assert implicit_output(inputs) == output


@pytest.mark.parametrize(
    ("subscripts", "ndims", "fragment"),
    [
        ("ij,jk->il", [2, 2], "einsum 'ij,jk->il': output letter 'l' appears in no input"),
        ("ij->ii", [2], "output letter 'i' appears 2 times"),
        ("ij->j->", [2], "more than one '->'"),
        ("ij- >j", [2], "term 0 'ij- >j' has a stray '-'"),
        ("ij>j", [2], "term 0 'ij>j' has a stray '>'"),
        ("ij->j-", [2], "the output term 'j-' has a stray '-'"),
        ("i1", [2], "term 0 'i1' has '1'; subscripts are letters"),
        ("ij,j_k->", [2, 2], "term 1 'j_k' has '_'"),
        ("ij->i,j", [2], "the output term after '->' has a ','"),
        ("i.j", [2], "term 0 'i.j' has a '.' that is not part of '...'"),
        ("i.. .", [1], "term 0 'i.. .' has a '.' that is not part of '...'"),
        ("....", [0], "term 0 '....' has a '.' that is not part of '...'"),
        ("......", [0], "term 0 '......' has more than one '...'"),
        ("i...j...", [2], "more than one '...'"),
        ("ij->.i", [2], "the output term '.i' has a '.'"),
        ("ij", [2, 2], "1 input terms but 2 operands"),
        ("ij,jk", [2], "2 input terms but 1 operands"),
        ("ijk", [2], "term 0 'ijk' has 3 letters but operand 0 has 2 axes"),
        ("i", [2], "term 0 'i' has 1 letters but operand 0 has 2 axes (and no '...'"),
        ("ij,...ijk", [2, 2], "term 1 '...ijk' has 3 letters but operand 1 has 2 axes"),
        ("i...->i", [2], "'...' covers 1 axes of the inputs but the output has no '...'"),
        ("...ij,j->i", [3, 1], "'...' covers 1 axes"),
        ("ij", [-1], "operand 0 has an invalid number of axes -1"),
        ("ij", [2.0], "operand 0 has an invalid number of axes 2.0"),
    ],
)
def test_malformed_raise_parse_error(subscripts, ndims, fragment):
    with pytest.raises(ParseError) as caught:
        parse_subscripts(subscripts, ndims)
    message = str(caught.value)
    assert message.startswith(f"einsum {subscripts!r}: ")
    assert fragment in message


def test_non_string_raises_parse_error():
    with pytest.raises(ParseError, match="must be a string, got int"):
        split_subscripts(3)


@pytest.mark.parametrize(
    "subscripts", ["ij->j->", "i1", "i.j", "ij->ii", "ij->k", "i", "ijk", "...i->i", "i.. ."]
)
def test_refused_exactly_where_numpy_refuses(subscripts):
    with pytest.raises(ValueError):
        np.einsum(subscripts, np.ones((2, 3)))
    with pytest.raises(ParseError):
        parse_subscripts(subscripts, [2])
