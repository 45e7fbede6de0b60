"""``ic.to_python`` code for a :class:`~indexcalc.core.nodes.Scan`: a loop over a body function.

The body (and the per-step output, when the scan emits one) is written as a function of its own,
by the same writer, at module level; the scan is a ``for`` loop calling it with the carry and one
time step of each sequence (by keyword), and stacking the results. Nothing is unrolled.
"""

from __future__ import annotations

from typing import Any

from ..core.graph_walk import postorder
from ..core.nodes import Scan, Tensor


def _body_function(w: Any, root, base: str) -> str:
    """The name of a module-level function computing ``root`` from its tensors (by keyword)."""
    key = f"{base}{len(w.helpers)}"
    fname = w.helper(key, "_" + key)
    lines = type(w)(root, w.backend, {}).module(fname).splitlines()
    w.sources[key] = [s for s in lines if not s.startswith(("# Generated", "import "))]
    return fname


def emit_scan(w: Any, node: Scan) -> str:
    """Statements that run the loop into ``{out}`` (a row of ``_EMIT``)."""
    body = _body_function(w, node.body, "scan_step")
    emit = _body_function(w, node.emit, "scan_output") if node.emit is not None else None
    c, ys, t = w.take("_carry"), w.take("_stacked"), w.take("_t")
    steps = w.dim(node.shape[0])
    args = {node.carry: c}
    args.update({p: f"{w.var[id(e)]}[{t}]" for p, e in node.seqs})
    args.update({p: w.var[id(e)] for p, e in node.consts})

    def call(fname: str, root) -> str:  # the function takes the tensors its graph has
        used = {n for n in postorder([root]) if isinstance(n, Tensor)}
        return f"{fname}(" + ", ".join(f"{p.name}={v}" for p, v in args.items() if p in used) + ")"
    order = f"range({steps} - 1, -1, -1)" if node.reverse else f"range({steps})"
    w.lines += [f"{c} = {w.var[id(node.init)]}", f"{ys} = [None] * {steps}",
                f"for {t} in {order}:"]
    if emit is not None:
        w.lines += [f"    {ys}[{t}] = {call(emit, node.emit)}", f"    {c} = {call(body, node.body)}"]
    else:
        w.lines += [f"    {c} = {ys}[{t}] = {call(body, node.body)}"]
    return (f"{w.m}.stack({ys}) if {ys} else {w.m}.zeros({w.shape(node.shape)}, dtype={w.dtype})")
