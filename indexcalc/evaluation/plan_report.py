"""``ic.plan``: what evaluation will do — each contraction's path, its cost, and the totals."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import opt_einsum as oe

from .compiled import OPTIMIZE_DEFAULT, Compiled
from ..core.nodes import Product
from ..core.dims import dim_names, dim_size
from ..core.graph_walk import postorder
from ..errors import BindingError


@dataclass(frozen=True)
class Step:
    """One product of the program."""

    equation: str
    path: tuple
    flops: int
    naive_flops: int
    largest_intermediate: int
    output_size: int


@dataclass(frozen=True)
class Plan:
    """The evaluation plan of an expression for bound sizes (printable as a table).

    Attributes:
        steps: one :class:`Step` per product, in evaluation order.
        flops: total planned FLOPs of the contractions.
        naive_flops: FLOPs of the naive, materialized-Jacobian evaluation: every product
            contracted pairwise left to right in its factors' order, each Kronecker delta built
            as a dense identity and multiplied in (what evaluating the chain rule's Jacobians as
            arrays costs); each step's ``naive_flops`` is its product's share.
        largest_intermediate: the largest array (elements) any contraction creates.

    Examples:
        >>> import indexcalc as ic
        >>> A, B, x = ic.tensors("A[m,n] B[n,k] x[k]")
        >>> p = ic.plan(A @ B @ x, m=100, n=200, k=300)
        >>> len(p.steps), p.steps[0].equation
        (1, 'ab,bc,c->a')
        >>> p.flops < p.naive_flops
        True
    """

    steps: tuple
    sizes: dict

    @property
    def flops(self) -> int:
        return sum(s.flops for s in self.steps)

    @property
    def naive_flops(self) -> int:
        return sum(s.naive_flops for s in self.steps)

    @property
    def largest_intermediate(self) -> int:
        return max((max(s.largest_intermediate, s.output_size) for s in self.steps), default=0)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in sorted(self.sizes.items()))
        return (f"<Plan for {sizes or 'fixed sizes'}: {len(self.steps)} contraction(s), "
                f"{self.flops:,} FLOPs (naive {self.naive_flops:,}), largest intermediate "
                f"{self.largest_intermediate:,}; str() for the table>")

    def __str__(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in sorted(self.sizes.items()))
        lines = [f"plan for {sizes or 'fixed sizes'}: {len(self.steps)} contraction(s); naive = "
                 "each product left to right, deltas as dense identities (materialized Jacobians)",
                 f"{'#':>3}  {'equation':<32} {'path':<24} {'FLOPs':>12} {'naive':>12} {'largest':>10}"]
        for i, s in enumerate(self.steps):
            lines.append(f"{i:>3}  {s.equation:<32} {str(list(s.path)):<24} {s.flops:>12,} "
                         f"{s.naive_flops:>12,} {s.largest_intermediate:>10,}")
        lines.append(f"total FLOPs {self.flops:,} (naive {self.naive_flops:,}); "
                     f"largest intermediate {self.largest_intermediate:,} elements")
        return "\n".join(lines)


def naive_flops(node: Product, sizes: dict) -> int:
    """FLOPs of ``node`` contracted pairwise in factor order with every delta a dense operand.

    Examples:
        >>> import indexcalc as ic
        >>> X, W = ic.tensors("X[n,d] W[d,h]")
        >>> D = ic.diff(X @ W, W)          # X[n,d] δ[h,h']: an outer product when materialized
        >>> naive_flops(D.arg, dict(n=2, d=3, h=4))  # n·d·h·h products, against n·d copies planned
        96
    """
    used = sorted({l for _, ls in node.factors for l in ls})
    if not used:
        return 0
    letter = {l: oe.get_symbol(i) for i, l in enumerate(used)}
    inputs = ["".join(letter[l] for l in ls) for _, ls in node.factors]
    output = "".join(dict.fromkeys(letter[l] for l in node.out if l in letter))
    shapes = [tuple(dim_size(node.dims[l], sizes) for l in ls) for _, ls in node.factors]
    return _left_to_right_cost(",".join(inputs) + "->" + output, tuple(shapes))


@lru_cache(maxsize=1024)
def _left_to_right_cost(equation: str, shapes: tuple) -> int:
    """FLOPs of contracting ``equation`` pairwise left to right (cached: unrolled loops repeat)."""

    order = [(0, 1)] * (len(shapes) - 1) or [(0,)]
    _, info = oe.contract_path(equation, *shapes, shapes=True, optimize=order)
    return int(info.opt_cost)


def plan(expr: Any, /, optimize: Any = OPTIMIZE_DEFAULT, **sizes: int) -> Plan:
    """The evaluation plan of ``expr`` for dimension sizes given by name.

    Examples:
        >>> import indexcalc as ic
        >>> X, W, v = ic.tensors("X[n,d] W[d,h] v[h]")
        >>> p = ic.plan(X @ W @ v, n=100, d=50, h=40)
        >>> p.flops < p.naive_flops
        True
    """

    compiled = Compiled(expr, optimize=optimize)
    needed = {n for node in postorder([compiled.expr]) for d in node.shape for n in dim_names(d)}
    missing = sorted(needed - set(sizes))
    if missing:
        raise BindingError(f"plan: give the size of dimension(s) {', '.join(missing)}, "
                           f"e.g. ic.plan(expr, {missing[0]}=10)")
    for k, v in sizes.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise BindingError(f"plan: size of {k!r} must be a non-negative int, got {v!r}")
    plans = compiled.plans_for(sizes)
    steps = []
    for node in compiled.order:
        if not isinstance(node, Product):
            continue
        p = plans[id(node)]
        out = 1
        for s in p.full_shape:
            out *= s
        if p.info is None:
            steps.append(Step(p.equation, (), 0, naive_flops(node, sizes), out, out))
        else:
            steps.append(Step(p.equation, tuple(tuple(c) for c in p.info.path), int(p.info.opt_cost),
                              naive_flops(node, sizes), int(p.info.largest_intermediate), out))
    return Plan(tuple(steps), dict(sizes))
