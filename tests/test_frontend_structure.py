"""Reshaping, indexing, stacking, masks: values against NumPy, derivatives against differences."""

from __future__ import annotations

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.core.nodes import Delta, Index, Scatter
from indexcalc.frontend.shaping import kron_name, vec_source
from indexcalc.core.graph_walk import postorder

from _structure_util import assert_derivatives

RNG = np.random.default_rng(7)
X3 = ic.Tensor("x", (4, 5, 3))
X3V = RNG.normal(size=(4, 5, 3))

INDEXES = [  # a table of basic indexes, each checked against NumPy and differentiated
    1, -1, slice(1, 3), slice(None, None, -1), slice(None, None, 2), slice(3, 0, -2),
    None, (Ellipsis, 1), (slice(None), None, slice(2, None)), (1, Ellipsis, slice(None, None, -1)),
    (slice(-3, None), 4), (slice(None), slice(None), None, 0), slice(2, 2), (2, -2, 1),
    (None, Ellipsis, None), (slice(None, None, -3), slice(1, 5, 3), slice(5, None)),
]


@pytest.mark.parametrize("idx", INDEXES, ids=repr)
def test_indexing_matches_numpy(idx):
    expected = X3V[idx]
    e = X3[idx]
    assert e.shape == expected.shape
    np.testing.assert_array_equal(e.evaluate(x=X3V), expected)


@pytest.mark.parametrize("idx", INDEXES, ids=repr)
def test_indexing_derivatives(idx):
    assert_derivatives(ic.sin(X3)[idx] * 1.5, X3, {"x": X3V})


def test_index_of_product_moves_inside():
    A, B = ic.tensors("A[2,3] B[3,4]")
    e = (A @ B)[1, ::-1]
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4))
    np.testing.assert_allclose(e.evaluate(A=a, B=b), (a @ b)[1, ::-1])
    assert isinstance(e, ic.Expr) and not isinstance(e, Index)  # A[1] B[:, ::-1], a product


def test_named_dimensions_in_indexing():
    xs = ic.Tensor("xs", ("T", "n"))
    v = RNG.normal(size=(6, 3))
    table = [(xs[2], ("n",)), (xs[-1], ("n",)), (xs[1:4], (3, "n")), (xs[:2], (2, "n")),
             (xs[::-1], ("T", "n")), (xs[0:5:2, None], (3, 1, "n")), (xs[:, 1], ("T",))]
    for e, shape in table:
        assert e.shape == shape
    for (e, _), idx in zip(table, [2, -1, slice(1, 4), slice(None, 2), slice(None, None, -1),
                                   (slice(0, 5, 2), None), (slice(None), 1)]):
        np.testing.assert_array_equal(e.evaluate(xs=v), v[idx])
    with pytest.raises(ic.ShapeError, match="int dimension"):
        xs[1:]
    with pytest.raises(ic.ShapeError, match="int dimension"):
        xs[::2]
    with pytest.raises(ic.BindingError, match="size 6"):
        xs[6].evaluate(xs=v)
    with pytest.raises(ic.BindingError, match="at least 7"):
        xs[:7].evaluate(xs=v)
    with pytest.raises(ic.BindingError, match="at least 7"):
        ic.grad(ic.sum(ic.sin(xs[-7])), xs).evaluate(xs=v)


@pytest.mark.parametrize("bad, err, match", [
    ([0, 1], ic.IndexcalcError, "Fancy indexing"),
    (np.array([0, 1]), ic.IndexcalcError, "Fancy indexing"),
    (True, ic.IndexcalcError, "Fancy indexing"),
    (1.0, ic.IndexcalcError, "Fancy indexing"),
    ((0, [1]), ic.IndexcalcError, "Fancy indexing"),
    (4, ic.ShapeError, "out of bounds for axis 0 with size 4"),
    ((0, -6), ic.ShapeError, "out of bounds for axis 1 with size 5"),
    ((0, 0, 0, 0), ic.ShapeError, "too many indices"),
    (slice(None, None, 0), ic.ShapeError, "step cannot be zero"),
    ((Ellipsis, Ellipsis), ic.IndexcalcError, "single ellipsis"),
    (slice(1.5, None), ic.IndexcalcError, "slice start"),
])
def test_indexing_errors(bad, err, match):
    with pytest.raises(err, match=match):
        X3[bad]


