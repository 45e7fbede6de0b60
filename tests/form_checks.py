"""Every printed form of one expression, evaluated and held to ``tests/layout_reference.py``.

Shared by ``tests/test_layouts_reference.py``, ``tests/test_layouts_cookbook.py``,
``tests/test_layouts_history.py`` and ``benchmarks/forms_fuzz.py``. Not a test module itself.

``check_forms(expr, out_ndim, values)`` renders ``expr`` with ``to_matrix`` (both layouts × both
vector conventions, when its order is ≤ 2), ``to_kron`` (both layouts × both vec orders, when the
split is known), ``to_einsum`` and ``vec_jacobian``, evaluates each form and compares it with the
reference computed from ``ic.evaluate(expr)`` — the derivative's value, which the calculus tests
prove against finite differences. Each form gets one :class:`Outcome`:

* ``ok``: equal to the reference (float64, relative error ≤ ``TOL``);
* ``refused``: ``ic.LayoutError``, which the contract allows (``to_einsum`` of a sum);
* ``refused (contract)``: a ``LayoutError`` the contract forbids: ``to_matrix`` of an order-≤2
  result, ``to_kron`` of a derivative;
* ``wrong``: evaluates to something else (a wrong value or shape), or rendering or evaluating
  the form raised anything but a ``LayoutError`` — a ``BindingError`` too: a form binds what its
  derivative binds (its value is then still checked with the sizes given, and reported).

``subjects``, ``template_subjects`` and ``seed_outcomes`` apply it to the random expressions of
``tests/fuzz_expressions.py``: the expression, its derivative by every variable, the gradient and
Hessian of a scalarization, a second derivative, and derivatives whose value is the expression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import fuzz_expressions as fz
import indexcalc as ic
from indexcalc.core.graph_walk import tensors_of
from indexcalc.core.nodes import Derivative
from layout_reference import (LAYOUTS, VECS, VECTORS, einsum_reference, kron_reference,
                              matrix_reference, max_error)

#: Float64 agreement asked of every form (relative to ``max(1, |reference|)``).
TOL = 1e-8
#: The statuses that break the contract.
FAILURES = ("wrong", "refused (contract)")


@dataclass(frozen=True)
class Outcome:
    form: str
    status: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.form}: {self.status}{': ' + self.detail if self.detail else ''}"


def _binding_values(expr: ic.Expr, values: dict, sizes: dict) -> dict:
    """``values``, plus dimension sizes only where the expression itself cannot bind them (an
    expression that is no derivative and holds no tensor of some dimension, ``eye("n")``): a
    derivative binds what it lost from its variable, and so must its forms."""
    try:
        ic.evaluate(expr, **values)
        return values
    except ic.BindingError:
        return {**sizes, **values}


def _compare(name: str, render, want: np.ndarray, vals: dict, must_accept: bool,
             sizes: dict) -> Outcome:
    try:
        form = render()
    except ic.LayoutError as exc:
        status = "refused (contract)" if must_accept else "refused"
        return Outcome(name, status, str(exc).splitlines()[0][:160])
    except Exception as exc:  # noqa: BLE001 - anything but a LayoutError escaping is a finding
        return Outcome(name, "wrong", f"rendering raised {type(exc).__name__}: {str(exc)[:160]}")
    unbound = ""
    try:
        text = str(form)
        form.latex()
        try:
            with np.errstate(all="ignore"):
                got = np.asarray(form.evaluate(**vals), dtype=float)
        except ic.BindingError as exc:
            # a finding (the form must bind what its derivative binds); the value is still
            # checked with the sizes given, so that a wrong value is not hidden behind it
            unbound = f"evaluating raised BindingError: {str(exc)[:120]}"
            with np.errstate(all="ignore"):
                got = np.asarray(form.evaluate(**{**sizes, **vals}), dtype=float)
    except Exception as exc:  # noqa: BLE001
        return Outcome(name, "wrong", f"evaluating raised {type(exc).__name__}: {str(exc)[:160]}")
    if got.ndim == 0 and want.shape == (1, 1):  # a 1 × 1 Kronecker form prints as a scalar
        got = got.reshape(1, 1)
    err = max_error(got, want)
    if err > TOL:
        what = (f"shape {got.shape}, expected {want.shape}" if got.shape != want.shape
                else f"relative error {err:.3g}")
        return Outcome(name, "wrong", f"{what}; form: {text[:300]}")
    if unbound:
        return Outcome(name, "wrong", f"{unbound} (right value once the sizes are given)")
    return Outcome(name, "ok")


def check_forms(expr: ic.Expr, out_ndim: int | None, values: dict, sizes: dict | None = None,
                einsum: bool = True) -> list[Outcome]:
    """Every form of ``expr`` against the reference.

    Args:
        expr: a result (a derivative from ``ic.diff``/``grad``/``hessian``, or any expression).
        out_ndim: how many leading axes belong to ``F`` by the contract (the differentiated
            function's order), or None for an expression that is no derivative. For a
            ``Derivative`` it must be what the derivative carries; the renderers are not told.
        values: the tensors' values; ``sizes``: dimension sizes, used only where ``expr`` itself
            needs them (see ``_binding_values``).
    """
    sizes = sizes or {}
    vals = _binding_values(expr, values, sizes)
    with np.errstate(all="ignore"):
        D = np.asarray(ic.evaluate(expr, **vals), dtype=float)
    derivative = isinstance(expr, Derivative)
    out: list[Outcome] = []
    if derivative and expr.out_ndim != out_ndim:
        out.append(Outcome("Derivative.out_ndim", "wrong",
                           f"carries {expr.out_ndim}, the function has order {out_ndim}"))
    given = {} if derivative else {"out_ndim": out_ndim}
    if D.ndim <= 2:
        for layout in LAYOUTS:
            for vectors in VECTORS:
                want = matrix_reference(D, out_ndim, layout, vectors)
                kw = given if out_ndim is not None else {}
                out.append(_compare(f"to_matrix({layout}, {vectors})",
                                    lambda: ic.to_matrix(expr, layout, vectors, **kw),
                                    want, vals, must_accept=True, sizes=sizes))
    if out_ndim is not None:
        for layout in LAYOUTS:
            for vec in VECS:
                want = kron_reference(D, out_ndim, layout, vec)
                out.append(_compare(f"to_kron({layout}, {vec})",
                                    lambda: ic.to_kron(expr, layout, vec, **given),
                                    want, vals, must_accept=True, sizes=sizes))
                try:
                    got = ic.vec_jacobian(D, out_ndim, layout, vec)
                    err = max_error(got, want)
                    out.append(Outcome(f"vec_jacobian({layout}, {vec})",
                                       "ok" if err <= TOL else "wrong",
                                       "" if err <= TOL else f"error {err:.3g}"))
                except Exception as exc:  # noqa: BLE001
                    out.append(Outcome(f"vec_jacobian({layout}, {vec})", "wrong",
                                       f"raised {type(exc).__name__}: {exc}"))
    if einsum:
        out.append(check_einsum(expr, D, {**sizes, **_named_sizes(expr, vals), **vals}))
    return out


def _named_sizes(expr: ic.Expr, vals: dict) -> dict:
    """The sizes of the named dimensions of ``expr``'s tensors (and of a derivative's variable),
    read from their values: what a user evaluating ``to_einsum``'s delta operands must give."""
    tensors = list(tensors_of(expr)) + ([expr.wrt] if isinstance(expr, Derivative) else [])
    out = {}
    for t in tensors:
        if t.name in vals:
            for d, n in zip(t.shape, np.shape(vals[t.name])):
                if not isinstance(d, int):
                    out[str(d)] = n
    return out


