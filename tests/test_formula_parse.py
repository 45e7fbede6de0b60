"""ic.parse: formulas give the same values as the Python API; hostile formulas are refused."""

import builtins
import ast
import os

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.core.graph_walk import tensors_of
from indexcalc.core.nodes import is_zero

SHAPES = {"X": "n d", "W": "d h", "v": "h", "y": "n", "A": "n n", "x": "n", "c": ""}
X, W, v, y, A, x = ic.tensors("X[n,d] W[d,h] v[h] y[n] A[n,n] x[n]")
c = ic.Tensor("c", ())
Q, r = ic.tensors("Q[a,b] r[b]")

rng = np.random.default_rng(7)
VALUES = {"X": rng.normal(size=(2, 3)), "W": rng.normal(size=(3, 4)), "v": rng.normal(size=4),
          "y": rng.normal(size=2), "A": rng.normal(size=(2, 2)) + 3 * np.eye(2),
          "x": rng.uniform(0.5, 1.5, size=2), "c": np.array(1.7),
          "Q": rng.normal(size=(5, 3)), "r": rng.normal(size=3)}

# formula -> the same expression built with the Python API (sizes n=2, d=3, h=4, a=5, b=3)
TABLE = [
    ("0.5*sum((X@W@v - y)**2)", 0.5 * ic.sum((X @ W @ v - y) ** 2)),
    ("X[n,d] * W[d,h]", X @ W),
    ("W[d,h] * X[n,d]", (X @ W).T),                       # free letters in first-seen order
    ("A[i,j] * x[j]", A @ x),
    ("A[i,i]", ic.trace(A)),                               # a repeated letter in one factor
    ("A[i,j] + A[j,i]", A + A.T),                          # terms aligned by letter
    ("sum(x[i]*x[i]*x[i], i)", ic.sum(x ** 3)),            # explicit sum: i is bound
    ("sum(X[n,d], n)", ic.sum(X, axis=0)),
    ("sum(A[i,j]*x[j], i)", ic.sum(A @ x)),
    ("x[i] / y[i]", ic.sum(x / y)),                        # / multiplies by the reciprocal
    ("x[i] * (A[i,j] * x[j])", x @ A @ x),                 # parentheses do not split a product
    ("exp(X[n,d]) * W[d,h]", ic.exp(X) @ W),
    ("2*X[n,d]*W[d,h]/4", 0.5 * (X @ W)),
    ("A[i,j]*A[j,k]*A[k,l]", A @ A @ A),
    ("x[i]*y[j]", ic.outer(x, y)),
    ("1 - x[i]**2", 1 - x ** 2),
    ("(X@W)[n,h] * v[h]", X @ W @ v),
    ("-X.T @ y + 1", -X.T @ y + 1),
    ("softmax(X, axis=0) + log_softmax(X) + softmax(X, 1)",
     ic.softmax(X, axis=0) + ic.log_softmax(X) + ic.softmax(X, 1)),
    ("logsumexp(X, axis=1) @ y + logsumexp(X, axis=(0, 1))",
     ic.logsumexp(X, axis=1) @ y + ic.logsumexp(X)),
    ("norm(X) + norm(x, ord=1)", ic.norm(X) + ic.norm(x, ord=1)),
    ("einsum('ij,jk->ik', X, W)", X @ W),
    ("inv(A) @ x + det(A) * logdet(A) + trace(A)",
     ic.inv(A) @ x + ic.det(A) * ic.logdet(A) + ic.trace(A)),
    ("diag(x)[i,j] * A[j,k] + diag(diagonal(A))[i,k] + 2*eye(n)[i,k]",
     ic.diag(x) @ A + ic.diag(ic.diagonal(A)) + 2 * ic.eye("n")),
    ("outer(x, y) + A + sum(kron(A, X)) * 0", ic.outer(x, y) + A),
    ("transpose(X, 1, 0) @ y + sum(reshape(X, -1)) * 0", X.T @ y),
    ("sigmoid(x) + softplus(x) + relu(x) + tanh(x) + sin(x) + cos(x) + sqrt(square(x)) + abs(x)",
     ic.sigmoid(x) + ic.softplus(x) + ic.relu(x) + ic.tanh(x) + ic.sin(x) + ic.cos(x)
     + ic.sqrt(ic.square(x)) + ic.abs(x)),
    ("c * x + 2**x + x**-1.5 + matmul(A, x)", c * x + 2 ** x + x ** -1.5 + A @ x),
    ("Q[a,b] * r[b]", Q @ r),                              # inline declarations
    ("1 + 2*3 - 8/4", ic.Constant(5.0)),                   # numbers fold
    ("+".join(["x"] * 500), 500 * x),                      # a long chain nests no Python calls
]


