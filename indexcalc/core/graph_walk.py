"""Iterative graph walks, so graphs thousands of levels deep never hit the recursion limit."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from .dims import format_shape
from .nodes import Expr
from .nodes import Tensor
from ..errors import IndexcalcError

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


def one_tensor_per_name(tensors: Iterable[Tensor], where: str) -> dict[str, Tensor]:
    """The tensors by name; two different tensors with one name are refused.

    Two tensors named ``X`` of different shapes (or one symmetric) are different variables that
    generated code, evaluation and a derivative by ``X`` could not tell apart: a silent wrong
    answer. Names are compared as Python compares identifiers (NFKC: ``ｘ`` is ``x``).

    Raises:
        IndexcalcError: naming both shapes and the way out.

    Examples:
        >>> import indexcalc as ic
        >>> sorted(one_tensor_per_name(ic.tensors("X[n,d] w[d] X[n,d]"), "here"))
        ['X', 'w']
        >>> one_tensor_per_name(ic.tensors("X[n,d] X[d,h]"), "tensors")
        Traceback (most recent call last):
        ...
        indexcalc.errors.IndexcalcError: tensors: two different tensors are named 'X' (shapes (n, d) and (d, h)); give them distinct names
    """
    table: dict[str, Tensor] = {}
    for t in tensors:
        other = table.setdefault(t.name, t)
        if other is not t:
            raise IndexcalcError(f"{where}: two different tensors are named {t.name!r} "
                                 f"(shapes {_described(other)} and {_described(t)}); give them "
                                 "distinct names")
    return table


def _described(t: Tensor) -> str:
    return format_shape(t.shape) + (" symmetric" if t.symmetric else "")
