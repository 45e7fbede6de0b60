"""Every printed form of one expression, evaluated and held to ``tests/layout_reference.py``.

Shared by ``tests/test_layouts_reference.py``, ``tests/test_layouts_cookbook.py`` and
``examples/forms_fuzz.py``. Not a test module itself.

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
  the form raised anything but a ``LayoutError``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import indexcalc as ic
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


def _compare(name: str, render, want: np.ndarray, vals: dict, must_accept: bool) -> Outcome:
    try:
        form = render()
    except ic.LayoutError as exc:
        status = "refused (contract)" if must_accept else "refused"
        return Outcome(name, status, str(exc).splitlines()[0][:160])
    except Exception as exc:  # noqa: BLE001 - anything but a LayoutError escaping is a finding
        return Outcome(name, "wrong", f"rendering raised {type(exc).__name__}: {str(exc)[:160]}")
    try:
        text = str(form)
        form.latex()
        with np.errstate(all="ignore"):
            got = np.asarray(form.evaluate(**vals), dtype=float)
    except Exception as exc:  # noqa: BLE001
        return Outcome(name, "wrong", f"evaluating raised {type(exc).__name__}: {str(exc)[:160]}")
    if got.ndim == 0 and want.shape == (1, 1):  # a 1 × 1 Kronecker form prints as a scalar
        got = got.reshape(1, 1)
    err = max_error(got, want)
    if err > TOL:
        what = (f"shape {got.shape}, expected {want.shape}" if got.shape != want.shape
                else f"relative error {err:.3g}")
        return Outcome(name, "wrong", f"{what}; form: {text[:300]}")
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
                                    want, vals, must_accept=True))
    if out_ndim is not None:
        for layout in LAYOUTS:
            for vec in VECS:
                want = kron_reference(D, out_ndim, layout, vec)
                out.append(_compare(f"to_kron({layout}, {vec})",
                                    lambda: ic.to_kron(expr, layout, vec, **given),
                                    want, vals, must_accept=True))
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
        out.append(check_einsum(expr, D, {**sizes, **vals}))
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