def _value(e):
    names = {t.name for t in tensors_of(e)}
    return ic.evaluate(e, **{k: v for k, v in VALUES.items() if k in names})


@pytest.mark.parametrize("formula,expected", TABLE, ids=[f for f, _ in TABLE])
def test_formula_gives_the_python_api_value(formula, expected):
    got = ic.parse(formula, shapes=SHAPES)
    assert got.shape == expected.shape
    np.testing.assert_allclose(_value(got), _value(expected), rtol=1e-12, atol=1e-12)


def test_inline_declaration_names_the_dimensions():
    e = ic.parse("M[p,q] * u[q] + M[p,s] * u[s]")
    assert e.shape == ("p",)
    assert {t.name: t.shape for t in tensors_of(e)} == {"M": ("p", "q"), "u": ("q",)}
    assert ic.parse("sum(M) + sum(M[p,q] * u[q])", shapes=None).shape == ()  # declared later


def test_formula_strings_in_diff_grad_hessian():
    g = ic.grad("0.5*sum((X@W@v - y)**2)", "W", shapes=SHAPES)
    np.testing.assert_allclose(_value(g), _value(ic.grad(0.5 * ic.sum((X @ W @ v - y) ** 2), W)))
    d = ic.diff("tanh(A@x)", "x", shapes=SHAPES)
    np.testing.assert_allclose(_value(d), _value(ic.diff(ic.tanh(A @ x), x)))
    assert ic.jacobian(ic.tanh(A @ x), "x") is ic.diff(ic.tanh(A @ x), x)   # x by name only
    h = ic.hessian("sum(sigmoid(A[i,j]*x[j]))", "x", shapes=SHAPES)
    np.testing.assert_allclose(_value(h), _value(ic.hessian(ic.sum(ic.sigmoid(A @ x)), x)))
    zero = ic.grad("sum(x)", "W", shapes=SHAPES)                 # declared, not used: exact zero
    assert zero.shape == ("d", "h") and is_zero(zero)
    with pytest.raises(ic.ParseError, match="'Z' is not a tensor of the function"):
        ic.grad("sum(x)", "Z", shapes=SHAPES)


def _located(formula, shapes=SHAPES, cls=ic.ParseError):
    with pytest.raises(cls) as info:
        ic.parse(formula, shapes=shapes)
    return str(info.value).splitlines()


def test_errors_point_at_the_token():
    first, line, caret = _located("exp(X) + Qz")
    assert "unknown tensor 'Qz'" in first and "column 10" in first
    assert line == "    exp(X) + Qz" and caret == "    " + " " * 9 + "^^"
    first, line, caret = _located("X @ x", cls=ic.ShapeError)      # ShapeError, located too
    assert "not aligned" in first and caret.strip() == "^^^^^"
    first, _, caret = _located("x[i] * A[i,j] * y[i]")
    assert "three times" in first and caret == "    " + " " * 16 + "^^^^"
    first, _, caret = _located("W[d,h] * x[d]", cls=ic.ShapeError)
    assert "index 'd' has dimension n here but d" in first
    first, line, caret = _located("é + Qz")                          # columns count characters
    assert caret == "    ^"
    _, line, caret = _located("+".join(["A[i,j]*x[j]"] * 20) + " + Qz + x")  # a window
    assert line.startswith("    ...") and len(line) < 100
    assert line[caret.index("^"):len(caret)] == "Qz"
    assert "invalid syntax" in _located("x +* y")[0]
    assert "line 2" in _located("(x +\n Qz)")[0]


