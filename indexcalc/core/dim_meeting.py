"""Dimensions meet: a named dimension joined with a concrete one takes that size.

``X[n,d] @ np.ones((3, 2))`` is what a NumPy user writes; it fixes ``d = 3`` within that
expression, as JAX's symbolic shapes and SymPy do (API.md, Conventions, "Dimensions meet").

The design, in three parts:

1. **The concrete operand takes the name.** Where the front end joins axes (einsum letters,
   ``@``, broadcasting of ``+ - * /`` and ``where``, ``stack``/``concatenate``, a cotangent
   against ``f``), :func:`meet` gives each constant operand (an ``ic.Constant``, a NumPy array,
   ``ic.eye(4)``) the named dimension where it has the size: ``np.ones((3, 2))`` becomes
   ``Constant(np.ones((3, 2)), shape=("d", 2))``. The symbolic side, the graph and every check
   of the core stay exact (``dims_equal`` is unchanged): the result keeps ``d``, derivatives
   and printed forms are those of the symbolic expression, and ``d`` still names one axis
   everywhere. Only constants are renamed (they have no derivative and no binding of their
   own); an operand such as ``ic.Tensor("Y", (3, 2))`` keeps its sizes and the join stays a
   ``ShapeError``, as an int dimension the user declared is a promise, not a value.
2. **The constant carries the pin.** A constant whose shape names ``d`` where its value has 3
   pins ``d = 3``; so does a ``Reshape`` of named dimensions to a concrete size
   (``X[m,n].reshape(12)`` pins ``m*n = 12``, ``ic.unvec(ic.vec(X), (4, 3))`` likewise). Every
   node keeps the pins of its subgraph, merged when it is built
   (:func:`indexcalc.core.nodes.pins_of`, :func:`indexcalc.core.dims.merge_pins`): one name
   pinned to two sizes anywhere in one expression is a ``ShapeError`` at construction that
   names both places ("dimension 'd' is 3 by a constant of shape (3, 2) (axis 0) but 4 by …").
3. **Evaluation checks the pins.** Binding (``indexcalc.evaluation.compiled``) binds a pinned
   name that no tensor carries, and raises ``BindingError`` when a value disagrees with a pin
   (``X`` of shape ``(5, 4)`` for the pinned ``d = 3``), naming the value and the pin.

A size of 1 never pins: it broadcasts, as in NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .dims import Dim
from .nodes import Constant, Delta, Expr


def renamed(x: Expr, shape: Sequence[Dim]) -> Expr:
    """``x`` with the named dimensions of ``shape`` where ``x`` is a constant of those sizes.

    Anything but a constant (or a delta of an int dimension) comes back unchanged, and so does
    an axis whose dimension is not an int or whose target is not a name; the caller's checks
    then report a mismatch as before.

    Examples:
        >>> import numpy as np
        >>> renamed(Constant(np.ones((3, 2))), ("d", 2)).shape
        ('d', 2)
        >>> renamed(Delta(4), ("m", 4)).shape
        ('m', 'm')
    """
    shape = tuple(shape)
    if len(shape) != x.ndim or not isinstance(x, (Constant, Delta)):
        return x
    target = tuple(t if isinstance(d, int) and d != 1 and isinstance(t, str) else d
                   for d, t in zip(x.shape, shape))
    if target == x.shape:
        return x
    if isinstance(x, Delta):  # ic.eye(4) met m: the identity it stands for, of size 4, named m
        name = next(t for t in target if isinstance(t, str))
        target = (name,) * x.order  # its axes are one dimension
        value = np.zeros((x.dim,) * x.order)
        value[(np.arange(x.dim),) * x.order] = 1.0
        return Constant(value, shape=target)
    return Constant(x.value, x.name, shape=target)


def meet(ops: Sequence[Expr], labels: Sequence[Sequence[Any]]) -> list[Expr]:
    """Operands whose axes are joined by ``labels`` (einsum style), constants renamed.

    Examples:
        >>> import numpy as np
        >>> from indexcalc.core.nodes import Tensor
        >>> X, C = Tensor("X", "n d"), Constant(np.ones((3, 2)))
        >>> [o.shape for o in meet([X, C], [("i", "k"), ("k", "j")])]
        [('n', 'd'), ('d', 2)]
    """
    names: dict[Any, Dim] = {}
    for op, ls in zip(ops, labels):
        for l, d in zip(ls, op.shape):
            if isinstance(d, str):
                names.setdefault(l, d)
    if not names:
        return list(ops)
    return [renamed(op, [names.get(l, d) for l, d in zip(ls, op.shape)])
            for op, ls in zip(ops, labels)]


def meet_broadcast(ops: Sequence[Expr]) -> list[Expr]:
    """Operands joined by NumPy broadcasting (axes aligned from the right), constants renamed.

    Examples:
        >>> import numpy as np
        >>> from indexcalc.core.nodes import Tensor
        >>> X = Tensor("X", "m n")
        >>> [o.shape for o in meet_broadcast([Constant(np.ones((3, 4))), X, Constant(2.0)])]
        [('m', 'n'), ('m', 'n'), ()]
    """
    return meet(ops, [tuple(range(-op.ndim, 0)) for op in ops])
