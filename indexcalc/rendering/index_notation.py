"""Index (Einstein) notation: ``str(expr)``, e.g. ``Σ_n X[n,d] r[n] v[h]``.

Each node is written *at* the index names its parent gives it, so a nested expression reads as
index notation all the way down: ``Σ_n X[n,d] (Σ_d',h' X[n,d'] W[d',h'] v[h'] - y[n])``.
Index names come from dimension names (``X[n,d]``), primed (then subscripted) when a name is taken;
integer dimensions use ``i, j, k, …``. Every summed index is distinct from every index in scope.

The printer walks an explicit stack (graphs are thousands of levels deep), and a subexpression that
is used several times and is large is written once, in a ``where`` clause, so the text stays
linear in the size of the graph. Pieces of notation come from a :class:`Style` (plain text here,
LaTeX in :mod:`indexcalc.rendering.latex_notation`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from ..core.elementwise import rule
from ..core.nodes import Expr, Named, Product, Tensor
from ..core.graph_walk import postorder
from ..formula.index_reader import first_seen, read_sizes
from .index_rules import RULES, _atom, _Context, _kind, _labels, by_name, pick_name, sized_name
from .index_sizes import dimension_names, leaf_names, readable

__all__ = ["_atom", "Style", "TEXT", "binder_names", "label_names", "pick_name",
           "product_label_names",
           "render", "to_index_notation"]

#: A subexpression used at least twice whose inline text would exceed this is written once.
SHARE_ABOVE = 160
#: An unnamed constant of at most this many entries is written by its values (``[[1.0,2.0],…]``,
#: which ``ic.parse`` reads back); a larger one by its shape, ``const(9×9)``.
VALUES_UP_TO = 64


def label_names(dims: tuple, reserved=frozenset()) -> list[str]:
    """Distinct index names for the axes of a shape (the free indices of a printed expression);
    ``reserved``: the printed tensors' dimension names (:func:`pick_name`).

    Examples:
        >>> label_names(("n", "h", "d", "h")), label_names((3, 4)), label_names((3,), {"i"})
        (['n', 'h', 'd', "h'"], ['i', 'j'], ['j'])
    """
    names: list[str] = []
    used: set[str] = set()
    for d in dims:
        name = pick_name(d, used, None, reserved)
        used.add(name)
        names.append(name)
    return names


class Style:
    """How each piece of index notation is written (plain text); LaTeX overrides these."""

    times = " "
    open, close = "(", ")"
    inverse = "⁻¹"
    mapsto = " ↦ "

    def name(self, name: str) -> str:
        return name

    def indexed(self, base: str, names) -> str:
        return f"{base}[{','.join(names)}]" if names else base

    def sigma(self, names) -> str:
        return "Σ_" + ",".join(names) + " "

    def delta(self, names) -> str:
        return self.indexed("δ", names)

    def number(self, c: float) -> str:
        return f"{c:g}"

    def call(self, fn: str, sub=None) -> tuple[str, str]:
        return (f"{fn}_{','.join(sub)}(" if sub else f"{fn}("), ")"

    def function(self, fn: str) -> tuple[str, str]:
        return self.call(rule(fn).text)

    def logdet(self) -> tuple[str, str]:
        return "log|det(", ")|"

    def power(self, p: float) -> str:
        return "^" + self.number(p)

    def base_power(self, base: float) -> tuple[str, str]:
        """What is written around ``x`` in ``base ** x``."""
        return self.number(base) + "^(", ")"

    def size(self, dim) -> str:
        """A dimension's size as a factor: the dimension itself (indices are only in brackets)."""
        return f"({dim})" if "*" in str(dim) else str(dim)

    def ones(self, names) -> str:
        return self.indexed("1", names)

    def array(self, value: np.ndarray) -> str:
        if value.size <= VALUES_UP_TO:
            return str(np.round(value, 6).tolist()).replace(" ", "")
        return "const(" + "×".join(map(str, value.shape)) + ")"

    def where(self, main: str, defs: list[str]) -> str:
        return main + "\nwhere\n" + "\n".join("  " + d for d in defs)

    def define(self, lhs: str, rhs: str) -> str:
        return f"{lhs} = {rhs}"


