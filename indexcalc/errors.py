"""The one exception family of indexcalc.

Every error a user can provoke is an :class:`IndexcalcError` (a ``ValueError``), so
``except ic.IndexcalcError`` catches all of them and nothing else escapes from inside.
"""

from __future__ import annotations


class IndexcalcError(ValueError):
    """Base of every error indexcalc raises on bad input."""


class ShapeError(IndexcalcError):
    """Dimensions disagree when an expression is built (names operands, axes, letter, dims)."""


class ParseError(IndexcalcError):
    """A malformed einsum string or formula (quotes the input, points at the culprit)."""


class BindingError(IndexcalcError):
    """Values given at evaluation do not fit the expression (names tensor, axis, sizes)."""


class LayoutError(IndexcalcError):
    """An expression cannot be written in the requested layout (says which one can)."""
