"""Random expression graphs (hypothesis) differentiated and checked against finite differences.

A graph is grown step by step from variables over dimensions of sizes 2, 3, 4, 5: random einsums
that join axes of equal dimension (possibly a tensor with itself, possibly a diagonal), elementwise
functions on safe domains, sums, transposes, axis reductions (sum, logsumexp, softmax) and
linear combinations. Small derivatives are compared entry by entry with central differences;
large ones by the adjoint test ⟨u, J v⟩ = ⟨Jᵀ u, v⟩ (jvp against vjp) and a directional
difference. The graph checker (``tests/graph_check.py``) runs on each graph and derivative.
"""

from __future__ import annotations

import zlib

import graph_check
import numpy as np
from _fd import assert_close, fd_jacobian, values_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import indexcalc as ic
from indexcalc.core.graph_walk import tensors_of
from indexcalc.core.nodes import is_zero

SIZES = {"a": 2, "b": 3, "c": 4, "d": 5}
DIMS = tuple(SIZES)
MAX_ORDER = 3
FULL_LIMIT = 300  # Jacobian entries up to which the whole tensor is compared
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def leaf(shape: tuple) -> ic.Tensor:
    """The variable of a shape (one per shape, so graphs reuse variables)."""
    return ic.Tensor("V_" + "".join(shape) if shape else "V_scalar", shape)


def leaf_value(t: ic.Tensor) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(t.name.encode()))
    return rng.uniform(-1.0, 1.0, size=tuple(SIZES[d] for d in t.shape))


# Elementwise steps on safe domains: each keeps values O(1) so differences stay accurate.
SAFE = {
    "tanh": ic.tanh,
    "sigmoid": ic.sigmoid,
    "sin": ic.sin,
    "cos": ic.cos,
    "softplus": ic.softplus,
    "square": lambda e: 0.5 * ic.square(e),
    "exp∘tanh": lambda e: ic.exp(ic.tanh(e)),
    "log(softplus + 1)": lambda e: ic.log(ic.softplus(e) + 1.0),
    "sqrt(x² + 1)": lambda e: ic.sqrt(e * e + 1.0),
    "(σ + ½)^1.5": lambda e: (ic.sigmoid(e) + 0.5) ** 1.5,
    "1/(σ + 1)": lambda e: 1.0 / (ic.sigmoid(e) + 1.0),
    "relu(x + 3)": lambda e: ic.relu(ic.tanh(e) + 3.0),
}


# Weighted step kinds; reductions are rarer on vectors so that graphs do not collapse early.
STEPS = ["einsum"] * 3 + ["elementwise"] * 3 + ["sum", "transpose", "reduce", "combine", "leaf"]
STEPS_LOW_ORDER = ["einsum"] * 4 + ["elementwise"] * 3 + ["combine", "leaf", "reduce"]


@st.composite
def einsum_step(draw, pool: list) -> ic.Expr:
    """A random einsum of one or two operands from ``pool`` (equal dimensions may be joined)."""
    first = draw(st.sampled_from(pool))
    ops = [first]
    if draw(st.booleans()):
        fresh_leaf = leaf(tuple(draw(st.lists(st.sampled_from(DIMS), min_size=1, max_size=2))))
        ops.append(draw(st.sampled_from(pool + [fresh_leaf])))
    letters = iter("ijklmnopqrstuvwxyz")
    label_dim: dict[str, str] = {}
    subs = []
    for op in ops:
        s = ""
        for d in op.shape:
            same = [l for l, dl in label_dim.items() if dl == d]
            if same and draw(st.booleans()):
                s += draw(st.sampled_from(same))
            else:
                l = next(letters)
                label_dim[l] = d
                s += l
        subs.append(s)
    labels = sorted(label_dim)
    out = draw(st.lists(st.sampled_from(labels), unique=True, max_size=MAX_ORDER)) if labels else []
    return ic.einsum(",".join(subs) + "->" + "".join(out), *ops)


