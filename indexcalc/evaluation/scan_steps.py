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

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.dims import dim_size
from ..core.graph_walk import postorder
from ..core.nodes import Constant, Delta, Expr, Product, Scan, Sum, Tensor, TriMask
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


def _pair_code(sa: str, sb: str, so: str, a: str, b: str) -> str | None:
    """NumPy source for ``einsum(f"{sa},{sb}->{so}", a, b)`` when it is an elementwise product,
    a matrix–vector or a matrix–matrix product (else ``None``)."""
    if sa == sb == so:
        return f"{a} * {b}"
    if len(sb) == 2 and len(sa) == 1:
        sa, sb, a, b = sb, sa, b, a
    if len(sa) == 2 and len(sb) == 1 and sb in sa and len(so) == 1 and so in sa and so != sb:
        return f"dot({a}, {b})" if sa[1] == sb else f"dot({b}, {a})"
    if len(sa) == len(sb) == len(so) == 2:
        shared = set(sa) & set(sb)
        if len(shared) != 1 or set(so) != set(sa + sb) - shared:
            return None
        k = shared.pop()
        i, j = sa.replace(k, ""), sb.replace(k, "")
        left = a if sa == i + k else f"{a}.T"
        right = b if sb == k + j else f"{b}.T"
        return f"dot({left}, {right})" if so == i + j else f"dot({left}, {right}).T"
    return None


def _product_code(node: Product, plan: Any, operands: list[str]) -> str | None:
    """NumPy source for a product whose planned pairwise steps are all :func:`_pair_code`'s."""
    if plan.info is None or not (plan.compact == plan.target == plan.full):
        return None
    ops = list(operands)
    for entry in plan.info.contraction_list:
        positions, equation = entry[0], entry[2]
        inputs, out = equation.split("->")
        subs = inputs.split(",")
        args = [ops.pop(p) for p in positions]
        code = _pair_code(subs[0], subs[1], out, *args) if len(subs) == 2 else None
        if code is None:
            return None
        ops.append(f"({code})")
    scale = plan.multiplier * node.coef
    return ops[0] if scale == 1.0 else f"{scale!r} * {ops[0]}"


def _loop_function(roots: list, node: Scan, ctx: Any, fixed: list, per_step: list,
                   tools: Any) -> tuple[Callable, Callable]:
    """``loop(c, order, out, *fixed values, *sequences) -> c``: the body written out as one
    Python function run for each ``t`` of ``order``, built once per set of sizes; and the body as
    one ``step`` function, for a backend that loops by itself.

    Each node is one line: products of one or two matrices and vectors and sums as NumPy
    expressions (on the NumPy backend), any other node as a call of the step the enclosing
    programs would take; nodes that depend on no tensor are computed here, once. ``fixed`` and
    ``per_step`` are the names of the tensors passed whole and per step, in order.
    """
    order, plans = body_plans(roots, ctx.sizes)
    env: dict = {"dot": np.dot}
    var: dict[int, str] = {}
    params = {name: f"p{k}" for k, name in enumerate(fixed + per_step + [node.carry.name])}
    lines: list[str] = []
    on_tensor = _depends(roots, [n for n in order if isinstance(n, Tensor)])
    direct = ctx.ns.name == "numpy"
    for k, n in enumerate(order):
        v = f"v{k}"
        if isinstance(n, Tensor):
            var[id(n)] = params[n.name]
            continue
        if tools.is_alias(n):
            var[id(n)] = var[id(n.arg)]
            continue
        if id(n) not in on_tensor:  # a constant of the body: computed once, now
            env[v] = tools.program([n], n, ctx).run({})
            var[id(n)] = v
            continue
        code = None
        if isinstance(n, Sum) and n.terms:
            code = " + ".join(var[id(t)] if c == 1.0 else f"{c!r} * {var[id(t)]}" for c, t in n.terms)
        elif direct and isinstance(n, Product):
            code = _product_code(n, plans[id(n)], [var[id(f)] for f in tools.operands(n)])
        if code is None:
            fn, operands = tools.step(n, ctx, plans)
            env[f"f{k}"] = fn
            code = f"f{k}({', '.join(var[id(o)] for o in operands)})"
        lines.append(f"{v} = {code}")
        var[id(n)] = v
    out = var[id(roots[1])] if node.emit is not None else "c"
    head = ", ".join(["c", "order", "out"] + [params[n] for n in fixed] +
                     [f"s{k}" for k in range(len(per_step))])
    src = "\n".join([f"def loop({head}):", "    for t in order:",
                      f"        {params[node.carry.name]} = c",
                      *(f"        {params[n]} = s{k}[t]" for k, n in enumerate(per_step)),
                      *("        " + line for line in lines),
                      f"        c = {var[id(roots[0])]}", f"        out[t] = {out}",
                      "    return c"])
    # the same body as one step, ``step(c, *fixed, *per-step values) -> (new c, output)``, for
    # a backend with a loop of its own (``jax.lax.scan``)
    out = var[id(roots[1])] if node.emit is not None else var[id(roots[0])]
    step_head = ", ".join(["c"] + [params[n] for n in fixed] + [params[n] for n in per_step])
    src += "\n".join(["\n", f"def step({step_head}):", f"    {params[node.carry.name]} = c",
                       *("    " + line for line in lines),
                       f"    return {var[id(roots[0])]}, {out}"])
    exec(compile(src, "<indexcalc scan loop>", "exec"), env)  # noqa: S102 (our own source)
    return env["loop"], env["step"]


