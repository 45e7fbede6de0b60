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
    if isinstance(x, (list, tuple)) and any(isinstance(v, Expr) for v in _flat(x)):
        raise IndexcalcError(f"{what}: expected one expression, got a {type(x).__name__} holding "
                             f"expressions; stack them into one with ic.stack([...]) (equal "
                             f"shapes), or pass each on its own")
    if isinstance(x, (numbers.Real, np.ndarray, np.generic, list, tuple)) and not isinstance(x, str):
        return Constant(x)
    raise IndexcalcError(f"{what}: expected an expression, a number or an array, got "
                         f"{type(x).__name__} {x!r:.60}")


def _flat(x: Any, limit: int = 10_000):
    """The items of nested lists and tuples, at most ``limit`` (a huge literal is not walked)."""
    stack = [x]
    for _ in range(limit):
        if not stack:
            return
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        else:
            yield v
