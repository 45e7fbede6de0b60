"""``ic.check`` allows the finite differences' own round-off (eps·|f|/h per entry): an exact
derivative of a function much larger than its slope passes, and a wrong one still fails."""

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.evaluation import finite_differences

x = ic.Tensor("x", 3)
xv = np.random.default_rng(0).normal(size=3)


def test_a_large_offset_is_no_false_alarm():
    # the reproducer: relative error 4e-4 against an exact derivative before
    assert ic.check(ic.sum(1e-5 * x + 1000.0), x, x=xv) <= 1e-6


def test_a_long_chain_is_no_false_alarm():
    e = x
    for _ in range(300):
        e = e + 1e-3 * ic.sin(e)
    assert ic.check(1e6 + ic.sum(e), x, x=xv) <= 1e-6


def test_a_wrong_derivative_still_fails(monkeypatch):
    f = ic.sum(ic.tanh(x) * x)
    assert ic.check(f, x, x=xv) <= 1e-6
    exact = finite_differences.diff
    monkeypatch.setattr(finite_differences, "diff", lambda f, x, c: 1.0001 * exact(f, x, c))
    with pytest.raises(AssertionError, match="relative"):
        ic.check(f, x, x=xv)
    monkeypatch.setattr(finite_differences, "diff", lambda f, x, c: 1.0001 * exact(f, x, c))
    with pytest.raises(AssertionError, match="relative"):  # with an offset that needs the allowance
        ic.check(f + 100.0, x, x=xv)
