"""The node set is closed: every stage's table has a row for every node type, and every row works.

``NODE_TYPES × tables`` is enumerated (a missing row fails here, not as a ``KeyError`` in a
user's hands); then, for each node type, a small expression built with the public API goes
through every stage: simplify (value unchanged), to_python (the generated code, executed, equals
``evaluate``), ``str``, ``ic.to_latex``, ``ic.diff`` and ``ic.grad`` (against central finite
differences in float64), ``ic.to_matrix`` and ``ic.explain``. Sizes 3, 4, 5 are distinct so a
transposition cannot hide. A stage may refuse a node only with an ``ic.IndexcalcError``.
"""

import inspect

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.calculus.forward import FORWARD
from indexcalc.calculus.reverse import REVERSE
from indexcalc.codegen.python_source import _EMIT
from indexcalc.core import nodes
from indexcalc.core.graph_walk import postorder
from indexcalc.core.nodes import NODE_TYPES
from indexcalc.core.rebuild import REBUILD
from indexcalc.derivations.graph_cut import ROLES
from indexcalc.evaluation.programs import BUILDERS
from indexcalc.layouts.matrix_layout import BUILD
from indexcalc.rendering.index_rules import RULES

from _fd import assert_close, fd_jacobian
from _latex import assert_well_formed

#: Every per-node-type table of every stage (LaTeX writes through RULES with its own style).
TABLES = {
    "forward rules (calculus.derivatives.FORWARD)": FORWARD,
    "reverse rules (calculus.reverse.REVERSE)": REVERSE,
    "simplify (core.rebuild.REBUILD)": REBUILD,
    "evaluation programs (evaluation.programs.BUILDERS)": BUILDERS,
    "to_python (codegen.python_source._EMIT)": _EMIT,
    "index notation and LaTeX (rendering.index_rules.RULES)": RULES,
    "matrix form (layouts.matrix_layout.BUILD)": BUILD,
    "explain (derivations.graph_cut.ROLES)": ROLES,
}

X, W, Z, A, V = ic.tensors("X[3,4] W[4,5] Z[5,4] A[3,3] V[3,5]")
x, W2, U = ic.tensors("x[4] W2[3,4] U[5,3]")
rng = np.random.default_rng(12)
VALUES = {"X": rng.normal(size=(3, 4)), "W": rng.normal(size=(4, 5)),
          "Z": rng.normal(size=(5, 4)), "A": rng.normal(size=(3, 3)) + 4 * np.eye(3),
          "V": rng.normal(size=(3, 5)), "x": rng.normal(size=4),
          "W2": rng.normal(size=(3, 4)), "U": rng.normal(size=(5, 3))}
MASK = rng.normal(size=(3, 4)) > 0

#: node type name -> (an expression that contains such a node, the variable to differentiate by)
CASES = {
    "Tensor": (X, X),
    "Constant": (X * ic.Constant(rng.normal(size=(3, 4))), X),
    "Delta": (ic.diff(ic.tanh(x), x), x),
    "Product": (X @ W, W),
    "Sum": (X @ W + 2 * V, X),
    "Apply": (ic.tanh(X @ W), X),
    "Softmax": (ic.softmax(X @ W, axis=0), W),
    "LogSumExp": (ic.logsumexp(X @ W, axis=1), X),
    "Inverse": (ic.inv(A) + ic.tanh(A), A),  # (inv(A) @ X is a Solve)
    "Det": (ic.det(A) * X, A),
    "LogDet": (ic.logdet(A) + ic.sum(X), A),
    "Reshape": (ic.vec(X @ W), X),
    "Named": (ic.tanh(X @ W).named("h") * 2, W),
    "Derivative": (ic.diff(ic.tanh(X @ W), W), W),
    "Shared": (ic.grad(ic.sum(U @ ic.tanh(W2 @ (ic.sin(x) * ic.cos(x)))), x), x),
    "Index": (X[None, 1:, ::-2], X),
    "Scatter": (ic.grad(ic.sum(ic.tanh(X[1:, ::-2])), X), X),
    "Concat": (ic.concatenate([X, Z], axis=0), Z),
    "TriMask": (ic.triu(X @ W, 1) + ic.tril(X @ W, -1), X),
    "Max": (ic.max(X @ W, axis=0) + ic.maximum(x, 0.1) @ W, W),
    "Decomposition": (ic.eigh(A + A.T)[1] @ ic.diag(ic.tanh(ic.eigvalsh(A + A.T)))
                      + ic.svd(X)[0] @ ic.diag(ic.svdvals(X)), A),
    "Solve": (ic.solve(A + A.T, X), A),
    "MatrixFunction": (ic.expm(A * 0.3) @ X, A),
    # the other matrix functions: a row each of one table, with derivatives of their own kinds
    "cholesky": (ic.cholesky(A @ A.T), A),
    "sqrtm": (ic.sqrtm(A @ A.T), A),
    "logm": (X.T @ ic.logm(A @ A.T), A),
    # the other public constructors of structure: stack is a Concat of indexed items, where a
    # product with a constant mask
    "stack": (ic.stack([x, 2 * x, ic.tanh(x)], axis=1), x),
    "where": (ic.where(MASK, X, ic.exp(X)), X),
    "reversed slice": (x[::-1], x),
    # a recurrence over the 3 rows of X: h_t = tanh(W2 h_{t-1} + X_t), h_{-1} = sin(x[:3])
    "Scan": (ic.scan(lambda h, xt: ic.tanh(W2 @ ic.concatenate([h, h[:1]]) + xt[:3]),
                     ic.sin(x[:3]), X), W2),
}


