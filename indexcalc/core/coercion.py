"""Coercion at the boundary: what the library accepts where it expects an expression."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..errors import IndexcalcError
from .nodes import Constant, Expr


def as_expr(x: Any, what: str = "operand") -> Expr:
    """An expression from an expression, a number or an array-like.

    Examples:
        >>> from indexcalc.core.coercion import as_expr
        >>> as_expr(2).shape, as_expr([1.0, 2.0]).shape
        ((), (2,))
    """
    if isinstance(x, Expr):
        return x
    if isinstance(x, (numbers.Real, np.ndarray, np.generic, list, tuple)) and not isinstance(x, str):
        return Constant(x)
    raise IndexcalcError(f"{what}: expected an expression, a number or an array, got "
                         f"{type(x).__name__} {x!r:.60}")
