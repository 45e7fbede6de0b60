"""``ic.scan``: a recurrence ``h_t = step(h_{t−1}, x_t)`` as one node, traced once, never unrolled.

The step is a Python function written with indexcalc operations. It is called once, with
placeholder tensors for the carry and for one time step of each sequence; the expression it
returns is the body of a :class:`~indexcalc.core.nodes.Scan` node. Every other tensor the body
uses (the weights it closes over) becomes a constant of the node, so evaluation binds it once and
the derivatives reach it.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from typing import Any

from ..core.coercion import as_expr
from ..core.dims import dims_equal, format_shape
from ..core.graph_walk import postorder
from ..core.nodes import Expr, Scan, Tensor
from ..core.recurrence import names_in, substitute
from ..errors import IndexcalcError, ShapeError

_TRACE = itertools.count()


def scan(step: Callable, init: Any, xs: Any) -> Any:
    """The recurrence ``h_t = step(h_{t−1}, x_t)`` from ``h_{−1} = init`` over the leading axis of
    ``xs``, stacked: ``H[t] = h_t``, shape ``(T,) + init.shape``.

    ``step(h, x)`` receives placeholder tensors (``x`` is a tuple when ``xs`` is) and returns the
    new carry, of ``init``'s shape; or a pair ``(new carry, y)``, and ``scan`` then returns the pair
    ``(H, Y)`` with ``Y[t] = y_t`` stacked likewise. The step is traced once: evaluation loops over
    one compiled body, derivatives are scans of the step's derivative (backpropagation through time
    for gradients), both independent of ``T`` to derive. The final carry is ``H[-1]``.

    Args:
        step: a function of the carry and one time step of the sequences, written with
            indexcalc operations (``@``, ``ic.tanh``, …); tensors it closes over are parameters.
        init: the carry before the first step (an expression, number or array).
        xs: an expression whose leading axis is time (``T``: an int or a named dimension), or a
            tuple of such expressions of one length.

    Returns:
        The stacked carries ``H`` (an expression), or ``(H, Y)`` when the step returns a pair.

    Raises:
        ShapeError: the step changes the carry's shape, or the sequences differ in length.
        IndexcalcError: the step cannot be traced with indexcalc placeholders, or it contains a
            scan itself.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> W, U, h0, xs = ic.tensors("W[n,n] U[n,d] h0[n] xs[T,d]")
        >>> H = ic.scan(lambda h, x: ic.tanh(W @ h + U @ x), h0, xs)
        >>> H.shape
        ('T', 'n')
        >>> print(H)
        scan_t(h_t[n] = tanh(Σ_n' W[n,n'] h_{t-1}[n'] + Σ_d' U[n,d'] x_t[d']); h_{-1}[n] = h0[n]; x_t[d] = xs[t,d])[T,n]
    """
    init = as_expr(init, "scan init")
    several = isinstance(xs, (tuple, list))
    seqs = [as_expr(x, "scan xs") for x in (xs if several else [xs])]
    if not seqs:
        raise IndexcalcError("scan: xs is an empty tuple; give at least one sequence")
    for x in seqs:
        if x.ndim == 0:
            raise ShapeError(f"scan: the sequence {x!r} is a scalar; its leading axis is time")
        if not dims_equal(x.shape[0], seqs[0].shape[0]):
            raise ShapeError(f"scan: the sequences have lengths {seqs[0].shape[0]} and "
                             f"{x.shape[0]} (the leading axes must agree)")
    names = _parameter_names(step, len(seqs) if several else 1)
    k = next(_TRACE)
    carry = Tensor(f"_scan{k}_{names[0]}", init.shape)
    steps = [Tensor(f"_scan{k}_{n}", x.shape[1:]) for n, x in zip(names[1:], seqs)]
    body, emit = _trace(step, carry, tuple(steps) if several else steps[0])
    nested = [n for g in [body] + ([emit] if emit is not None else []) for n in postorder([g])
              if isinstance(n, Scan)]
    if nested:
        raise IndexcalcError("scan: the step contains a scan; write the inner recurrence "
                             "outside the step (nested scans are not supported)")
    shown = _display_placeholders([carry] + steps, names, [body, init] + seqs +
                                  ([emit] if emit is not None else []))
    body = substitute(body, shown)
    emit = substitute(emit, shown) if emit is not None else None
    carry, steps = shown[carry], [shown[s] for s in steps]
    placeholders = {carry, *steps}
    consts = tuple((t, t) for g in [body] + ([emit] if emit is not None else [])
                   for t in postorder([g]) if isinstance(t, Tensor) and t not in placeholders)
    consts = tuple(dict.fromkeys(consts))
    seq_pairs = tuple(zip(steps, seqs))
    H = Scan(body, None, carry, init, seq_pairs, consts)
    if emit is None:
        return H
    return H, Scan(body, emit, carry, init, seq_pairs, consts)


def _parameter_names(step: Callable, n_seqs: int) -> list[str]:
    """Placeholder names from the step's parameters (``h``, ``x``), or ``h, x, x2, …``."""
    if not callable(step):
        raise IndexcalcError(f"scan: step must be a function step(h, x), got {type(step).__name__}")
    try:
        params = [p.name for p in inspect.signature(step).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    defaults = ["h"] + ["x"] + [f"x{i}" for i in range(2, n_seqs + 1)]
    if len(params) == 2 and n_seqs > 1:  # step(h, xs) with a tuple of sequences
        params = [params[0]] + [f"{params[1]}{i}" for i in range(1, n_seqs + 1)]
    names = params[:n_seqs + 1] if len(params) >= n_seqs + 1 else defaults
    return [n if n.isidentifier() else d for n, d in zip(names, defaults)]


def _trace(step: Callable, carry: Tensor, x: Any) -> tuple[Expr, Expr | None]:
    try:
        out = step(carry, x)
    except IndexcalcError as e:  # say where it came from, keep the kind (a ShapeError stays one)
        raise type(e)(f"scan: the step could not be traced: {e}") from None
    except Exception as e:  # the user's function failed on placeholders: say why
        raise IndexcalcError(f"scan: the step could not be traced with indexcalc placeholders "
                             f"({type(e).__name__}: {e}); write it with indexcalc operations "
                             "(ic.tanh, @, +, …) on its arguments") from None
    emit = None
    if isinstance(out, tuple):
        if len(out) != 2:
            raise IndexcalcError(f"scan: the step returned {len(out)} values; return the new "
                                 "carry, or a pair (new carry, per-step output)")
        out, emit = out
        emit = _as_traced(emit, "the step's per-step output")
    body = _as_traced(out, "the step's new carry")
    if body.ndim != carry.ndim or not all(map(dims_equal, body.shape, carry.shape)):
        raise ShapeError(f"scan: the step returns a carry of shape {format_shape(body.shape)} from "
                         f"one of shape {format_shape(carry.shape)}; a carry keeps its shape")
    return body, emit


def _as_traced(value: Any, what: str) -> Expr:
    try:
        return as_expr(value, what)
    except IndexcalcError:
        raise IndexcalcError(f"scan: {what} is a {type(value).__name__}, not an expression; "
                             "write the step with indexcalc operations") from None


def _display_placeholders(traced: list[Tensor], names: list[str], graphs: list) -> dict:
    """Readable names for the traced placeholders that no other tensor of the scan uses."""
    taken = names_in(graphs) - {t.name for t in traced}
    out = {}
    for t, name in zip(traced, names):
        while name in taken:
            name += "_"
        taken.add(name)
        out[t] = Tensor(name, t.shape)
    return out
