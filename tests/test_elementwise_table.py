"""The rule table of elementwise functions: every row complete, and every path that computes or
shows a function (backends, generated code, matrix forms, notation, ``ic.<name>``, the formula
parser) derived from the row, so a new row cannot miss one. The expected values come from the
row's own NumPy function, checked independently in ``test_docs`` (derivatives) and here against
``math`` (erf).
"""

from __future__ import annotations

import ast
import importlib.util
import math

import numpy as np
import pytest
from _latex import assert_well_formed

import indexcalc as ic
from indexcalc.core.elementwise import PUBLIC, RULES, apply, rule
from indexcalc.evaluation import backends

NAMES = list(RULES)
SAMPLE = np.array([-1.7, -0.4, 0.3, 1.1, 2.6])
x = ic.Tensor("x", 5)


def _names(row) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(row.formula, mode="eval")) if isinstance(n, ast.Name)}


def case(name):
    """``(expression f(x), argument values on the function's domain, parameter)``."""
    row = RULES[name]
    param = 1.5 if "p" in _names(row) else None
    with np.errstate(all="ignore"):
        a = SAMPLE if np.all(np.isfinite(row.numpy(SAMPLE, param))) else np.abs(SAMPLE)
    return apply(name, x, param), a, param


def _run(src, **args):
    namespace: dict = {}
    exec(src, namespace)
    return namespace["f"](**args)


@pytest.mark.parametrize("name", NAMES)
def test_every_row_is_complete(name):
    row = RULES[name]
    assert row.name == name and name.isidentifier()
    assert _names(row) <= {"x", "p", "xp"} and "x" in _names(row), "a formula is in x, p, xp"
    assert callable(row.derivative) and row.text and row.latex and row.doc
    assert isinstance(row.public, bool) and isinstance(row.zero_at_zero, bool)
    _, a, param = case(name)
    with np.errstate(all="ignore"):
        at_zero = row.numpy(np.zeros(3), param)
    if param is None:
        assert row.zero_at_zero == bool(np.all(at_zero == 0)), "zero_at_zero says f(0) = 0"
    for backend, native in row.native.items():
        assert backend in backends.BACKENDS and backend != "dask"  # dask maps NumPy's blockwise
        assert callable(native) if backend == "numpy" else native.count(":") == 1
    if row.native:
        assert {"numpy", "jax", "torch", "cupy"} <= set(row.native)
    if row.by_value is not None:
        assert row.by_value[0] in RULES and callable(row.by_value[1])


def test_public_rows_are_the_library_functions():
    assert PUBLIC == tuple(n for n, r in RULES.items() if r.public)
    for name, row in RULES.items():
        if row.public:
            fn = getattr(ic, name)
            assert name in ic.__all__ and fn.__name__ == name and row.doc in fn.__doc__
            assert fn(x) is apply(name, x)
        else:
            assert name not in ic.__all__


@pytest.mark.parametrize("name", PUBLIC)
def test_formulas_call_every_public_row(name):
    assert ic.parse(f"{name}(x)", {"x": x}) is apply(name, x)


@pytest.mark.parametrize("backend", list(backends.BACKENDS))
@pytest.mark.parametrize("name", NAMES)
def test_every_backend_computes_each_row(name, backend):
    pytest.importorskip(backends.BACKENDS[backend][0])
    expr, a, param = case(name)
    got = ic.compile(expr, backend=backend)(x=a)
    got = got.compute() if hasattr(got, "compute") else got
    got = got.cpu().numpy() if hasattr(got, "cpu") else np.asarray(got)
    rtol = 1e-5 if backend == "jax" else 1e-12  # JAX computes in float32 unless x64 is on
    np.testing.assert_allclose(got, RULES[name].numpy(a, param), rtol=rtol, atol=rtol)
    assert str(ic.compile(expr, backend=backend)(x=a.astype(np.float32)).dtype).endswith("float32")


@pytest.mark.parametrize("name", NAMES)
def test_generated_code_computes_each_row(name):
    expr, a, param = case(name)
    want = ic.evaluate(expr, x=a)
    np.testing.assert_allclose(_run(ic.to_python(expr), x=a), want, rtol=1e-13, atol=1e-15)
    # the generated module stands alone: no indexcalc, only the backend's module
    assert "indexcalc" not in ic.to_python(expr).split("\n", 1)[1]
    assert f"{rule(name).text}(x[i])" in str(expr) or param is not None