# --------------------------------------------------------------------------- reshape, vec

@pytest.mark.parametrize("shape", [(-1,), (6, -1), ((4, 15),), (2, 2, 15), (3, -1, 4), ((60,),),
                                   (5, 12)])
def test_reshape_matches_numpy(shape):
    e = X3.reshape(*shape)
    np.testing.assert_array_equal(e.evaluate(x=X3V), X3V.reshape(*shape))
    assert_derivatives(ic.sin(X3).reshape(*shape), X3, {"x": X3V})


def test_reshape_named_dimensions():
    X = ic.Tensor("X", "n d")
    v = RNG.normal(size=(3, 4))
    assert X.reshape(-1).shape == ("n*d",)
    assert X.reshape("d*n").shape == ("d*n",)
    assert X.reshape(-1, "d").shape == ("n", "d")
    assert X.reshape("n*d", 1).shape == ("n*d", 1)
    flat = X.reshape(-1)
    np.testing.assert_array_equal(flat.evaluate(X=v), v.reshape(-1))
    np.testing.assert_array_equal(flat.reshape("n", "d").evaluate(X=v), v)
    with pytest.raises(ic.ShapeError, match="cannot reshape"):
        X.reshape("n", "n")
    with pytest.raises(ic.ShapeError, match="cannot infer"):
        X.reshape(-1, "m")


@pytest.mark.parametrize("order, np_order", [("col", "F"), ("row", "C")])
def test_vec_unvec_round_trips(order, np_order):
    X = ic.Tensor("X", "m n")
    v = RNG.normal(size=(3, 4))
    x = ic.vec(X, order)
    assert x.shape == ("m*n",)
    np.testing.assert_array_equal(x.evaluate(X=v), v.flatten(order=np_order))
    back = ic.unvec(x, ("m", "n"), order)
    assert back.shape == ("m", "n")
    np.testing.assert_array_equal(back.evaluate(X=v), v)
    y = ic.Tensor("y", 12)
    w = RNG.normal(size=12)
    np.testing.assert_array_equal(ic.unvec(y, (3, 4), order).evaluate(y=w),
                                  w.reshape((3, 4), order=np_order))
    np.testing.assert_array_equal(ic.vec(ic.unvec(y, (3, 4), order), order).evaluate(y=w), w)
    Y = ic.Tensor("Y", (3, 4))
    assert_derivatives(ic.vec(ic.sin(Y) @ ic.Constant(RNG.normal(size=(4, 2))), order),
                       Y, {"Y": v})


def test_vec_errors():
    with pytest.raises(ic.IndexcalcError, match="'col'"):
        ic.vec(ic.Tensor("X", "m n"), order="F")
    with pytest.raises(ic.ShapeError, match="needs a vector"):
        ic.unvec(ic.Tensor("X", "m n"), (2, 3))


# --------------------------------------------------------------------------- stack, concatenate

A2, B2 = ic.Tensor("a", (2, 3)), ic.Tensor("b", (4, 3))
AV, BV = RNG.normal(size=(2, 3)), RNG.normal(size=(4, 3))


@pytest.mark.parametrize("axis", [0, 1, -1, -2])
def test_stack_matches_numpy(axis):
    parts = [A2, 2 * A2, ic.sin(A2)]
    e = ic.stack(parts, axis)
    expected = np.stack([AV, 2 * AV, np.sin(AV)], axis)
    assert e.shape == expected.shape
    np.testing.assert_allclose(e.evaluate(a=AV), expected)
    assert_derivatives(e, A2, {"a": AV})