TEXT = Style()


def product_label_names(node: Product) -> dict[int, str]:
    """The index name ``str(node)`` gives each label of a product printed on its own.

    Examples:
        >>> import indexcalc as ic
        >>> X, W = ic.tensors("X[n,d] W[d,h]")
        >>> sorted(product_label_names(X @ W).values())
        ['d', 'h', 'n']
    """
    reserved = dimension_names(node)   # as str(node) names them
    ctx = _Context(TEXT, {}, reserved=reserved)
    names = label_names(node.shape, reserved)
    ctx.scope.update(names)
    return _labels(node, names, ctx)[0]


def _expand(root: Expr, names, ctx: _Context) -> str:
    """The text of ``root`` at index ``names``; an explicit stack, never recursion."""
    out: list[str] = []
    stack: list = [(root, tuple(names), True)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, list):
            ctx.release(item)
        else:
            node, idx, top = item
            alias = None if top else ctx.aliases.get(node)
            if alias is not None:
                out.append(ctx.style.indexed(alias, ctx.sizing(idx)))
                continue
            pieces, bound = RULES[type(node)](node, idx, ctx)
            stack.append(list(bound))
            stack.extend((p if isinstance(p, str) else (p[0], p[1], False)) for p in reversed(pieces))
    return "".join(out)


def _shared_names(root: Expr, aliases: Mapping[Expr, str]) -> dict[Expr, str]:
    """``z1, z2, …`` for large subexpressions used more than once (children numbered first)."""
    def kids(n: Expr) -> tuple:  # the printer does not enter aliased or named nodes
        return () if n in aliases or isinstance(n, Named) else n.children()

    order = postorder([root], kids)
    uses = Counter(id(c) for n in order for c in kids(n))
    taken = {n.name for n in order if isinstance(n, (Tensor, Named))} | set(aliases.values())
    size: dict[int, int] = {}
    lets: dict[Expr, str] = {}
    k = 0
    for node in order:
        own = 12 + (8 * len(node.factors) if isinstance(node, Product) else 0)
        size[id(node)] = own + sum(size[id(c)] for c in kids(node))
        if uses[id(node)] > 1 and size[id(node)] > SHARE_ABOVE and node is not root:
            k += 1
            while f"z{k}" in taken:
                k += 1
            lets[node] = f"z{k}"
            size[id(node)] = 8
    return lets


def render(expr: Expr, style: Style = TEXT, aliases: Mapping[Expr, str] | None = None,
           names: Sequence[str] | None = None, sized: bool = False,
           contexts: list | None = None, reserved=None) -> str:
    """``expr`` in index notation, written in ``style``; ``aliases`` print nodes by a name;
    ``names`` are the index names of its axes (default :func:`label_names` of its shape: an
    explanation keeps one name per axis from line to line); ``sized``: every index declares its
    size where it is bound (``i∈[3],j∈[4] ↦ …``), for :func:`to_index_notation` to keep those
    the text needs; ``contexts`` collects each printing's context (what it bound and wrote);
    ``reserved``: the dimension names no index of another dimension is named after (default
    those of ``expr``'s tensors, :func:`~.index_sizes.dimension_names`).

    Examples:
        >>> import indexcalc as ic
        >>> X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
        >>> print(ic.grad(0.5 * ic.sum((X @ W @ v - y) ** 2), W))
        Σ_n X[n,d] v[h] (Σ_d',h' X[n,d'] W[d',h'] v[h'] - y[n])
    """
    aliases = dict(aliases or {})
    lets = _shared_names(expr, aliases)
    aliases.update({n: style.name(a) for n, a in lets.items()})
    reserved = dimension_names(expr) if reserved is None else reserved
    main = _write(expr, style, aliases, names, sized, contexts, reserved)
    if type(style) is Style and expr.ndim and names is None:   # given names are shown
        main = _ordered(main, label_names(expr.shape, reserved), expr.shape, style, sized)
    if not lets:
        return main
    defs = [style.define(
        style.indexed(aliases[n], binder_names(label_names(n.shape, reserved), n.shape, sized)),
        _write(n, style, aliases, sized=sized, contexts=contexts, reserved=reserved))
        for n in lets]
    return style.where(main, defs)


