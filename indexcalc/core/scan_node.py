"""The recurrence node of the closed set (:data:`indexcalc.core.nodes.NODE_TYPES`): ``Scan``,
a step traced once into a body graph. Re-exported by :mod:`indexcalc.core.nodes`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .dims import dims_equal, format_shape
from .expr import Expr, _brief, _intern  # noqa: F401
from ..errors import ShapeError

if TYPE_CHECKING:
    from .nodes import Tensor


class Scan(Expr):
    """A recurrence ``c_t = body(c_{t−1}, s_t)``, ``c_{−1} = init``, stacked over time ``t``.

    ``body`` (and ``emit``) are nested graphs written in placeholder tensors: ``carry`` stands for
    the previous carry, each ``seqs`` placeholder for its sequence's entry at ``t`` (the sequence
    is the outer expression, time its leading axis), each ``consts`` placeholder for its outer
    expression (a closed-over parameter is its own placeholder). The node's value stacks, over
    ``t``, the new carry (or ``emit``, written in the previous carry and the sequences, when it is
    given). ``reverse`` runs ``t`` from the last step to the first. ``shown[k]`` is how the
    printers write sequence ``k`` at step ``t``: ``(name, lag)`` for ``name_{t+lag}`` (the previous
    carries are ``(h, -1)``, ``h_{t−1}``). The children are ``init``, the
    sequences and the constants; the nested graphs are not. Build it with ``ic.scan``.
    """

    __slots__ = ("body", "emit", "carry", "init", "seqs", "consts", "reverse", "shown", "shape")
    _fields = ("body", "emit", "carry", "init", "seqs", "consts", "reverse", "shown")

    def __new__(cls, body: Expr, emit: "Expr | None", carry: Tensor, init: Expr, seqs: tuple,
                consts: tuple, reverse: bool = False, shown: tuple | None = None) -> "Scan":
        seqs = tuple((p, e) for p, e in seqs)
        consts = tuple((p, e) for p, e in consts)
        if not seqs:
            raise ShapeError("scan: at least one sequence (whose leading axis is time) is needed")
        steps = seqs[0][1].shape[0] if seqs[0][1].ndim else None
        for p, e in seqs:
            if e.ndim != p.ndim + 1 or not all(map(dims_equal, e.shape, (steps,) + p.shape)):
                raise ShapeError(f"scan: the sequence {_brief(e)} has shape {format_shape(e.shape)}; "
                                 f"expected {format_shape((steps,) + p.shape)} (time first)")
        for p, e in consts + ((carry, init),):
            if not (e.ndim == p.ndim and all(map(dims_equal, e.shape, p.shape))):
                raise ShapeError(f"scan: {_brief(e)} of shape {format_shape(e.shape)} stands for "
                                 f"{p.name!r} of shape {format_shape(p.shape)}")
        if not (body.ndim == carry.ndim and all(map(dims_equal, body.shape, carry.shape))):
            raise ShapeError(f"scan: the step returns shape {format_shape(body.shape)} for a carry of "
                             f"shape {format_shape(carry.shape)}; a carry keeps its shape")
        shown = (tuple((str(n), int(k)) for n, k in shown) if shown is not None
                 else tuple((p.name, 0) for p, _ in seqs))
        out = (emit if emit is not None else body).shape
        return _intern(cls, body=body, emit=emit, carry=carry, init=init, seqs=seqs, consts=consts,
                       reverse=bool(reverse), shown=shown, shape=(steps,) + tuple(out))

    def children(self) -> tuple[Expr, ...]:
        return (self.init,) + tuple(e for _, e in self.seqs) + tuple(e for _, e in self.consts)

    def __repr__(self) -> str:
        return f"Scan({self.carry.name} <- {_brief(self.body)}, T={self.shape[0]!r})"
