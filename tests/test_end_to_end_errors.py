"""Bad input -> the exception class of the contract and a message that names the culprit.

Every row is (call, exception class, fragments the message must contain). ``pytest.raises``
with the contract's class also proves nothing else (TypeError, KeyError, IndexError, ...)
escapes. A fuzz test at the end throws junk at the public functions.
"""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import indexcalc as ic

X, W, v, x, M = ic.tensors("X[n,d] W[d,h] v[h] x[3] M[3,3]")
A, B = ic.tensors("A[m,n] B[k,l]")
GOOD = dict(X=np.ones((4, 3)), W=np.ones((3, 5)), v=np.ones(5), x=np.ones(3), M=np.eye(3))


def good(**changes):
    vals = dict(GOOD, **changes)
    return {k: val for k, val in vals.items() if val is not _DROP}


_DROP = object()

PARSE = [  # malformed einsum strings and wrong operand counts: ParseError quoting the string
    (lambda: ic.einsum("ij,jk->ik", X), ["'ij,jk->ik'", "2 input terms", "1 operands"]),
    (lambda: ic.einsum("ij", X, W), ["'ij'", "1 input terms", "2 operands"]),
    (lambda: ic.einsum("ij,jk->ik"), ["'ij,jk->ik'", "0 operands"]),
    (lambda: ic.einsum("ij->k", X), ["'ij->k'", "'k'", "no input"]),
    (lambda: ic.einsum("ij->ii", X), ["'ij->ii'", "'i'", "2 times"]),
    (lambda: ic.einsum("i->j->k", x), ["'i->j->k'", "'->'"]),
    (lambda: ic.einsum("i.j", X), ["'i.j'", "'.'"]),
    (lambda: ic.einsum("i1", X), ["'i1'", "'1'"]),
    (lambda: ic.einsum("i-j", X), ["'i-j'", "'-'"]),
    (lambda: ic.einsum("ij,jk->ik,k", X, W), ["'ij,jk->ik,k'", "','"]),
    (lambda: ic.einsum("......i", X), ["'......i'", "more than one '...'"]),
    (lambda: ic.einsum("ijk", X), ["'ijk'", "3 letters", "2 axes"]),
    (lambda: ic.einsum("i", X), ["'i'", "1 letters", "2 axes"]),
    (lambda: ic.einsum("...ij->ij", ic.Tensor("T", (2, 3, 4))), ["'...ij->ij'", "'...'"]),
]

SHAPE = [  # dimensions that disagree, found when the expression is built
    (lambda: ic.einsum("ij,jk->ik", A, B),
     ["'ij,jk->ik'", "letter 'j'", "operand 0 (axis 1)", "operand 1 (axis 0)", "n", "k"]),
    (lambda: ic.einsum("ii", A), ["'ii'", "letter 'i'", "m", "n", "axis 0", "axis 1"]),
    (lambda: ic.einsum("...i,...i", ic.Tensor("P", (2, 3)), ic.Tensor("Q", (4, 3))),
     ["ellipsis", "2", "4", "operand 0", "operand 1"]),
    (lambda: X @ X, ["@", "(n, d)", "d", "n", "not aligned"]),
    # v2 "Dimensions meet": X @ np.ones(4) fixes d = 4; fixing it to two sizes is the error
    (lambda: X @ np.ones(4) + X @ np.ones(3), ["'d'", "4", "3", "constant"]),
    (lambda: X + W, ["+", "(n, d)", "(d, h)"]),
    (lambda: X * v, ["*", "(n, d)", "(h,)"]),
    (lambda: np.ones(3) - ic.Tensor("U", (5, 4)), ["-", "(3,)", "(5, 4)"]),
    (lambda: ic.Tensor("T", (2, 3, 4)) @ x, ["@", "3-D"]),
    (lambda: ic.Constant(2.0) @ x, ["@", "at least one axis"]),
    (lambda: ic.trace(X), ["trace", "square", "(n, d)"]),
    (lambda: ic.inv(X), ["inv", "square", "(n, d)"]),
    (lambda: ic.det(v), ["det", "square", "(h,)"]),
    (lambda: ic.logdet(X), ["logdet", "square"]),
    (lambda: ic.diagonal(X), ["diagonal", "square"]),
    (lambda: ic.diag(X), ["diag", "vector", "(n, d)"]),
    (lambda: ic.kron(x, x), ["kron", "matrices", "(3,)"]),
    (lambda: X.reshape("m"), ["reshape", "(n, d)", "(m,)"]),
    (lambda: X.reshape(-1, -1), ["reshape", "-1"]),
    (lambda: M.reshape(-1, 2), ["reshape", "9", "2"]),
    (lambda: X.sum(axis=2), ["sum", "axis 2", "2 axes"]),
    (lambda: X.sum(axis=(0, 0)), ["sum", "repeated"]),
    (lambda: X.transpose(0), ["transpose", "permutation"]),
    (lambda: X.transpose(0, 0), ["transpose"]),
    (lambda: ic.softmax(X, axis=-3), ["softmax", "axis -3"]),
    (lambda: ic.softmax(ic.Constant(1.0)), ["softmax", "at least one axis"]),
    (lambda: ic.log_softmax(2.0), ["log_softmax", "at least one axis"]),
    (lambda: ic.logsumexp(x, axis=1), ["logsumexp", "axis 1"]),
    (lambda: ic.Tensor("S", "n m", symmetric=True), ["'S'", "square", "(n, m)"]),
    (lambda: ic.Tensor("X", -1), ["'X'", "negative"]),
    (lambda: ic.Tensor("X", 3.5), ["'X'", "3.5"]),
    (lambda: ic.Tensor("X", [[1]]), ["'X'", "[1]"]),
    (lambda: ic.Tensor("X", "n 2x"), ["'X'", "'2x'"]),
    (lambda: ic.eye(None), ["None"]),
    (lambda: ic.eye(2.5), ["2.5"]),
    (lambda: ic.delta("n-1"), ["'n-1'"]),
]

