"""Hostile inputs found by hand and by fuzzing: each row either succeeds or raises an
``ic.IndexcalcError`` subclass (never ``TypeError``, ``ValueError``, ``RecursionError``,
``OverflowError``, ``MemoryError``, ``SyntaxError`` ...). The table grows with each finding;
a row names the finding (issue 14 and the fuzz seeds) and the error the library gives.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.cli import main

x, y = ic.tensors("x[m] y[m]")
X3 = ic.Tensor("X", (3, 3))
Xn = ic.Tensor("X", ("n", "n"))
P = ic.Tensor("P", (2, 2), symmetric=True)


def _deep(depth: int) -> ic.Expr:
    e = x
    for _ in range(depth):
        e = ic.sin(e)
    return e


def _rnn(depth: int) -> ic.Expr:
    M = ic.Tensor("M", "m m")
    z = x
    for _ in range(depth):
        z = ic.tanh(M @ z + x)
    return z


def _sum_by_terms(T: int) -> ic.Expr:
    s = x
    for k in range(T):
        s = s + ic.Tensor(f"t{k}", "m")
    return s


def _cli_check_huge() -> None:
    """The CLI reports an IndexcalcError as exit status 2; raise it again for the table."""
    if main(["diff", "sum(X)", "--wrt", "X", "--shape", "X=100000 100000", "--check"]) == 2:
        raise ic.IndexcalcError("the CLI refused (status 2)")


def _cli(*argv: str) -> None:
    """Run the CLI; its refusal (exit status 2) raised again as an IndexcalcError for the table."""
    if main(list(argv)) == 2:
        raise ic.IndexcalcError("the CLI refused (status 2)")


#: (name, call, the IndexcalcError subclass expected, or None when the call must succeed)
ROWS = [
    ("negative size", lambda: ic.diff(2 * x, x).evaluate(m=-3), ic.BindingError),
    ("infinite memory limit", lambda: ic.set_memory_limit(ic.set_memory_limit(float("inf"))),
     None),
    ("nan memory limit", lambda: ic.set_memory_limit(float("nan")), ic.IndexcalcError),
    ("values as a dict", lambda: ic.sum(x * x).evaluate({"x": np.ones(3)}), None),
    ("values as a list", lambda: ic.sum(x * x).evaluate([np.ones(3)]), ic.BindingError),
    ("a value twice", lambda: ic.sum(x).evaluate({"x": np.ones(3)}, x=np.ones(3)),
     ic.BindingError),
    ("pickle a compiled function",
     lambda: pickle.loads(pickle.dumps(ic.compile(ic.sum(x * x))))(x=np.ones(3)), None),
    ("to_python diff(U*sum(u), u)", lambda: exec(ic.to_python(ic.diff(
        ic.Tensor("U", (1, 2)) * ic.sum(ic.Tensor("u", 2)), ic.Tensor("u", 2))), {}), None),
    ("fuzz seed 3: grad(None, '', shapes='0')", lambda: ic.grad(None, "", shapes="0"),
     ic.ParseError),
    ("fuzz seed 9: shapes=True", lambda: ic.grad("sum(x)", "x", shapes=True), ic.ParseError),
    ("shapes=np.ones(3)", lambda: ic.grad("sum(x)", "x", shapes=np.ones(3)), ic.ParseError),
    ("reshape(True, [1, [2, 3]])", lambda: ic.reshape(True, [1, [2, 3]]), ic.ShapeError),
    ("repr of a 1,000-deep chain", lambda: repr(_deep(1000)), None),
    ("repr of a 10,000-deep chain", lambda: repr(ic.grad(ic.sum(_deep(10_000)), x)), None),
    ("pickle a 10,000-deep chain", lambda: pickle.loads(pickle.dumps(_deep(10_000))), None),
    ("str of a 10,000-deep chain", lambda: str(_deep(10_000)), None),
    ("tensors('X[n,d] X[d,h]')", lambda: ic.tensors("X[n,d] X[d,h]"), ic.IndexcalcError),
    ("grad by a symmetric P of a parsed non-symmetric P",
     lambda: ic.grad(ic.parse("sum(P @ P)", shapes={"P": "2 2"}), P), ic.IndexcalcError),
    ("grad by X (3, 3) of f holding X (n, n) too",
     lambda: ic.grad(ic.sum(X3 * X3) + ic.sum(Xn * Xn), X3), ic.IndexcalcError),
    ("diff by X (n, n) given a formula with shapes X (3, 3)",
     lambda: ic.diff("sum(X*X)", Xn, shapes={"X": (3, 3)}), ic.IndexcalcError),
    ("unicode names ｘ and x", lambda: exec(ic.to_python(
        ic.sum(ic.Tensor("ｘ", 3) * ic.Tensor("x", 3))), {}), None),
    ("non-symmetric value of a symmetric tensor",
     lambda: (P @ np.ones(2)).evaluate(P=np.array([[0.0, 1.0], [2.0, 0.0]])), ic.BindingError),
    ("CLI --check of a 10^10-entry Jacobian", _cli_check_huge, ic.IndexcalcError),
    ("memory_limit('1GB')", lambda: ic.memory_limit("1GB"), ic.IndexcalcError),
    ("values with a non-str key", lambda: ic.sum(x).evaluate({0: np.ones(3)}), ic.BindingError),
    ("pickle a deep gradient", lambda: pickle.loads(pickle.dumps(ic.grad(ic.sum(_deep(2000)), x))),
     None),
    ("pickle a large constant", lambda: pickle.loads(pickle.dumps(ic.Constant(np.ones((80, 80))))),
     None),
    ("jvp by a symmetric tensor with a non-symmetric tangent",
     lambda: ic.jvp(ic.sum(P * P), P, np.array([[0.0, 1.0], [0.0, 0.0]])), None),
    ("a sum of 1,000 terms built one by one", lambda: _sum_by_terms(1000), None),
    # round three: forms printed two tensors named X as one (`sum((Xᵀ)^∘2 1) + sum((Xᵀ)^∘2 1)`)
    ("to_matrix of f holding X (3, 3) and X (n, n)",
     lambda: ic.to_matrix(ic.sum(X3 * X3) + ic.sum(Xn * Xn)), ic.IndexcalcError),
    ("to_kron of Σ X (3, 3) · X (n, n)",
     lambda: ic.to_kron(ic.sum(X3) * Xn, out_ndim=2), ic.IndexcalcError),
    ("to_python(backend='torch', name='torch')",
     lambda: ic.to_python(ic.sum(x), backend="torch", name="torch"), ic.IndexcalcError),
    ("to_python(backend='torch') of a tensor named like the module's class",
     lambda: ic.to_python(ic.sum(ic.Tensor("IndexcalcFunction", 2)), backend="torch"),
     ic.IndexcalcError),
    ("to_python(backend='torch') of δ: no input carries its size",
     lambda: ic.to_python(ic.diff(x, x), backend="torch"), ic.IndexcalcError),
    ("to_python(backend=['torch'])", lambda: ic.to_python(x, backend=["torch"]), ic.IndexcalcError),
    # hypothesis seed 777 (test_one_bad_argument_among_good_ones): TypeError from iterating it
    ("reshape(X, np.array(5.0))", lambda: ic.reshape(ic.Tensor("X", "n d"), np.array(5.0)),
     ic.ShapeError),
    ("reshape(x, np.array(-1)) as NumPy reads it", lambda: ic.reshape(x, np.array(-1)), None),
    ("str of a 4,000-deep nest of sums over one dimension",
     lambda: str(_rnn(4000)), None),
    # red team of issues 15/17: a matrix power in matrix notation looped once per factor (hung)
    ("parse A^99999999999999999999 (matrix notation)",
     lambda: ic.parse("A^99999999999999999999", {"A": "n n"}, notation="matrix"), None),
    ("parse 2^99999999999999999999 (matrix notation)",
     lambda: ic.parse("2^99999999999999999999", {}, notation="matrix"), ic.ParseError),
    # pinv(tall='no') was read as truthy: a wide matrix got the tall formula
    ("pinv(W, tall='no')", lambda: ic.pinv(ic.Tensor("W", "p q"), tall="no"), ic.IndexcalcError),
    ("pinv of a 3 × 5 matrix with tall=True",
     lambda: ic.pinv(ic.Tensor("W", (3, 5)), tall=True), ic.IndexcalcError),
    # ic.compare let TypeError/ValueError out of numpy, and rtol=-1 or nan matched nothing
    ("compare(..., seed='a')", lambda: ic.compare("2 x", ic.diff(ic.sum(x * x), x), seed="a"),
     ic.IndexcalcError),
    ("compare(..., seed=-1)", lambda: ic.compare("2 x", ic.diff(ic.sum(x * x), x), seed=-1),
     ic.IndexcalcError),
    ("compare(..., rtol='1')", lambda: ic.compare("2 x", ic.diff(ic.sum(x * x), x), rtol="1"),
     ic.IndexcalcError),
    ("compare(..., rtol=nan)",
     lambda: ic.compare("2 x", ic.diff(ic.sum(x * x), x), rtol=float("nan")), ic.IndexcalcError),
    ("compare(..., rtol=-1)", lambda: ic.compare("2 x", ic.diff(ic.sum(x * x), x), rtol=-1),
     ic.IndexcalcError),
    # values that are nan everywhere made every candidate "equal"
    ("compare a wrong candidate at nan values",
     lambda: ic.compare("3 x", ic.grad(ic.sum(x * x), x), x=np.full(3, np.nan)),
     ic.IndexcalcError),
    # a where clause that defined a name twice silently read the last definition
    ("parse a where clause defining z1 twice",
     lambda: ic.parse("z1\nwhere\n  z1 = A\n  z1 = B", {"A": "n n", "B": "n n"},
                      notation="matrix"), ic.ParseError),
    # red team 2: a TypeError escaped from iterating normalized=/names= in to_matrix
    ("to_matrix(normalized=None)", lambda: ic.to_matrix(ic.grad(ic.sum(x * y), x), normalized=None),
     ic.LayoutError),
    ("to_matrix(normalized=3)", lambda: ic.to_matrix(ic.grad(ic.sum(x * y), x), normalized=3),
     ic.LayoutError),
    ("to_matrix(normalized=[a tensor])",
     lambda: ic.to_matrix(ic.grad(ic.sum(x * y), x), normalized=[y]), ic.LayoutError),
    ("to_matrix(names=None)", lambda: ic.to_matrix(ic.grad(ic.sum(x * y), x), names=None),
     ic.LayoutError),
    # red team 2: a second --shape/--let of one name silently replaced the first
    ("CLI --shape x=n --shape x=m", lambda: _cli("diff", "sum(x)", "--wrt", "x", "--shape", "x=n",
                                                 "--shape", "x=m"), ic.IndexcalcError),
    ("CLI --shape x=n twice", lambda: _cli("diff", "sum(x)", "--wrt", "x", "--shape", "x=n",
                                           "--shape", "x=n"), None),
    ("CLI --let h twice", lambda: _cli("diff", "sum(h)", "--let", "h=x", "--let", "h=2*x",
                                       "--wrt", "x", "--shape", "x=n"), ic.IndexcalcError),
    ("to_matrix(names=one named expression)",
     lambda: ic.to_matrix(ic.grad(ic.sum(ic.tanh(x) * y), x), names=ic.tanh(x).named("t")), None),
    # a fresh venv's boundary fuzz (dev profile): an array as parse's notation/vectors escaped as
    # numpy's "truth value of an array is ambiguous" ValueError
    ("parse(notation=an array)", lambda: ic.parse("x", {"x": "n"}, notation=np.ones(3)),
     ic.ParseError),
    ("parse(vectors=an array)", lambda: ic.parse("x", {"x": "n"}, vectors=np.ones(3)),
     ic.ParseError),
    ("parse(vectors=['row'])", lambda: ic.parse("x", {"x": "n"}, vectors=["row"]), ic.ParseError),
    # session 3: a list of expressions read as an object array ("values must be real numbers");
    # a normalized= name that is no tensor of the expression was silently unused
    ("compile([f, g], jit=True)", lambda: ic.compile([ic.sum(x), 2 * x], jit=True),
     ic.IndexcalcError),
    ("sum((x, [y]))", lambda: ic.sum((x, [y])), ic.IndexcalcError),
    ("explain(normalized=['z'])", lambda: ic.explain(ic.sum(x * x), x, normalized=["z"]),
     ic.LayoutError),
    ("to_matrix(normalized='z')",
     lambda: ic.to_matrix(ic.grad(ic.sum(x * y), x), normalized="z"), ic.LayoutError),
    ("CLI --normalized z", lambda: _cli("diff", "sum(x*y)", "--wrt", "x", "--shape", "x=n",
                                        "--shape", "y=n", "--normalized", "z", "--explain"),
     ic.IndexcalcError),
    # depth brief: a derivative by a symmetric P that no longer reads P took any value of P; a
    # symmetric value holding inf or NaN was refused (inf − inf is NaN), and inf facing −inf taken
    ("sum(P @ A).evaluate(P=non-symmetric)", lambda: ic.sum(P @ ic.Tensor("A", (2, 2))).evaluate(
        P=np.array([[0.0, 1.0], [2.0, 0.0]]), A=np.eye(2)), ic.BindingError),
    ("grad by P evaluated at a non-symmetric P", lambda: ic.grad(ic.sum(P @ np.ones(2)), P)
     .evaluate(P=np.array([[0.0, 1.0], [2.0, 0.0]])), ic.BindingError),
    ("symmetric P holding inf and NaN",
     lambda: ic.sum(P).evaluate(P=np.array([[np.nan, np.inf], [np.inf, 0.0]])), None),
    ("P holding inf facing -inf",
     lambda: ic.sum(P).evaluate(P=np.array([[0.0, np.inf], [-np.inf, 0.0]])), ic.BindingError),
]


@pytest.mark.parametrize("call, expected", [(c, e) for _, c, e in ROWS],
                         ids=[name for name, _, _ in ROWS])
def test_hostile_input_raises_only_the_library_errors(call, expected):
    try:
        call()
    except ic.IndexcalcError as exc:
        assert expected is not None, f"refused a valid call: {exc}"
        assert isinstance(exc, expected)
        return
    assert expected is None, f"accepted; expected {expected.__name__}"


def test_the_refusals_name_the_culprit():
    with pytest.raises(ic.IndexcalcError, match=r"'X' \(shapes \(3, 3\) and \(n, n\)\)"):
        ic.grad(ic.sum(X3 * X3) + ic.sum(Xn * Xn), X3)
    with pytest.raises(ic.BindingError, match="declared symmetric"):
        ic.evaluate(P @ np.ones(2), P=np.array([[0.0, 1.0], [2.0, 0.0]]))
    assert ic.Tensor("ｘ", 3) is ic.Tensor("x", 3)  # one identifier, as Python reads it
    for form in (ic.to_matrix, lambda e: ic.to_kron(e, out_ndim=2)):
        with pytest.raises(ic.IndexcalcError, match=r"two different tensors are named 'X'"):
            form(ic.sum(X3) * Xn)


def test_a_nearly_symmetric_value_is_accepted():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3))
    S = ic.Tensor("S", (3, 3), symmetric=True)
    s = a @ a.T
    s[0, 1] += 1e-12  # round-off of the computation that made it
    f = ic.compile(ic.sum(S))
    assert np.isclose(f(S=s), s.sum())
    with pytest.raises(ic.BindingError):  # the checked path and the cached fast path alike
        f(S=a)
    with pytest.raises(ic.BindingError):
        f(S=a)


def test_matrix_notation_powers_match_numpy():
    """``A^k`` in matrix notation is numpy's matrix power (now built with shared squarings), and a
    number's power stays a number."""
    a = np.random.default_rng(4).normal(size=(4, 4)) / 2
    for k in (1, 2, 3, 5, 8):
        got = ic.parse(f"A^{k}", {"A": "n n"}, notation="matrix").evaluate(A=a)
        np.testing.assert_allclose(got, np.linalg.matrix_power(a, k), rtol=1e-12, atol=1e-12)
    assert float(ic.parse("-2^3", {}, notation="matrix").evaluate()) == -8.0


