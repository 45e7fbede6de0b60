"""The rule table of elementwise functions: one row per function, and everything about it.

A row's ``formula`` is the function written once, as a Python expression over an array namespace
``xp`` (NumPy's spellings), the argument ``x`` and the parameter ``p``. The NumPy function, every
backend's function (:mod:`indexcalc.evaluation.backends`) and the generated code
(:mod:`indexcalc.codegen.python_source`) are derived from it, so the stable formulas (sigmoid
through ``logaddexp``) are written in one place. A function the array libraries lack under
NumPy's name (``erf``) names each library's own in its row's ``native``. The row also holds the
derivative as an expression (from the argument ``x`` and the node's own value ``y``, so that a
named ``tanh`` gives ``1 − h∘h``), how it prints, whether it is public (``ic.<name>``) and whether
``f(0) = 0``. Adding a function is adding a row.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..errors import IndexcalcError
from . import error_function
from .algebra import add, full, hadamard, one_minus, scale
from .nodes import Apply, Constant, Expr, is_zero, zero
from .normal_form import power_of


@dataclass(frozen=True)
class Elementwise:
    """One row of the table.

    Attributes:
        name: the key, also the ``ic.<name>`` function when public.
        formula: the function as a Python expression in ``x`` (an array), ``p`` (the parameter)
            and ``xp`` (the array library, spelled like NumPy), overflow-safe; e.g.
            ``"xp.exp(-xp.logaddexp(0.0, -x))"``.
        derivative: ``(x, y, param) -> expr`` of ``f'(x)``, same shape as ``x``.
        text: how the function prints in index and matrix notation.
        latex: LaTeX of the function's name, written before ``\\left(x\\right)``; one ending in
            ``{}`` takes its argument inside those braces instead (``\\sqrt{}``).
        doc: the derivative in words (the docs' rule catalogue is generated from it).
        public: users call it as ``ic.<name>`` (and in formulas); the others appear only inside
            derivatives.
        zero_at_zero: ``f(0) = 0``, so an exactly zero argument is its own result.
        native: for a function NumPy's namespace lacks (``xp.<name>``), each backend's own:
            ``numpy`` a NumPy function (code generation copies its source), the others
            ``"module:attribute"``, imported when the backend loads (dask maps NumPy's over blocks).
        simplify: ``(x, param) -> expr or None``, a rewrite tried before building the node.
        by_value: ``(row, build)``: where ``y = row(x)`` is named, the matrix form writes
            ``f(x)`` as ``build(y)`` (``σ'(a) = s∘(1 − s)`` for a named ``s = σ(a)``).
    """

    name: str
    formula: str
    derivative: Callable
    text: str
    latex: str
    doc: str
    public: bool = False
    zero_at_zero: bool = False
    native: Mapping[str, Any] = field(default_factory=dict)
    simplify: Callable | None = None
    by_value: tuple[str, Callable] | None = None

    @cached_property
    def _code(self):
        return compile(f"lambda x, p: {self.formula}", f"<formula of {self.name}>", "eval")

    def function(self, xp: Any) -> Callable:
        """``(array, param) -> array`` computing the formula with the array namespace ``xp``."""
        return eval(self._code, {"xp": xp})

    @cached_property
    def numpy(self) -> Callable:
        """``(array, param) -> array`` with NumPy."""
        return self.function(ArrayNamespace(np, **natives("numpy")))

    @property
    def latex_call(self) -> tuple[str, str]:
        """The LaTeX written before and after the argument."""
        if self.latex.endswith("{}"):
            return self.latex[:-1], "}"
        return self.latex + r"\left(", r"\right)"


class ArrayNamespace:
    """An array library under NumPy's spellings: the ``extra`` functions, then the module's.

    Examples:
        >>> import numpy as np
        >>> xp = ArrayNamespace(np, cube=lambda a: a ** 3)
        >>> xp.exp is np.exp, xp.cube(2.0)
        (True, 8.0)
    """

    def __init__(self, module: Any, **extra: Callable):
        self._module = module
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:  # only for names that are not extra
        return getattr(self._module, name)


def natives(backend: str) -> dict[str, Callable]:
    """``{name: function}`` of the rows' ``native`` entries for ``backend``, imported now."""
    out = {}
    for row in RULES.values():
        fn = row.native.get(backend)
        if isinstance(fn, str):
            module, attribute = fn.split(":")
            fn = getattr(importlib.import_module(module), attribute)
        if fn is not None:
            out[row.name] = fn
    return out


# --------------------------------------------------------------------------- building a node

def apply(fn: str, x: Expr, param: float | None = None) -> Expr:
    """``fn(x)`` as a node of the rule table's function ``fn``, simplified when it can be.

    The row's own rewrite first (``x ** 1 = x``), then an exactly zero argument of a function
    with ``f(0) = 0`` is the result, a constant argument is folded with the NumPy function.

    Examples:
        >>> from indexcalc.core.nodes import Constant, Tensor, zero
        >>> x = Tensor("x", 3)
        >>> apply("power", x, 1.0) is x, apply("tanh", zero((3,))) is zero((3,))
        (True, True)
        >>> float(apply("exp", Constant(0.0)).value), apply("exp", x).fn
        (1.0, 'exp')
    """
    row = rule(fn)
    if row.simplify is not None:
        simpler = row.simplify(x, param)
        if simpler is not None:
            return simpler
    if row.zero_at_zero and is_zero(x):
        return x
    if isinstance(x, Constant):
        with np.errstate(all="ignore"):
            return Constant(row.numpy(np.asarray(x.value), param), shape=x.shape)  # keeps pins
    return Apply(fn, x, param)


def _simplify_power(x: Expr, p: float) -> Expr | None:
    if p == 1.0:
        return x
    if p == 0.0:
        return full(x.shape, 1.0)
    return power_of(x, p)  # sqrt(x)² = x, (x²)³ = x⁶


# --------------------------------------------------------------------------- derivatives

def _d(fn: str, param=None):
    """``f'`` that is another row of the table applied to ``x``."""
    return lambda x, y, p: apply(fn, x, param)


def _zero(x, y, p):
    return zero(x.shape)


def _d_dsigmoid(x, y, p):
    return hadamard(y, one_minus(apply("sigmoid", x), 2.0))


def _d_erf(x, y, p):
    # erf'(x) = 2/√π · exp(−x²)
    return scale(apply("exp", scale(hadamard(x, x), -1.0)), 2.0 / math.sqrt(math.pi))


def _d_gelu(x, y, p):
    # gelu'(x) = Φ(x) + x φ(x), Φ(x) = ½(1 + erf(x/√2)), φ(x) = exp(−x²/2)/√(2π)
    cdf = one_minus(apply("erf", scale(x, math.sqrt(0.5))), -1.0)
    pdf = apply("exp", scale(hadamard(x, x), -0.5))
    return add([(0.5, cdf), (1.0 / math.sqrt(2.0 * math.pi), hadamard(x, pdf))], x.shape)


def _d_log1p(x, y, p):
    return apply("power", one_minus(x, -1.0), -1.0)  # 1/(1 + x)


_LN2, _LN10 = math.log(2.0), math.log(10.0)

_ERF = {"numpy": error_function.erf, "jax": "jax.scipy.special:erf", "torch": "torch:erf",
        "cupy": "cupyx.scipy.special:erf"}

RULES: dict[str, Elementwise] = {r.name: r for r in [
    Elementwise("exp", "xp.exp(x)", lambda x, y, p: y, "exp", r"\exp", "exp(x)", public=True),
    Elementwise("log", "xp.log(x)", _d("power", -1.0), "log", r"\log", "1/x", public=True),
    Elementwise("tanh", "xp.tanh(x)", lambda x, y, p: one_minus(hadamard(y, y)), "tanh",
                r"\tanh", "1 − tanh(x)²", public=True, zero_at_zero=True),
    Elementwise("sigmoid", "xp.exp(-xp.logaddexp(0.0, -x))", _d("dsigmoid"), "σ", r"\sigma",
                "σ(x)(1 − σ(x))", public=True),
    # σ'(z) = σ(z)σ(−z) = exp(−softplus(z) − softplus(−z)): exact and finite for any z
    Elementwise("dsigmoid", "xp.exp(-xp.logaddexp(0.0, x) - xp.logaddexp(0.0, -x))", _d_dsigmoid,
                "σ'", r"\sigma'", "σ'(x)(1 − 2σ(x))",
                by_value=("sigmoid", lambda s: hadamard(s, one_minus(s)))),
    Elementwise("softplus", "xp.logaddexp(0.0, x)", _d("sigmoid"), "softplus",
                r"\operatorname{softplus}", "σ(x)", public=True),
    Elementwise("relu", "xp.maximum(x, 0)", _d("step"), "relu", r"\operatorname{relu}",
                "step(x) (0 at x = 0)", public=True, zero_at_zero=True),
    Elementwise("step", "xp.sign(xp.maximum(x, 0))", _zero, "step", r"\operatorname{step}", "0",
                zero_at_zero=True),
    Elementwise("sin", "xp.sin(x)", _d("cos"), "sin", r"\sin", "cos(x)", public=True,
                zero_at_zero=True),
    Elementwise("cos", "xp.cos(x)", lambda x, y, p: scale(apply("sin", x), -1.0), "cos", r"\cos",
                "−sin(x)", public=True),
    Elementwise("sqrt", "xp.sqrt(x)", lambda x, y, p: scale(apply("power", y, -1.0), 0.5), "sqrt",
                r"\sqrt{}", "1/(2√x)", public=True, zero_at_zero=True),
    Elementwise("square", "xp.square(x)", lambda x, y, p: scale(x, 2.0), "square",
                r"\operatorname{sq}", "2x", public=True, zero_at_zero=True),
    Elementwise("abs", "xp.abs(x)", _d("sign"), "abs", r"\operatorname{abs}",
                "sign(x) (0 at x = 0)", public=True, zero_at_zero=True),
    # sign'(x) = 0 everywhere, 0 at x = 0 too (JAX's jax.grad(jnp.sign)(0.) is 0.)
    Elementwise("sign", "xp.sign(x)", _zero, "sign", r"\operatorname{sign}", "0 (0 at x = 0 too)",
                public=True, zero_at_zero=True),
    Elementwise("power", "xp.power(x, p)",
                lambda x, y, p: scale(apply("power", x, p - 1.0), p), "pow", r"\operatorname{pow}",
                "p·x^(p−1)",
                simplify=_simplify_power),
    Elementwise("erf", "xp.erf(x)", _d_erf, "erf", r"\operatorname{erf}", "2/√π·exp(−x²)",
                public=True, zero_at_zero=True, native=_ERF),
    Elementwise("gelu", "0.5 * x * (1.0 + xp.erf(x * 0.7071067811865476))", _d_gelu, "gelu",
                r"\operatorname{GELU}", "Φ(x) + x·φ(x), Φ(x) = ½(1 + erf(x/√2))", public=True,
                zero_at_zero=True),
    # NumPy's own log1p/expm1: exact near 0, where log(1 + x) and exp(x) − 1 lose every digit
    Elementwise("log1p", "xp.log1p(x)", _d_log1p, "log1p", r"\operatorname{log1p}", "1/(1 + x)",
                public=True, zero_at_zero=True),
    Elementwise("expm1", "xp.expm1(x)", _d("exp"), "expm1", r"\operatorname{expm1}", "exp(x)",
                public=True, zero_at_zero=True),
    Elementwise("log2", "xp.log2(x)", lambda x, y, p: scale(apply("power", x, -1.0), 1.0 / _LN2),
                "log2", r"\log_2", "1/(x ln 2)", public=True),
    Elementwise("log10", "xp.log10(x)",
                lambda x, y, p: scale(apply("power", x, -1.0), 1.0 / _LN10), "log10", r"\log_{10}",
                "1/(x ln 10)", public=True),
    Elementwise("exp2", "xp.exp2(x)", lambda x, y, p: scale(y, _LN2), "exp2",
                r"\operatorname{exp2}", "2^x ln 2", public=True),
    # b ** x for a constant base b > 0 (``2 ** v``): prints 2^∘v, not exp(0.693147 v)
    Elementwise("rpow", "xp.power(p, x)", lambda x, y, p: scale(y, math.log(p)), "rpow",
                r"\operatorname{rpow}", "p^x ln p (base p > 0)"),
]}

#: The functions users call as ``ic.<name>`` (the others appear only inside derivatives).
PUBLIC = tuple(name for name, row in RULES.items() if row.public)


def rule(name: str) -> Elementwise:
    """The row for ``name``; an error listing the known functions otherwise."""
    try:
        return RULES[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(RULES))
        raise IndexcalcError(f"unknown elementwise function {name!r}; known: {known}") from None
