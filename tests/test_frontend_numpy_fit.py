"""NumPy fit (issue 16): named dimensions meet arrays; NumPy's functions dispatch to indexcalc.

Each case states the NumPy behaviour it matches: the expression, evaluated, equals NumPy's
result on the arrays; derivatives are checked against central finite differences (``_fd``).
"""

from __future__ import annotations

import numpy as np
import pytest

import indexcalc as ic
from _fd import assert_close, fd_jacobian

RNG = np.random.default_rng(16)
X, W, A, S, M = ic.tensors("X[n,d] W[d,h] A[m,m] S[n,n] M[m,n]")
Xv, Wv = RNG.normal(size=(5, 3)), RNG.normal(size=(3, 4))
Av, Sv, Mv = RNG.normal(size=(4, 4)), RNG.normal(size=(5, 5)), RNG.normal(size=(3, 4))
C32, C55 = RNG.normal(size=(3, 2)), RNG.normal(size=(5, 5))
MASK = RNG.random((3, 4)) > 0.5
VALUES = {"X": Xv, "W": Wv, "A": Av, "S": Sv, "M": Mv}

# ---------------------------------------------------------------- dimensions meet

#: (expression, the NumPy result on the arrays, the tensor to differentiate by)
MEETINGS = [
    ("X[n,d] @ array(3, 2): d = 3", lambda: X @ C32, Xv @ C32, X),
    ("A[m,m] @ eye(4): m = 4", lambda: A @ ic.eye(4), Av @ np.eye(4), A),
    ("Constant(C) @ S[n,n]: n = 5", lambda: ic.Constant(C55) @ S, C55 @ Sv, S),
    ("where(mask 3x4, X[m,n], 2X)", lambda: ic.where(MASK, M, 2 * M), np.where(MASK, Mv, 2 * Mv), M),
    ("X[m,n].reshape(12)", lambda: M.reshape(12), Mv.reshape(12), M),
    ("unvec(vec(X[m,n]), (3, 4))", lambda: ic.unvec(ic.vec(M), (3, 4)), Mv, M),
    ("array(3, 4) + X[m,n]", lambda: np.ones((3, 4)) * 2.0 + M, 2.0 + Mv, M),
    ("einsum with an array", lambda: ic.einsum("nd,dk->nk", X, C32), Xv @ C32, X),
    ("stack([X[m,n], array(3, 4)])", lambda: ic.stack([M, np.ones((3, 4))]),
     np.stack([Mv, np.ones((3, 4))]), M),
]


@pytest.mark.parametrize("what, build, expected, wrt", MEETINGS, ids=[m[0] for m in MEETINGS])
def test_named_dimension_meets_concrete_one_as_numpy(what, build, expected, wrt):
    f = build()
    assert_close(ic.evaluate(f, **VALUES), expected, what=what)
    # derivatives stay right: the symbolic derivative against finite differences
    assert_close(ic.evaluate(ic.diff(f, wrt), **VALUES), fd_jacobian(f, wrt, VALUES), what=what)
    # printed forms keep the symbolic names of the expression
    for name in wrt.shape:
        assert isinstance(name, int) or name in str(f) or name in str(ic.diff(f, wrt))


def test_vjp_takes_a_numpy_cotangent():
    # jax.vjp(f, W)(ones((n, h))): Xᵀ (1 − tanh²(XW)), a NumPy cotangent for f of shape (n, h)
    g = ic.vjp(ic.tanh(X @ W), W, np.ones((5, 4)))
    expected = Xv.T @ (1 - np.tanh(Xv @ Wv) ** 2)
    assert g.shape == ("d", "h")
    assert_close(ic.evaluate(g, X=Xv, W=Wv), expected)


def test_meeting_keeps_the_symbolic_dimension_and_pins_it():
    f = X @ C32
    assert f.shape == ("n", 2)
    assert ic.evaluate(f, X=Xv).shape == (5, 2)
    assert (A @ ic.eye(4)).shape == ("m", "m")
    assert M.reshape(12).shape == (12,)


@pytest.mark.parametrize("build", [
    lambda: X @ np.ones((3, 2)) + X @ np.ones((4, 2)),
    lambda: ic.concatenate([X @ np.ones((3, 2)), X @ np.ones((4, 2))]),
    lambda: ic.sum(X @ np.ones((3, 2))) * ic.sum(X[:, :] @ np.ones((4, 1))),
])
def test_one_name_fixed_to_two_sizes_is_a_shape_error_naming_both(build):
    with pytest.raises(ic.ShapeError) as e:
        build()
    text = str(e.value)
    assert "'d'" in text and "3" in text and "4" in text and text.count("constant") == 2


@pytest.mark.parametrize("build, values, needle", [
    (lambda: X @ np.ones((3, 2)), {"X": np.ones((5, 4))}, "'d'"),
    (lambda: M.reshape(12), {"M": np.ones((2, 5))}, "m*n"),
    (lambda: ic.where(MASK, M, M), {"M": np.ones((3, 5))}, "'n'"),
    (lambda: ic.Constant(C55) @ S, {"S": np.ones((4, 4))}, "'n'"),
])
def test_a_value_of_the_wrong_size_is_a_binding_error(build, values, needle):
    # NumPy would raise a ValueError on the arrays; indexcalc names the value and the pin
    with pytest.raises(ic.BindingError, match="fixes it to") as e:
        ic.evaluate(build(), **values)
    assert needle in str(e.value)


