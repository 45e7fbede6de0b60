"""Graph surgery for recurrences (:class:`~indexcalc.core.nodes.Scan`): substitution, time batching.

A scan's body is a graph in placeholder tensors. Its derivatives need that graph rewritten: with
placeholders replaced by other expressions (:func:`substitute`, e.g. the first step written with
``init``), and *over time* (:func:`over_time`): every node that depends on a stacked placeholder
gets a leading time axis, so the per-step gradients of the parameters become one contraction over
``t`` instead of ``T`` small ones. :func:`previous_carries` gives the carries each step started
from, ``c_{t−1}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .algebra import add, fresh, fresh_labels, product, size_factors
from .dims import Dim
from .elementwise import apply
from .graph_walk import postorder, transform
from .nodes import Decomposition
from .nodes import (Apply, Concat, Constant, Delta, Derivative, Det, Expr, Index, Inverse, LogDet,
                    LogSumExp, Max, Named, Product, Reshape, Scan, Scatter, Shared, Softmax, Sum,
                    Tensor, TriMask)
from .rebuild import REBUILD
from .slicing import _full_items, concat, index_spec, reshaped, scatter_spec
from ..errors import IndexcalcError


def substitute(expr: Expr, mapping: Mapping[Expr, Expr]) -> Expr:
    """``expr`` with each node of ``mapping`` replaced by its value (shapes must agree), rebuilt
    through the simplifying constructors.

    Examples:
        >>> import indexcalc as ic
        >>> h, W, a = ic.tensors("h[3] W[3,3] a[3]")
        >>> print(substitute(ic.tanh(W @ h), {h: ic.exp(a)}))
        tanh(Σ_j W[i,j] exp(a[j]))
    """
    def rule(node: Expr, done: Callable) -> Expr:
        if node in mapping:
            return mapping[node]
        return REBUILD[type(node)](node, done)
    return transform(expr, rule)


def first_step(node: Scan) -> tuple:
    """The time index of the step a scan runs first (``0``, or ``-1`` when reversed)."""
    return ("i", -1) if node.reverse else ("i", 0)


def at_time(stacked: Expr, item: tuple) -> Expr:
    """``stacked[item]`` along the leading (time) axis."""
    return index_spec(stacked, (item,) + _full_items(stacked.shape[1:]))


def previous_carries(node: Scan) -> Expr:
    """``C_prev[t] = c_{t−1}``: the carry each step of ``node`` started from, stacked over time.

    With an int length it is ``init`` joined to the carries without the last; a named length
    cannot be sliced to ``T − 1``, so it is a scan itself (it emits the carry it was given).
    """
    carries = node if node.emit is None else Scan(node.body, None, node.carry, node.init,
                                                  node.seqs, node.consts, node.reverse, node.shown)
    steps = carries.shape[0]
    rest = _full_items(carries.shape[1:])
    if steps == 0:  # no step: no previous carry either
        return carries
    if isinstance(steps, int):
        head = index_spec(node.init, (("n",),) + rest)
        if steps == 1:
            return head
        if node.reverse:
            return concat([index_spec(carries, (("s", 1, steps, 1),) + rest), head], 0)
        return concat([head, index_spec(carries, (("s", 0, steps - 1, 1),) + rest)], 0)
    step_value = Tensor(_unused_name(node.carry.name + "_new", [carries]), node.carry.shape)
    return Scan(step_value, node.carry, node.carry, node.init, ((step_value, carries),), (),
                node.reverse, ((node.carry.name, 0),))


def _unused_name(base: str, graphs: list) -> str:
    taken = names_in(graphs)
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}{k}"
    return name


def names_in(graphs: list) -> set[str]:
    """The names of every tensor in ``graphs`` and in the bodies of the scans among them."""
    names: set[str] = set()
    todo = list(graphs)
    seen: set[int] = set()
    while todo:
        for n in postorder([todo.pop()]):
            if id(n) in seen:
                continue
            seen.add(id(n))
            if isinstance(n, Tensor):
                names.add(n.name)
            elif isinstance(n, Scan):
                todo += [n.body, n.carry] + [p for p, _ in n.seqs + n.consts]
                todo += [n.emit] if n.emit is not None else []
    return names


def fresh_placeholder(base: str, shape: tuple, graphs: list) -> Tensor:
    """A tensor of ``shape`` whose name (``base``, ``base2``, …) no tensor of ``graphs`` has."""
    return Tensor(_unused_name(base, graphs), shape)


# --------------------------------------------------------------------------- over time

def over_time(expr: Expr, stacked: Mapping[Tensor, Expr], steps: Dim) -> Expr:
    """``expr`` evaluated at every time step at once: each placeholder of ``stacked`` becomes its
    stacked value (time first), and every node that depends on one gains a leading time axis.

    Examples:
        >>> import indexcalc as ic
        >>> h, W, H = ic.tensors("h[3] W[3,3] H[T,3]")
        >>> print(over_time(ic.tanh(W @ h), {h: H}, "T"))
        T,i ↦ tanh(Σ_j W[i,j] H[T,j])
    """
    timed: set[int] = set()

    def rule(node: Expr, done: Callable) -> Expr:
        if node in stacked:
            timed.add(id(stacked[node]))
            return stacked[node]
        if not any(id(c) in timed for c in map(done, node.children())):
            return REBUILD[type(node)](node, done) if node.children() else node
        out = OVER_TIME[type(node)](node, done, lambda c: _timed(done(c), id(done(c)) in timed,
                                                                 steps), steps)
        timed.add(id(out))
        return out
    return transform(expr, rule)


def _timed(e: Expr, has_time: bool, steps: Dim) -> Expr:
    """``e`` with a leading time axis: itself when it has one, else broadcast over time."""
    if has_time:
        return e
    ls = fresh_labels(e.ndim)
    t = fresh()
    return product([(e, ls)], (t,) + ls, {t: steps, **dict(zip(ls, e.shape))})


def _ot_product(node: Product, done, timed, steps) -> Expr:
    t = fresh()
    factors = [(timed(f), (t,) + ls) for f, ls in node.factors] + size_factors(node)
    return product(factors, (t,) + node.out, {**dict(enumerate(node.dims)), t: steps}, node.coef)


def _ot_refuse(node: Expr, done, timed, steps) -> Expr:
    raise IndexcalcError(f"scan: a step that contains {type(node).__name__} "
                         "(a scan inside a scan) cannot be differentiated; write the inner "
                         "recurrence outside the step")


def _shift(axes: tuple) -> tuple:
    return tuple(a + 1 for a in axes)


#: One rule per node type (``NODE_TYPES``): ``rule(node, done, timed, steps)`` is the node over
#: time, ``timed(child)`` the child with its leading time axis. Nodes that depend on no stacked
#: placeholder are rebuilt unchanged and never reach a rule; leaves that do are placeholders.
OVER_TIME: dict[type, Callable] = {
    Tensor: lambda node, done, timed, steps: node,
    Constant: lambda node, done, timed, steps: node,
    Delta: lambda node, done, timed, steps: node,
    TriMask: lambda node, done, timed, steps: node,
    Product: _ot_product,
    Sum: lambda node, done, timed, steps: add([(c, timed(t)) for c, t in node.terms],
                                              (steps,) + node.shape),
    Apply: lambda node, done, timed, steps: apply(node.fn, timed(node.arg), node.param),
    Softmax: lambda node, done, timed, steps: Softmax(timed(node.arg), node.axis + 1),
    LogSumExp: lambda node, done, timed, steps: LogSumExp(timed(node.arg), _shift(node.axes)),
    Max: lambda node, done, timed, steps: Max(timed(node.arg), _shift(node.axes)),
    Inverse: lambda node, done, timed, steps: Inverse(timed(node.arg)),
    Det: lambda node, done, timed, steps: Det(timed(node.arg)),
    LogDet: lambda node, done, timed, steps: LogDet(timed(node.arg)),
    Reshape: lambda node, done, timed, steps: reshaped(timed(node.arg), (steps,) + node.shape),
    Named: lambda node, done, timed, steps: Named(node.name, timed(node.arg)),
    Shared: lambda node, done, timed, steps: Shared(timed(node.arg)),
    Derivative: lambda node, done, timed, steps: timed(node.arg),
    Index: lambda node, done, timed, steps: index_spec(
        timed(node.arg), _full_items((steps,)) + node.spec),
    Scatter: lambda node, done, timed, steps: scatter_spec(
        timed(node.arg), _full_items((steps,)) + node.spec, (steps,) + node.shape),
    Concat: lambda node, done, timed, steps: concat([timed(p) for p in node.parts], node.axis + 1),
    Scan: _ot_refuse,
    Decomposition: lambda node, done, timed, steps: Decomposition(node.kind, timed(node.arg),
                                                                  node.part),
}
