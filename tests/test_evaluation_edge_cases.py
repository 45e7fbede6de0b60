"""Numerical edge cases behave as docs/edge-cases.md documents them (each row is one claim)."""

import warnings

import numpy as np
import pytest

import indexcalc as ic

x = ic.Tensor("x", 3)
S = ic.Tensor("S", (2, 2))
SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
BIG = np.array([1000.0, -1000.0, 0.0])


def ev(e, **values):
    return ic.evaluate(e, **values)


@pytest.mark.parametrize("fn", [ic.relu, ic.abs])
def test_kinks_have_subgradient_zero(fn):
    d = ev(ic.diff(fn(x), x), x=np.array([0.0, 2.0, -2.0]))
    np.testing.assert_array_equal(np.diagonal(d), [0.0, 1.0, 0.0 if fn is ic.relu else -1.0])
    g = ev(ic.grad(ic.sum(fn(x)), x), x=np.zeros(3))
    np.testing.assert_array_equal(g, np.zeros(3))


def test_log_outside_its_domain_is_nan_with_numpy_warning():
    with pytest.warns(RuntimeWarning):
        v = ev(ic.log(x), x=np.array([-1.0, 0.0, 1.0]))
    assert np.isnan(v[0]) and v[1] == -np.inf and v[2] == 0.0


def test_sqrt_at_zero_has_infinite_derivative():
    with pytest.warns(RuntimeWarning):
        d = ev(ic.diff(ic.sqrt(x), x), x=np.array([0.0, 1.0, 4.0]))
    np.testing.assert_array_equal(np.diagonal(d), [np.inf, 0.5, 0.25])


def test_singular_matrices():
    with pytest.raises(ic.IndexcalcError, match="singular"):
        ev(ic.inv(S), S=SINGULAR)
    assert ev(ic.det(S), S=SINGULAR) == 0.0
    assert ev(ic.logdet(S), S=SINGULAR) == -np.inf
    with pytest.raises(ic.IndexcalcError, match="singular"):  # d logdet = S⁻ᵀ does not exist
        ev(ic.grad(ic.logdet(S), S), S=SINGULAR)


def test_exp_overflows_to_inf_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = ev(ic.exp(x), x=BIG)
    np.testing.assert_array_equal(v, [np.inf, 0.0, 1.0])


@pytest.mark.parametrize("build,value,derivative", [
    (ic.softplus, [1000.0, 0.0, np.log(2.0)], [1.0, 0.0, 0.5]),
    (ic.sigmoid, [1.0, 0.0, 0.5], [0.0, 0.0, 0.25]),
    (ic.tanh, [1.0, -1.0, 0.0], [0.0, 0.0, 1.0]),
])
def test_saturating_functions_stay_finite_at_1000(build, value, derivative):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(ev(build(x), x=BIG), value, atol=1e-300)
        np.testing.assert_allclose(np.diagonal(ev(ic.diff(build(x), x), x=BIG)), derivative,
                                   atol=1e-300)


def test_softmax_family_stays_finite_at_1000():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(ev(ic.logsumexp(x), x=BIG), 1000.0)
        np.testing.assert_allclose(ev(ic.grad(ic.logsumexp(x), x), x=BIG), [1.0, 0.0, 0.0])
        np.testing.assert_allclose(ev(ic.softmax(x), x=BIG), [1.0, 0.0, 0.0])
        np.testing.assert_allclose(ev(ic.log_softmax(x), x=BIG), [0.0, -2000.0, -1000.0])
        J = ev(ic.diff(ic.log_softmax(x), x), x=BIG)
        np.testing.assert_allclose(J, np.eye(3) - np.array([1.0, 0.0, 0.0]))
        H = ev(ic.hessian(ic.logsumexp(x), x), x=BIG)
        assert np.all(np.isfinite(H))


EXPRESSIONS = {
    "affine": lambda: 2 * x + 1,
    "softmax": lambda: ic.softmax(x),
    "jacobian": lambda: ic.diff(3 * ic.tanh(x), x),
    "grad": lambda: ic.grad(ic.logsumexp(x), x),
    "hessian": lambda: ic.hessian(ic.sum(ic.exp(x)), x),
    "norm": lambda: ic.norm(x),
    "matrix": lambda: ic.grad(ic.logdet(S) + ic.det(S) + ic.sum(ic.inv(S)), S),
}


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_float32_stays_float32(name):
    e = EXPRESSIONS[name]()
    values = dict(x=np.array([0.5, 1.0, 2.0], np.float32), S=np.array([[2, 1], [0, 3]], np.float32))
    values = {k: v for k, v in values.items() if any(t.name == k for t in _tensors(e))}
    for run in (lambda: ic.evaluate(e, **values), lambda: ic.compile(e)(**values)):
        out = run()
        assert out.dtype == np.float32, (name, out.dtype)
        ref = ic.evaluate(e, **{k: v.astype(np.float64) for k, v in values.items()})
        np.testing.assert_allclose(out, ref, rtol=1e-5)


def _tensors(e):
    from indexcalc.core.graph_walk import tensors_of
    return tensors_of(e)


@pytest.mark.parametrize("build", [lambda A, S: 0 * A, lambda A, S: A - A])
def test_a_value_for_a_tensor_simplified_away_is_named_with_the_way_out(build):
    # 0*A is the zero of A's named shape without A: its value cannot bind m, n (nothing records
    # A's dimensions); the refusal says so and how to pass the sizes, which then evaluate it
    A, S = ic.Tensor("A", ("m", "n")), ic.Tensor("S", ("n", "n"))
    e = build(A, S)
    a = np.ones((2, 3))
    with pytest.raises(ic.BindingError, match=r"A: given, but not in the expression.*m=10"):
        e.evaluate(A=a)
    np.testing.assert_array_equal(e.evaluate(A=a, m=2, n=3), np.zeros((2, 3)))
