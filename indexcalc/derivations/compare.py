"""``ic.compare``: is a formula from a paper or a textbook this derivative — in which layout?

The candidate (text in matrix or Python notation, or an expression) is evaluated on values
(drawn at random, seeded, where not given) and held against the derivative laid out every way the
contract defines (API.md, Conventions): ``to_matrix``'s numerator and denominator layouts (results
of order ≤ 2) and ``to_kron``'s ``∂vec(F)/∂vec(X)`` in both layouts and both vec orders — each
exactly, up to a transpose, or up to a sign. The layouts are NumPy reshapes of the derivative's
dense value by their definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import numbers
from math import isfinite, prod
from typing import Any

import numpy as np

from ..core.dims import dim_names, dim_size
from ..core.graph_walk import tensors_of
from ..core.nodes import Derivative, Expr
from ..errors import IndexcalcError, ShapeError
from ..evaluation.compiled import evaluate
from ..formula.matrix_shapes import show_shape
from ..formula.reader import read_oriented

#: The relations tried, in order: the first that holds is the verdict.
RELATIONS = ((1.0, False, "equal"), (1.0, True, "transpose"), (-1.0, False, "negative"),
             (-1.0, True, "negative transpose"))


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare` found.

    Attributes:
        verdict: ``"equal"``, ``"transpose"``, ``"negative"``, ``"negative transpose"`` (of the
            derivative in ``layout``) or ``"none"``.
        layout: ``"numerator"`` or ``"denominator"`` (None when the verdict is ``"none"``).
        vec: ``None`` for the matrix layouts, ``"col"``/``"row"`` for ``∂vec(F)/∂vec(X)``.
        max_difference: the largest entry difference from the nearest layout of the same shape
            (0 when one matched up to the relation).
        witness: the values the comparison used (drawn where not given): they show the
            difference.
        candidate: the candidate as an expression.

    Examples:
        >>> import indexcalc as ic
        >>> A, X, B = ic.tensors("A[p,q] X[q,r] B[r,s]")
        >>> r = ic.compare("B ⊗ Aᵀ", ic.diff(A @ X @ B, X))
        >>> bool(r), r.verdict, r.layout, r.vec, r.max_difference
        (True, 'equal', 'denominator', 'col', 0.0)
    """

    verdict: str
    layout: str | None
    vec: str | None
    max_difference: float
    witness: dict = field(repr=False)
    candidate: Any = field(repr=False, default=None)
    nearest: str = ""

    def __bool__(self) -> bool:
        return self.verdict != "none"

    def __str__(self) -> str:
        if self.verdict == "none":
            sizes = ", ".join(f"{k}={v}" for k, v in self.witness.items()
                              if isinstance(v, (int, np.integer)))
            return (f"neither layout: the candidate differs from the derivative by up to "
                    f"{self.max_difference:.3g} ({self.nearest}; sizes {sizes or 'as given'}; "
                    "the values in .witness show it)")
        where = _label(self.layout, self.vec)
        what = {"equal": "equals", "transpose": "is the transpose of",
                "negative": "is minus", "negative transpose": "is minus the transpose of"}
        return f"the candidate {what[self.verdict]} the derivative in {where}"


def _label(layout: str | None, vec: str | None) -> str:
    if vec is None:
        return f"{layout} layout"
    order = "column-major" if vec == "col" else "row-major"
    return f"{layout} layout as ∂vec(F)/∂vec(X), {order} vec"


