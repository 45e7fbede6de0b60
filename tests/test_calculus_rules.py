"""Every differentiation rule against central finite differences (float64, sizes 2, 3, 4, 5).

One row per operation. Each row is checked for the full derivative (``diff``), ``jvp``, ``vjp``,
``grad`` (of a weighted sum), the Hessian and the mixed second derivative
``diff(diff(f, x), y)`` — against the independent helper in ``_fd.py`` and against ``ic.check``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from _fd import assert_close, fd_jacobian, values_of

import indexcalc as ic
from indexcalc.core.dims import dims_equal
from indexcalc.frontend.arithmetic import apply, broadcast_to
from indexcalc.core.elementwise import RULES
from indexcalc.core.nodes import is_zero

SIZES = {"a": 2, "b": 3, "c": 4, "d": 5}
A, A2, P, B, C = ic.tensors("A[a,b] A2[a,b] P[a,b] B[b,c] C[c,d]")
x, xp, u, w = ic.tensors("x[b] xp[b] u[a] w[c]")
M, S, T, Q = ic.tensors("M[c,c] S[b,b] T[a,b,c] Q[c,c,a]")
r = ic.Tensor("r", ("a", 1))
s0 = ic.Tensor("s0", ())
z = ic.Tensor("z", 3)  # fixed sizes, to meet NumPy arrays
POSITIVE = {"P", "xp"}
WELL_CONDITIONED = {"M": 4.0, "S": 3.0}


def make_values(seed: int = 0) -> dict:
    """Random values bounded away from 0 (kinks of relu/abs/step/sign), positive where needed."""
    rng = np.random.default_rng(seed)
    vals = {}
    for t in (A, A2, P, B, C, x, xp, u, w, M, S, T, Q, r, s0, z):
        shape = tuple(SIZES.get(d, d) for d in t.shape)
        mag = rng.uniform(0.3, 1.2, size=shape)
        sign = 1.0 if t.name in POSITIVE else rng.choice([-1.0, 1.0], size=shape)
        v = mag * sign
        if t.name in WELL_CONDITIONED:
            v = v + WELL_CONDITIONED[t.name] * np.eye(shape[0])
        vals[t.name] = v
    vals.update(SIZES)  # dimension sizes by name: some derivatives keep no tensor that has them
    return vals


VALUES = make_values()


def _fn(name):
    return lambda e: apply(name, e)


# (id, expression, variables to differentiate by). Positive arguments (P, xp) where the domain
# needs them; products use a tensor several times (x @ S @ x) so every occurrence must count.
CASES = [
    # einsum products
    ("matmul", A @ B, (A, B)),
    ("matvec", B.T @ x, (B, x)),
    ("quadratic x@S@x", x @ S @ x, (x, S)),
    ("x used three times", ic.einsum("i,ij,j,i->i", x, S, x, x), (x, S)),
    ("chain A@B@C", A @ B @ C, (A, B, C)),
    ("order-3 contraction", ic.einsum("abc,bc->a", T, B), (T, B)),
    ("einsum ellipsis", ic.einsum("...i,i->...", A, x), (A, x)),
    ("einsum implicit", ic.einsum("ij,jk", A, B), (A, B)),
    ("trace", ic.trace(M), (M,)),
    ("einsum trace ii", ic.einsum("ii", M), (M,)),
    ("trace of S@S", ic.einsum("ij,ji->", S, S), (S,)),
    ("diagonal", ic.diagonal(M), (M,)),
    ("einsum diagonal iij->ij", ic.einsum("iij->ij", Q), (Q,)),
    ("diag(x) @ S", ic.diag(x) @ S, (x, S)),
    ("outer", ic.outer(u, x), (u, x)),
    ("outer order 3", ic.outer(A, w), (A, w)),
    ("kron", ic.kron(A, B), (A, B)),
    ("transpose", A.T, (A,)),
    ("transpose axes", T.transpose(2, 0, 1), (T,)),
    ("reshape merge", T.reshape("a*b", "c"), (T,)),
    ("reshape flatten", A.reshape(-1), (A,)),
    ("reshape then matmul", T.reshape("a", "b*c") @ ic.tanh(ic.outer(x, w).reshape(-1)), (T, x)),
    # arithmetic and broadcasting
    ("add", A + A2, (A, A2)),
    ("sub", A - 2.0 * A2, (A, A2)),
    ("mul", A * A2, (A, A2)),
    ("mul self", A * A, (A,)),
    ("div", A / P, (A, P)),
    ("rdiv", 1.0 / P, (P,)),
    ("pow 3", A ** 3, (A,)),
    ("pow 2.5", P ** 2.5, (P,)),
    ("pow -1", P ** -1, (P,)),
    ("neg", -A, (A,)),
    ("broadcast add row", A + x, (A, x)),
    ("broadcast mul row", A * x, (A, x)),
    ("broadcast div row", A / xp, (A, xp)),
    ("broadcast size-1 axis", r * A, (r, A)),
    ("broadcast scalar tensor", s0 * A + s0 ** 2, (s0, A)),
    ("sum of a broadcast scalar", ic.sum(A + s0), (s0, A)),
    ("summed label in no factor", ic.sum(broadcast_to(s0, ("a", "b"))) * s0, (s0,)),
    ("numpy on the left", np.arange(1.0, 4.0) - z * z, (z,)),
    ("numpy matrix @", np.arange(6.0).reshape(2, 3) @ ic.sin(z), (z,)),
    ("rpow", 2.0 ** x, (x,)),
    # reductions
    ("sum all", ic.sum(T * T), (T,)),
    ("sum axis", ic.sum(T, axis=1), (T,)),
    ("sum axes", ic.sum(T * T, axis=(0, 2)), (T,)),
    ("norm vector", ic.norm(x), (x,)),
    ("norm matrix", ic.norm(A), (A,)),
    ("norm 1", ic.norm(A, 1), (A,)),
    ("softmax last", ic.softmax(A), (A,)),
    ("softmax axis 0", ic.softmax(A, axis=0), (A,)),
    ("softmax middle of 3", ic.softmax(T, axis=1), (T,)),
    ("log_softmax", ic.log_softmax(A @ B, axis=-1), (A, B)),
    ("log_softmax axis 0 order 3", ic.log_softmax(T, axis=0), (T,)),
    ("logsumexp all", ic.logsumexp(A), (A,)),
    ("logsumexp axis", ic.logsumexp(T, axis=1), (T,)),
    ("logsumexp axes", ic.logsumexp(T, axis=(0, 2)), (T,)),
    # matrix functions
    ("inv", ic.inv(M), (M,)),
    ("inv in product", w @ ic.inv(M) @ w, (w, M)),
    ("det", ic.det(M), (M,)),
    ("logdet", ic.logdet(M), (M,)),
    ("logdet negative det", ic.logdet(-M), (M,)),
    ("trace inv", ic.trace(ic.inv(M) @ M @ M), (M,)),
    ("det of product", ic.det(B.T @ S @ B + M), (B, S, M)),
    # named subexpressions
    ("named tanh", (lambda h: h * h + h)(ic.tanh(A @ B).named("h")), (A, B)),
    ("named sigmoid", (lambda h: ic.sum(h * (1 - h)))(ic.sigmoid(A).named("s")), (A,)),
    ("named softmax", (lambda p: p @ w)(ic.softmax(A @ B).named("p")), (A, B)),
    ("named product", (lambda z: z * ic.exp(z))(ic.let("z", A @ B)), (A, B)),
    ("named logsumexp", ic.named(ic.logsumexp(T, axis=2), "L") ** 2, (T,)),
]

ELEMENTWISE = [
    ("exp", A), ("log", P), ("tanh", A), ("sigmoid", A), ("dsigmoid", A), ("softplus", A),
    ("relu", A), ("step", A), ("sin", A), ("cos", A), ("sqrt", P), ("square", A), ("abs", A),
    ("sign", A), ("erf", A), ("gelu", A), ("log1p", P), ("expm1", A), ("log2", P), ("log10", P),
    ("exp2", A),
]
POWERS = [(3.0, A), (-2.0, P), (0.5, P), (1.7, P)]
BASES = [(2.0, A), (0.3, A), (10.0, A)]  # b ** x, a constant base (rpow)

CASES += [(f"fn {n}", _fn(n)(a) @ B, (a, B)) for n, a in ELEMENTWISE]
CASES += [(f"fn power {p}", apply("power", a, p), (a,)) for p, a in POWERS]
CASES += [(f"fn rpow {b}", b ** a, (a,)) for b, a in BASES]
CASES += [(f"fn {n} nested", ic.sum(_fn(n)(x @ B * 0.3 + 1.5)) * u, (x, B, u))
          for n in ("log", "sqrt", "tanh", "softplus", "sigmoid", "dsigmoid")]

IDS = [c[0] for c in CASES]
ZERO_DERIVATIVE = {"fn step", "fn sign"}  # step' = sign' = 0 away from 0: an exact zero is right


def test_every_public_and_internal_function_is_covered():
    covered = {n for n, _ in ELEMENTWISE} | {"power", "rpow"}
    assert covered == set(RULES)


def _same_shape(expr, shape):
    return len(expr.shape) == len(shape) and all(map(dims_equal, expr.shape, shape))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_diff_full_jacobian(case):
    name, f, wrt = case
    for var in wrt:
        D = ic.diff(f, var)
        assert _same_shape(D, f.shape + var.shape)
        if name not in ZERO_DERIVATIVE:
            assert not is_zero(D), f"∂f/∂{var.name} came back zero"
        expected = fd_jacobian(f, var, VALUES)
        assert_close(values_of(D, **VALUES), expected, what=f"∂f/∂{var.name}")
        assert ic.check(f, var, **VALUES) < 1e-6


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_vjp_grad(case):
    _, f, wrt = case
    rng = np.random.default_rng(1)
    f0 = values_of(f, **VALUES)
    cot = rng.normal(size=f0.shape)
    for var in wrt:
        J = fd_jacobian(f, var, VALUES)
        xs = VALUES[var.name].shape
        tan = rng.normal(size=xs)
        t = ic.Tensor("t_" + var.name, var.shape)
        jv = values_of(ic.jvp(f, var, t), **VALUES, **{t.name: tan})
        assert_close(jv, np.tensordot(J, tan, axes=len(xs)), what=f"jvp by {var.name}")
        ct = ic.Tensor("ct", f.shape)
        vj = values_of(ic.vjp(f, var, ct), **VALUES, ct=cot)
        expected = np.tensordot(cot, J, axes=f0.ndim)
        assert_close(vj, expected, what=f"vjp by {var.name}")
        g = ic.grad(ic.sum(f * ct), var)
        assert _same_shape(g, var.shape)
        assert_close(values_of(g, **VALUES, ct=cot), expected, what=f"grad by {var.name}")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_second_derivatives(case):
    _, f, wrt = case
    ct = ic.Tensor("ct", f.shape)
    vals = {**VALUES, "ct": np.random.default_rng(2).normal(size=values_of(f, **VALUES).shape)}
    scalar = ic.sum(f * ct)
    first, last = wrt[0], wrt[-1]
    H = ic.hessian(scalar, first)
    assert _same_shape(H, first.shape + first.shape)
    g = ic.grad(scalar, first)
    assert_close(values_of(H, **vals), fd_jacobian(g, first, vals), rtol=1e-4,
                 what=f"hessian by {first.name}")
    D = ic.diff(f, first)
    DD = ic.diff(D, last)
    assert _same_shape(DD, f.shape + first.shape + last.shape)
    assert_close(values_of(DD, **VALUES), fd_jacobian(D, last, VALUES), rtol=1e-4,
                 what=f"diff(diff(f, {first.name}), {last.name})")


def test_second_derivative_is_independent_of_the_first_being_checked_numerically():
    """The Hessian of a scalar against a pure second-order difference of f itself (no grad)."""
    f = x @ S @ x + ic.sum(ic.softplus(B.T @ x)) + ic.logsumexp(ic.outer(x, x))
    H = values_of(ic.hessian(f, x), **VALUES)
    fun = ic.compile(f)
    x0, h, n = VALUES["x"], 1e-4, VALUES["x"].size
    num = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            ei, ej = np.eye(n)[i] * h, np.eye(n)[j] * h
            val = lambda d: float(fun(**{**VALUES, "x": x0 + d}))  # noqa: E731
            num[i, j] = (val(ei + ej) - val(ei - ej) - val(-ei + ej) + val(-ei - ej)) / (4 * h * h)
    assert_close(H, num, rtol=1e-5)
    assert_close(H, H.T, rtol=1e-12)


def test_symmetric_variable_check():
    """``check`` perturbs a symmetric variable symmetrically; both conventions agree with it."""
    Sy = ic.Tensor("Sy", "b b", symmetric=True)
    sv = VALUES["S"] + VALUES["S"].T
    f = ic.logdet(Sy) + x @ Sy @ x + ic.trace(Sy @ Sy @ Sy)
    for conv in ("symmetric", "cookbook"):
        assert ic.check(f, Sy, Sy=sv, x=VALUES["x"], convention=conv) < 1e-6


def test_check_directional_mode_on_a_large_jacobian():
    X, W = ic.tensors("X[n,k] W[k,m]")
    rng = np.random.default_rng(3)
    vals = {"X": rng.normal(size=(40, 30)), "W": rng.normal(size=(30, 20))}
    f = ic.tanh(X @ W)
    assert ic.check(f, W, **vals) < 1e-6  # 800 × 600 entries: checked along random directions
    with pytest.raises(AssertionError):
        ic.check(f, W, rtol=1e-30, **vals)


def test_check_raises_on_a_wrong_derivative(monkeypatch):
    """``check`` must be able to fail: break the tanh rule and see it caught."""
    from indexcalc.core import elementwise as functions

    broken = dataclasses.replace(functions.RULES["tanh"], derivative=lambda x_, y, p: y)
    monkeypatch.setitem(functions.RULES, "tanh", broken)
    with pytest.raises(AssertionError):
        ic.check(ic.tanh(A @ B), B, **VALUES)


def test_derivatives_that_lost_their_variable_still_evaluate():
    """∂tr(X)/∂X = δ and ∂(XW)/∂W = X δ keep no tensor with the dimension of the variable: it is
    bound from the variable's value or from a size given by name, even when unrelated live
    tensors share those names."""
    Xq, Wq = ic.tensors("Xq[q,r] Wq[r,qq]")
    unrelated = (ic.Tensor("qq", "q"), ic.Tensor("Wq", ("r",)))  # noqa: F841 - kept alive
    Xv, Wv = np.ones((2, 3)), np.ones((3, 4))
    D = ic.diff(Xq @ Wq, Wq)
    expected = np.einsum("nd,hk->nhdk", Xv, np.eye(4))
    assert_close(values_of(D, Xq=Xv, Wq=Wv), expected)
    assert_close(values_of(D, Xq=Xv, qq=4), expected)
    assert_close(values_of(ic.diff(ic.trace(Xq.T @ Xq), Xq), Xq=Xv), 2 * Xv)


def test_symmetric_variable_jacobians_and_hessians():
    """Non-scalar functions of a symmetric matrix, and Hessians, in both conventions."""
    Sy = ic.Tensor("Sy", "b b", symmetric=True)
    vals = {"Sy": VALUES["S"] + VALUES["S"].T, "x": VALUES["x"]}
    scalar = ic.logdet(Sy) + x @ Sy @ Sy @ x
    for conv in ("symmetric", "cookbook"):
        for f in (Sy @ x, ic.inv(Sy), ic.tanh(Sy) * Sy):
            assert ic.check(f, Sy, convention=conv, **vals) < 1e-6
        g = ic.grad(scalar, Sy, convention=conv)
        assert ic.check(g, Sy, convention=conv, **vals) < 1e-6
        assert_close(values_of(ic.hessian(scalar, Sy, convention=conv), **vals),
                     values_of(ic.diff(g, Sy, convention=conv), **vals))


def test_api_errors_name_the_problem():
    with pytest.raises(ic.ShapeError, match="scalar"):
        ic.grad(A @ x, x)
    with pytest.raises(ic.IndexcalcError, match="ic.Tensor"):
        ic.diff(A @ x, 2 * x)
    with pytest.raises(ic.ShapeError, match="tangent"):
        ic.jvp(A @ x, x, u)
    with pytest.raises(ic.ShapeError, match="cotangent"):
        ic.vjp(A @ x, x, x)
    with pytest.raises(ic.IndexcalcError, match="convention"):
        ic.diff(A @ x, x, convention="columns")
    with pytest.raises(ic.BindingError, match="'x'"):
        ic.check(A @ x, x, A=VALUES["A"])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_results_come_back_simplified(case):
    """Every derivative is already in normal form: simplify leaves it as it is."""
    _, f, wrt = case
    for var in wrt:
        for D in (ic.diff(f, var), ic.grad(ic.sum(f), var), ic.hessian(ic.sum(f), var)):
            assert ic.simplify(D) is D
