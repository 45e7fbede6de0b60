"""``ic.simplify``: raw graphs reach normal form with their value unchanged, and the normal
form does not depend on factor order or label names."""

from __future__ import annotations

import numpy as np
from _fd import assert_close, values_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import indexcalc as ic
from indexcalc.core.nodes import Apply, Constant, Delta, Product, Sum, is_zero, zero
from indexcalc.core.graph_walk import postorder, transform

SIZES = {"a": 2, "b": 3, "c": 4}
A, B, x, y = ic.tensors("A[a,b] B[b,c] x[b] y[c]")
rng = np.random.default_rng(5)
VALUES = {"A": rng.normal(size=(2, 3)), "B": rng.normal(size=(3, 4)), "x": rng.normal(size=3),
          "y": rng.normal(size=4), **SIZES}


def is_normal(e: ic.Expr) -> bool:
    """No nested product, no delta on a summed label, no scalar constant or trivial sum inside
    a product, no nested or repeated term or zero coefficient in a sum."""
    for node in postorder([e]):
        if isinstance(node, Product):
            for f, ls in node.factors:
                if isinstance(f, Product) or (isinstance(f, Constant) and f.value.ndim == 0):
                    return False
                if isinstance(f, Sum) and len(f.terms) <= 1:
                    return False
                if isinstance(f, Delta) and not set(ls) <= set(node.out):
                    return False
        if isinstance(node, Sum):
            terms = [t for _, t in node.terms]
            if any(isinstance(t, Sum) for t in terms) or len(set(terms)) != len(terms):
                return False
            if any(c == 0.0 for c, _ in node.terms):
                return False
    return True


def raw(coef, factors, out, dims) -> Product:
    """A product node built directly, bypassing the simplifying constructor."""
    return Product(coef, tuple((f, tuple(ls)) for f, ls in factors), tuple(out), dims)


# Each row: a raw graph (value to keep, normal form to reach).
Ab = raw(1.0, [(A, "ij"), (Delta("b", 2), "jk")], "ik", {"i": "a", "j": "b", "k": "b"})
RAW = {
    "delta on a summed label": Ab,
    "nested products": raw(2.0, [(raw(3.0, [(A, "ij"), (B, "jk")], "ik",
                                       {"i": "a", "j": "b", "k": "c"}), "pq"), (y, "q")], "p",
                           {"p": "a", "q": "c"}),
    "trace of a delta": raw(1.0, [(Delta("b", 2), "ii"), (x, "j")], "j", {"i": "b", "j": "b"}),
    "order-3 delta chain": raw(1.0, [(Delta("b", 3), "ijk"), (x, "i"), (Delta("b", 2), "kl")],
                               "jl", {"i": "b", "j": "b", "k": "b", "l": "b"}),
    "scalar constant factor": raw(1.0, [(Constant(2.5), ""), (A, "ij")], "ij",
                                  {"i": "a", "j": "b"}),
    "zero factor": raw(1.0, [(zero(("b",)), "j"), (A, "ij")], "i", {"i": "a", "j": "b"}),
    "one-term sum factor": raw(1.0, [(Sum(((3.0, A),), ("a", "b")), "ij"), (x, "j")], "i",
                               {"i": "a", "j": "b"}),
    "like terms": Sum(((1.0, Ab), (2.0, A), (-0.5, raw(1.0, [(A, "ij")], "ij",
                                                       {"i": "a", "j": "b"}))), ("a", "b")),
    "cancelling terms": Sum(((1.0, Ab), (-1.0, A)), ("a", "b")),
    "nested sums": Sum(((2.0, Sum(((1.0, x), (1.0, raw(1.0, [(x, "i")], "i", {"i": "b"}))),
                                  ("b",))), (1.0, x)), ("b",)),
    "delta with labels out of output order": raw(1.0, [(Delta("b", 3), "kji"), (x, "k")], "ijk",
                                                 {"i": "b", "j": "b", "k": "b"}),
    "summed label in no factor": raw(1.0, [(A, "ij")], "ij", {"i": "a", "j": "b", "k": "c"}),
    "inside a function": ic.tanh(raw(1.0, [(Ab, "ij"), (Delta("b", 2), "jk"), (x, "k")], "i",
                                     {"i": "a", "j": "b", "k": "b"})),
    "inside a softmax and a name": ic.softmax(ic.named(raw(1.0, [(Ab, "ij"), (B, "jk")], "ik",
                                                           {"i": "a", "j": "b", "k": "c"}), "z")),
}


