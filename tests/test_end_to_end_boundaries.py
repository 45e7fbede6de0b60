"""Only the library's own errors: junk at every public boundary raises ``ic.IndexcalcError``.

Random einsum strings and operand counts, wrong values at evaluation, wrong argument types to
every function in ``indexcalc.__all__`` and random formula text for ``ic.parse``: each call either
succeeds or raises an ``ic.IndexcalcError`` subclass. Anything else escaping (``TypeError``,
``KeyError``, ``IndexError``, ``RecursionError``, a NumPy or opt_einsum error) is a bug; the one
exception is ``ic.check``'s ``AssertionError`` verdict. The table at the end pins the messages of
the common mistakes: they name the culprit.
"""

import inspect
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import indexcalc as ic
from indexcalc.evaluation import memory

X, W, v, S = ic.tensors("X[n,d] W[d,h] v[h] S[d,d]")
GOOD = {"X": np.ones((2, 3)), "W": np.ones((3, 4)), "v": np.ones(4), "S": np.eye(3)}
EXPRS = [X, W, v, S, X @ W, ic.tanh(X @ W @ v), ic.sum(X), ic.Constant(2.0), ic.Tensor("c", ())]

junk_scalars = st.sampled_from([
    None, True, False, 0, 1, -1, 2, -7, 10**30, -(10**30), 0.5, float("nan"), float("inf"), 1j,
    "", "X", "n d", "ij,jk->ik", "ij->", "->", "...", "x[", "axis", "numpy", "col", "symmetric",
    b"bytes", (), [], {}, {"X": 1}, {"n": 3}, [1, [2, 3]], [[1, 2], [3]], (1, 2), ("n", "d"),
    object(), print, slice(1, 2), Ellipsis,
])
junk_arrays = st.sampled_from([
    np.ones(3), np.ones((2, 3)), np.ones((3, 3)), np.zeros((0, 3)), np.ones((2, 3, 4)),
    np.array(5.0), np.array(["a", "b"]), np.array([1 + 2j, 3j]), np.array([None, 1], dtype=object),
    np.full((2, 3), np.nan), np.ones((2, 3), dtype=np.float32), np.ones(3, dtype=np.int64),
    np.array([True, False]), np.ones((1, 1, 1, 1, 1, 1, 1)),
])
junk = st.one_of(junk_scalars, junk_arrays, st.sampled_from(EXPRS),
                 st.lists(st.sampled_from(EXPRS + [1, None, "X"]), max_size=3).map(tuple),
                 st.text(max_size=8))


def _allowed(fn_name: str, exc: BaseException) -> bool:
    if isinstance(exc, ic.IndexcalcError):
        return True
    return fn_name == "check" and type(exc) is AssertionError


def call(fn_name: str, fn, *args, **kwargs):
    """Call, let only the library's errors through, and exercise what comes back."""
    limit = memory._limit  # ic.set_memory_limit is fuzzed too: a junk limit must not leak
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(*args, **kwargs)
            if isinstance(out, ic.Expr):
                str(out)
    except BaseException as exc:  # noqa: BLE001 - the point is to see everything
        if not _allowed(fn_name, exc):
            raise AssertionError(f"ic.{fn_name}{args!r:.200} {kwargs!r:.100} raised "
                                 f"{type(exc).__name__}: {exc}") from exc
        return exc
    finally:
        memory._limit = limit
    return out


#: Result types the library returns (users read them, never build them) are not fuzzed.
RESULTS = {"MatrixForm", "Derivation", "Plan"}
PUBLIC = sorted(n for n in ic.__all__ if callable(getattr(ic, n)) and n not in RESULTS
                and not (isinstance(getattr(ic, n), type) and issubclass(getattr(ic, n), Exception)))


def _accepts(fn, args, kwargs) -> bool:
    try:
        inspect.signature(fn).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return False  # a call Python itself rejects (wrong arity) is not the library's to judge
    return True


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(PUBLIC), args=st.lists(junk, max_size=3),
       kw=st.dictionaries(st.sampled_from(["axis", "order", "shapes", "layout", "convention",
                                           "backend", "ord", "k", "name", "X", "n", "direction",
                                           "vectors", "vec", "out_ndim", "rtol"]), junk,
                          max_size=2))
def test_public_functions_raise_only_library_errors(name, args, kw):
    fn = getattr(ic, name)
    if _accepts(fn, args, kw):
        call(name, fn, *args, **kw)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(PUBLIC), good=st.lists(st.sampled_from(EXPRS), min_size=1, max_size=3),
       bad=junk, at=st.integers(0, 2))
def test_one_bad_argument_among_good_ones(name, good, bad, at):
    """Mostly plausible calls with one argument replaced, so checks past the first are reached."""
    args = list(good)
    args.insert(min(at, len(args)), bad)
    fn = getattr(ic, name)
    for n in range(1, len(args) + 1):
        if _accepts(fn, args[:n], {}):
            call(name, fn, *args[:n])


@settings(max_examples=300, deadline=None)
@given(subscripts=st.one_of(st.text(alphabet="abcij,->. A1", max_size=14),
                            st.text(max_size=10)),
       operands=st.lists(st.sampled_from(EXPRS + [np.ones(3), np.ones((3, 3)), 2.0]), max_size=4))