@pytest.mark.parametrize("axis", [0, -2])
def test_concatenate_matches_numpy(axis):
    e = ic.concatenate([A2, ic.tanh(B2), A2 * 3], axis)
    expected = np.concatenate([AV, np.tanh(BV), AV * 3], axis)
    np.testing.assert_allclose(e.evaluate(a=AV, b=BV), expected)
    assert_derivatives(e, A2, {"a": AV, "b": BV})
    assert_derivatives(ic.sin(e), B2, {"a": AV, "b": BV})


def test_concatenate_named_and_errors():
    u = ic.Tensor("u", ("k", "n"))
    e = ic.concatenate([u, ic.exp(u)], axis=1)
    assert e.shape == ("k", "2*n")
    uv = RNG.normal(size=(2, 3))
    np.testing.assert_allclose(e.evaluate(u=uv), np.concatenate([uv, np.exp(uv)], 1))
    assert_derivatives(ic.sin(e), u, {"u": uv})
    with pytest.raises(ic.ShapeError, match="named dimensions"):
        ic.concatenate([u, ic.Tensor("w", ("k", "m"))], axis=1)
    with pytest.raises(ic.ShapeError, match="axis 1 has dimension 3"):
        ic.concatenate([A2, ic.Tensor("c", (2, 4))], axis=0)
    with pytest.raises(ic.ShapeError, match="one shape"):
        ic.stack([A2, B2])
    with pytest.raises(ic.IndexcalcError, match="non-empty"):
        ic.stack([])
    with pytest.raises(ic.ShapeError, match="out of bounds"):
        ic.concatenate([A2, A2], axis=2)


# --------------------------------------------------------------------------- masks

@pytest.mark.parametrize("k", [-1, 0, 1, 2])
@pytest.mark.parametrize("shape", [(3, 4), (2, 4, 3)])
def test_tril_triu_match_numpy(k, shape):
    X = ic.Tensor("X", shape)
    v = RNG.normal(size=shape)
    for ours, theirs in [(ic.tril, np.tril), (ic.triu, np.triu)]:
        np.testing.assert_array_equal(ours(X, k).evaluate(X=v), theirs(v, k))
        assert_derivatives(ours(ic.sin(X), k), X, {"X": v})


def test_tril_named_dimensions():
    S = ic.Tensor("S", "n n")
    v = RNG.normal(size=(5, 5))
    np.testing.assert_array_equal(ic.triu(S, 1).evaluate(S=v), np.triu(v, 1))
    with pytest.raises(ic.ShapeError, match="at least 2 axes"):
        ic.tril(ic.Tensor("v", 3))


def test_where_matches_numpy():
    a, b = ic.Tensor("a", (2, 3)), ic.Tensor("b", 3)
    av, bv = RNG.normal(size=(2, 3)), RNG.normal(size=3)
    mask = np.array([[True, False, True], [False, False, True]])
    e = ic.where(mask, ic.sin(a), b * b)
    np.testing.assert_allclose(e.evaluate(a=av, b=bv), np.where(mask, np.sin(av), bv * bv))
    assert_derivatives(e, a, {"a": av, "b": bv})
    assert_derivatives(e, b, {"a": av, "b": bv})
    col = np.array([[True], [False]])
    np.testing.assert_allclose(ic.where(col, a, 0.0).evaluate(a=av), np.where(col, av, 0.0))
    with pytest.raises(ic.IndexcalcError, match="must be a constant"):
        ic.where(a, a, b)
    with pytest.raises(ic.IndexcalcError, match="booleans"):
        ic.where(np.array([0.5, 1.0, 0.0]), b, b)


# ------------------------------------------------------------------------ structure of derivatives

def _dense_constants(e: ic.Expr) -> list:
    return [n for n in postorder([e]) if isinstance(n, ic.Constant) and np.ndim(n.value) > 0]