def _jax_scan(step: Callable, reverse: bool) -> Callable:
    """``(init, fixed, sequences) -> stacked outputs`` as one jitted ``jax.lax.scan`` of ``step``
    (compiled once per shapes: the loop runs inside XLA, with no per-step interpreter cost)."""
    jax = importlib.import_module("jax")  # the jax backend is in use: it is installed

    def scan(init, fixed, sequences):
        return jax.lax.scan(lambda c, xs: step(c, *fixed, *xs), init, sequences,
                            reverse=reverse)[1]
    return jax.jit(scan)


def scan_step(node: Scan, ctx: Any, tools: Any) -> Callable:
    """``(init, *sequences, *constants) -> stacked values``: the loop, with the body planned once.

    ``tools`` is what the programs module lends: ``program(roots, root, ctx)`` (a straight-line
    program), ``step(node, ctx, plans) -> (function, operand nodes)``, ``operands(node)`` and
    ``is_alias(node)``.
    """
    roots, per_step, once, whole = split_loop(node)
    before = [tools.program([v], v, ctx) for _, v in per_step + once]
    before_names = [q.name for q, _ in per_step + once]
    n_per_step = len(per_step)
    carry = node.carry.name
    seq_names = [p.name for p, _ in node.seqs]
    whole_names = [whole[p].name for p, _ in node.seqs]
    const_names = [p.name for p, _ in node.consts]
    n_seqs = len(seq_names)
    per_step_names = seq_names + before_names[:n_per_step]
    out_shape = ctx.shape(node)
    reverse, xp, zeros, dtype = node.reverse, ctx.ns.xp, ctx.ns.ops.zeros, ctx.dtype
    steps = dim_size(node.shape[0], ctx.sizes)

    used = {n.name for n in postorder(roots) if isinstance(n, Tensor)}
    fixed = [n for n in const_names + before_names[n_per_step:] if n in used]
    sequences = [n for n in per_step_names if n in used]
    loop, step = _loop_function(roots, node, ctx, fixed, sequences, tools)
    scan_loop = _jax_scan(step, reverse) if ctx.ns.name == "jax" else None

    def run(init, *operands):
        seqs, consts = operands[:n_seqs], operands[n_seqs:]
        if steps == 0:
            return zeros(out_shape, dtype=dtype)
        given = dict(zip(const_names, consts))
        given.update(zip(whole_names, seqs))
        computed = [p.run(given) for p in before]
        given.update(zip(before_names, computed))
        given.update(zip(seq_names, seqs))
        if scan_loop is not None:
            return scan_loop(init, tuple(given[name] for name in fixed),
                             tuple(given[name] for name in sequences))
        out = [None] * steps
        with np.errstate(over="ignore", under="ignore"):
            loop(init, range(steps - 1, -1, -1) if reverse else range(steps), out,
                 *[given[name] for name in fixed], *[given[name] for name in sequences])
        return xp.stack(out)
    return run