HOSTILE = [
    "X.__class__", "x.T.T.__dict__", "__import__('os').system('touch /tmp/indexcalc_pwned')",
    "open('/etc/passwd')", "getattr(X, 'T')", "(lambda: 1)()", "[t for t in X]", "{t for t in X}",
    "(t for t in X)", "9**9**9", "10**400", "1e999", "1/0", "(-8)**(1/3)", "f'{X}'", "X.sum()",
    "exp.__call__(x)", "X[...]", "exp(*x)", "exp(**x)", "sum(*[x])",
    "x if x else y", "x < 1", "x and y", "(x := 1)", "'abc'", "True", "None", "1j",
    "{'a': x}", "x; import os", "x\nimport os", "exp(x, x)", "sum(x, axis=0, k=1)",
    "norm(x, ord=x)",
    "softmax(x, axis='0')", "einsum(s, x)", "exp", "n", "\0", "",
    "(" * 2000 + "x" + ")" * 2000, "-" * 5000 + "x", "+".join(["x"] * 5000),
    "exp(" * 150 + "x" + ")" * 150,
    "x" + "**2" * 200, "x" * 10_001,
]


@pytest.mark.parametrize("formula", HOSTILE, ids=[repr(h[:24]) for h in HOSTILE])
def test_hostile_formulas_are_refused_without_running_anything(formula, monkeypatch):
    real_compile = builtins.compile

    def ast_only(source, filename, mode, flags=0, *args, **kwargs):
        assert flags & ast.PyCF_ONLY_AST, "parse compiled code"
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("parse evaluated code")

    monkeypatch.setattr(builtins, "compile", ast_only)
    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    with pytest.raises(ic.ParseError):
        ic.parse(formula, shapes=SHAPES)
    assert not os.path.exists("/tmp/indexcalc_pwned")


def test_bad_arguments():
    with pytest.raises(ic.ParseError, match="expected a formula string"):
        ic.parse(3)
    with pytest.raises(ic.ParseError, match="shapes must be a dict"):
        ic.parse("x", shapes="x n")
    with pytest.raises(ic.ShapeError):
        ic.parse("x", shapes={"x": "n -1"})


def test_greek_python_names_read_as_python_as_before_index_notation():
    # δ and Σ are Python identifiers (a tensor named δ): auto picked index notation on seeing
    # them and refused "δ * x", which parse read before index notation existed.
    rng = np.random.default_rng(0)
    d, x = rng.standard_normal(3), rng.standard_normal(3)
    got = ic.parse("δ * x", {"δ": (3,), "x": (3,)}).evaluate(**{"δ": d, "x": x})
    np.testing.assert_allclose(got, d * x)
    got = ic.parse("sum(Σ) + 1", {"Σ": (3,)}).evaluate(**{"Σ": d})
    np.testing.assert_allclose(got, d.sum() + 1)
    # printed index notation with δ stays index notation's: the identity, no tensor δ
    got = ic.parse("Σ_j δ[i,j] x[j]", {"x": (3,)}).evaluate(x=x)
    np.testing.assert_allclose(got, x)
    with pytest.raises(ic.ParseError):   # neither reads it: index notation's error
        ic.parse("δ * y", {"y": (3,)})