@pytest.mark.parametrize("name", NAMES)
def test_generated_jax_computes_each_row(name):
    jax = pytest.importorskip("jax")
    expr, a, param = case(name)
    x64 = jax.enable_x64(True) if hasattr(jax, "enable_x64") else jax.experimental.enable_x64()
    with x64:
        got = np.asarray(_run(ic.to_python(expr, backend="jax"), x=a))
    np.testing.assert_allclose(got, ic.evaluate(expr, x=a), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_matrix_forms_and_notation_show_each_row(name):
    expr, a, param = case(name)
    form = ic.to_matrix(expr)
    np.testing.assert_allclose(np.ravel(form.evaluate(x=a)), ic.evaluate(expr, x=a), rtol=1e-13)
    assert_well_formed(form.latex())
    assert_well_formed(ic.to_latex(expr))
    if param is None:
        before, after = rule(name).latex_call
        assert rule(name).text + "(" in str(form)
        assert before in form.latex() and before in ic.to_latex(expr)


@pytest.mark.parametrize("name", NAMES)
def test_float32_in_float32_out(name):
    expr, a, param = case(name)
    a32 = a.astype(np.float32)
    assert ic.evaluate(expr, x=a32).dtype == np.float32
    assert _run(ic.to_python(expr), x=a32).dtype == np.float32
    np.testing.assert_allclose(ic.evaluate(expr, x=a32), ic.evaluate(expr, x=a), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("name", ["sigmoid", "dsigmoid", "softplus"])
def test_logistic_rows_stay_finite_for_large_arguments(name):
    a = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    expr = apply(name, x)
    with np.errstate(all="raise"):
        want = ic.evaluate(expr, x=a)
    assert np.all(np.isfinite(want))
    assert np.all(np.isfinite(_run(ic.to_python(expr), x=a)))
    d = ic.diff(ic.sum(expr), x)
    assert np.all(np.isfinite(ic.evaluate(d, x=a)))
    for backend, (module, _, _) in backends.BACKENDS.items():
        if importlib.util.find_spec(module.split(".")[0]) is not None:
            got = ic.compile(expr, backend=backend)(x=a)
            got = got.compute() if hasattr(got, "compute") else got
            assert np.all(np.isfinite(got.cpu().numpy() if hasattr(got, "cpu") else got)), backend


def test_a_new_row_reaches_every_path(monkeypatch):
    """A row added to the table needs nothing else: backends, code, forms and text derive it."""
    from indexcalc.core.elementwise import Elementwise

    cube = Elementwise("cube", "x * x * x", lambda x_, y, p: 3.0 * x_ * x_, "cube",
                       r"\operatorname{cube}", "3x²")
    monkeypatch.setitem(RULES, "cube", cube)
    e = apply("cube", x)
    a = SAMPLE
    np.testing.assert_allclose(ic.evaluate(e, x=a), a ** 3)
    np.testing.assert_allclose(_run(ic.to_python(e), x=a), a ** 3)
    np.testing.assert_allclose(np.ravel(ic.to_matrix(e).evaluate(x=a)), a ** 3)
    assert str(e) == "cube(x[i])" and r"\operatorname{cube}" in ic.to_latex(e)
    np.testing.assert_allclose(ic.evaluate(ic.diff(ic.sum(e), x), x=a), 3 * a ** 2)


# --------------------------------------------------------------------------- the erf kernel

def test_numpy_erf_matches_math_erf_to_double_precision():
    from indexcalc.core.error_function import erf

    grid = np.concatenate([np.linspace(-40.0, 40.0, 200_001), np.geomspace(1e-300, 1.0, 3001),
                           -np.geomspace(1e-300, 1.0, 3001), np.nextafter(1.0, [0.0, 2.0]),
                           np.nextafter(8.0, [0.0, 9.0])])
    want = np.array([math.erf(v) for v in grid])
    rel = np.abs(erf(grid) - want) / np.maximum(np.abs(want), np.finfo(float).tiny)
    assert rel.max() < 1e-15, f"worst at x = {grid[rel.argmax()]!r}: {rel.max():.2e}"
    special = erf(np.array([np.inf, -np.inf, np.nan, 0.0, -0.0]))
    assert special[:2].tolist() == [1.0, -1.0] and np.isnan(special[2])
    assert special[3] == 0.0 and np.signbit(special[4])
    assert erf(np.float32([0.5])).dtype == np.float32 and erf(np.array([1, 2])).dtype == np.float64
    assert erf(np.zeros((0, 3))).shape == (0, 3)


def test_gelu_is_x_times_the_normal_cdf():
    a = np.array([-1000.0, -3.0, -1.0, -1e-8, 0.0, 0.5, 3.0, 1000.0])
    want = [v * 0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in a]
    np.testing.assert_allclose(ic.gelu(ic.Tensor("g", 8)).evaluate(g=a), want, rtol=1e-13,
                               atol=1e-300)
