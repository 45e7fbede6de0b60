"""Derivatives of a recurrence (:class:`~indexcalc.core.nodes.Scan`): scans of the step's derivative.

The step is differentiated once, symbolically, whatever the length ``T``:

- **forward** (``diff``, ``jvp``): the tangent obeys its own recurrence,
  ``dc_t = ∂body/∂c · dc_{t−1} + Σ_s ∂body/∂s · ds_t``, a scan whose carry is the tangent and
  whose sequences add the previous carries ``c_{t−1}`` and the inputs' tangents.
- **reverse** (``grad``, ``vjp``): backpropagation through time. A scan running the other way
  carries ``μ``, the cotangent of the previous carry: ``μ_{t−1} = (∂body/∂c)ᵀ λ_t`` with
  ``λ_t = ḡ_t + μ_t`` (``ḡ_t`` the output's cotangent at ``t``), and emits ``λ``. The gradients by
  the sequences are the step's VJP at every ``t`` at once (a leading time axis, no loop), the
  gradients by the parameters that VJP summed over ``t`` (one contraction), and the gradient by
  ``init`` the VJP of the first step.

The rules take the accumulation function (``forward`` or ``reverse``) as an argument, so that the
modules holding the two tables can call them with their own.
"""

from __future__ import annotations

from collections.abc import Callable

from ..core.algebra import add, fresh, fresh_labels, product
from ..core.nodes import Expr, Scan, Tensor, zero
from ..core.recurrence import at_time, first_step, fresh_placeholder, over_time, previous_carries, substitute


def _graphs(node: Scan) -> list:
    """The nested graphs and placeholders of ``node`` (fresh placeholder names avoid them)."""
    return ([node.body, node.carry] + ([node.emit] if node.emit is not None else []) +
            [p for p, _ in node.seqs + node.consts])


def scan_tangent(node: Scan, tan: Callable, E: tuple, forward: Callable) -> Expr:
    """The tangent of ``node`` (shape ``node.shape + E``): a scan of the tangent recurrence."""
    extra = tuple(d for _, d in E)
    if node.shape[0] == 0:  # no step: nothing depends on anything
        return zero(node.shape + extra)
    taken = _graphs(node)
    dc = fresh_placeholder("d" + node.carry.name, node.carry.shape + extra, taken)
    taken.append(dc)
    seqs = list(node.seqs) + [(node.carry, previous_carries(node))]
    shown = list(node.shown) + [(node.carry.name, 1 if node.reverse else -1)]
    consts = list(node.consts)
    seeds = [(node.carry, dc)]
    for pairs, into in ((node.seqs, seqs), (node.consts, consts)):
        for p, e in pairs:
            te = tan(e)
            if te is None:
                continue
            dp = fresh_placeholder("d" + p.name, p.shape + extra, taken)
            taken.append(dp)
            into.append((dp, te))
            shown += [(dp.name, 0)] if into is seqs else []
            seeds.append((p, dp))

    def tangent_of(g: Expr) -> Expr:
        return add([(1.0, forward(g, v, seed, E)) for v, seed in seeds], g.shape + extra)

    init = tan(node.init)
    init = zero(node.carry.shape + extra) if init is None else init
    emit = tangent_of(node.emit) if node.emit is not None else None
    return Scan(tangent_of(node.body), emit, dc, init, tuple(seqs), tuple(consts), node.reverse,
                tuple(shown))


def scan_cotangents(node: Scan, ct: Expr, dep: set, reverse: Callable) -> list:
    """``[(child, its cotangent)]`` for the children of ``node`` that depend on the variable:
    backpropagation through time, the backward recurrence a scan of the step's VJP."""
    if node.shape[0] == 0:  # no step: every cotangent is zero
        return []
    taken = _graphs(node)

    def placeholder(base: str, shape: tuple) -> Tensor:
        p = fresh_placeholder(base, shape, taken)
        taken.append(p)
        return p

    out_shape = node.shape[1:]
    lam = placeholder("lam", node.carry.shape)  # the cotangent of the new carry at step t
    g = placeholder("dy", out_shape)            # the output's own cotangent at step t
    mu = placeholder("g", node.carry.shape)     # the new carry's cotangent from the later steps

    def vjp(v: Tensor) -> Expr:
        part = reverse(node.body, v, lam)
        if node.emit is not None:
            part = add([(1.0, part), (1.0, reverse(node.emit, v, g))], v.shape)
        return part

    lam_value = mu if node.emit is not None else add([(1.0, mu), (1.0, g)], node.carry.shape)
    prev = previous_carries(node)
    at_step = {node.carry: prev, g: ct}  # placeholder -> its stacked value
    at_step.update({p: e for p, e in node.seqs})
    seqs = [(node.carry, prev)] + list(node.seqs) + [(g, ct)]
    lag = 1 if node.reverse else -1
    shown = [(node.carry.name, lag)] + list(node.shown) + [(g.name, 0)]
    new_carry = {}
    if node.emit is None:  # the step's own value (tanh(…) in tanh′ = 1 − tanh²) is read, not recomputed
        y = placeholder(node.carry.name + "_new", node.carry.shape)
        new_carry = {node.body: y}
        seqs.append((y, node))
        shown.append((node.carry.name, 0))
        at_step[y] = node
    back_body = substitute(vjp(node.carry), {**new_carry, lam: lam_value})
    backward = Scan(back_body, lam_value, mu, zero(node.carry.shape), tuple(seqs), node.consts,
                    not node.reverse, tuple(shown))
    at_step[lam] = backward
    steps = node.shape[0]
    out = []
    if id(node.init) in dep:
        first = first_step(node)
        at_first = {p: at_time(e, first) for p, e in at_step.items() if p is not node.carry}
        at_first[node.carry] = node.init
        out.append((node.init, substitute(substitute(vjp(node.carry), new_carry), at_first)))
    for p, e in node.seqs:
        if id(e) in dep:
            out.append((e, over_time(substitute(vjp(p), new_carry), at_step, steps)))
    for p, e in node.consts:
        if id(e) in dep:
            per_step = over_time(substitute(vjp(p), new_carry), at_step, steps)
            out.append((e, _sum_over_time(per_step, steps)))
    return out


def _sum_over_time(stacked: Expr, steps) -> Expr:
    """``Σ_t stacked[t]`` (a per-step value broadcast over time, when it has no time axis)."""
    ls = fresh_labels(stacked.ndim - 1)
    t = fresh()
    return product([(stacked, (t,) + ls)], ls, {t: steps, **dict(zip(ls, stacked.shape[1:]))})
