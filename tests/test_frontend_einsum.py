"""``ic.einsum`` has NumPy's semantics: random equations evaluate to what ``numpy.einsum`` gives.

The generator covers 1-4 operands, letters repeated inside one operand (diagonals and traces),
implicit and explicit outputs, ``...`` anywhere in a term covering 0 to all of the broadcast axes
(size-1 axes broadcasting), dimensions that are names (bound at evaluation) or ints, and one
tensor used as several operands. Every letter has its own size so a swapped axis cannot pass.
"""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import indexcalc as ic

LETTERS = "abcdef"
SIZES = dict(zip(LETTERS, (2, 3, 4, 5, 6, 7)))
ELLIPSIS_SIZES = (3, 2)  # the broadcast axes, right-aligned


@st.composite
def einsum_cases(draw):
    """(subscripts, operands as ic.Tensor, values by tensor name, arrays in operand order)."""
    named = {c: draw(st.booleans()) for c in LETTERS}           # letter dimension: name or int
    dim = {c: (f"d{c}" if named[c] else SIZES[c]) for c in LETTERS}
    n_ell = draw(st.sampled_from([0, 0, 1, 2]))
    ell_named = draw(st.booleans())
    n_ops = draw(st.integers(1, 4))
    pool = draw(st.sampled_from([LETTERS[:2], LETTERS[:4], LETTERS]))
    terms, shapes, sizes = [], [], []
    for _ in range(n_ops):
        letters = draw(st.lists(st.sampled_from(pool), min_size=0, max_size=3))
        term, shape, size = "".join(letters), [dim[c] for c in letters], [SIZES[c] for c in letters]
        if n_ell and draw(st.booleans()):
            covered = draw(st.integers(0, n_ell))
            ell_dims, ell_sizes = [], []
            for k in range(n_ell - covered, n_ell):
                if draw(st.integers(0, 4)) == 0:        # a size-1 axis broadcasts
                    ell_dims.append(1), ell_sizes.append(1)
                else:
                    ell_dims.append(f"e{k}" if ell_named else ELLIPSIS_SIZES[k])
                    ell_sizes.append(ELLIPSIS_SIZES[k])
            at = draw(st.integers(0, len(letters)))
            term = term[:at] + "..." + term[at:]
            shape = shape[:at] + ell_dims + shape[at:]
            size = size[:at] + ell_sizes + size[at:]
        terms.append(term), shapes.append(tuple(shape)), sizes.append(tuple(size))
    has_ellipsis = any("..." in t for t in terms)
    subscripts = ",".join(terms)
    if draw(st.booleans()):  # explicit output: any subset of the letters, in any order
        used = sorted(set("".join(terms).replace("...", "")))
        out = draw(st.permutations(used))[: draw(st.integers(0, len(used)))]
        out = "".join(out)
        if has_ellipsis:
            at = draw(st.integers(0, len(out)))
            out = out[:at] + "..." + out[at:]
        subscripts += "->" + out
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    operands, arrays, values, by_shape = [], [], {}, {}
    for i, (shape, size) in enumerate(zip(shapes, sizes)):
        if shape in by_shape and draw(st.booleans()):   # the same tensor as a second operand
            t = by_shape[shape]
        else:
            t = ic.Tensor(f"T{i}", shape)
            values[t.name] = rng.standard_normal(size)
            by_shape.setdefault(shape, t)
        operands.append(t)
        arrays.append(values[t.name])
    return subscripts, operands, values, arrays


@given(einsum_cases())
def test_random_einsum_equals_numpy(case):
    subscripts, operands, values, arrays = case
    want = np.einsum(subscripts, *arrays)
    expr = ic.einsum(subscripts, *operands)
    got = expr.evaluate(**values)
    assert got.shape == want.shape, subscripts
    assert expr.ndim == want.ndim, subscripts
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=subscripts)


@given(einsum_cases())
def test_compiled_einsum_matches_evaluate_and_plans_once(case):
    subscripts, operands, values, arrays = case
    f = ic.compile(ic.einsum(subscripts, *operands))
    first = f(**values)
    plans = dict(f._plans)
    second = f(**values)
    assert f._plans == plans and len(plans) == 1
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, np.einsum(subscripts, *arrays), rtol=1e-10, atol=1e-10)


# Hand-picked cases the generator reaches rarely; each row is (subscripts, operand shapes).
TABLE = [
    ("ii", [(3, 3)]),                       # trace, implicit
    ("ii->i", [(3, 3)]),                    # diagonal
    ("iii->", [(2, 2, 2)]),                 # trace of an order-3 tensor
    ("iij->ji", [(3, 3, 4)]),               # partial diagonal, transposed
    ("ij,ij->", [(3, 4), (3, 4)]),          # Frobenius inner product
    ("i,i->i", [(3,), (1,)]),               # a size-1 letter broadcasts, as in NumPy
    ("ba", [(3, 4)]),                       # implicit output sorts letters: a transpose
    ("Ba,aC", [(3, 4), (4, 2)]),            # uppercase sorts before lowercase
    ("...", [(2, 3)]),                      # identity through an ellipsis
    ("...ii->...i", [(2, 3, 3)]),           # batched diagonal
    ("i...->...", [(4, 2, 3)]),             # sum the leading axis
    ("...i,...i->...", [(2, 3, 4), (3, 4)]),  # broadcast batch dot
    ("ij,jk,kl,lm->im", [(2, 3), (3, 4), (4, 5), (5, 6)]),  # a chain the planner reorders
    ("i,j,k->ijk", [(2,), (3,), (4,)]),     # outer product of three
    ("", [()]),                             # a scalar
    (",->", [(), ()]),                      # product of two scalars
    ("i->", [(0,)]),                        # an empty axis sums to zero
]


@pytest.mark.parametrize("subscripts,shapes", TABLE, ids=[s or "scalar" for s, _ in TABLE])
def test_einsum_table(subscripts, shapes):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in shapes]
    operands = [ic.Tensor(f"A{i}", s) for i, s in enumerate(shapes)]
    got = ic.einsum(subscripts, *operands).evaluate(**{f"A{i}": a for i, a in enumerate(arrays)})
    want = np.einsum(subscripts, *arrays)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_einsum_accepts_arrays_and_numbers_as_operands():
    x = ic.Tensor("x", 3)  # an array's axes are int dimensions
    e = ic.einsum("ij,j,->i", np.arange(6.0).reshape(2, 3), x, 2.0)
    assert e.shape == (2,)
    np.testing.assert_allclose(e.evaluate(x=np.ones(3)), 2 * np.arange(6.0).reshape(2, 3).sum(1))


def test_einsum_labels_are_local():
    A, B = ic.tensors("A[n,m] B[m,k]")
    # the same product written with other letters is the same node (letters never leak out)
    assert ic.einsum("ij,jk->ik", A, B) is ic.einsum("xy,yz->xz", A, B)
    assert ic.einsum("ij,jk->ik", A, B) is A @ B