def test_raw_graphs_reach_normal_form_with_their_value():
    for name, e in RAW.items():
        s = ic.simplify(e)
        assert s.shape == e.shape, name
        assert is_normal(s), name
        assert_close(values_of(s, **VALUES), values_of(e, **VALUES), rtol=1e-12, what=name)
        assert ic.simplify(s) is s, f"{name}: simplify is not idempotent"


def test_specific_normal_forms():
    assert ic.eye("b").T is Delta("b", 2)
    assert ic.simplify(Ab) is A
    assert is_zero(ic.simplify(RAW["zero factor"]))
    assert is_zero(ic.simplify(RAW["cancelling terms"]))
    trace = ic.simplify(RAW["trace of a delta"])  # δ_ii x_j = 3 x_j
    assert_close(values_of(trace, **VALUES), 3 * VALUES["x"])
    like = ic.simplify(RAW["like terms"])  # A + 2A − 0.5A
    assert like.terms == ((2.5, A),)


def test_front_end_and_derivatives_are_already_normal():
    f = 0.5 * ic.sum((A @ B @ y - ic.tanh(A @ x)) ** 2)
    for e in (f, ic.grad(f, A), ic.diff(A @ B, B), ic.hessian(f, x)):
        assert is_normal(e)
        assert ic.simplify(e) is e


def test_simplify_after_a_transformation():
    """Substitute x := Σ_k B y δ by raw node rebuilding, then simplify: value and normal form."""
    f = ic.tanh(A @ x) @ (A @ x)
    z = raw(1.0, [(B, "jk"), (y, "k"), (Delta("b", 2), "jl")], "l",
            {"j": "b", "k": "c", "l": "b"})

    def substitute(node, done):
        if node is x:
            return z
        if isinstance(node, Product):
            return Product(node.coef, tuple((done(g), ls) for g, ls in node.factors), node.out,
                           node.dims)
        if isinstance(node, Apply):
            return Apply(node.fn, done(node.arg), node.param)
        return node

    g = transform(f, substitute)
    s = ic.simplify(g)
    assert is_normal(s) and not is_normal(g)
    expected = values_of(ic.tanh(A @ (B @ y)) @ (A @ (B @ y)), **VALUES)
    assert_close(values_of(s, **VALUES), expected, rtol=1e-12)


# --------------------------------------------------------------------------- confluence

LETTERS = "pqrstuvw"
OPERANDS = [(A, "ab"), (B, "bc"), (x, "b"), (y, "c"), (Delta("b", 2), "bb"), (Delta("c", 3), "ccc")]


@st.composite
def raw_products(draw):
    """A raw product with labels as letters, and the same product with factors shuffled and
    labels renamed."""
    chosen = draw(st.lists(st.sampled_from(OPERANDS), min_size=1, max_size=5))
    by_dim: dict[str, list[str]] = {}
    factors = []
    letters = iter(LETTERS * 3)
    counter = 0
    for f, dims in chosen:
        ls = []
        for d in dims:
            pool = by_dim.setdefault(d, [])
            if pool and draw(st.booleans()):
                ls.append(draw(st.sampled_from(pool)))
            else:
                counter += 1
                label = f"{next(letters)}{counter}"
                pool.append(label)
                ls.append(label)
        factors.append((f, tuple(ls)))
    dims = {l: d for d, ls in by_dim.items() for l in ls}
    out = draw(st.lists(st.sampled_from(sorted(dims)), unique=True, max_size=3))
    coef = draw(st.sampled_from([1.0, -2.0, 0.5]))
    order = draw(st.permutations(range(len(factors))))
    rename = dict(zip(sorted(dims), draw(st.permutations([f"z{i}" for i in range(len(dims))]))))
    shuffled = [(factors[i][0], tuple(rename[l] for l in factors[i][1])) for i in order]
    first = raw(coef, factors, out, dims)
    second = raw(coef, shuffled, [rename[l] for l in out], {rename[l]: d for l, d in dims.items()})
    return first, second


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_products())
def test_confluence_factor_order_and_label_names(pair):
    first, second = pair
    s1, s2 = ic.simplify(first), ic.simplify(second)
    assert is_normal(s1) and is_normal(s2)
    v1, v2 = values_of(s1, **VALUES), values_of(s2, **VALUES)
    assert_close(v1, values_of(first, **VALUES), rtol=1e-12)
    assert_close(v1, v2, rtol=1e-12)