@st.composite
def graphs(draw) -> ic.Expr:
    shape = tuple(draw(st.lists(st.sampled_from(DIMS), min_size=1, max_size=2)))
    pool = [leaf(shape)]
    for _ in range(draw(st.integers(2, 7))):
        e = pool[-1]
        kind = draw(st.sampled_from(STEPS if e.ndim > 1 else STEPS_LOW_ORDER))
        if kind == "einsum":
            e = draw(einsum_step(pool))
        elif kind == "elementwise":
            e = SAFE[draw(st.sampled_from(sorted(SAFE)))](e)
        elif kind == "sum" and e.ndim:
            e = ic.sum(e, axis=draw(st.integers(0, e.ndim - 1)))
        elif kind == "transpose" and e.ndim > 1:
            e = e.transpose(*draw(st.permutations(range(e.ndim))))
        elif kind == "reduce" and e.ndim:
            axis = draw(st.integers(0, e.ndim - 1))
            how = draw(st.sampled_from(["logsumexp", "softmax", "log_softmax"]))
            e = ic.logsumexp(e, axis=axis) if how == "logsumexp" else getattr(ic, how)(e, axis=axis)
        elif kind == "combine":
            other = draw(st.sampled_from(pool + [leaf(e.shape)]))
            if other.shape == e.shape:
                c = draw(st.sampled_from([1.0, -1.0, 0.5]))
                e = e * other if draw(st.booleans()) else e + c * other
        elif kind == "leaf":
            e = e + leaf(e.shape[1:]) if e.ndim else e * leaf(())
        if e.ndim <= MAX_ORDER:
            pool.append(e)
    return pool[-1]


def _variables(f: ic.Expr) -> list:
    return tensors_of(f)


def _values(f: ic.Expr) -> dict:
    return {**{t.name: leaf_value(t) for t in _variables(f)}, **SIZES}


@SETTINGS
@given(graphs(), st.data())
def test_random_graph_derivative(f, data):
    variables = _variables(f)
    if not variables:
        return
    x = data.draw(st.sampled_from(variables))
    vals = _values(f)
    f0 = values_of(f, **vals)
    size = f0.size * vals[x.name].size
    D = ic.diff(f, x)
    graph_check.check(f, SIZES)
    graph_check.check(D, SIZES)
    assert D.ndim == f.ndim + x.ndim
    assert not is_zero(D) or np.allclose(fd_jacobian(f, x, vals), 0)
    if size <= FULL_LIMIT:
        assert_close(values_of(D, **vals), fd_jacobian(f, x, vals), rtol=1e-5)
        return
    _adjoint_and_directional(f, x, vals, f0)


def _adjoint_and_directional(f, x, vals, f0):
    rng = np.random.default_rng(0)
    u = rng.normal(size=f0.shape)
    v = rng.normal(size=vals[x.name].shape)
    tv, tu = ic.Tensor("tan_v", x.shape), ic.Tensor("cot_u", f.shape)
    Jv = values_of(ic.jvp(f, x, tv), **vals, tan_v=v)
    JTu = values_of(ic.vjp(f, x, tu), **vals, cot_u=u)
    lhs, rhs = float(np.sum(u * Jv)), float(np.sum(JTu * v))
    assert abs(lhs - rhs) <= 1e-9 * max(1.0, abs(lhs), np.abs(u).sum() * np.abs(Jv).max())
    h = 1e-6
    fun = ic.compile(f)
    x0 = vals[x.name]
    fd = (fun(**{**vals, x.name: x0 + h * v}) - fun(**{**vals, x.name: x0 - h * v})) / (2 * h)
    assert_close(Jv, fd, rtol=1e-5, what="jvp vs directional difference")


@SETTINGS
@given(graphs())
def test_random_graph_adjoint_identity(f):
    """⟨u, J v⟩ = ⟨Jᵀu, v⟩ by every variable, whatever the size of J."""
    vals = _values(f)
    f0 = values_of(f, **vals)
    for x in _variables(f):
        _adjoint_and_directional(f, x, vals, f0)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.data())
def test_random_graph_second_derivative(f, data):
    """Mixed second derivatives diff(diff(f, x), y) against differences of the first."""
    variables = _variables(f)
    if not variables:
        return
    x = data.draw(st.sampled_from(variables))
    y = data.draw(st.sampled_from(variables))
    vals = _values(f)
    D = ic.diff(f, x)
    if values_of(D, **vals).size * vals[y.name].size > 2000:
        return
    D2 = ic.diff(D, y)
    graph_check.check(D2, SIZES)
    assert_close(values_of(D2, **vals), fd_jacobian(D, y, vals), rtol=1e-4)
