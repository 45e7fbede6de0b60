"""The step of a :class:`~indexcalc.core.nodes.Scan`: a loop over one compiled body program.

The body (with the per-step output, when the scan emits one) is compiled once per set of sizes,
its products planned once, when the enclosing program is built. Before the loop, everything in
the body that does not depend on the carry is taken out of it: what depends on the sequences is
computed for every step at once (``U x_t`` for all ``t`` is one matrix product, ``1 − y_t²`` one
array operation), what depends on neither once. The loop then runs only the carry's own chain,
``T`` times, with a prepared slot list (no per-step dictionary work or error-state switching),
and stacks the results. Nothing is unrolled: a recurrence of length 1000 is one step of the
enclosing program.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.dims import dim_size
from ..core.graph_walk import postorder
from ..core.nodes import Constant, Delta, Expr, Product, Scan, Tensor, TriMask
from ..core.recurrence import fresh_placeholder, over_time, substitute
from .product_plans import plan_product

_LEAVES = (Tensor, Constant, Delta, TriMask)


def body_plans(root: Expr | list, sizes: dict) -> tuple[list, dict]:
    """The nodes of ``root`` (graphs written in placeholders), children first, and the plan of
    each of its products for ``sizes``."""
    order = postorder(root if isinstance(root, list) else [root])
    cache: dict = {}
    return order, {id(n): plan_product(n, sizes, cache=cache) for n in order
                   if isinstance(n, Product)}


def _depends(roots: list, on: list) -> set[int]:
    """Ids of the nodes of ``roots`` that depend on a node of ``on``."""
    dep: set[int] = {id(n) for n in on}
    for n in postorder(roots):
        if any(id(c) in dep for c in n.children()):
            dep.add(id(n))
    return dep


def split_loop(node: Scan) -> tuple[list, list, list, dict]:
    """``(roots, per_step, once, whole)``: the body (and output) with every largest piece that
    does not depend on the carry replaced by a placeholder; ``per_step`` as ``(placeholder, its
    value at every step at once)``, written in ``whole`` (a placeholder of each whole sequence, by
    the sequence's step placeholder); ``once`` as ``(placeholder, value)`` for the pieces that
    depend on no sequence either."""
    roots = [node.body] + ([node.emit] if node.emit is not None else [])
    on_carry = _depends(roots, [node.carry])
    on_seqs = _depends(roots, [p for p, _ in node.seqs])
    pieces: dict[int, Expr] = {}
    for n in postorder(roots):
        if id(n) in on_carry:
            for c in n.children():
                if id(c) not in on_carry and not isinstance(c, _LEAVES):
                    pieces.setdefault(id(c), c)
    for r in roots:
        if id(r) not in on_carry and not isinstance(r, _LEAVES):
            pieces.setdefault(id(r), r)
    taken = roots + [node.carry] + [p for p, _ in node.seqs + node.consts]
    whole = {}
    for p, _ in node.seqs:
        whole[p] = fresh_placeholder("all_" + p.name, (node.shape[0],) + p.shape, taken)
        taken.append(whole[p])
    mapping, per_step, once = {}, [], []
    for k, piece in enumerate(pieces.values()):
        q = fresh_placeholder(f"hoisted{k}", piece.shape, taken)
        taken.append(q)
        mapping[piece] = q
        if id(piece) in on_seqs:
            per_step.append((q, over_time(piece, whole, node.shape[0])))
        else:
            once.append((q, piece))
    new_roots = [substitute(r, mapping) for r in roots] if mapping else roots
    return new_roots, per_step, once, whole


class _Loop:
    """A body program prepared for a loop: the slot list filled once with what never changes."""

    def __init__(self, program: Any, outputs: list[int]):
        self.steps = [(fn, args, out) for fn, args, out, _ in program.steps]
        self.outputs = outputs
        self.template = [None] * program.size
        for slot, value in program.constants.items():
            self.template[slot] = value
        self.slots = dict(program.inputs)

    def fix(self, values: dict) -> None:
        for name, value in values.items():
            if name in self.slots:
                self.template[self.slots[name]] = value


def scan_step(node: Scan, ctx: Any, compile_body: Callable) -> Callable:
    """``(init, *sequences, *constants) -> stacked values``: the loop, with the body planned once.

    ``compile_body(roots, root, ctx)`` is the program of a body (the programs module passes a
    builder of its own ``Program``).
    """
    roots, per_step, once, whole = split_loop(node)
    program = compile_body(roots, roots[0], ctx)
    emit_slot = program.slot_of(roots[1]) if node.emit is not None else None
    before = [compile_body([v], v, ctx) for _, v in per_step + once]
    before_names = [q.name for q, _ in per_step + once]
    n_per_step = len(per_step)
    carry = node.carry.name
    seq_names = [p.name for p, _ in node.seqs]
    whole_names = [whole[p].name for p, _ in node.seqs]
    const_names = [p.name for p, _ in node.consts]
    n_seqs = len(seq_names)
    out_shape = ctx.shape(node)
    reverse, xp, zeros, dtype = node.reverse, ctx.ns.xp, ctx.ns.ops.zeros, ctx.dtype
    steps = dim_size(node.shape[0], ctx.sizes)

    def run(init, *operands):
        seqs, consts = operands[:n_seqs], operands[n_seqs:]
        if steps == 0:
            return zeros(out_shape, dtype=dtype)
        given = dict(zip(const_names, consts))
        given.update(zip(whole_names, seqs))
        computed = [p.run(given) for p in before]
        loop = _Loop(program, [program.output] if emit_slot is None else [program.output, emit_slot])
        loop.fix(given)
        loop.fix(dict(zip(before_names[n_per_step:], computed[n_per_step:])))
        per_t = [(loop.slots[n], s) for n, s in zip(seq_names, seqs) if n in loop.slots]
        per_t += [(loop.slots[n], s) for n, s in zip(before_names, computed[:n_per_step])
                  if n in loop.slots]
        carry_slot = loop.slots.get(carry)
        template, body_steps, (out_slot, *emit) = loop.template, loop.steps, loop.outputs
        out = [None] * steps
        c = init
        with np.errstate(over="ignore", under="ignore"):
            for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
                vals = template.copy()
                if carry_slot is not None:
                    vals[carry_slot] = c
                for slot, s in per_t:
                    vals[slot] = s[t]
                for fn, args, slot in body_steps:
                    vals[slot] = fn(*[vals[a] for a in args])
                c = vals[out_slot]
                out[t] = vals[emit[0]] if emit else c
        return xp.stack(out)
    return run