def test_a_printed_tr_reads_back_in_auto():
    # tr(C) is Python-readable text whose function Python's notation does not know: auto gave
    # Python's refusal for a form to_matrix prints, though matrix notation reads it
    C = ic.Tensor("C", (3, 3))
    c = np.random.default_rng(1).standard_normal((3, 3))
    for expr, want in [(ic.trace(C), np.trace(c)), (ic.trace(C) * C, np.trace(c) * c)]:
        text = str(ic.to_matrix(expr))
        np.testing.assert_allclose(ic.parse(text, {"C": (3, 3)}).evaluate(C=c), want, err_msg=text)
    with pytest.raises(ic.ParseError, match="unknown function 'foo'"):   # Python's error stays
        ic.parse("foo(C)", {"C": (3, 3)})
    with pytest.raises(ic.ParseError, match="unknown function 'tr'"):   # a Python operator:
        ic.parse("tr(C) * C", {"C": (3, 3)})                           # Python's formula


def test_a_printed_delta_is_never_read_as_a_tensor():
    # seed 5035 of the index round trip: str(diff(f, y)) = δ[i,j,k], refused by index notation
    # (no index has a size), was read as Python declaring a tensor δ of shape (i, j, k) — a
    # reading of another expression that only failed at evaluation ("no value for tensor 'δ'")
    with pytest.raises(ic.ParseError, match="no size in the text"):
        ic.parse("δ[i,j,k]", {"x": (3,)})
    got = ic.parse("δ[i,j]", {"δ": (3, 3)}).evaluate(**{"δ": np.eye(3) * 2})  # a declared δ
    np.testing.assert_allclose(got, np.eye(3) * 2)


def test_a_printed_slice_reads_back_in_auto():
    # issue 15: a printed slice (x[::-1], A[1:3, :3:2], I[0, :]) is Python-readable text that
    # Python's notation refuses (it takes letters): auto gave that refusal, though matrix
    # notation reads it (these were HOSTILE; reading a slice runs nothing). Values: NumPy's.
    rng = np.random.default_rng(2)
    xv, Xv = rng.standard_normal(3), rng.standard_normal((3, 4))
    for text, want in [("X[0]", Xv[0]), ("X[1:2]", Xv[1:2]), ("X[:, 0]", Xv[:, 0]),
                       ("x[::-1]", xv[::-1]), ("exp(X[0, :3:2])", np.exp(Xv[0, :3:2])),
                       ("X[:, 1] + x[::-1]", Xv[:, 1] + xv[::-1])]:
        got = ic.parse(text, SHAPES).evaluate(X=Xv, x=xv)
        np.testing.assert_allclose(got, want, err_msg=text)
    # a Python operator: Python's formula, read as NumPy reads it (* is elementwise there, a
    # product in matrix notation), never matrix notation's reading
    np.testing.assert_allclose(ic.parse("X[0] * X[1]", SHAPES).evaluate(X=Xv), Xv[0] * Xv[1])
    # index names in brackets beside it: never matrix notation
    with pytest.raises(ic.ParseError):
        ic.parse("x[::-1] + x[i]", SHAPES)


def test_the_names_a_matrix_form_reports_read_in_every_notation():
    # MatrixForm.names() gives (expression, (rows, cols)): Python's notation made a tensor of
    # that tuple ("a dimension must be an int or a name"), so a printed diag(x) was refused
    x, S = ic.Tensor("x", 3), ic.Tensor("S", (3, 3))
    rng = np.random.default_rng(3)
    xv, Sv = rng.standard_normal(3), rng.standard_normal((3, 3))
    names = {"x": (x, (3, None)), "S": (S, (3, 3))}
    for text, notation, want in [("diag(x)", "python", np.diag(xv)),
                                 ("diag(x)", "auto", np.diag(xv)),
                                 ("Σ_j S[i,j] x[j]", "index", Sv @ xv),
                                 ("S x", "matrix", Sv @ xv)]:
        got = ic.parse(text, names, notation=notation).evaluate(x=xv, S=Sv)
        np.testing.assert_allclose(got, want, err_msg=f"{notation}: {text}")
    with pytest.raises(ic.ParseError, match="a tensor named"):   # never another tensor's value
        ic.parse("x + 1", {"x": S}, notation="index")


