"""A value bound to a ``symmetric=True`` tensor must be symmetric (issue 14).

Simplification and differentiation use ``S = Sᵀ`` (``Sᵀ − S`` is zero, a derivative by ``S`` is
projected on symmetric matrices), so a non-symmetric value would give an answer that is silently
not the one NumPy computes from the same formula. Every evaluation path refuses it with a
``BindingError`` naming the tensor and the way out; a value symmetric up to round-off
(``|S − Sᵀ| ≤ √eps · max |S|``) is accepted. References are NumPy on the symmetrized value.
"""

import numpy as np
import pytest

import indexcalc as ic

S = ic.Tensor("S", "n n", symmetric=True)
A = ic.Tensor("A", "n n")
RNG = np.random.default_rng(0)
ASYMMETRIC = RNG.normal(size=(3, 3))
SYMMETRIC = (ASYMMETRIC + ASYMMETRIC.T) / 2
A_VALUE = RNG.normal(size=(3, 3))
WAY_OUT = r"tensor 'S' is declared symmetric.*pass \(S \+ S\.T\) / 2, or declare S without symmetric=True"


def test_evaluate_refuses_a_non_symmetric_value():
    f = ic.sum(S @ A)
    with pytest.raises(ic.BindingError, match=WAY_OUT):
        f.evaluate(S=ASYMMETRIC, A=A_VALUE)
    with pytest.raises(ic.BindingError, match=WAY_OUT):
        ic.evaluate(f, {"S": ASYMMETRIC.tolist(), "A": A_VALUE})  # a list is read as an array
    assert np.isclose(f.evaluate(S=SYMMETRIC, A=A_VALUE), np.sum(SYMMETRIC @ A_VALUE))


def test_the_refusal_replaces_an_answer_that_used_the_symmetry():
    # Sᵀ A + S A is 2 S A for a symmetric S, and is built so; NumPy on a non-symmetric value
    # says otherwise. (Where the symmetry cancels S entirely, Sᵀ − S is the zero matrix: no S is
    # left to check, and zeros are right for every S the declaration allows.)
    f = ic.sum(S.T @ A + S @ A)
    s, a = ASYMMETRIC, A_VALUE
    assert not np.isclose(np.sum(s.T @ a + s @ a), 2 * np.sum(s @ a))
    with pytest.raises(ic.BindingError, match=WAY_OUT):
        f.evaluate(S=s, A=a)
    assert np.isclose(f.evaluate(S=SYMMETRIC, A=a), np.sum(SYMMETRIC.T @ a + SYMMETRIC @ a))


def test_a_compiled_function_refuses_on_every_call():
    f = ic.compile(ic.sum(S @ A))
    with pytest.raises(ic.BindingError, match=WAY_OUT):
        f(S=ASYMMETRIC, A=A_VALUE)  # the first call binds
    assert np.isclose(f(S=SYMMETRIC, A=A_VALUE), np.sum(SYMMETRIC @ A_VALUE))
    with pytest.raises(ic.BindingError, match=WAY_OUT):
        f(S=ASYMMETRIC, A=A_VALUE)  # later calls of known shapes take a shorter path


def test_the_value_of_a_derivatives_variable_is_checked_too():
    g = ic.grad(ic.sum(S @ A), S)  # (A 1 1ᵀ + 1 1ᵀ Aᵀ)/2 summed: no longer reads S
    with pytest.raises(ic.BindingError, match=WAY_OUT):
        g.evaluate(S=ASYMMETRIC, A=A_VALUE)
    with pytest.raises(ic.BindingError, match=WAY_OUT):
        ic.compile(g)(S=ASYMMETRIC, A=A_VALUE)
    ones = np.ones((3, 3))
    want = (A_VALUE @ ones + ones @ A_VALUE.T).T / 2  # d Σ(SA)/dS_ij = Σ_k A_jk, symmetrized
    np.testing.assert_allclose(g.evaluate(S=SYMMETRIC, A=A_VALUE), want, rtol=1e-12)
    np.testing.assert_allclose(g.evaluate(A=A_VALUE), want, rtol=1e-12)  # S is not needed


def test_check_refuses_a_non_symmetric_point():
    f = ic.sum(ic.tanh(S @ A))
    with pytest.raises(ic.BindingError, match=WAY_OUT):
        ic.check(f, S, S=ASYMMETRIC, A=A_VALUE)
    assert ic.check(f, S, S=SYMMETRIC, A=A_VALUE) < 1e-6


def test_a_matrix_form_refuses_too():
    form = ic.to_matrix(S @ A)
    with pytest.raises(ic.BindingError, match=WAY_OUT):
        form.evaluate(S=ASYMMETRIC, A=A_VALUE)
    np.testing.assert_allclose(form.evaluate(S=SYMMETRIC, A=A_VALUE), SYMMETRIC @ A_VALUE)


@pytest.mark.parametrize("value", [
    SYMMETRIC + 1e-13 * ASYMMETRIC,  # round-off of the computation that made it
    np.array([[1.0, np.inf], [np.inf, 2.0]]),  # inf − inf is NaN, yet the entries are equal
    np.array([[np.nan, 1.0], [1.0, 0.0]]),
    np.zeros((2, 2)),
], ids=["round-off", "inf", "nan", "zeros"])
def test_symmetric_values_are_accepted(value):
    got = ic.evaluate(ic.sum(S), S=value)
    assert np.array_equal(got, np.sum(value), equal_nan=True)


@pytest.mark.parametrize("value", [
    SYMMETRIC + 1e-6 * ASYMMETRIC,
    np.array([[0.0, np.nan], [1.0, 0.0]]),  # a NaN facing a number
    np.array([[0.0, np.inf], [-np.inf, 0.0]]),
], ids=["1e-6", "lone nan", "inf and -inf"])
def test_asymmetric_values_are_refused(value):
    with pytest.raises(ic.BindingError, match=WAY_OUT):
        ic.evaluate(ic.sum(S), S=value)
