"""The one exception family of indexcalc.

Every error a user can provoke is an :class:`IndexcalcError` (a ``ValueError``), so
``except ic.IndexcalcError`` catches all of them and nothing else escapes from inside.
"""

from __future__ import annotations


class IndexcalcError(ValueError):
    """Base of every error indexcalc raises on bad input.

    Examples:
        >>> import indexcalc as ic
        >>> issubclass(ic.ShapeError, ic.IndexcalcError), issubclass(ic.IndexcalcError, ValueError)
        (True, True)
        >>> try:
        ...     ic.einsum("ij,jk->ik", ic.Tensor("A", "m n"))
        ... except ic.IndexcalcError as error:
        ...     print(type(error).__name__)
        ParseError
    """


class ShapeError(IndexcalcError):
    """Dimensions disagree when an expression is built (names operands, axes, letter, dims).

    Examples:
        >>> import indexcalc as ic
        >>> X, y = ic.tensors("X[n,d] y[m]")
        >>> X @ y
        Traceback (most recent call last):
        ...
        indexcalc.errors.ShapeError: @: shapes (n, d) and (m,) are not aligned...
    """


class ParseError(IndexcalcError):
    """A malformed einsum string or formula (quotes the input, points at the culprit).

    Examples:
        >>> import indexcalc as ic
        >>> ic.einsum("ij,jk->ik", ic.Tensor("A", "m n"))
        Traceback (most recent call last):
        ...
        indexcalc.errors.ParseError: einsum 'ij,jk->ik': 2 input terms but 1 operands...
    """


class BindingError(IndexcalcError):
    """Values given at evaluation do not fit the expression (names tensor, axis, sizes).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A, x = ic.tensors("A[m,n] x[n]")
        >>> (A @ x).evaluate(A=np.ones((2, 3)))
        Traceback (most recent call last):
        ...
        indexcalc.errors.BindingError: no value for tensor 'x'...
    """


class LayoutError(IndexcalcError):
    """An expression cannot be written in the requested layout (says which one can).

    Examples:
        >>> import indexcalc as ic
        >>> M, N = ic.tensors("M[a,b] N[b,c]")
        >>> ic.to_matrix(ic.diff(M @ N, N))
        Traceback (most recent call last):
        ...
        indexcalc.errors.LayoutError: to_matrix writes expressions of order ≤ 2...
    """
