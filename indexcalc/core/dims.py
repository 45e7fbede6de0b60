"""Dimensions: an int, or a symbol such as ``"n"`` bound to a size at evaluation.

A merged axis (a reshape of ``n`` by ``d``) has the product dimension ``"n*d"``; dimensions
compare as multisets of factors, so ``"n*d"`` equals ``"d*n"`` and ``"2*n"`` equals ``"n*2"``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Mapping
from typing import Union

from ..errors import BindingError, ShapeError

Dim = Union[int, str]
Shape = tuple  # tuple[Dim, ...]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_']*\Z")


def dim_factors(dim: Dim) -> tuple[int, tuple[str, ...]]:
    """Split a dimension into its integer coefficient and sorted symbolic factors."""
    if isinstance(dim, int):
        return dim, ()
    coef, names = 1, []
    for part in dim.split("*"):
        part = part.strip()
        if part.isdigit():
            coef *= int(part)
        else:
            names.append(part)
    return coef, tuple(sorted(names))


def check_dim(dim: object, where: str = "shape") -> Dim:
    """Validate one dimension given by the user and return it normalized.

    Examples:
        >>> check_dim(3), check_dim("n"), check_dim(" n * d ")
        (3, 'n', 'n*d')
    """
    if isinstance(dim, bool) or not isinstance(dim, (int, str)):
        try:
            if isinstance(dim, bool):
                raise TypeError
            dim = operator.index(dim)  # NumPy integers; not arrays, floats or bools
        except TypeError:
            raise ShapeError(f"{where}: a dimension must be an int or a name, got {dim!r}") from None
    if isinstance(dim, int):
        if dim < 0:
            raise ShapeError(f"{where}: a dimension cannot be negative, got {dim}")
        return dim
    parts = [p.strip() for p in dim.split("*")]
    for p in parts:   # ASCII digits only: '³'.isdigit(), but int('³') fails
        if not (p.isascii() and p.isdigit() or _NAME.match(p)):
            raise ShapeError(f"{where}: {dim!r} is not a dimension name (letters, digits, '_'; "
                             f"products written 'n*d')")
    if all(p.isdigit() for p in parts):
        return math.prod(int(p) for p in parts)
    return "*".join(parts)


def parse_shape(shape: object, where: str = "shape") -> tuple[Dim, ...]:
    """A shape from a tuple of dims, a single dim, or a string like ``"n d"`` / ``"n, d"``.

    Examples:
        >>> parse_shape("n d"), parse_shape((3, "h")), parse_shape(5), parse_shape("")
        (('n', 'd'), (3, 'h'), (5,), ())
    """
    if isinstance(shape, str):
        tokens = [t for t in re.split(r"[\s,()\[\]]+", shape) if t]
        return tuple(check_dim(int(t) if t.isdigit() else t, where) for t in tokens)
    if not isinstance(shape, bool):
        try:
            return (check_dim(operator.index(shape), where),)  # one int-like dimension
        except TypeError:
            pass
    try:
        items = tuple(shape)  # type: ignore[arg-type]
    except TypeError:
        raise ShapeError(f"{where}: expected a tuple of dimensions or a string like 'n d', "
                         f"got {shape!r}") from None
    return tuple(check_dim(d, where) for d in items)


def dims_equal(a: Dim, b: Dim) -> bool:
    """Whether two dimensions are the same (as multisets of factors)."""
    return a == b or dim_factors(a) == dim_factors(b)


def dim_mul(*dims: Dim) -> Dim:
    """The dimension of a merged axis.

    Examples:
        >>> dim_mul(3, 4), dim_mul("n", "d"), dim_mul(2, "n"), dim_mul("n", 1)
        (12, 'n*d', '2*n', 'n')
    """
    coef, names = 1, []
    for d in dims:
        if isinstance(d, int):
            coef *= d
        else:
            c, _ = dim_factors(d)
            coef *= c
            names.extend(p.strip() for p in d.split("*") if not p.strip().isdigit())
    if not names:
        return coef
    if coef == 0:
        return 0
    return "*".join(([str(coef)] if coef != 1 else []) + names)


def dim_size(dim: Dim, sizes: Mapping[str, int]) -> int:
    """The size of a dimension under a binding of names to sizes."""
    if isinstance(dim, int):
        return dim
    coef, names = dim_factors(dim)
    try:
        return coef * math.prod(sizes[n] for n in names)
    except KeyError as e:
        raise BindingError(f"dimension {e.args[0]!r} is not bound: pass a tensor that has it "
                           f"or give its size") from None


def dim_names(dim: Dim) -> tuple[str, ...]:
    """The symbolic names a dimension depends on."""
    return () if isinstance(dim, int) else dim_factors(dim)[1]


def format_dim(dim: Dim) -> str:
    return str(dim)


def format_shape(shape: tuple[Dim, ...]) -> str:
    """``(n, d)`` style text for messages.

    Examples:
        >>> format_shape(("n", 3)), format_shape(("n",)), format_shape(())
        ('(n, 3)', '(n,)', '()')
    """
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def broadcast_shapes(*shapes: tuple[Dim, ...], what: str = "operands") -> tuple[Dim, ...]:
    """NumPy broadcasting of positional shapes with symbolic dimensions.

    Examples:
        >>> broadcast_shapes(("n", "d"), ("d",)), broadcast_shapes((1, 3), (4, 1))
        (('n', 'd'), (4, 3))
    """
    ndim = max((len(s) for s in shapes), default=0)
    out: list[Dim] = []
    for axis in range(-ndim, 0):
        dim: Dim = 1
        for i, s in enumerate(shapes):
            if len(s) < -axis:
                continue
            d = s[axis]
            if dims_equal(d, 1):
                continue
            if dims_equal(dim, 1):
                dim = d
            elif not dims_equal(dim, d):
                raise ShapeError(
                    f"cannot broadcast {what} of shapes "
                    + " and ".join(format_shape(x) for x in shapes)
                    + f": axis {axis} has dimension {dim} in one and {d} in operand {i}")
        out.append(dim)
    return tuple(out)


# --------------------------------------------------------------------------- pins
# A pin ``dim = size`` is what an expression learned when a named dimension met a concrete one
# (see :mod:`indexcalc.core.dim_meeting`). Pins map the dimension, written canonically, to
# ``(size, where)``; ``where`` says which operation fixed it, for the messages.

def pin(dim: Dim, size: int, where: str) -> dict:
    """The pins that ``dim = size`` implies: ``{}`` for an int, one name solved when it can be.

    Examples:
        >>> pin("d", 3, "here"), pin("2*n", 6, "here"), pin("n*m", 12, "here")
        ({'d': (3, 'here')}, {'n': (3, 'here')}, {'m*n': (12, 'here')})
    """
    coef, names = dim_factors(dim)
    if not names:
        if coef != size:
            raise ShapeError(f"dimension {dim} cannot be {size} ({where})")
        return {}
    if len(names) == 1:
        if coef == 0 or size % coef:
            raise ShapeError(f"dimension {dim} cannot be {size}: {size} is not a multiple of "
                             f"{coef} ({where})")
        return {names[0]: (size // coef, where)}
    key = "*".join(([str(coef)] if coef != 1 else []) + list(names))
    return {key: (size, where)}


def total_meets(a: Dim, b: Dim) -> tuple[Dim, int] | None:
    """``(named, size)`` when two totals differ by named factors on one side only (a reshape of
    ``m*n`` to 12, or of ``m*n*m*n`` to ``12*m*n``): ``named = size`` makes them equal.

    Examples:
        >>> total_meets("m*n", 12), total_meets("m*n*m*n", "12*m*n"), total_meets("m", "n")
        (('m*n', 12), ('m*n', 12), None)
    """
    (ca, na), (cb, nb) = dim_factors(a), dim_factors(b)
    rest_a, rest_b = list(na), list(nb)
    for n in na:
        if n in rest_b:
            rest_a.remove(n)
            rest_b.remove(n)
    if bool(rest_a) == bool(rest_b):
        return None
    (c, names), size = ((ca, rest_a), cb) if rest_a else ((cb, rest_b), ca)
    if c == 0 or size % c:
        return None
    return "*".join(names), size // c


def merge_pins(*maps: Mapping | None) -> dict:
    """One map of pins from several; a name pinned to two sizes is a ``ShapeError`` naming both.

    Examples:
        >>> merge_pins({"d": (3, "a constant")}, None, {"d": (3, "another")})
        {'d': (3, 'a constant')}
        >>> merge_pins({"d": (3, "the left operand")}, {"d": (4, "the right operand")})
        Traceback (most recent call last):
        ...
        indexcalc.errors.ShapeError: dimension 'd' is 3 by the left operand but 4 by the right operand
    """
    out: dict = {}
    for m in maps:
        if not m:
            continue
        if not out:
            out = dict(m)
            continue
        for key, (size, where) in m.items():
            seen = out.setdefault(key, (size, where))
            if seen[0] != size:
                raise ShapeError(f"dimension {key!r} is {seen[0]} by {seen[1]} but {size} by "
                                 f"{where}")
    return out