def binder_names(names: list[str], shape: tuple, sized: bool) -> list[str]:
    """``names`` of axes of ``shape`` as a binder writes them: each with its size when ``sized``."""
    return [sized_name(n, d) for n, d in zip(names, shape)] if sized else names


def _ordered(main: str, free: list[str], shape: tuple, style: Style, sized: bool = False) -> str:
    """``main``, led by its axes (``d,n ↦ X[n,d]``) where their first appearance is not their
    order, or a factor repeats one (``i ↦ S[i,i]``, which Python's notation reads as a trace):
    the text reads back to the same tensor. Sized, always led by them, with their sizes."""
    if sized:
        return ",".join(binder_names(free, shape, True)) + style.mapsto + main
    brackets = [b.split(",") for b in re.findall(r"\[([^\[\]]*)\]", main)]
    repeated = any(b.count(name) > 1 for b in brackets for name in free)
    if first_seen(main, free) == free and not repeated or \
            re.search(r"\bscan_t\(|\bL_\w+\(", main):   # the reader refuses these
        return main
    return ",".join(free) + style.mapsto + main


def _write(expr: Expr, style: Style, aliases, names: Sequence[str] | None = None,
           sized: bool = False, contexts: list | None = None, reserved=frozenset()) -> str:
    ctx = _Context(style, aliases, sized, reserved)
    if contexts is not None:
        contexts.append(ctx)
    ctx.named = names is None and all(by_name(d, reserved) for d in expr.shape)
    names = label_names(expr.shape, reserved) if names is None else list(names)
    ctx.scope.update(names)
    ctx.open(names)
    text = _expand(expr, names, ctx)
    # an axis written at no value (i ↦ softmax_i(1)) may have no size in the text
    ctx.unused = ctx.unused or any(not ctx.uses[n] for n in names)
    missing = [n for n in names if n not in ctx.mentioned]
    if missing and text == style.number(1.0):
        text = style.ones(missing)
    elif missing:  # broadcast axes no factor mentions: say the shape
        if _kind(expr, aliases) == "loose":
            text = style.open + text + style.close
        text = text + style.times + style.ones(missing)
    return text


def to_index_notation(expr: Expr) -> str:
    """The expression in index notation (``str(expr)``).

    Examples:
        >>> import indexcalc as ic
        >>> X, W = ic.tensors("X[n,d] W[d,h]")
        >>> print(X @ W)
        Σ_d X[n,d] W[d,h]

        An index that meets nothing with a size (only ``δ``, ``1``, a mask) declares its size
        where it is bound, so that the text reads back (``ic.parse``):

        >>> A, B = ic.Tensor("A", (3, 4)), ic.Tensor("B", (4, 5))
        >>> print(ic.diff(A @ B, B))
        i,j∈[5],k,l ↦ A[i,k] δ[j,l]
    """
    contexts: list = []
    leaves = leaf_names(expr)
    reserved = dimension_names(expr, leaves)
    plain = render(expr, TEXT, contexts=contexts, reserved=reserved)
    return readable(plain, lambda: render(expr, TEXT, sized=True, reserved=reserved),
                    lambda text: read_sizes(text, leaves)[1],
                    ",".join(label_names(expr.shape, reserved)) + TEXT.mapsto if expr.ndim
                    else None, any(c.unused for c in contexts),
                    all(c.named or c.all_sized() for c in contexts))