def compare(candidate: Any, derivative: Any, /, *, shapes: Mapping[str, Any] | None = None,
            seed: int = 0, rtol: float = 1e-7, **values: Any) -> Comparison:
    """Whether ``candidate`` is the derivative, and in which layout.

    Args:
        candidate: a formula (matrix notation such as ``"W diag(σ'(x))"`` or Python notation)
            or an expression. Names are the derivative's tensors, and ``shapes``.
        derivative: what ``ic.diff``/``ic.grad``/``ic.jacobian`` returned.
        shapes: shapes of names the candidate uses that the derivative has not (or expressions
            they stand for, such as ``{"x": x_prev}``).
        seed: the seed of the values drawn for tensors ``values`` does not give.
        rtol: relative tolerance of a match.
        **values: tensors' values (and dimension sizes) to compare on.

    Returns:
        A :class:`Comparison`: truthy when the candidate is the derivative in some layout.

    Raises:
        ShapeError: the candidate conforms to no layout of the derivative (the shapes that
            clash are named).

    Examples:
        >>> import indexcalc as ic
        >>> W, x = ic.tensors("W[n,n] x[n]")
        >>> J = ic.diff(W @ ic.sigmoid(x), x)
        >>> print(ic.compare("W diag(σ'(x))", J))
        the candidate equals the derivative in numerator layout
        >>> ic.compare("Wᵀ diag(σ'(x))", J).verdict
        'none'
    """
    if not isinstance(derivative, Derivative):
        raise IndexcalcError("compare: the second argument is the derivative (what ic.diff, "
                             "ic.grad or ic.jacobian returns), got "
                             f"{type(derivative).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise IndexcalcError(f"compare: seed must be an int ≥ 0, got {seed!r:.60}")
    if isinstance(rtol, bool) or not isinstance(rtol, numbers.Real) or not isfinite(rtol) \
            or rtol < 0:
        raise IndexcalcError(f"compare: rtol must be a finite number ≥ 0, got {rtol!r:.60}")
    names = {t.name: t for t in [*tensors_of(derivative), derivative.wrt]}
    expr, orient = _candidate(candidate, names, shapes)
    sizes = _sizes([*names.values(), *tensors_of(expr)], values)
    vals = dict(values)
    rng = np.random.default_rng(seed)
    for t in {t.name: t for t in [*names.values(), *tensors_of(expr)]}.values():
        if t.name not in vals:
            a = rng.normal(size=tuple(dim_size(d, sizes) for d in t.shape))
            vals[t.name] = (a + a.T) / 2 if getattr(t, "symmetric", False) else a
    witness = {**sizes, **vals}
    with np.errstate(all="ignore"):
        D = np.asarray(evaluate(derivative, **witness), dtype=float)
        C = np.asarray(evaluate(expr, **witness), dtype=float)
    C2 = C.reshape(1 if orient[0] is None else -1, 1 if orient[1] is None else -1) \
        if C.ndim < 2 else C
    if D.size and not np.isfinite(D).any():
        raise IndexcalcError("compare: the derivative is nowhere finite at these values (nan or "
                             "inf in every entry), so they tell nothing; give finite values, or "
                             "other ones")
    targets = _layouts(D, derivative.out_ndim)
    best, nearest = np.inf, ""
    for sign, flip, verdict in RELATIONS:    # equal in any layout first, then a transpose, ...
        for layout, vec, T in targets:
            got = sign * (C2.T if flip else C2)
            if got.shape != T.shape:
                continue
            diff = _difference(got, T)
            if diff <= rtol * max(1.0, float(np.nanmax(np.abs(T), initial=0.0))):
                return Comparison(verdict, layout, vec, 0.0, witness, expr)
            if sign == 1.0 and diff < best:
                best, nearest = diff, f"nearest: {_label(layout, vec)}" + (
                    ", transposed" if flip else "")
    if best == np.inf:
        layouts = "; ".join(f"{_label(l, v)} {T.shape[0]} × {T.shape[1]}"
                            for l, v, T in targets if v is None or v == "col")
        raise ShapeError(f"compare: the candidate is {show_shape(orient)} ({C2.shape[0]} × "
                         f"{C2.shape[1]} with the sizes {_sizes_text(sizes)}), which conforms "
                         f"to no layout of the derivative ∂F/∂{derivative.wrt.name} of shape "
                         f"{derivative.shape} ({layouts})")
    return Comparison("none", None, None, best, witness, expr, nearest)


def _candidate(candidate: Any, names: dict, shapes: Mapping[str, Any] | None) -> tuple:
    if isinstance(candidate, Expr):
        return candidate, _orientation(candidate.shape)
    if not isinstance(candidate, str):
        raise IndexcalcError(f"compare: the candidate is a formula or an expression, got "
                             f"{type(candidate).__name__}")
    return read_oriented(candidate, {**names, **(shapes or {})})


def _sizes_text(sizes: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sizes.items()) or "given"


def _orientation(shape: tuple) -> tuple:
    return tuple(shape) if len(shape) == 2 else (shape[0], None) if shape else (None, None)


def _sizes(tensors: list, values: Mapping[str, Any]) -> dict:
    """A size for every named dimension: from the values given, else 3, 4, 5, … (distinct, so
    that a misplaced axis shows)."""
    sizes = {k: int(v) for k, v in values.items() if isinstance(v, (int, np.integer))
             and not isinstance(v, bool)}
    for t in tensors:
        if t.name in values:
            for d, n in zip(t.shape, np.shape(values[t.name])):
                if isinstance(d, str) and len(dim_names(d)) == 1 and d not in sizes:
                    sizes[d] = int(n)
    free = iter(range(3, 1000))
    for t in tensors:
        for d in t.shape:
            for name in dim_names(d):
                if name not in sizes:
                    size = next(free)
                    while size in sizes.values():
                        size = next(free)
                    sizes[name] = size
    return sizes


def _layouts(D: np.ndarray, out_ndim: int) -> list[tuple[str, str | None, np.ndarray]]:
    """The derivative laid out by the contract's definitions (API.md, Conventions)."""
    out = []
    if D.ndim <= 2:
        as_is = D.reshape(1, 1) if D.ndim == 0 else D[:, None] if D.ndim == 1 else D
        numerator = as_is.T if out_ndim == 0 else as_is   # a gradient's numerator layout is Xᵀ
        out += [("numerator", None, numerator), ("denominator", None, numerator.T)]
    n_f, n_x = prod(D.shape[:out_ndim]), prod(D.shape[out_ndim:])
    for vec in ("col", "row"):
        J = D.reshape((n_f, n_x), order="F" if vec == "col" else "C")
        out += [("numerator", vec, J), ("denominator", vec, J.T)]
    return out


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    finite = np.isfinite(a) & np.isfinite(b)
    if not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return np.inf
    return float(np.max(np.abs(a[finite] - b[finite]), initial=0.0))
