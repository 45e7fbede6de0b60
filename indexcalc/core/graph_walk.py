"""Iterative graph walks, so graphs thousands of levels deep never hit the recursion limit."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from .nodes import Expr
from .nodes import Tensor

T = TypeVar("T")


def postorder(roots: Iterable[Expr],
              children: Callable[[Expr], Sequence[Expr]] | None = None) -> list[Expr]:
    """Every node reachable from ``roots``, each once, children before parents.

    ``children(node)`` (default: ``node.children()``) chooses the edges followed, so a walk can
    stop at nodes it treats as opaque (a printer does not enter a named subexpression; the matrix
    forms walk their ``where`` definitions with it).

    Examples:
        >>> import indexcalc as ic
        >>> x = ic.Tensor("x", 3)
        >>> [type(n).__name__ for n in postorder([ic.exp(x) + x])]
        ['Tensor', 'Apply', 'Sum']
    """
    seen: set[int] = set()
    order: list[Expr] = []
    for root in roots:
        if id(root) in seen:
            continue
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for child in reversed(node.children() if children is None else children(node)):
                if id(child) not in seen:
                    stack.append((child, False))
    return order


def transform(root: Expr, rule: Callable[[Expr, Callable[[Expr], T]], T]) -> T:
    """Bottom-up rewrite: ``rule(node, done)`` where ``done(child)`` is the child's result.

    Each distinct node is visited once, children first, iteratively.
    """
    results: dict[int, T] = {}
    done = results.__getitem__
    for node in postorder([root]):
        results[id(node)] = rule(node, lambda c: done(id(c)))
    return results[id(root)]


def tensors_of(*roots: Expr) -> list[Expr]:
    """The variables (``Tensor`` nodes) an expression depends on, in first-seen order."""

    return [n for n in postorder(roots) if isinstance(n, Tensor)]