def test_pinv_with_tall_given_for_named_sizes_matches_numpy():
    w = np.random.default_rng(5).normal(size=(3, 5))
    W = ic.Tensor("W", "p q")
    np.testing.assert_allclose(ic.pinv(W, tall=False).evaluate(W=w), np.linalg.pinv(w),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ic.pinv(W, tall=np.bool_(True)).evaluate(W=w.T),
                               np.linalg.pinv(w.T), rtol=1e-10, atol=1e-12)


def test_compare_still_tells_a_wrong_candidate_at_finite_values():
    g = ic.grad(ic.sum(x * x), x)
    assert not ic.compare("3 x", g, x=np.arange(1.0, 4.0))
    assert ic.compare("2 x", g, x=np.arange(1.0, 4.0), rtol=0).verdict == "equal"


def test_the_size_hint_for_a_ones_matrix_is_a_formula_that_reads():
    """𝟙's hint named ``I_n`` (and ``𝟙_n`` does not read): it names the ones matrix's own form."""
    shapes = {"A": "n n"}
    with pytest.raises(ic.ShapeError, match="1_m 1_nᵀ"):
        ic.parse("A 𝟙", shapes, notation="matrix")
    a = np.arange(16.0).reshape(4, 4)
    got = ic.parse("A 1_n 1_nᵀ", shapes, notation="matrix").evaluate(A=a)
    np.testing.assert_allclose(got, a @ np.ones((4, 4)))