def test_two_different_ints_still_refuse():
    with pytest.raises(ic.ShapeError):
        ic.Tensor("Y", (4, 2)) @ np.ones((3, 2))
    with pytest.raises(ic.ShapeError):  # a declared int dimension is a promise, not renamed
        X @ ic.Tensor("Z", (3, 2)) + X @ ic.Tensor("Z2", (4, 2))


def test_a_size_one_axis_broadcasts_and_never_pins():
    f = X + np.ones((1, 3))  # NumPy broadcasting: (5, 3) + (1, 3)
    assert_close(ic.evaluate(f, X=Xv), Xv + 1.0)
    g = X * np.full((5, 1), 2.0)
    assert_close(ic.evaluate(g, X=Xv), Xv * 2.0)


def test_pins_survive_pickling():
    import pickle
    f = pickle.loads(pickle.dumps(X @ C32))
    with pytest.raises(ic.BindingError):
        ic.evaluate(f, X=np.ones((5, 4)))


# ---------------------------------------------------------------- NumPy's functions

#: (numpy call on expressions, the same call on arrays): NumPy's result is the reference
FUNCTION_CASES = [
    ("np.tanh", lambda x: np.tanh(x["X"])),
    ("np.exp", lambda x: np.exp(x["X"])),
    ("np.log", lambda x: np.log(np.square(x["X"]) + 1.0)),
    ("np.sqrt", lambda x: np.sqrt(np.abs(x["X"]))),
    ("np.sin np.cos", lambda x: np.sin(x["X"]) + np.cos(x["X"])),
    ("np.add", lambda x: np.add(x["X"], 1.5)),
    ("np.subtract", lambda x: np.subtract(np.ones(3), x["X"])),
    ("np.multiply", lambda x: np.multiply(x["X"], np.arange(3.0))),
    ("np.true_divide", lambda x: np.true_divide(x["X"], 4.0)),
    ("np.negative", lambda x: np.negative(x["X"])),
    ("np.power", lambda x: np.power(x["X"], 3)),
    ("np.power base", lambda x: np.power(2.0, x["X"])),
    ("np.matmul", lambda x: np.matmul(x["X"], x["W"])),
    ("array @ expr", lambda x: np.ones((2, 5)) @ x["X"]),
    ("array - expr", lambda x: np.ones(3) - x["X"]),
    ("np.sum", lambda x: np.sum(x["X"])),
    ("np.sum axis", lambda x: np.sum(x["X"], axis=0)),
    ("np.einsum", lambda x: np.einsum("nd,dh->h", x["X"], x["W"])),
    ("np.trace", lambda x: np.trace(x["A"])),
    ("np.transpose", lambda x: np.transpose(x["X"])),
    ("np.reshape", lambda x: np.reshape(x["X"], (-1,))),
    ("np.linalg.inv", lambda x: np.linalg.inv(x["A"] + 4 * np.eye(4))),
    ("np.linalg.det", lambda x: np.linalg.det(x["A"])),
    ("np.linalg.norm", lambda x: np.linalg.norm(x["X"])),
    ("np.kron", lambda x: np.kron(x["A"], x["W"])),
    ("np.outer", lambda x: np.outer(x["W"][0], x["X"][1])),
    ("np.diag", lambda x: np.diag(x["X"][0])),
    ("np.diagonal", lambda x: np.diagonal(x["A"])),
    ("np.stack", lambda x: np.stack([x["X"], 2 * x["X"]])),
    ("np.concatenate", lambda x: np.concatenate([x["X"], x["X"]], axis=1)),
    ("np.tril np.triu", lambda x: np.tril(x["A"]) + np.triu(x["A"], 1)),
    ("np.where", lambda x: np.where(np.arange(3.0) > 0.5, x["X"], -x["X"])),
    ("np.dot", lambda x: np.dot(x["X"], x["W"])),
]


@pytest.mark.parametrize("what, call", FUNCTION_CASES, ids=[c[0] for c in FUNCTION_CASES])
def test_numpy_functions_on_expressions_return_expressions(what, call):
    X3, W3, A4 = ic.tensors("X[n,3] W[3,h] A[4,4]")
    f = call({"X": X3, "W": W3, "A": A4})
    assert isinstance(f, ic.Expr), what
    values = {"X": Xv, "W": Wv, "A": Av}
    assert_close(ic.evaluate(f, **values), call(values), what=what)


@pytest.mark.parametrize("call, needle", [
    (lambda: np.floor(X), "np.floor"),
    (lambda: np.ones(3) == ic.Tensor("x", 3), "compare evaluated arrays"),
    (lambda: np.add.reduce(X), "np.add.reduce"),
    (lambda: np.sum(X, dtype=np.float32), "dtype"),
    (lambda: np.exp(X, out=np.ones((5, 3))), "out"),
    (lambda: np.cumprod(X), "np.cumprod"),
    (lambda: np.reshape(X, -1, order="F"), "ic.vec"),
])
def test_unsupported_numpy_calls_are_indexcalc_errors(call, needle):
    with pytest.raises(ic.IndexcalcError) as e:
        call()
    assert needle in str(e.value)
