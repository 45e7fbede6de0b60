"""LaTeX of the index notation: ``ic.to_latex(expr)``, and ``_repr_latex_`` for Jupyter.

The same printer as ``str(expr)`` (:mod:`indexcalc.rendering.index_notation`) with a LaTeX :class:`Style`: indices
become subscripts (``X_{nd}``, ``\\delta_{hh'}``), ``Σ`` becomes ``\\sum``, functions take their
LaTeX from the rule table (``\\sigma'``, ``\\tanh``, ``\\operatorname{softplus}``). The node types
dispatch through the printer's table, :data:`indexcalc.rendering.index_rules.RULES` (one row per
node type); this module only changes how each piece is written. Only a small,
fixed set of commands is ever written, and braces always balance.
"""

from __future__ import annotations

from ..core.matrix_functions import MATRIX_FUNCTIONS

import re

import numpy as np

from ..core.elementwise import rule
from ..core.nodes import Expr
from .index_notation import Style, render
from ..core.coercion import as_expr

_SINGLE = re.compile(r"[A-Za-z]'*\Z")  # one letter and primes: written without commas
_CALLS = {"det": r"\det"}
_CALLS.update({r.text: r.latex for r in MATRIX_FUNCTIONS.values()})  # expm(A) is \exp(A)
_CALLS.update({r.frechet_text: r.frechet_latex for r in MATRIX_FUNCTIONS.values()})


def latex_name(name: str) -> str:
    """A variable or index name in LaTeX: ``W_hx`` → ``W_{hx}``, ``h_prev`` → ``h_{\\mathrm{prev}}``.

    Examples:
        >>> latex_name("W_hx"), latex_name("h_prev"), latex_name("b1"), latex_name("softmax")
        ('W_{hx}', 'h_{\\\\mathrm{prev}}', 'b_{1}', '\\\\mathrm{softmax}')
    """
    m = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
    base, _, sub = name.partition("_") if not m else (m.group(1), "_", m.group(2))
    if not base:  # a name starting with "_"
        return r"\mathrm{" + name.replace("_", r"\_") + "}"
    primes = len(base) - len(base.rstrip("'"))
    core = base.rstrip("'")
    core = core if len(core) <= 1 else r"\mathrm{" + core + "}"
    core += "'" * primes
    if not sub:
        return core
    sub = sub.replace("_", ",")
    sub = sub if len(sub) <= 2 or sub.isdigit() else r"\mathrm{" + sub + "}"
    return f"{core}_{{{sub}}}"


def _index(name: str) -> str:
    """An index name: ``h_3`` → ``h_{3}`` (primes stay as they are)."""
    head, _, sub = name.partition("_")
    return f"{head}_{{{sub}}}" if sub else name


class LatexStyle(Style):
    """Index notation as LaTeX math (no surrounding ``$``)."""

    open, close = r"\left(", r"\right)"
    inverse = "^{-1}"
    mapsto = r" \mapsto "

    def name(self, name: str) -> str:
        return latex_name(name)

    def _indices(self, names) -> str:
        names = [_index(n) for n in names]
        sep = "" if all(_SINGLE.match(n) for n in names) else ","
        return sep.join(names)

    def indexed(self, base: str, names) -> str:
        if not names:
            return base
        sub = "_{" + self._indices(names) + "}"
        if not base or base.startswith("^"):
            return base + sub
        return ("{" + base + "}" if "_" in base or "^" in base else base) + sub

    def sigma(self, names) -> str:
        return r"\sum_{" + ",".join(map(_index, names)) + "} "

    def delta(self, names) -> str:
        return self.indexed(r"\delta", names)

    def call(self, fn: str, sub=None) -> tuple[str, str]:
        head = _CALLS.get(fn, r"\operatorname{" + fn + "}")
        if sub:
            head += "_{" + ",".join(map(_index, sub)) + "}"
        return head + r"\left(", r"\right)"

    def function(self, fn: str) -> tuple[str, str]:
        return rule(fn).latex_call

    def logdet(self) -> tuple[str, str]:
        return r"\log\left\lvert\det\left(", r"\right)\right\rvert"

    def power(self, p: float) -> str:
        return "^{" + self.number(p) + "}"

    def base_power(self, base: float) -> tuple[str, str]:
        return self.number(base) + "^{", "}"

    def size(self, dim) -> str:
        return r"\left(" + str(dim) + r"\right)" if "*" in str(dim) else str(dim)

    def ones(self, names) -> str:
        return self.indexed(r"\mathbf{1}", names)

    def array(self, value: np.ndarray) -> str:
        if value.size <= 6:
            return r"\left[" + ", ".join(self.number(v) for v in np.round(value, 6).ravel()) + r"\right]"
        return r"\mathrm{C}"

    def where(self, main: str, defs: list[str]) -> str:
        rows = [main, r"\text{where}"] + defs
        return r"\begin{aligned}" + r" \\ ".join("&" + r for r in rows) + r"\end{aligned}"

    def define(self, lhs: str, rhs: str) -> str:
        return rf"\quad {lhs} = {rhs}"


LATEX = LatexStyle()


def to_latex(expr: Expr) -> str:
    """LaTeX of ``expr`` in index notation (math mode, without ``$``); of a printed form of the
    later stages (a ``MatrixForm``, a ``Derivation``: anything with a ``latex()`` method), that.

    Examples:
        >>> import indexcalc as ic
        >>> X, W, v = ic.tensors("X[n,d] W[d,h] v[h]")
        >>> print(ic.to_latex(X @ W))
        \\sum_{d} X_{nd} W_{dh}
        >>> print(ic.to_latex(ic.diff(ic.sigmoid(W @ v), v)))
        \\sigma'\\left(\\sum_{h'} W_{dh'} v_{h'}\\right) W_{dh}
        >>> print(ic.to_latex(ic.to_matrix(X.T @ (X @ W))))
        {X}^{\\top} \\, X \\, W
    """
    if not isinstance(expr, Expr) and callable(getattr(expr, "latex", None)):
        return expr.latex()  # MatrixForm, Derivation: rendering cannot import their stages
    return render(as_expr(expr, "to_latex"), LATEX)


def repr_latex(expr: Expr) -> str:
    """Jupyter's rich display: the LaTeX in ``$…$``."""
    return "$" + to_latex(expr) + "$"
