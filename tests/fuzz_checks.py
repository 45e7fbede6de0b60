"""The checks of the random expressions of ``tests/fuzz_expressions.py``, in float64.

``check_all``: the value against the NumPy twin, ``diff`` by every variable against central
differences, ``grad`` of a scalarization, the jvp/vjp adjoint identity and a directional
difference, ``hessian`` and ``diff(diff(·))`` against differences of the first derivative; the
graph checker (``tests/graph_check.py``) after every ``diff``, ``grad`` and ``hessian``.
``check_stages``: ``simplify`` (value unchanged, graph checked), ``to_python`` (executed, equal to
``evaluate``), ``to_latex`` (well formed) and ``str``. Each returns ``(check, detail)`` per failure.
"""

from __future__ import annotations

import inspect

import numpy as np

import graph_check
import indexcalc as ic
from _latex import assert_well_formed
from fuzz_expressions import SIZES, Node, shape_of, variable
from indexcalc.core.graph_walk import tensors_of


def _err(a: np.ndarray, n: np.ndarray) -> float:
    a, n = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
    if a.shape != n.shape:
        return np.inf
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - n))) / max(1.0, float(np.max(np.abs(n))))


def _fd(fun, base: dict, name: str, h: float) -> np.ndarray:
    """Central differences of ``fun(values)`` by every entry of ``name``: shape out + x."""
    x0 = base[name]
    cols = []
    for j in range(x0.size):
        u = np.zeros(x0.size)
        u[j] = h
        u = u.reshape(x0.shape)
        cols.append((np.asarray(fun({**base, name: x0 + u})) - np.asarray(fun({**base, name: x0 - u}))) / (2 * h))
    out_shape = np.asarray(fun(base)).shape
    return np.stack(cols, axis=-1).reshape(out_shape + x0.shape) if cols else np.zeros(out_shape + x0.shape)


def _agree(analytic: np.ndarray, fun, base: dict, name: str, tol: float) -> float:
    """Smallest error over three step sizes (a kink straddled by one step, or the truncation
    error of a sharply curved function at another, is not a bug; a wrong derivative fails all)."""
    errs = []
    for h in (1e-5, 1e-6, 1e-7):
        with np.errstate(all="ignore"):
            errs.append(_err(analytic, _fd(fun, base, name, h)))
        if errs[-1] <= tol:
            break
    return min(errs)


def _ev(e: ic.Expr, base: dict) -> np.ndarray:
    # sizes too: a derivative may have lost every tensor carrying a dimension (∂Aᵀ/∂A = δ δ)
    return ic.evaluate(e, **SIZES, **base)


TOL = 1e-5


def _graph(e: ic.Expr, after: str) -> list[tuple[str, str]]:
    """The graph checker's verdict on ``e`` (``tests/graph_check.py``) as a finding, if any."""
    try:
        graph_check.check(e, SIZES)
    except AssertionError as exc:
        return [(f"graph invariant after {after}", str(exc)[:300])]
    return []


def check_all(f: Node, base: dict, rng: np.random.Generator, second_order: bool = True) -> list[tuple[str, str]]:
    """Every derivative check on ``f``; returns ``(check, detail)`` for each failure."""
    bad: list[tuple[str, str]] = []
    e = f.expr
    v = _ev(e, base)
    ref = np.asarray(f.ref(base))
    if _err(v, ref) > 1e-9:
        bad.append(("value", f"evaluate {v!r} vs numpy {ref!r}"))
        return bad
    names = [t.name for t in tensors_of(e)]
    for name in names:
        x = variable(name)
        d = ic.diff(e, x)
        bad += _graph(d, f"diff by {name}")
        D = _ev(d, base)
        err = _agree(D, f.ref, base, name, TOL)
        if err > TOL:
            bad.append((f"diff by {name}", f"relative error {err:.3g}"))
    if not names:
        return bad
    name = names[rng.integers(len(names))]
    x = variable(name)
    C = rng.normal(size=shape_of(e))
    s = ic.sum(e * ic.Tensor("c_w", e.shape))
    base = {**base, "c_w": C}
    sref = (lambda val: np.sum(f.ref(val) * C))
    bad += _graph(ic.grad(s, x), f"grad by {name}")
    g = _ev(ic.grad(s, x), base)
    err = _agree(g, sref, base, name, TOL)
    if err > TOL:
        bad.append((f"grad by {name}", f"relative error {err:.3g}"))
    # adjoint test with symbolic tangent/cotangent tensors
    u = rng.normal(size=shape_of(e))
    t = rng.normal(size=base[name].shape)
    U, T = ic.Tensor("u_ct", e.shape), ic.Tensor("t_tan", x.shape)
    jv = _ev(ic.jvp(e, x, T), {**base, "t_tan": t})
    vj = _ev(ic.vjp(e, x, U), {**base, "u_ct": u})
    lhs, rhs = float(np.sum(u * jv)), float(np.sum(vj * t))
    if abs(lhs - rhs) > 1e-8 * max(1.0, abs(lhs), abs(rhs)):
        bad.append((f"jvp/vjp adjoint by {name}", f"<u,Jv> = {lhs!r} but <J'u,v> = {rhs!r}"))
    fd = (np.asarray(f.ref({**base, name: base[name] + 1e-6 * t})) -
          np.asarray(f.ref({**base, name: base[name] - 1e-6 * t}))) / 2e-6
    if _err(jv, fd) > 1e-4:
        bad.append((f"jvp by {name}", f"relative error {_err(jv, fd):.3g} to a directional FD"))
    if not second_order:
        return bad
    bad += _graph(ic.hessian(s, x), f"hessian by {name}")
    H = _ev(ic.hessian(s, x), base)
    gexpr = ic.grad(s, x)
    err = _agree(H, lambda val: _ev(gexpr, val), base, name, 1e-4)
    if err > 1e-4:
        bad.append((f"hessian by {name}", f"relative error {err:.3g}"))
    other = names[rng.integers(len(names))]
    y = variable(other)
    if int(np.prod(shape_of(e) or (1,))) * base[name].size * base[other].size <= 4096:
        d1 = ic.diff(e, x)
        d2 = _ev(ic.diff(d1, y), base)
        err = _agree(d2, lambda val: _ev(d1, val), base, other, 1e-4)
        if err > 1e-4:
            bad.append((f"diff(diff(f, {name}), {other})", f"relative error {err:.3g}"))
    return bad