def _concrete_node_types() -> set:
    found, todo = set(), [nodes.Expr]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if not sub.__name__.startswith("_"):
                found.add(sub)
    return found


def test_node_types_is_every_concrete_node_class():
    assert set(NODE_TYPES) == _concrete_node_types()
    assert len(NODE_TYPES) == len(set(NODE_TYPES)) == 24  # Scan (issue 18); Decomposition, Solve, MatrixFunction (17)


@pytest.mark.parametrize("table", list(TABLES))
def test_every_table_has_a_row_for_every_node_type(table):
    rows = TABLES[table]
    missing = [t.__name__ for t in NODE_TYPES if t not in rows]
    assert not missing, f"{table} has no row for {', '.join(missing)}"
    assert set(rows) <= set(NODE_TYPES), f"{table} has rows for types outside NODE_TYPES"


def test_every_node_type_has_a_case():
    for t in NODE_TYPES:
        expr, _ = CASES[t.__name__]
        assert any(type(n) is t for n in postorder([expr])), t.__name__


def _values(expr: ic.Expr) -> dict:
    names = {n.name for n in postorder([expr]) if isinstance(n, ic.Tensor)}
    return {k: v for k, v in VALUES.items() if k in names}


@pytest.mark.parametrize("case", list(CASES))
def test_simplify_keeps_the_value(case):
    expr, _ = CASES[case]
    simple = ic.simplify(expr)
    assert simple.shape == expr.shape
    assert_close(ic.evaluate(simple, **VALUES), ic.evaluate(expr, **VALUES), 1e-12, case)


@pytest.mark.parametrize("case", list(CASES))
def test_to_python_runs_and_equals_evaluate(case):
    expr, _ = CASES[case]
    src = ic.to_python(expr, name="f")
    namespace: dict = {}
    exec(compile(src, f"<to_python {case}>", "exec"), namespace)
    f = namespace["f"]
    args = {k: VALUES[k] for k in inspect.signature(f).parameters}
    assert_close(f(**args), ic.evaluate(expr, **VALUES), 1e-12, case)


@pytest.mark.parametrize("case", list(CASES))
def test_str_and_latex(case):
    expr, _ = CASES[case]
    assert str(expr).strip()
    tex = ic.to_latex(expr)
    assert tex.strip()
    assert_well_formed(tex)


@pytest.mark.parametrize("case", list(CASES))
def test_diff_matches_finite_differences(case):
    expr, var = CASES[case]
    d = ic.diff(expr, var)
    assert d.shape == expr.shape + var.shape
    assert_close(ic.evaluate(d, **VALUES), fd_jacobian(expr, var, _values(expr)), 1e-5, case)


@pytest.mark.parametrize("case", list(CASES))
def test_grad_matches_finite_differences(case):
    expr, var = CASES[case]
    weights = ic.Constant(np.random.default_rng(5).normal(size=expr.shape))
    f = ic.sum(expr * weights)
    g = ic.grad(f, var)
    assert g.shape == var.shape
    assert_close(ic.evaluate(g, **VALUES), fd_jacobian(f, var, _values(f)), 1e-5, case)


@pytest.mark.parametrize("case", list(CASES))
def test_matrix_form_and_explain(case):
    """to_matrix writes the node or refuses with an ic.IndexcalcError; explain derives it."""
    expr, var = CASES[case]
    if expr.ndim <= 2:
        try:
            form = ic.to_matrix(expr)
        except ic.IndexcalcError:
            pass
        else:
            assert str(form).strip()
    weights = ic.Constant(np.random.default_rng(6).normal(size=expr.shape))
    f = ic.sum(expr * weights)
    d = ic.explain(f, var)
    assert str(d).strip()
    assert_close(ic.evaluate(d.result, **VALUES), ic.evaluate(ic.grad(f, var), **VALUES), 1e-10,
                 case)


def test_simplify_of_a_reversed_slice():
    # regression: simplify of any slice raised a bare KeyError (no Index row in REBUILD)
    x4 = ic.Tensor("x", 4)
    assert ic.simplify(x4[::-1]) is x4[::-1]


def test_to_python_checks_a_slice_of_a_named_dimension():
    xn = ic.Tensor("xn", "n")
    expr = xn[1:3]
    namespace: dict = {}
    exec(ic.to_python(expr), namespace)
    np.testing.assert_array_equal(namespace["f"](np.arange(5.0)), [1.0, 2.0])
    with pytest.raises(ValueError, match="at least 3"):
        namespace["f"](np.arange(2.0))
    with pytest.raises(ic.BindingError, match="at least 3"):
        ic.evaluate(expr, xn=np.arange(2.0))


def test_to_python_jax_writes_scatter_functionally():
    src = ic.to_python(CASES["Scatter"][0], backend="jax")
    assert ".zeros((3, 4), dtype=dtype).at[1:3, 3:0:-2].set(" in src