BINDING = [  # values that do not fit, found at evaluation
    (lambda: (X @ W).evaluate(**good(W=_DROP)), ["'W'", "(d, h)", "given"]),
    (lambda: (X @ W).evaluate(), ["'X'", "(n, d)", "nothing"]),
    (lambda: (X @ W).evaluate(**good(W=np.ones(3))), ["'W'", "2 axes", "(d, h)", "(3,)"]),
    (lambda: (M @ x).evaluate(**good(M=np.ones((3, 4)))), ["'M'", "axis 1", "3", "4"]),
    (lambda: (M @ x).evaluate(**good(x=np.ones(2))), ["'x'", "axis 0", "3", "2"]),
    (lambda: (X @ W).evaluate(**good(W=np.ones((5, 2)))),
     ["'W'", "axis 0", "'d'", "5", "3", "'X' axis 1"]),
    (lambda: (X @ W @ v).evaluate(**good(v=np.ones(7))), ["'v'", "axis 0", "'h'", "7", "5", "'W'"]),
    (lambda: X.evaluate(X=np.array([[object()]])), ["'X'", "dtype object"]),
    (lambda: X.evaluate(X=np.array([["a", "b"]])), ["'X'", "dtype <U1"]),
    (lambda: X.evaluate(X="abc"), ["'X'", "dtype"]),
    (lambda: X.evaluate(X=None), ["'X'"]),
    (lambda: x.evaluate(x=np.ones(3) * 1j), ["'x'", "complex"]),
    (lambda: x.evaluate(x=[[1.0], [1.0, 2.0]]), ["'x'", "list"]),
    (lambda: x.evaluate(x=x), ["'x'", "expression"]),
    (lambda: (ic.Tensor("y", 3).sum() + ic.Tensor("y", 4).sum()).evaluate(y=np.ones(3)),
     ["'y'", "(3,)", "(4,)"]),
    (lambda: ic.compile(X @ W)(X=np.ones((2, 3))), ["'W'"]),
    (lambda: ic.plan(X @ W, n=10), ["d", "h", "plan"]),
    (lambda: ic.plan(X @ W, n=10, d=2, h="a"), ["'h'", "'a'"]),
    (lambda: ic.plan(X @ W, n=10, d=2, h=-1), ["'h'", "-1"]),
]