def test_a_bare_string_of_normalized_names_is_one_name():
    """normalized="yq" names a tensor yq; read letter by letter it declared Σ y = 1 (silently)."""
    X, W, v, y_ = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
    g = ic.grad(-ic.sum(y_ * ic.log(ic.softmax(X @ W @ v))), W)
    assumed = "assumes Σ y = 1"
    with pytest.raises(ic.LayoutError, match="normalized='yq' is no tensor"):
        ic.to_matrix(g, normalized="yq")  # one name, yq, which the expression does not have
    assert any(assumed in note for note in ic.to_matrix(g, normalized="y").notes)
    assert any(assumed in note for note in ic.to_matrix(g, normalized=["y"]).notes)


def test_a_list_of_expressions_is_refused_with_the_way_out():
    with pytest.raises(ic.IndexcalcError, match=r"ic\.stack"):
        ic.compile([ic.sum(x), 2 * x])
    np.testing.assert_allclose(ic.compile([[1.0, 2.0]])(), [[1.0, 2.0]])  # numbers stay a constant


def test_a_normalized_name_absent_from_one_step_is_not_refused():
    # explain passes normalized= to every step's form; a step without y assumes nothing of it
    z = ic.Tensor("z", "m")
    d = ic.explain(-ic.sum(y * ic.log(ic.softmax(z))), z, normalized=["y"])
    assert "assumes Σ y = 1" in str(d)