def check_einsum(expr: ic.Expr, D: np.ndarray, vals: dict) -> Outcome:
    """``to_einsum``: refused with a ``LayoutError``, or ``np.einsum`` of its pair equals ``D``
    (``vals`` holds the sizes too: an operand may be a delta, which no tensor binds)."""
    try:
        subscripts, operands = ic.to_einsum(expr)
    except ic.LayoutError as exc:
        return Outcome("to_einsum", "refused", str(exc).splitlines()[0][:160])
    except Exception as exc:  # noqa: BLE001
        return Outcome("to_einsum", "wrong", f"raised {type(exc).__name__}: {exc}")
    try:
        with np.errstate(all="ignore"):
            got = einsum_reference(subscripts, [ic.evaluate(o, **vals) for o in operands])
    except Exception as exc:  # noqa: BLE001
        return Outcome("to_einsum", "wrong", f"{subscripts!r}: {type(exc).__name__}: {exc}")
    err = max_error(got, D)
    if err > TOL:
        return Outcome("to_einsum", "wrong", f"{subscripts!r} with {len(operands)} operands: "
                       f"error {err:.3g}")
    return Outcome("to_einsum", "ok")


def failures(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.status in FAILURES]


# --------------------------------------------------------------------------- random expressions


def subjects(f: fz.Node, rng: np.random.Generator) -> tuple[list[tuple[str, ic.Expr, int | None]], dict]:
    """What a user renders from a random expression ``f``, each with ``out_ndim``: ``f`` itself
    (no derivative); its derivative by every variable; the gradient and Hessian of ``Σ C∘f`` by
    one variable (``C`` an anonymous constant with int dimensions, a tensor ``c_w`` with named
    ones, whose value the returned dict holds); and ``diff(diff(f, x), y)`` where small."""
    e = f.expr
    names = [t.name for t in tensors_of(e)]
    out = [("f", e, None)]
    for name in names:
        out.append((f"diff(f, {name})", ic.diff(e, fz.variable(name)), e.ndim))
    if not names:
        return out, {}
    name = names[rng.integers(len(names))]
    x = fz.variable(name)
    C = rng.normal(size=fz.shape_of(e))
    named = any(not isinstance(d, int) for d in e.shape)
    weight, extra = (ic.Tensor("c_w", e.shape), {"c_w": C}) if named else (ic.Constant(C), {})
    s = ic.sum(e * weight)
    out.append((f"grad(Σ C∘f, {name})", ic.grad(s, x), 0))
    size_x = int(np.prod(fz.shape_of(x) or (1,)))
    if size_x <= 20:
        out.append((f"hessian(Σ C∘f, {name})", ic.hessian(s, x), x.ndim))
    other = names[rng.integers(len(names))]
    y = fz.variable(other)
    if int(np.prod(fz.shape_of(e) or (1,))) * size_x * int(np.prod(fz.shape_of(y) or (1,))) <= 400:
        d1 = ic.diff(e, x)
        out.append((f"diff(diff(f, {name}), {other})", ic.diff(d1, y), d1.ndim))
    return out, extra


