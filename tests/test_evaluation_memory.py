"""The memory guard refuses, before allocating, an evaluation whose largest array is too big."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.evaluation.memory import format_bytes, physical_memory

from _work import calls


def test_a_64_terabyte_jacobian_is_refused_at_once():
    X, W = ic.tensors("X[n,d] W[d,h]")

    def refused(n, limit=None):
        values = dict(X=np.zeros((n, n)), W=np.zeros((n, n)))

        def attempt():
            try:
                ic.compile(ic.diff(X @ W, W), memory_limit=limit)(**values)
            except ic.IndexcalcError as e:
                return e
            return None

        tracemalloc.start()
        try:
            work, err = calls(attempt)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert isinstance(err, ic.IndexcalcError), n
        return err, work, peak

    err, work, peak = refused(2000)
    _, work_small, _ = refused(20, limit=1000)  # the same refusal at 20 × 20: the same work
    assert peak < 2**20, peak  # refused before allocating (not even one 2000 × 2000 temporary)
    assert work < 1.5 * work_small + 1000, (work, work_small)  # no work that grows with n
    message = str(err)
    assert "(2000, 2000, 2000, 2000)" in message and "128 TB" in message  # float64: 8 bytes each
    assert "X[n,d]" in message  # the product it would have built
    for advice in ("ic.vjp", "ic.to_kron", "smaller problem", "set_memory_limit"):
        assert advice in message


def test_limit_per_program_and_global_and_restored():
    x, A = ic.tensors("x[n] A[n,n]")
    e = ic.outer(x, x) + A  # one n×n result: 8 n² bytes
    values = dict(x=np.ones(100), A=np.eye(100))
    assert ic.compile(e, memory_limit=80_000)(**values).shape == (100, 100)
    with pytest.raises(ic.IndexcalcError, match=r"\(100, 100\) \(80 kB\).*limit of 80 kB"):
        ic.compile(e, memory_limit=79_999)(**values)
    previous = ic.set_memory_limit(79_999)
    try:
        assert ic.memory_limit() == 79_999
        with pytest.raises(ic.IndexcalcError):
            ic.evaluate(e, **values)
        with pytest.raises(ic.IndexcalcError):
            ic.compile(e)(**values)
        assert ic.compile(e, memory_limit=10**6)(**values).shape == (100, 100)  # per call wins
        with pytest.raises(ic.IndexcalcError):  # float32 halves the bytes: still checked per dtype
            ic.compile(e, memory_limit=39_999)(**{k: v.astype(np.float32) for k, v in values.items()})
    finally:
        ic.set_memory_limit(previous)
    assert ic.memory_limit() == int(physical_memory() * 0.5)


def test_intermediates_are_guarded_too():
    """A bad written order whose intermediate is the big array: the planner avoids it."""
    a, b, c = ic.tensors("a[n] b[m] c[m]")
    e = ic.einsum("i,j,j->i", a, b, c)  # planned as a·(b·c): no n×m intermediate
    assert ic.compile(e, memory_limit=8 * 1000)(a=np.ones(1000), b=np.ones(5000),
                                                c=np.ones(5000)).shape == (1000,)


@pytest.mark.parametrize("bad", [0, -1, "1GB", True, [1]])
def test_bad_limits_are_refused(bad):
    with pytest.raises(ic.IndexcalcError, match="positive number of bytes"):
        ic.set_memory_limit(bad)
    with pytest.raises(ic.IndexcalcError, match="positive number of bytes"):
        ic.compile(ic.Tensor("x", 3), memory_limit=bad)


def test_sizes_print_in_decimal_units():
    assert [format_bytes(n) for n in (512, 80_000, 1.5e9, 1.28e14)] == \
        ["512 B", "80 kB", "1.5 GB", "128 TB"]


def test_memory_limit_as_a_context_manager_restores_the_setting():
    e = ic.Tensor("x", 100)[:, None] * ic.Tensor("y", 100)[None, :]
    values = {"x": np.ones(100), "y": np.ones(100)}
    before = ic.memory_limit()
    with ic.memory_limit(79_999) as limit:
        assert limit == ic.memory_limit() == 79_999
        with pytest.raises(ic.IndexcalcError, match="memory limit"):
            ic.evaluate(e, **values)
        with ic.memory_limit(None):  # nested: the default inside, 79_999 again after
            assert ic.evaluate(e, **values).shape == (100, 100)
        assert ic.memory_limit() == 79_999
    assert ic.memory_limit() == before
    with pytest.raises(ValueError):
        with ic.memory_limit(10):
            raise ValueError("restored on the way out too")
    assert ic.memory_limit() == before


def test_an_infinite_memory_limit_means_none():
    with ic.memory_limit(float("inf")):
        assert ic.memory_limit() > 2**64
    previous = ic.set_memory_limit(float("inf"))
    ic.set_memory_limit(previous)
    for bad in (float("nan"), -float("inf"), "1GB"):
        with pytest.raises(ic.IndexcalcError, match="positive number of bytes"):
            ic.memory_limit(bad)


def test_a_reduction_over_a_broadcast_value_is_guarded_before_it_allocates():
    # logsumexp of a broadcast 1 over 10^11 entries: the product is a view, but exp(a − max a)
    # is a whole array; it raised NumPy's MemoryError (745 GiB) past the guard
    e = ic.parse("logsumexp_m∈[100000000000](1)")
    with pytest.raises(ic.IndexcalcError, match="exp of the argument of"):
        ic.evaluate(e)


def test_a_broadcast_past_what_numpy_can_index_is_refused():
    # red3: a broadcast view allocates nothing, so the guard let it through, but NumPy cannot
    # make a view of more than intp's largest count of entries: the vector of ones 1_(10^20)
    # raised ValueError ("Maximum allowed dimension exceeded"), 1_(10^10) 1_(10^10)ᵀ
    # ValueError ("iterator is too large"). A representable broadcast still evaluates lazily.
    for text in ["1_99999999999999999999", "1_9999999999 1_9999999999ᵀ"]:
        with pytest.raises(ic.IndexcalcError, match="would create an array"):
            ic.parse(text, notation="matrix").evaluate()
    assert np.shape(ic.parse("1_99999 1_99999ᵀ", notation="matrix").evaluate()) == (99999, 99999)
