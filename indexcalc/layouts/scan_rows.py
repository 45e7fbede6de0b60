"""``ic.to_matrix`` row for a recurrence (:class:`~indexcalc.core.nodes.Scan`).

The stacked values (``T × n``: row ``t`` is the step's value) are a ``where`` definition that
writes the recurrence in matrix notation, the step's placeholders with their time subscripts:
``z1 = scan_t(h_t = tanh(W h_{t-1} + U x_t); h_{-1} = h0; x_t = xs[t])``, and backpropagation
through time as ``g_{t-1} = Wᵀ diag(1 − h_t∘h_t) (g_t + dy_t)``. In numerator layout the step is
written transposed (``g_{t-1}ᵀ = (g_t + dy_t)ᵀ diag(…) W``: gradients as rows). The definition
evaluates the scan itself, so the form equals the tensor it prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.nodes import Named, Scan
from ..errors import LayoutError
from ..rendering.recurrence_rules import at_time, carry_times, echoes_sequence
from .form_text import to_text
from .forms import Explicit, Form, Ref, definitions, transpose


def _text(expr, aliases: dict, s: Any, build: Callable, flip: bool) -> str:
    """``expr`` in matrix notation with the placeholders of ``aliases`` printed by their names."""
    scope = type(s)(expr, [Named(a, p) for p, a in aliases.items()], s.mode, s.normalized)
    try:
        form = build(expr, scope)
    except LayoutError:
        return str(expr)
    if definitions([form]):  # a piece matrix algebra cannot write: the index notation says it
        return str(expr)
    return to_text(transpose(form) if flip and expr.ndim else form)


def scan_form(node: Scan, s: Any, build: Callable) -> Form:
    """The stacked values as a ``where`` definition that writes the recurrence."""
    flip = getattr(s, "layout", "denominator") == "numerator"
    mark = "ᵀ" if flip and node.carry.ndim else ""
    new, old, first = carry_times(node)
    carry = node.carry.name
    aliases = {node.carry: carry + old}
    aliases.update({p: at_time(name, lag) for (p, _), (name, lag) in zip(node.seqs, node.shown)})
    parts = []
    if node.emit is not None:
        parts.append(f"y_t{mark} = {_text(node.emit, aliases, s, build, flip)}")
    if not echoes_sequence(node):
        parts.append(f"{carry}{new}{mark} = {_text(node.body, aliases, s, build, flip)}")
    parts.append(f"{carry}{first}{mark} = {_text(node.init, {}, s, build, flip)}")
    for (p, e), (_, lag) in zip(node.seqs, node.shown):
        if not lag and not isinstance(e, Scan):
            whole = _text(e, {}, s, build, False)
            whole = whole if whole.replace("_", "").isalnum() else f"({whole})"
            parts.append(f"{aliases[p]} = {whole}[t]")
    text = "scan_t(" + "; ".join(parts) + ")"
    shape = s.shape(node)
    column = node.ndim == 2 or shape[0] is not None
    return Ref(shape, Explicit(node, 1 if column else 0, "numerator", "col", shape, text))