def template_subjects(f: fz.Node, rng: np.random.Generator) -> tuple[list, dict]:
    """Derivatives whose value is the random expression ``f`` itself (or ``f ⊗ f``), in the
    shapes the layouts find hardest, with fresh variables (``t`` scalar, ``W_f`` shaped like
    ``f``, ``v`` a vector): ``∂(t f)/∂t`` (``f`` by a scalar), ``∂ Σ W_f∘f / ∂W_f`` (a scalar by a
    matrix: the gradient is ``f``), ``∂(f v)/∂v`` (a bare ``f`` when ``f`` is a leaf), and the
    outer-product Hessian ``∂² ½(Σ W_f∘f)² / ∂W_f²`` = ``f ⊗ f``; the values of the fresh
    variables in the returned dict."""
    e = f.expr
    shape = fz.shape_of(e)
    t, W = ic.Tensor("t", ()), ic.Tensor("W_f", e.shape)
    extra = {"t": np.asarray(rng.normal()), "W_f": rng.normal(size=shape)}
    s = ic.sum(W * e)
    out = [("diff(t f, t)", ic.diff(t * e, t), e.ndim), ("grad(Σ W_f∘f, W_f)", ic.grad(s, W), 0)]
    if e.ndim in (1, 2):
        v = ic.Tensor("v", e.shape[-1:])
        extra["v"] = rng.normal(size=shape[-1:])
        out.append(("diff(f @ v, v)", ic.diff(e @ v, v), e.ndim - 1))
    if int(np.prod(shape or (1,))) <= 20:
        out.append(("hessian(½ (Σ W_f∘f)², W_f)", ic.hessian(0.5 * s * s, W), e.ndim))
    return out, extra


def seed_outcomes(seed: int) -> list[tuple[str, Outcome]]:
    """Every form of every subject of the random expression of ``seed``, labelled
    ``seed S: <subject> with f = <expression>``."""
    saved = fz._MODE["named"]  # the generator's mode, restored for the caller
    try:
        f, base, rng = fz.case(seed)
        out = []
        results, extra = subjects(f, rng)
        more, extra2 = template_subjects(f, rng)
        extra.update(extra2)
        for label, e, out_ndim in results + more:
            for o in check_forms(e, out_ndim, {**base, **extra}, fz.SIZES):
                out.append((f"seed {seed}: {label} with f = {f.what}", o))
        return out
    finally:
        fz._MODE["named"] = saved


def seed_subjects(seed: int):
    """``(label, expr, out_ndim, values)`` for each subject of the random expression of ``seed``
    (its values bound for ``expr``). A generator: the generator's mode, which ``fz.variable``
    reads, stays the seed's while the caller reads them, and is restored after."""
    saved = fz._MODE["named"]
    try:
        f, base, rng = fz.case(seed)
        found, extra = subjects(f, rng)
        more, extra2 = template_subjects(f, rng)
        values = {**base, **extra, **extra2}
        for label, expr, out_ndim in found + more:
            yield label, expr, out_ndim, _binding_values(expr, values, fz.SIZES)
    finally:
        fz._MODE["named"] = saved


def check_seed(seed: int) -> list[str]:
    """The failures among :func:`seed_outcomes`, readable."""
    return [f"{where}: {o}" for where, o in seed_outcomes(seed) if o.status in FAILURES]
