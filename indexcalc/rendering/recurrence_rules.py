"""The printing rule of a :class:`~indexcalc.core.nodes.Scan`: the recurrence itself.

``scan_t(h_t[i] = tanh(Σ_j W[i,j] h_{t-1}[j] + Σ_d U[i,d] x_t[d]); h_{-1}[i] = h0[i];
x_t[d] = xs[t,d])[T,i]``: the step written at time ``t`` (the placeholders print with their time
subscripts), the carry before the first step, and each input sequence read at ``t``. A reversed
scan (backpropagation through time) runs ``t`` downwards and writes the carry it makes as
``g_{t-1}`` from ``g_t``. Sequences derived from another scan (the previous carries a derivative
reads) are named, not repeated.
"""

from __future__ import annotations

from ..core.nodes import Scan


def at_time(base: str, lag: int) -> str:
    """``base`` at step ``t + lag``: ``h_t``, ``h_{t-1}``, ``h_{t+1}``.

    Examples:
        >>> at_time("h", 0), at_time("h", -1), at_time("g", 1)
        ('h_t', 'h_{t-1}', 'g_{t+1}')
    """
    return base + ("_t" if lag == 0 else "_{t%+d}" % lag)


def carry_times(node: Scan) -> tuple[str, str, str]:
    """How the new carry, the previous one and the one before the first step are subscripted.

    Examples:
        >>> import indexcalc as ic
        >>> from indexcalc.core.nodes import Scan
        >>> W, h0, xs = ic.tensors("W[n,n] h0[n] xs[t,n]")
        >>> hs = ic.scan(lambda h, x: ic.tanh(W @ h + x), h0, xs)
        >>> carry_times(hs)
        ('_t', '_{t-1}', '_{-1}')
        >>> g = ic.grad(ic.sum(hs), W)
        >>> from indexcalc.core.graph_walk import postorder
        >>> [carry_times(n) for n in postorder([g]) if isinstance(n, Scan) and n.reverse][:1]
        [('_{t-1}', '_t', '_{|t|-1}')]
    """
    if node.reverse:
        steps = node.shape[0]
        # a time dimension named t is written |t| (its size): g_{t-1} = 0 would read as the step
        last = f"{steps - 1}" if isinstance(steps, int) else f"{'|t|' if steps == 't' else steps}-1"
        return "_{t-1}", "_t", "_{" + last + "}"
    return "_t", "_{t-1}", "_{-1}"


def echoes_sequence(node: Scan) -> bool:
    """Whether the new carry is a sequence printed under the carry's own name at ``t``: the scan
    of the previous carries a derivative reads (``y_t = h_{t-1}``, ``h_t`` another scan's)."""
    return any(node.body is p and name == node.carry.name and not lag
               for (p, _), (name, lag) in zip(node.seqs, node.shown))


def scan_rule(node: Scan, names, ctx):
    """``(pieces, bound names)`` of a scan at index ``names`` (see the module docs)."""
    s = ctx.style
    new, old, first = carry_times(node)
    carry = s.name(node.carry.name)
    ctx.aliases[node.carry] = carry + old
    for (p, _), (name, lag) in zip(node.seqs, node.shown):
        ctx.aliases[p] = at_time(s.name(name), lag)
    ctx.scope["t"] += 1
    bound = ["t"]
    carry_names = list(names[1:]) if node.emit is None else ctx.bind(node.carry.shape)
    bound += [] if node.emit is None else carry_names
    start, end = s.call("scan", ("t",))
    pieces: list = [start]
    if node.emit is not None:
        pieces += [s.indexed(at_time("y", 0), ctx.idx(names[1:])), " = ",
                   (node.emit, tuple(names[1:])), "; "]
    if not echoes_sequence(node):  # h_t = h_t says nothing: the sequence is the scan's own h
        pieces += [s.indexed(carry + new, ctx.idx(carry_names)), " = ",
                   (node.body, tuple(carry_names)), "; "]
    pieces += [s.indexed(carry + first, ctx.idx(carry_names)), " = ",
               (node.init, tuple(carry_names))]
    for (p, e), (_, lag) in zip(node.seqs, node.shown):
        if lag or isinstance(e, Scan):
            continue
        b = ctx.bind(p.shape)
        bound += b
        pieces += ["; ", s.indexed(ctx.aliases[p], ctx.idx(b)), " = ", (e, ("t",) + tuple(b))]
    pieces += [end, s.indexed("", ctx.idx(names))]
    return pieces, bound