def test_what_a_printed_form_writes_reads_in_auto_as_matrix_notation():
    # issue 15: printed forms auto mode gave to Python (or index notation), which refused them
    # or, for 1_3, read Python's number 13. Values: NumPy's.
    rng = np.random.default_rng(4)
    xv, uv = rng.standard_normal(3), rng.standard_normal(12)
    shapes = {"x": (3,), "u": (12,), "s": ()}
    cases = [("1_3", np.ones(3)), ("x + 0_3", xv),
             ("σ(tanh(x))", 1 / (1 + np.exp(-np.tanh(xv)))),
             ("s + σ(sum(σ(x)))", 0.5 + 1 / (1 + np.exp(-np.sum(1 / (1 + np.exp(-xv)))))),
             ("K_(2,3)", np.eye(6)[[0, 2, 4, 1, 3, 5]]),
             ("unvec_(3,4)(u)", uv.reshape((3, 4), order="F")),
             ("unvec_row_(3,4)(u)", uv.reshape(3, 4)),
             ("unvec(u, rows=3, cols=4)", uv.reshape((3, 4), order="F")),
             ("2 z1\nwhere\n  z1 = [Σ_i x[i] x[i]]", 2 * xv @ xv)]
    for text, want in cases:
        got = ic.parse(text, shapes).evaluate(x=xv, u=uv, s=0.5)
        np.testing.assert_allclose(got, want, err_msg=text)
    # K_(m,n) vec(A) = vec(Aᵀ): the reference above is that permutation for A of 2 × 3
    a = rng.standard_normal((2, 3))
    np.testing.assert_allclose(np.eye(6)[[0, 2, 4, 1, 3, 5]] @ a.flatten("F"), a.T.flatten("F"))
    # never Python's 13 (nor 1_3 * x, Python's formula); digit grouping 1_000 stays a number
    with pytest.raises(ic.ParseError, match="vector of ones of size 3"):
        ic.parse("1_3", shapes, notation="python")
    with pytest.raises(ic.ParseError, match="vector of ones of size 3"):
        ic.parse("1_3 * x", shapes)
    assert float(ic.parse("1_000").evaluate()) == 1000.0
    with pytest.raises(ic.ParseError, match="no keywords"):
        ic.parse("unvec_(3,4)(u, rows=2)", shapes, notation="matrix")


def test_python_text_with_a_subscript_means_what_numpy_means():
    # red3: a Python-readable text with a slice or an item went to matrix notation, whose
    # reading differs from NumPy's: X[0][1] was X[0] times the block [1] (a row, not the entry),
    # x[:, None] + x was the column 2x (NumPy: the 3 × 3 outer sum), kron(A, u[::-1]) was
    # 10 × 2 (NumPy: 2 × 10) — silent wrong values. References: NumPy on the same text.
    rng = np.random.default_rng(5)
    vals = {"X": rng.standard_normal((3, 4)), "x": rng.standard_normal(3),
            "A": rng.standard_normal((2, 2)), "u": rng.standard_normal(5)}
    shapes = {k: v.shape for k, v in vals.items()}
    ns = {**vals, "kron": np.kron, "exp": np.exp, "outer": np.outer}
    for text in ["X[0][1]", "X[:, 0][1]", "(X[0])[1]", "x[:, None] + x", "x[None] + x[:, None]",
                 "kron(A, u[::-1])", "kron(u[::-1], A)", "kron(A[:, None, 0], u)",
                 "X[1:3][0]", "exp(X[:, 0:1]) + x", "X[0] * X[1]", "outer(x[::-1], u)",
                 "x[-1] + X[-1, ::-2]", "X[None, 1]"]:
        want = eval(text, {}, ns)   # the reference: NumPy itself on the same text
        got = ic.parse(text, shapes).evaluate(**vals)
        assert np.shape(got) == np.shape(want), text
        np.testing.assert_allclose(got, want, err_msg=text)
    for text in ["x[3]", "x[::0]", "2[0]", "X[0, 0, 0]"]:   # NumPy refuses these too
        with pytest.raises(ic.IndexcalcError):
            ic.parse(text, shapes)