JUNK = [  # non-expression junk given to functions: IndexcalcError, never TypeError / KeyError
    (lambda: ic.exp("abc"), ["exp", "str"]),
    (lambda: ic.tanh(None), ["tanh", "None"]),
    (lambda: ic.sum({}), ["sum", "dict"]),
    (lambda: ic.norm(object()), ["norm", "object"]),
    (lambda: ic.norm(x, ord=3), ["ord", "3"]),
    (lambda: ic.norm(X, ord=2), ["ord=2", "Frobenius"]),
    (lambda: X + "abc", ["+", "'abc'"]),
    (lambda: "abc" * X, ["*", "'abc'"]),
    (lambda: X @ None, ["@", "None"]),
    (lambda: X / {}, ["/", "dict"]),
    (lambda: X ** X, ["exponent", "number"]),
    (lambda: X ** "2", ["exponent"]),
    (lambda: X.sum(axis="a"), ["sum", "'a'"]),
    (lambda: X.sum(axis=1.5), ["sum", "1.5"]),
    (lambda: X.transpose("a", "b"), ["transpose", "'a'"]),
    (lambda: X.named(3), ["name", "3"]),
    (lambda: X.named(""), ["name"]),
    (lambda: ic.let(None, X), ["name", "None"]),
    (lambda: ic.softmax(x, axis="a"), ["softmax", "'a'"]),
    (lambda: ic.einsum(3, X), ["subscripts", "3"]),
    (lambda: ic.einsum("ij", "abc"), ["einsum operand 0", "'abc'"]),
    (lambda: ic.einsum("ij", None), ["einsum operand 0", "None"]),
    (lambda: ic.trace("abc"), ["trace", "'abc'"]),
    (lambda: ic.diag(None), ["diag", "None"]),
    (lambda: ic.kron(None, M), ["kron", "None"]),
    (lambda: ic.outer(x, object()), ["outer", "object"]),
    (lambda: ic.inv([[1.0, 2.0]]), ["inv", "(1, 2)"]),
    (lambda: ic.delta("n", 0), ["order", "0"]),
    (lambda: ic.delta("n", "a"), ["order", "'a'"]),
    (lambda: ic.Constant("abc"), ["Constant", "<U3"]),
    (lambda: ic.Constant([[1], [1, 2]]), ["Constant"]),
    (lambda: ic.Constant(X), ["Constant", "expression"]),
    (lambda: ic.Constant(1.0, name="1x"), ["name", "'1x'"]),
    (lambda: ic.Tensor("1x", 3), ["name", "'1x'"]),
    (lambda: ic.Tensor(3, 3), ["name", "3"]),
    (lambda: ic.tensors(3), ["tensors", "3"]),
    (lambda: ic.tensors("X[n,d"), ["tensors", "'X[n,d'"]),
    (lambda: ic.tensors(""), ["tensors", "empty"]),
    (lambda: ic.compile(X, backend=3), ["backend", "3"]),
    (lambda: ic.compile("abc"), ["compile", "'abc'"]),
    (lambda: ic.evaluate(None), ["evaluate", "None"]),
    (lambda: ic.plan(None), ["None"]),
    (lambda: bool(X), ["truth value"]),
    (lambda: list(X), ["iterable"]),
    (lambda: len(ic.Constant(1.0)), ["len", "0-d"]),
    (lambda: X.reshape("a b"), ["reshape", "'a b'"]),
    (lambda: ic.inv(M).evaluate(M=np.zeros((3, 3))), ["inv", "singular"]),
]

ROWS = ([(f, ic.ParseError, frags) for f, frags in PARSE]
        + [(f, ic.ShapeError, frags) for f, frags in SHAPE]
        + [(f, ic.BindingError, frags) for f, frags in BINDING]
        + [(f, ic.IndexcalcError, frags) for f, frags in JUNK])
IDS = ([f"parse-{i}" for i in range(len(PARSE))] + [f"shape-{i}" for i in range(len(SHAPE))]
       + [f"binding-{i}" for i in range(len(BINDING))] + [f"junk-{i}" for i in range(len(JUNK))])


