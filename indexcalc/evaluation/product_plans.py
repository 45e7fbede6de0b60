"""Product plans: the opt_einsum path of each product for bound sizes, and how its result is laid out.

A product's deltas are eliminated first (their labels join one class, one einsum letter); the
remaining factors are contracted along a path searched by opt_einsum; size multipliers and the
coefficient scale the compact result; broadcast axes are added as views; a delta that survives to
the output is written through a strided view of the output's diagonal.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Mapping

import opt_einsum as oe

from ..core.dims import dim_size
from ..core.algebra import delta_classes
from ..errors import IndexcalcError
from ..core.nodes import Product
from .backends import namespace

OPTIMIZE_DEFAULT = "auto"


def choose_optimizer(optimize: Any, n_operands: int) -> Any:
    """The opt_einsum path search for a product of ``n_operands`` under the setting ``optimize``.

    ``"auto"`` picks by operand count: the exhaustive ``"optimal"`` search up to 4 operands,
    dynamic programming (``"dp"``, optimal for the usual cost model and polynomial for chains) up
    to 16, ``"greedy"`` beyond; any other value is passed to opt_einsum unchanged.

    Examples:
        >>> choose_optimizer("auto", 3), choose_optimizer("auto", 10), choose_optimizer("greedy", 3)
        ('optimal', 'dp', 'greedy')
    """
    if optimize != "auto":
        return optimize
    return "optimal" if n_operands <= 4 else "dp" if n_operands <= 16 else "greedy"


def _checked_optimize(optimize: Any) -> Any:
    """``optimize`` if opt_einsum accepts it (a search's name, an optimizer, or an explicit path)."""
    from opt_einsum.paths import PathOptimizer, _PATH_OPTIONS

    if isinstance(optimize, str) and optimize in _PATH_OPTIONS or isinstance(optimize, PathOptimizer):
        return optimize
    if isinstance(optimize, (list, tuple)) and optimize and all(
            isinstance(p, (list, tuple)) and p and all(type(i) is int for i in p) for p in optimize):
        return optimize
    known = ", ".join(sorted(_PATH_OPTIONS))
    raise IndexcalcError(f"optimize={optimize!r} is not an opt_einsum path search; use one of "
                         f"{known}, an opt_einsum PathOptimizer, or an explicit path like "
                         "[(0, 1), (0, 1)]")


def _contract_path(equation: str, shapes: tuple, optimize: Any, cache: dict | None) -> tuple:
    """opt_einsum's path, searched once per equation and shapes within one ``cache``."""
    key = (equation, shapes, optimize if isinstance(optimize, str) else repr(optimize))
    hit = cache.get(key) if cache is not None else None
    if hit is None:
        if isinstance(optimize, str) and any(0 in s for s in shapes):
            optimize = "greedy"  # an empty axis: nothing to save, and "dp" finds no path at all
        try:
            hit = oe.contract_path(equation, *shapes, shapes=True, optimize=optimize)
        except (TypeError, KeyError, ValueError, IndexError) as e:
            raise IndexcalcError(f"optimize={optimize!r} is not an opt_einsum path search ({e}); "
                                 "use 'auto', 'optimal', 'dp', 'greedy', 'branch-2' or a "
                                 "path") from None
        if cache is not None:
            cache[key] = hit
    return hit


@dataclass(frozen=True)
class ProductPlan:
    """How one product is computed for one set of sizes.

    ``equation`` (deltas eliminated, one letter per class of labels they join) is contracted along
    ``path``; then the size multipliers and the coefficient scale the compact result, broadcast
    axes are added as a view, and a delta that survives to the output is written through a
    strided view of the output's diagonal (``full`` repeats its letter), never multiplied in.

    Attributes:
        equation: the einsum of the non-delta factors, ``"ab,bc->ac"``.
        operand_shapes: their shapes for these sizes.
        path: the opt_einsum contraction path (pairs of operand positions).
        info: opt_einsum's ``PathInfo`` (FLOPs, intermediates); ``None`` with no operands.
        compact: letters of the contracted result; target: after broadcasting;
        full: the output layout (a diagonal's letter repeated); full_shape: its shape.
        multiplier: the product of the sizes of summed labels that no factor carries.
        letters, sizes: every letter of the plan and its size.
    """

    equation: str
    operand_shapes: tuple
    path: tuple
    info: Any
    compact: str
    target: str
    full: str
    full_shape: tuple
    multiplier: float
    letters: str
    sizes: tuple

    @cached_property
    def expression(self) -> Any:
        """An opt_einsum ``ContractExpression`` (for backends other than NumPy), or ``None``."""
        if self.info is None:
            return None
        return oe.contract_expression(self.equation, *self.operand_shapes, optimize=list(self.path))

    def __call__(self, arrays: list, backend: str = "numpy") -> Any:
        """The product of ``arrays`` (the non-delta factors in order) with coefficient 1."""

        ns = namespace(backend)
        if self.expression is None:
            res = ns.xp.asarray(1.0)
        else:
            res = self.expression(*arrays, backend=backend)
        if self.multiplier != 1.0:
            res = res * self.multiplier
        size = dict(zip(self.full, self.full_shape))
        if self.compact != self.target:
            res = ns.ops.broadcast_to(ns.ops.reshape(res, tuple(
                size[c] if c in self.compact else 1 for c in self.target)),
                tuple(size[c] for c in self.target))
        if self.full == self.target:
            return res
        return ns.ops.write_diagonal(res, self.full, self.target, self.full_shape)


def plan_product(node: Product, sizes: Mapping[str, int], optimize: Any = OPTIMIZE_DEFAULT,
                 cache: dict | None = None) -> ProductPlan:
    """Plan one product for bound dimension sizes.

    ``cache`` (a dict the caller keeps) shares path searches between products with the same
    equation and shapes: an unrolled loop repeats its products many times.
    """
    root, operands = delta_classes(node.factors)
    rep = [root.get(l, l) for l in range(len(node.dims))]  # each label's delta class
    size = [dim_size(d, sizes) for d in node.dims]
    letter = {l: oe.get_symbol(rep[l]) for l in range(len(node.dims))}
    inputs = ["".join(letter[l] for l in ls) for _, ls in operands]
    present = set("".join(inputs))
    target = "".join(dict.fromkeys(letter[l] for l in node.out))
    compact = "".join(c for c in target if c in present)
    summed_classes = set(rep) - {rep[l] for l in node.out}
    multiplier = 1.0
    for c in summed_classes:
        if oe.get_symbol(c) not in present:
            multiplier *= size[c]
    shapes = tuple(tuple(size[l] for l in ls) for _, ls in operands)
    path = info = None
    equation = ",".join(inputs) + "->" + compact
    if operands:
        path, info = _contract_path(equation, shapes, choose_optimizer(optimize, len(operands)),
                                    cache)
    full = "".join(letter[l] for l in node.out)
    classes = {letter[l]: size[rep[l]] for l in range(len(node.dims))}
    return ProductPlan(equation, shapes, tuple(map(tuple, path or ())), info, compact, target,
                       full, tuple(size[l] for l in node.out), multiplier,
                       "".join(classes), tuple(classes.values()))