def test_slice_derivative_is_a_selection_not_a_dense_matrix():
    x = ic.Tensor("x", (6, "n"))
    D = ic.diff(x[1:5:2], x)
    assert D.shape == (2, "n", 6, "n")
    assert not _dense_constants(D)
    assert any(isinstance(n, Index) and isinstance(n.arg, Delta) for n in postorder([D]))
    g = ic.grad(ic.sum(ic.sin(x[2])), x)
    assert isinstance(g.arg, Scatter) and not _dense_constants(g)
    xv = RNG.normal(size=(6, 3))
    expected = np.zeros((6, 3))
    expected[2] = np.cos(xv[2])
    np.testing.assert_allclose(g.evaluate(x=xv), expected)


def _vec_jacobian(D: np.ndarray, out_ndim: int, order: str) -> np.ndarray:
    o = "F" if order == "col" else "C"
    f, x = D.shape[:out_ndim], D.shape[out_ndim:]
    J = D.reshape((int(np.prod(f)),) + x, order=o) if out_ndim else D.reshape((1,) + x)
    return J.reshape((J.shape[0], -1), order=o)


def _commutation(m: int, n: int) -> np.ndarray:
    K = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            K[i * n + j, j * m + i] = 1.0  # vec(Aᵀ)[i n + j] = A[i, j] = vec(A)[j m + i]
    return K


@pytest.mark.parametrize("order", ["col", "row"])
def test_vec_identity_and_commutation(order):
    X = ic.Tensor("X", (3, 4))
    sizes = {}
    table = [(ic.vec(X, order), 1), (ic.vec(X.T, order), 1), (X, 2), (X.T, 2)]
    for f, out_ndim in table:
        D = ic.diff(f, X)
        assert not _dense_constants(D)
        J = _vec_jacobian(D.evaluate(**sizes), out_ndim, order)
        name = kron_name(D, 2, order)
        for layout, M in [("numerator", J), ("denominator", J.T)]:
            name = kron_name(D, 2, order, layout)
            if np.array_equal(M, np.eye(12)):
                assert name == "I_{12}"
            else:
                m, n = name[3:-1].split(",")
                assert np.array_equal(M, _commutation(int(m), int(n)))
    X = ic.Tensor("X", "m n")
    assert kron_name(ic.diff(ic.vec(X, order), X), 2, order) == "I_{m*n}"
    assert kron_name(ic.diff(ic.vec(X.T), X), 2, "col") == "K_{m,n}"
    assert kron_name(ic.diff(ic.vec(X.T, "row"), X), 2, "row") == "K_{n,m}"
    assert kron_name(ic.diff(ic.sin(X), X), 2) is None


@pytest.mark.parametrize("order", ["col", "row"])
def test_vec_source_keeps_the_vec_jacobian(order):
    A, X, B = ic.tensors("A[2,3] X[3,4] B[4,5]")
    vals = {k: RNG.normal(size=s) for k, s in [("A", (2, 3)), ("X", (3, 4)), ("B", (4, 5))]}
    D = ic.diff(ic.vec(A @ X @ B, order), X)
    H = vec_source(D, 2, order)
    assert H.shape == (2, 5, 3, 4)
    J = _vec_jacobian(D.evaluate(**vals), 1, order)
    np.testing.assert_allclose(_vec_jacobian(H.evaluate(**vals), 2, order), J)
    if order == "col":  # vec(A X B) = (Bᵀ ⊗ A) vec(X)
        np.testing.assert_allclose(J, np.kron(vals["B"].T, vals["A"]))
    assert vec_source(ic.diff(A @ X @ B, X), 2) is None


# --------------------------------------------------------------------------- properties

from hypothesis import given, strategies as st  # noqa: E402