def test_a_printed_sized_identity_reads_back_in_auto():
    # red3: str(ic.to_matrix(ic.diff(x, x))) is 'I_3' (or 'I_n'), which auto gave to Python
    # alone: "unknown tensor 'I_3'" — the commonest Jacobian did not read back. Reference: eye.
    for dim, n in [(3, 3), ("n", 4)]:
        x = ic.Tensor("x", dim)
        for form in (ic.to_matrix(ic.diff(x, x)), ic.to_kron(ic.diff(x, x))):
            got = ic.parse(str(form), form.names()).evaluate(n=n)
            np.testing.assert_array_equal(got, np.eye(n), err_msg=str(form))
    a = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(ic.parse("I_3 + A", {"A": (3, 3)}).evaluate(A=a), a + np.eye(3))
    form = ic.to_matrix(ic.eye(3) + ic.Tensor("A", (3, 3)))   # printed 'I + A': a bare I too
    np.testing.assert_array_equal(ic.parse(str(form), form.names()).evaluate(A=a), a + np.eye(3))
    # a tensor declared by that name is that tensor; beside * (Python's formula) no other reading
    np.testing.assert_array_equal(ic.parse("I_3", {"I_3": (2,)}).evaluate(I_3=np.ones(2)),
                                  np.ones(2))
    with pytest.raises(ic.ParseError, match="unknown tensor 'I_3'"):
        ic.parse("I_3 * A", {"A": (3, 3)})


def test_a_boolean_subscript_is_no_index_name():
    # red3: x[True] (NumPy: x[None], shape (1, 3)) read in auto as index notation with an index
    # named True: x itself, shape (3,) — another value. Booleans are refused, never a name.
    for notation in ("auto", "index"):
        for text in ["x[True]", "x[False]", "x[True] y[True]"]:
            with pytest.raises(ic.ParseError):
                ic.parse(text, {"x": (3,), "y": (3,)}, notation=notation)


def test_a_printed_block_inside_a_call_reads_back_in_auto():
    # red3: str(to_matrix(sum(concatenate([h, h])), vectors="row")) is 'sum([h, h])': Python
    # reads it (a list it refuses) and auto gave that refusal. Reference: NumPy's sum.
    x = ic.Tensor("x", 3)
    h = ic.tanh(x).named("h")
    xv = np.arange(3.0)
    for vectors in ("column", "row"):
        form = ic.to_matrix(ic.sum(ic.concatenate([h, h])), vectors=vectors)
        got = ic.parse(str(form), form.names(), vectors=vectors).evaluate(x=xv)
        np.testing.assert_allclose(got, 2 * np.tanh(xv).sum(), err_msg=str(form))
    with pytest.raises(ic.ParseError, match="a list is not allowed"):   # Python's: no other
        ic.parse("sum([x, x]) * 2", {"x": (3,)})


def test_a_printed_block_factor_after_a_call_reads_back_in_auto():
    # red3: str(to_matrix(sum(x) * [s, s], vectors="row")) is 'sum(x) [s, s]': Python reads a
    # subscript with index letters s, s of a number and refused it; auto gave that refusal.
    # Reference: NumPy. Python's own index notation with a space keeps its reading.
    x, s = ic.Tensor("x", 3), ic.Tensor("s", ())
    e = ic.sum(x) * ic.concatenate([s[None], s[None]])
    xv = np.arange(3.0)
    for vectors in ("column", "row"):
        form = ic.to_matrix(e, vectors=vectors)
        got = ic.parse(str(form), form.names(), vectors=vectors).evaluate(x=xv, s=2.0)
        np.testing.assert_allclose(got, [6.0, 6.0], err_msg=str(form))
    assert ic.parse("X [n,d] * W[d,h]").shape == ("n", "h")
