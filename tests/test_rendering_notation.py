"""Index notation (str) and LaTeX: readable, scoped, deterministic, deep graphs, well-formed TeX."""

import re
import sys
from collections import Counter

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.core.nodes import Product, Shared
from indexcalc.rendering.index_notation import render

from _latex import assert_well_formed

X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
A, B = ic.tensors("A[3,3] B[3,3]")
x3 = ic.Tensor("x", 3)
e, h0, W_hx, W_hh = ic.tensors("e[ni] h0[nh] W_hx[ni,nh] W_hh[nh,nh]")

# (expression, its index notation): one row per construct
NOTATION = [
    (X @ W, "Σ_d X[n,d] W[d,h]"),
    (X @ W @ v - y, "Σ_d,h X[n,d] W[d,h] v[h] - y[n]"),
    # regression: the inner sum used to reuse d,h, the free indices of the gradient
    (ic.grad(0.5 * ic.sum((X @ W @ v - y) ** 2), W),
     "Σ_n X[n,d] v[h] (Σ_d',h' X[n,d'] W[d',h'] v[h'] - y[n])"),
    (ic.diff(X @ W, W), "n,h,d,h' ↦ X[n,d] δ[h,h']"),  # its axes' order, said
    (ic.diff(x3 @ A @ x3, x3), "Σ_j x[j] (A[i,j] + A[j,i])"),  # x taken out: (A + Aᵀ) x
    (ic.hessian(x3 @ A @ x3, x3), "A[i,j] + A[j,i]"),
    (ic.sigmoid(W @ v), "σ(Σ_h W[d,h] v[h])"),
    (ic.diff(ic.sigmoid(v), v), "σ'(v[h]) δ[h,h']"),
    (ic.diff(ic.tanh(v).named("t"), v), "(1 - t[h] t[h]) δ[h,h']"),
    (ic.softplus(v) + ic.relu(v), "softplus(v[h]) + relu(v[h])"),
    (2 * v ** 3, "2 v[h]^3"),
    ((v + v * v) ** 2, "(v[h] + v[h] v[h])^2"),
    (ic.softmax(A), "softmax_j(A[i,j])"),
    (ic.logsumexp(A, axis=0), "logsumexp_j(A[j,i])"),
    (ic.inv(A) @ x3, "Σ_j A⁻¹[i,j] x[j]"),
    (ic.det(A @ B), "det(i,j ↦ Σ_k A[i,k] B[k,j])"),
    (ic.logdet(A), "log|det(A)|"),
    (ic.trace(A @ B), "Σ_i,j A[i,j] B[j,i]"),
    (ic.diag(x3), "x[i] δ[i,j]"),
    # an index nothing in the text sizes declares its size where it is bound (it reads back)
    (ic.delta("n", 3), "n∈[n],n',n'' ↦ δ[n,n',n'']"),
    (ic.eye(3), "i∈[3],j ↦ δ[i,j]"),
    (ic.Constant(np.ones(3)), "i∈[3] ↦ 1[i]"),
    (ic.Constant([1.0, 2.0, 3.0]) * x3, "[1.0,2.0,3.0][i] x[i]"),
    (ic.outer(v, v), "v[h] v[h']"),
    (-(x3 * ic.sum(x3)), "-Σ_j x[i] x[j]"),
    (x3 - 2 * (x3 + A @ x3), "-x[i] - 2 Σ_j A[i,j] x[j]"),
    (ic.kron(A, B), "reshape(k,l,m,p ↦ A[k,m] B[l,p], (9,9))[i,j]"),
    (ic.Tensor("s", ()) * ic.Constant(np.ones(4)), "i∈[4] ↦ s 1[i]"),  # broadcast: the axis
    (Shared(X @ W) @ v, "Σ_h (Σ_d X[n,d] W[d,h]) v[h]"),  # Shared prints as its argument
    (ic.diff(ic.tanh(W_hx.T @ e + W_hh.T @ h0).named("h"), W_hx), "(1 - h[nh] h[nh]) e[ni] δ[nh,nh']"),
]


@pytest.mark.parametrize("expr, text", NOTATION, ids=[t for _, t in NOTATION])
def test_index_notation(expr, text):
    assert str(expr) == text


def test_size_of_an_unused_summed_index():
    p = Product(1.0, ((v, (0,)),), (0,), {0: "h", 1: "n"})
    assert str(p) == "v[h] n"  # the size of n, not a sum over it
    assert ic.to_latex(p) == r"v_{h} n"


def _bound(text):
    """The indices bound by each Σ of a one-line rendering."""
    return [tuple(s.split(",")) for s in re.findall(r"Σ_([^ ]+) ", text)]