def _items(draw, dims):
    """Index items for these axes, in order, with new axes (None) mixed in."""
    items = []
    for d in dims:
        while draw(st.integers(0, 4)) == 0:
            items.append(None)
        kind = draw(st.sampled_from(["int", "slice"]))
        if kind == "int":
            items.append(draw(st.integers(-d, d - 1)))
        else:
            bound = st.none() | st.integers(-d - 2, d + 2)
            step = draw(st.none() | st.sampled_from([1, 2, -1, -2, 3]))
            items.append(slice(draw(bound), draw(bound), step))
    return items


@st.composite
def _basic_index(draw):
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    head = draw(st.integers(0, len(shape)))
    tail = draw(st.integers(0, len(shape) - head)) if draw(st.booleans()) else None
    items = _items(draw, shape[:head])
    if tail is not None:  # head axes, an ellipsis, then the last `tail` axes
        items += [Ellipsis] + _items(draw, shape[len(shape) - tail:])
    return shape, tuple(items)


@given(_basic_index(), st.integers(0, 2**31 - 1))
def test_random_basic_indexes(case, seed):
    shape, idx = case
    rng = np.random.default_rng(seed)
    v = rng.normal(size=shape)
    x = ic.Tensor("x", shape)
    e = ic.sin(x)[idx]
    assert e.shape == np.sin(v)[idx].shape
    np.testing.assert_allclose(e.evaluate(x=v), np.sin(v)[idx])
    # adjoint test: ⟨c, J u⟩ from the forward rule equals ⟨Jᵀ c, u⟩ from the reverse rule
    u, c = rng.normal(size=shape), rng.normal(size=e.shape)
    t, ct = ic.Tensor("t", shape), ic.Tensor("ct", e.shape)
    Ju = ic.jvp(e, x, t).evaluate(x=v, t=u)
    Jc = ic.vjp(e, x, ct).evaluate(x=v, ct=c)
    np.testing.assert_allclose(np.sum(c * Ju), np.sum(Jc * u), atol=1e-10)
    np.testing.assert_allclose(Ju, (np.cos(v) * u)[idx], atol=1e-12)


def test_new_nodes_pickle_to_themselves():
    import pickle

    X = ic.Tensor("X", (3, 4))
    for e in [X[1:, ::-2], ic.grad(ic.sum(X[0] ** 2), X), ic.stack([X, X]), ic.tril(X, 1)]:
        assert pickle.loads(pickle.dumps(e)) is e


def test_index_keeps_size_multipliers_of_products():
    # regression: in Σ_k x[i,n] (k of dimension m, in no factor) the sum multiplies by m; the
    # indexed product must keep that (and algebra.product must count a broadcast label of an
    # inlined product that the outer product sums: sum(ones(3)) was 1)
    from indexcalc.core.algebra import full, product

    x, m = ic.Tensor("x", (4, "n")), ic.Tensor("m", "m")
    p = product([(x, ("i", "n")), (full(("m",)), ("k",))], ("i", "n"), {"i": 4, "n": "n", "k": "m"})
    xv, mv = RNG.normal(size=(4, 3)), RNG.normal(size=5)
    e = p[2] * ic.sum(ic.exp(m))
    np.testing.assert_allclose(e.evaluate(x=xv, m=mv), 5 * xv[2] * np.exp(mv).sum())
    np.testing.assert_allclose(ic.sum(full((3,))).evaluate(), 3.0)


def test_tril_triu_with_an_offset_past_any_int():
    # red3: tril(X, 10**20) raised OverflowError at evaluation (np.tri takes a C long); an
    # offset past either side keeps all or nothing. Reference: NumPy with the offset clamped.
    X = ic.Tensor("X", (3, 4))
    v = np.arange(12.0).reshape(3, 4) + 1
    for k in (10**20, -10**20, 2**63, -(2**63)):
        clamped = max(-9, min(k, 9))
        np.testing.assert_array_equal(ic.tril(X, k).evaluate(X=v), np.tril(v, clamped))
        np.testing.assert_array_equal(ic.triu(X, k).evaluate(X=v), np.triu(v, clamped))
