"""Plans and programs are shared by every compiled object of the same expression and sizes, and
the sharing never changes a value: a different memory limit, dtype, backend or path search gets
its own program; many threads compiling at once all get the right answer; the table is bounded.
Also the straight-line function a program runs: it releases each value after its last reader.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

import indexcalc as ic
from indexcalc.evaluation.shared_plans import SHARED, SHARED_SIZE, SharedCache
from indexcalc.evaluation.programs import INTERPRETED_CALLS
from indexcalc.evaluation.straight_line import CHUNK, interpret, program_function

SIZES = {"n": 5, "d": 3}


def logistic_gradient():
    """A new but equal expression each call (the nodes are interned)."""
    X, w, y = ic.tensors("X[n,d] w[d] y[n]")
    return ic.grad(ic.sum(ic.softplus(X @ w)) - y @ (X @ w), w)


def closed_gradient(X, w, y):
    return X.T @ (1.0 / (1.0 + np.exp(-(X @ w))) - y)


def values(seed):
    rng = np.random.default_rng(seed)
    return {"X": rng.standard_normal((5, 3)), "w": rng.standard_normal(3),
            "y": rng.integers(0, 2, 5).astype(float)}


def test_equal_expressions_share_the_program():
    first, second = ic.compile(logistic_gradient()), ic.compile(logistic_gradient())
    assert first is not second
    assert first.program_for(SIZES) is second.program_for(SIZES)
    assert first.plans_for(SIZES) is second.plans_for(SIZES)
    v = values(0)
    np.testing.assert_allclose(second(**v), closed_gradient(**v), rtol=1e-12)


def test_what_a_program_depends_on_is_part_of_the_key():
    g = logistic_gradient()
    base = ic.compile(g).program_for(SIZES)
    assert ic.compile(g).program_for({"n": 4, "d": 3}) is not base
    assert ic.compile(g).program_for(SIZES, np.float32) is not base
    assert ic.compile(g, optimize="greedy").program_for(SIZES) is not base
    assert ic.compile(g, memory_limit=10**9).program_for(SIZES) is not base
    with ic.memory_limit(10**9):  # a program is checked against the limit in force when built
        assert ic.compile(g).program_for(SIZES) is not base


def test_a_lower_limit_still_refuses_after_a_shared_build():
    X, W = ic.tensors("X[n,d] W[d,h]")
    jacobian = ic.diff(X @ W, W)
    sizes = {"n": 20, "d": 20, "h": 20}
    ic.compile(jacobian).program_for(sizes)
    try:
        ic.compile(jacobian, memory_limit=1000).program_for(sizes)
    except ic.IndexcalcError as e:
        assert "memory limit" in str(e)
    else:
        raise AssertionError("the lower limit was not checked")


def test_threads_compiling_at_once_all_get_the_right_value():
    SHARED.clear()
    results, errors = {}, []

    def work(k):
        try:
            v = values(k)
            results[k] = (ic.compile(logistic_gradient())(**v), closed_gradient(**v))
        except Exception as e:  # reported below: an exception in a thread is otherwise lost
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 8
    for got, want in results.values():
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_the_shared_table_is_bounded():
    X, = ic.tensors("X[n]")
    for k in range(SHARED_SIZE + 10):
        ic.compile(X * float(k + 2)).program_for({"n": 2})
    assert len(SHARED) <= SHARED_SIZE


def test_least_recently_used_goes_first():
    cache = SharedCache(2)
    cache.get_or_build("a", lambda: 1)
    cache.get_or_build("b", lambda: 2)
    cache.get_or_build("a", lambda: 3)  # a used again: b is now the oldest
    cache.get_or_build("c", lambda: 4)
    assert "a" in cache and "b" not in cache and "c" in cache


class Tracked(np.ndarray):
    """An array that records when it is freed (weakref-able, unlike a plain ndarray view)."""


def test_straight_line_releases_each_value_after_its_last_reader():
    seen = []

    def first(a):
        out = (a + 1.0).view(Tracked)
        seen.append(weakref.ref(out))
        return out

    def second(t):
        assert seen[0]() is t
        return t * 2.0

    def third(u):
        assert seen[0]() is None  # the first intermediate died after its only reader
        return u - 1.0

    run = program_function([(first, (0,), 1, (0,)), (second, (1,), 2, (1,)),
                            (third, (2,), 3, (2,))], [("a", 0)], {}, 3)
    np.testing.assert_array_equal(run({"a": np.zeros(3)}), np.ones(3))


def test_a_long_program_runs_in_chunks_and_still_releases():
    seen = []

    def make(a):
        out = (a + 1.0).view(Tracked)
        seen.append(weakref.ref(out))
        return out

    def last_reader(t, u):
        return t + u

    def check(u):
        assert seen[0]() is None  # freed after its last reader, two chunks back
        return u

    n = 2 * CHUNK + 50
    steps = [(make, (0,), 1, ())]  # slot 1: read once, by the step at position CHUNK + 10
    steps += [(np.negative, (k + 1 if k else 0,), k + 2, (k + 1,) if k else ()) for k in range(n)]
    steps[CHUNK + 10] = (last_reader, (1, CHUNK + 10), CHUNK + 11, (1, CHUNK + 10))
    steps.append((check, (n + 1,), n + 2, (n + 1,)))
    program = program_function(steps, [("a", 0)], {}, n + 2)
    seen.clear()
    got = program({"a": np.zeros(2)})
    seen.clear()
    want = interpret(steps[:-1] + [(lambda u: u, (n + 1,), n + 2, (n + 1,))], [("a", 0)], {},
                     n + 2, n + 3, {"a": np.zeros(2)})
    np.testing.assert_array_equal(got, want)


def test_first_calls_interpret_then_the_function_is_generated():
    X, = ic.tensors("X_tiers[n]")
    f = ic.compile(ic.tanh(X) * 2.0)
    x = np.linspace(-1, 1, 5)
    program = f.program_for({"n": 5})
    for call in range(INTERPRETED_CALLS + 2):
        np.testing.assert_allclose(f(X_tiers=x), 2 * np.tanh(x), rtol=1e-15)
        assert (program._function is None) == (call < INTERPRETED_CALLS)