@pytest.mark.parametrize("call,cls,fragments", ROWS, ids=IDS)
def test_error_table(call, cls, fragments):
    with pytest.raises(cls) as info:
        call()
    assert isinstance(info.value, ic.IndexcalcError) and isinstance(info.value, ValueError)
    message = str(info.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"{missing} not in {message!r}"


def test_exception_family():
    for cls in (ic.ShapeError, ic.ParseError, ic.BindingError, ic.LayoutError):
        assert issubclass(cls, ic.IndexcalcError)
    assert issubclass(ic.IndexcalcError, ValueError)


# --------------------------------------------------------------------------- any name works

def test_self_and_expr_are_tensor_names():
    s, e, o = ic.Tensor("self", 3), ic.Tensor("expr", 3), ic.Tensor("optimize", 3)
    f = s * e + o
    a, b, c = np.arange(3.0), np.full(3, 2.0), np.ones(3)
    want = a * b + c
    np.testing.assert_allclose(f.evaluate(self=a, expr=b, optimize=c), want)
    np.testing.assert_allclose(ic.evaluate(f, self=a, expr=b, optimize=c), want)
    np.testing.assert_allclose(ic.compile(f)(self=a, expr=b, optimize=c), want)


def test_self_and_expr_are_dimension_names_for_plan():
    T = ic.Tensor("T", "self expr")
    p = ic.plan(T @ ic.Tensor("u", "expr"), self=4, expr=5)
    assert p.sizes == {"self": 4, "expr": 5}


# --------------------------------------------------------------------------- fuzz

JUNK_VALUES = st.one_of(
    st.none(), st.text(max_size=5), st.floats(allow_nan=True), st.integers(-3, 5),
    st.booleans(), st.just({}), st.just(object()), st.just(np.array(["a"])),
    st.just(np.ones((2, 2))), st.lists(st.integers(0, 2), max_size=3),
    st.tuples(st.integers(-2, 3), st.text(max_size=2)), st.sampled_from([X, x, M, v]),
)
FUNCTIONS = [
    (ic.exp, 1), (ic.log, 1), (ic.sqrt, 1), (ic.relu, 1), (ic.abs, 1), (ic.sum, 2), (ic.norm, 2),
    (ic.softmax, 2), (ic.log_softmax, 2), (ic.logsumexp, 2), (ic.trace, 1), (ic.diag, 1),
    (ic.diagonal, 1), (ic.eye, 1), (ic.delta, 2), (ic.inv, 1), (ic.det, 1), (ic.logdet, 1),
    (ic.outer, 2), (ic.kron, 2), (ic.reshape, 2), (ic.transpose, 2), (ic.matmul, 2),
    (ic.named, 2), (ic.let, 2), (ic.Constant, 2), (ic.Tensor, 2), (ic.tensors, 1),
    (ic.compile, 2), (ic.evaluate, 1), (ic.einsum, 2), (lambda a: x + a, 1), (lambda a: a - M, 1),
    (lambda a: a @ M, 1), (lambda a: x @ a, 1), (lambda a: x ** a, 1), (lambda a: a / x, 1),
    (lambda a: X.sum(a), 1), (lambda a: X.reshape(a), 1), (lambda a: X.transpose(a), 1),
]


@given(st.sampled_from(range(len(FUNCTIONS))), st.lists(JUNK_VALUES, min_size=2, max_size=2))
def test_junk_never_escapes_as_another_exception(which, args):
    fn, arity = FUNCTIONS[which]
    try:
        out = fn(*args[:arity])
    except ic.IndexcalcError:
        return
    # what was accepted is a working object (an expression evaluates or fails cleanly)
    if isinstance(out, ic.Expr):
        try:
            out.evaluate(X=np.ones((2, 3)), x=np.ones(3), M=np.eye(3), v=np.ones(4))
        except ic.IndexcalcError:
            pass


SUBSCRIPT_CHARS = st.sampled_from(list("iijjk.,->  ") + ["...", "->", "A"])


@given(st.lists(SUBSCRIPT_CHARS, max_size=8).map("".join), st.integers(0, 3))
def test_einsum_fuzz_agrees_with_numpy_or_raises_parse_errors(subscripts, n_operands):
    shapes = [(2, 3), (3,), (3, 3)][:n_operands]
    arrays = [np.arange(float(np.prod(s))).reshape(s) + 1 for s in shapes]
    try:
        want = np.einsum(subscripts, *arrays)
    except Exception:
        want = None
    try:
        got = ic.einsum(subscripts, *arrays).evaluate()
    except (ic.ParseError, ic.ShapeError):
        return  # NumPy may accept what the contract refuses only where tested elsewhere
    assert want is not None, f"{subscripts!r} accepted by indexcalc, refused by NumPy"
    np.testing.assert_allclose(got, want)