def test_bound_indices_never_shadow_enclosing_ones():
    # every Σ inside the arguments of σ' binds indices distinct from the gradient's free ones
    g = ic.hessian(ic.sum(ic.softplus(X @ W @ v)), v)
    text = str(g)
    assert text.startswith("Σ_n,d,d' ")
    inner = text[text.index("σ'("):]
    for names in _bound(inner):
        assert not set(names) & {"h", "h'", "n", "d", "d'"}


def test_deterministic():
    def build():
        X2, W2, v2, y2 = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
        return str(ic.grad(ic.sum(ic.log(ic.sigmoid(X2 @ W2 @ v2)) * y2), W2))
    assert build() == build()


def _rnn_chain(depth):
    M, u = ic.tensors("M[h,h] u[h]")
    z = u
    for _ in range(depth):
        z = ic.tanh(M @ z + u)
    return z


def test_thousand_level_chain_renders_without_recursion():
    z = _rnn_chain(1000)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(150)  # a recursive printer would fail here
    try:
        text = str(z)
        latex = ic.to_latex(z)
    finally:
        sys.setrecursionlimit(limit)
    assert text.count("tanh(") == 1000 and len(text) < 60 * 1000
    assert latex.count("{") == latex.count("}")


def test_deep_nest_names_its_indices_in_linear_work(monkeypatch):
    # Σ_h_3 … Σ_h_4000 nested: picking each name by rescanning h_3, h_4, … from the start made
    # str quadratic (4 s at depth 4,000, 16 s at 8,000); count the name look-ups instead of seconds
    import indexcalc.rendering.index_rules as rules

    probes = [0]

    class CountingScope(Counter):
        def __contains__(self, key):
            probes[0] += 1
            return super().__contains__(key)

    monkeypatch.setattr(rules, "Counter", CountingScope)
    per_level = {}
    for depth in (200, 800):
        probes[0] = 0
        text = str(_rnn_chain(depth))
        assert f"h_{depth}" in text  # the nest really binds one name per level
        per_level[depth] = probes[0] / depth
    assert per_level[800] < 1.2 * per_level[200] + 1, per_level  # quadratic: ×4


def test_shared_subexpressions_are_written_once():
    # z_t = tanh(z_{t-1} ∘ z_{t-1}) inlined would double at each level; a where clause keeps it linear
    u = ic.Tensor("u", "h")

    def text(depth):
        z = u
        for _ in range(depth):
            z = ic.tanh(z * z + ic.sin(z))
        return str(z)
    short, long = text(50), text(100)
    assert "\nwhere\n" in long
    assert len(long) < 2.5 * len(short)
    assert re.search(r"^  z\d+\[h\] = ", long, re.M)


@pytest.mark.parametrize("expr, text", NOTATION, ids=[t for _, t in NOTATION])
def test_latex_well_formed(expr, text):
    assert_well_formed(ic.to_latex(expr))


def test_latex_strings():
    assert ic.to_latex(X @ W) == r"\sum_{d} X_{nd} W_{dh}"
    assert ic.to_latex(ic.diff(X @ W, W)) == r"X_{nd} \delta_{hh'}"
    assert ic.to_latex(ic.diff(ic.sigmoid(v), v)) == r"\sigma'\left(v_{h}\right) \delta_{hh'}"
    assert ic.to_latex(ic.softmax(A)) == r"\operatorname{softmax}_{j}\left(A_{ij}\right)"
    assert ic.to_latex(W_hx.T @ e) == r"\sum_{ni} {W_{hx}}_{ni,nh} e_{ni}"
    assert (X @ W)._repr_latex_() == r"$\sum_{d} X_{nd} W_{dh}$"


def test_latex_of_a_where_clause_is_one_aligned_block():
    u = ic.Tensor("u", "h")
    z = u
    for _ in range(30):
        z = ic.tanh(z * z + ic.sin(z))
    tex = ic.to_latex(z)
    assert tex.startswith(r"\begin{aligned}") and r"\text{where}" in tex
    assert_well_formed(tex)


def test_aliases_print_nodes_by_name():
    z = ic.sigmoid(X @ W)
    assert render(z @ v, aliases={z: "Z"}) == "Σ_h Z[n,h] v[h]"


def test_size_factors_print_without_a_sum():
    # regression: tr(I_n) printed 'Σ_n n', which reads as n²
    X = ic.Tensor("X", ("n", "d"))
    assert str(ic.trace(ic.eye("n"))) == "n"
    assert "Σ" not in str(ic.sum(ic.Tensor("u", "n") ** 0))
    assert str(ic.sum(X, axis=1)) == "Σ_d X[n,d]"