def test_random_einsum_strings(subscripts, operands):
    call("einsum", ic.einsum, subscripts, *operands)


VALUES = st.one_of(junk, junk_arrays, st.sampled_from([np.ones((2, 3)), np.ones((3, 2)),
                                                       np.full((2, 3), np.nan), [[1, 2, 3]] * 2,
                                                       [[1, 2, 3], [4, 5]], 3.0]))


@settings(max_examples=300, deadline=None)
@given(expr=st.sampled_from(EXPRS[4:6] + [ic.inv(S), ic.logdet(S), ic.softmax(X), ic.grad(
    ic.sum(ic.tanh(X @ W) @ v), W)]), which=st.sampled_from(["X", "W", "v", "S", "extra"]),
       value=VALUES, mode=st.sampled_from(["evaluate", "compile", "plan", "check"]))
def test_wrong_values_at_evaluation(expr, which, value, mode):
    values = {**GOOD, which: value}
    if mode == "evaluate":
        call("evaluate", ic.evaluate, expr, **values)
    elif mode == "compile":
        call("compile", lambda: ic.compile(expr)(**values))
    elif mode == "plan":
        call("plan", ic.plan, expr, **{k: w for k, w in values.items() if k in ("n", "d", "h", which)})
    else:
        call("check", ic.check, ic.sum(expr), W, **values)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(
    st.text(max_size=30),
    st.text(alphabet="XWv()[]{}+-*/@.,:;'\"0123456789e_ sumtanhlogexpeinsum->ij", max_size=40),
    st.lists(st.sampled_from(["X", "W", "v", "(", ")", "[", "]", "@", "+", "*", "**", "-", ".T",
                              "sum(", "tanh(", "foo(", "1e999", "9" * 400, ",", "n", "d", "'ij,jk->ik'",
                              "einsum(", "lambda", "__import__", "[n,d]", "X[n,d]"]),
             max_size=12).map("".join)))
def test_random_formula_text(text):
    call("parse", ic.parse, text, shapes={"X": "n d", "W": "d h", "v": "h"})


# --------------------------------------------------------------------------- messages

def _raise(fn):
    try:
        fn()
    except ic.IndexcalcError as e:
        return e
    raise AssertionError("no error")


MESSAGES = [
    # (what, call, error class, fragments the message must contain)
    ("missing tensor", lambda: (X @ W).evaluate(X=GOOD["X"]), ic.BindingError,
     ["'W'", "no value"]),
    ("wrong size", lambda: (X @ W).evaluate(X=np.ones((2, 5)), W=GOOD["W"]), ic.BindingError,
     ["'W'", "axis 0", "5", "3"]),
    ("wrong ndim", lambda: (X @ W).evaluate(X=np.ones(3), W=GOOD["W"]), ic.BindingError,
     ["'X'", "2 axes", "(3,)"]),
    ("string dtype", lambda: v.evaluate(v=np.array(["a", "b", "c", "d"])), ic.BindingError,
     ["'v'", "real numbers"]),
    ("complex dtype", lambda: v.evaluate(v=np.ones(4) * 1j), ic.BindingError,
     ["'v'", "complex"]),
    ("None value", lambda: v.evaluate(v=None), ic.BindingError, ["'v'"]),
    ("expression as value", lambda: v.evaluate(v=X), ic.BindingError, ["'v'", "expression"]),
    ("einsum syntax", lambda: ic.einsum("ij,jk->i->k", X, W), ic.ParseError,
     ["'ij,jk->i->k'", "'->'"]),
    ("einsum operand count", lambda: ic.einsum("ij,jk->ik", X), ic.ParseError,
     ["2 input terms", "1 operand"]),
    ("einsum dims", lambda: ic.einsum("ij,jk->ik", X, X), ic.ShapeError,
     ["'j'", "d", "n"]),
    ("matmul", lambda: X @ X, ic.ShapeError, ["(n, d)", "aligned"]),
    ("broadcast", lambda: X + W, ic.ShapeError, ["(n, d)", "(d, h)"]),
    ("grad of non-scalar", lambda: ic.grad(X @ W, W), ic.ShapeError, ["scalar", "(n, h)"]),
    ("diff by expression", lambda: ic.diff(X @ W, X @ W), ic.IndexcalcError, ["ic.Tensor"]),
    ("inv of non-square", lambda: ic.inv(X), ic.ShapeError, ["inv", "square", "(n, d)"]),
    ("bad tensor name", lambda: ic.Tensor("1x", 3), ic.IndexcalcError, ["'1x'", "identifier"]),
    ("bad axis", lambda: ic.sum(X, axis=2), ic.ShapeError, ["axis 2", "2 axes"]),
    ("singular inverse", lambda: ic.inv(S).evaluate(S=np.zeros((3, 3))), ic.IndexcalcError,
     ["singular"]),
    ("tensors syntax", lambda: ic.tensors("X[n,d"), ic.ParseError, ["X[n,d"]),
]


@pytest.mark.parametrize("what,fn,cls,fragments", MESSAGES, ids=[m[0] for m in MESSAGES])
def test_messages_name_the_culprit(what, fn, cls, fragments):
    err = _raise(fn)
    assert isinstance(err, cls), f"{what}: {type(err).__name__}: {err}"
    for frag in fragments:
        assert frag in str(err), f"{what}: {frag!r} not in {str(err)!r}"
