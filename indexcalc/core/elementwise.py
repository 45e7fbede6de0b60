"""The rule table of elementwise functions: one row per function.

Each row says how to compute the function stably with NumPy, how to write its derivative as an
expression (from the argument ``x`` and the node's own value ``y``, so that a named ``tanh`` gives
``1 − h∘h``), and how to print it. Adding a function is adding a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import IndexcalcError


@dataclass(frozen=True)
class Elementwise:
    """One row of the table.

    Attributes:
        name: the key, also the ``ic.<name>`` function.
        numpy: ``(array, param) -> array``, overflow-safe.
        derivative: ``(x, y, param) -> expr`` of ``f'(x)``, same shape as ``x``.
        text: how the function prints in index and matrix notation.
        latex: LaTeX of the function's name.
        doc: the derivative in words (the docs' rule catalogue is generated from it).
    """

    name: str
    numpy: Callable
    derivative: Callable
    text: str
    latex: str
    doc: str


def _softplus(a):
    return np.logaddexp(0, a)


def _sigmoid(a):
    return np.exp(-np.logaddexp(0, -a))


def _dsigmoid(a):
    # σ'(z) = σ(z)σ(−z) = exp(−softplus(z) − softplus(−z)): exact and finite for any z
    return np.exp(-np.logaddexp(0, a) - np.logaddexp(0, -a))


def _step(a):
    return (a > 0).astype(np.result_type(a, np.float32))


def _d(fn: str, param=None):
    """``f'`` that is another row of the table applied to ``x``."""
    def build(x, y, p):
        from ..frontend.arithmetic import apply
        return apply(fn, x, param)
    return build


def _zero(x, y, p):
    from .nodes import zero
    return zero(x.shape)


def _d_exp(x, y, p):
    return y


def _d_tanh(x, y, p):
    from .algebra import hadamard, one_minus
    return one_minus(hadamard(y, y))


def _d_dsigmoid(x, y, p):
    from .algebra import hadamard, one_minus
    from ..frontend.arithmetic import apply
    return hadamard(y, one_minus(apply("sigmoid", x), 2.0))


def _d_sqrt(x, y, p):
    from .algebra import scale
    from ..frontend.arithmetic import apply
    return scale(apply("power", y, -1.0), 0.5)


def _d_square(x, y, p):
    from .algebra import scale
    return scale(x, 2.0)


def _d_cos(x, y, p):
    from .algebra import scale
    from ..frontend.arithmetic import apply
    return scale(apply("sin", x), -1.0)


def _d_power(x, y, p):
    from .algebra import scale
    from ..frontend.arithmetic import apply
    return scale(apply("power", x, p - 1.0), p)


RULES: dict[str, Elementwise] = {r.name: r for r in [
    Elementwise("exp", lambda a, p: np.exp(a), _d_exp, "exp", r"\exp", "exp(x)"),
    Elementwise("log", lambda a, p: np.log(a), _d("power", -1.0), "log", r"\log", "1/x"),
    Elementwise("tanh", lambda a, p: np.tanh(a), _d_tanh, "tanh", r"\tanh", "1 − tanh(x)²"),
    Elementwise("sigmoid", lambda a, p: _sigmoid(a), _d("dsigmoid"), "σ", r"\sigma",
                "σ(x)(1 − σ(x))"),
    Elementwise("dsigmoid", lambda a, p: _dsigmoid(a), _d_dsigmoid, "σ'", r"\sigma'",
                "σ'(x)(1 − 2σ(x))"),
    Elementwise("softplus", lambda a, p: _softplus(a), _d("sigmoid"), "softplus",
                r"\operatorname{softplus}", "σ(x)"),
    Elementwise("relu", lambda a, p: np.maximum(a, 0), _d("step"), "relu",
                r"\operatorname{relu}", "step(x) (0 at x = 0)"),
    Elementwise("step", lambda a, p: _step(a), _zero, "step", r"\operatorname{step}", "0"),
    Elementwise("sin", lambda a, p: np.sin(a), _d("cos"), "sin", r"\sin", "cos(x)"),
    Elementwise("cos", lambda a, p: np.cos(a), _d_cos, "cos", r"\cos", "−sin(x)"),
    Elementwise("sqrt", lambda a, p: np.sqrt(a), _d_sqrt, "sqrt", r"\sqrt", "1/(2√x)"),
    Elementwise("square", lambda a, p: np.square(a), _d_square, "square", r"\operatorname{sq}", "2x"),
    Elementwise("abs", lambda a, p: np.abs(a), _d("sign"), "abs", r"\operatorname{abs}",
                "sign(x) (0 at x = 0)"),
    Elementwise("sign", lambda a, p: np.sign(a), _zero, "sign", r"\operatorname{sign}", "0"),
    Elementwise("power", lambda a, p: np.power(a, p), _d_power, "pow", "", "p·x^(p−1)"),
]}

#: The functions users call as ``ic.<name>`` (the others appear only inside derivatives).
PUBLIC = ("exp", "log", "tanh", "sigmoid", "softplus", "relu", "sin", "cos", "sqrt", "square", "abs")


def rule(name: str) -> Elementwise:
    """The row for ``name``; an error listing the known functions otherwise."""
    try:
        return RULES[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(RULES))
        raise IndexcalcError(f"unknown elementwise function {name!r}; known: {known}") from None