def _call_generated(src: str, e: ic.Expr, base: dict) -> np.ndarray:
    """Execute ``ic.to_python``'s source and call it with the variables (and any dimension no
    argument carries, which the function takes as a keyword)."""
    namespace: dict = {}
    exec(src, namespace)  # noqa: S102 - the library's own generated source
    fn = namespace["f"]
    args = {t.name: base[t.name] for t in tensors_of(e)}
    for p in inspect.signature(fn).parameters.values():
        if p.kind is p.KEYWORD_ONLY and p.name in SIZES:
            args[p.name] = SIZES[p.name]
    return np.asarray(fn(**args))


def check_stages(f: Node, base: dict) -> list[tuple[str, str]]:
    """``f`` through every later stage: ``simplify`` (value unchanged, graph invariants),
    ``to_python`` (the source, executed, equals ``evaluate``), ``to_latex`` (well formed), ``str``.

    Each stage is checked on its own, so one that raises does not hide another's finding.
    """
    e = f.expr
    v = _ev(e, base)
    bad: list[tuple[str, str]] = _graph(e, "construction")
    if _err(v, f.ref(base)) > 1e-9:
        bad.append(("value", f"evaluate {v!r} vs numpy {np.asarray(f.ref(base))!r}"))

    def simplify():
        s = ic.simplify(e)
        bad.extend(_graph(s, "simplify"))
        if _err(_ev(s, base), v) > 1e-9:
            bad.append(("simplify", f"value changed: {_ev(s, base)!r} vs {v!r}"))

    def to_python():
        got = _call_generated(ic.to_python(e), e, base)
        if _err(got, v) > 1e-9:
            bad.append(("to_python", f"generated source gives {got!r}, evaluate {v!r}"))

    def to_latex():
        assert_well_formed(ic.to_latex(e))

    def text():
        t = str(e)
        assert isinstance(t, str) and t.strip() and t == str(e), repr(t)

    for stage in (simplify, to_python, to_latex, text):
        try:
            stage()
        except Exception as exc:  # noqa: BLE001 - an escape (or a failed assertion) is a finding
            bad.append((stage.__name__, f"{type(exc).__name__}: {str(exc)[:300]}"))
    return bad


def gradient_case(f: Node, base: dict, rng: np.random.Generator) -> tuple[Node, dict] | None:
    """``grad(Σ C∘f, x)`` for the first variable of ``f``, with ``C`` bound in the values: the
    stage checks on it reach what only derivatives build (scatters, sliced deltas). Its twin is
    ``evaluate`` itself (``check_all`` compares gradients with finite differences)."""
    names = [t.name for t in tensors_of(f.expr)]
    if not names:
        return None
    e = f.expr
    g = ic.grad(ic.sum(e * ic.Tensor("c_w", e.shape)), variable(names[0]))
    base = {**base, "c_w": rng.normal(size=shape_of(e))}
    return Node(g, lambda v: _ev(g, v), f"grad(Σ c_w∘f, {names[0]})"), base
