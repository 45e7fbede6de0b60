"""The step of a :class:`~indexcalc.core.nodes.Scan`: a loop over one compiled body program.

The body (and the per-step output, when the scan emits one) is compiled once per set of sizes,
its products planned once, when the enclosing program is built; running the scan calls that
program ``T`` times with the carry and one time slice of each sequence, and stacks the results.
Nothing is unrolled: a recurrence of length 1000 is one step of the enclosing program.
"""

from __future__ import annotations

from collections.abc import Callable

from typing import Any

from ..core.dims import dim_size
from ..core.graph_walk import postorder
from ..core.nodes import Expr, Product, Scan
from .product_plans import plan_product


def body_plans(root: Expr, sizes: dict) -> tuple[list, dict]:
    """The nodes of ``root`` (a scan's body, written in placeholders), children first, and the
    plan of each of its products for ``sizes``."""
    order = postorder([root])
    cache: dict = {}
    return order, {id(n): plan_product(n, sizes, cache=cache) for n in order
                   if isinstance(n, Product)}


def scan_step(node: Scan, ctx: Any, compile_body: Callable) -> Callable:
    """``(init, *sequences, *constants) -> stacked values``: the loop, with the body planned once.

    ``compile_body(root, ctx)`` is the program of a body (the programs module passes its own).
    """
    body = compile_body(node.body, ctx)
    emit = compile_body(node.emit, ctx) if node.emit is not None else None
    carry = node.carry.name
    seq_names = [p.name for p, _ in node.seqs]
    const_names = [p.name for p, _ in node.consts]
    n_seqs = len(seq_names)
    out_shape = ctx.shape(node)
    reverse, xp, zeros, dtype = node.reverse, ctx.ns.xp, ctx.ns.ops.zeros, ctx.dtype
    steps = dim_size(node.shape[0], ctx.sizes)

    def run(init, *operands):
        seqs, consts = operands[:n_seqs], operands[n_seqs:]
        if steps == 0:
            return zeros(out_shape, dtype=dtype)
        values = dict(zip(const_names, consts))
        out = [None] * steps
        c = init
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            values[carry] = c
            for name, s in zip(seq_names, seqs):
                values[name] = s[t]
            if emit is not None:
                out[t] = emit.run(values)
            c = body.run(values)
            if emit is None:
                out[t] = c
        return xp.stack(out)
    return run
