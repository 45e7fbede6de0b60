"""Index (Einstein) notation: ``str(expr)``, e.g. ``Σ_n X[n,d] r[n] v[h]``.

Each node is written *at* the index names its parent gives it, so a nested expression reads as
index notation all the way down: ``Σ_n X[n,d] (Σ_d',h' X[n,d'] W[d',h'] v[h'] - y[n])``.
Index names come from dimension names (``X[n,d]``), primed (then subscripted) when a name is taken;
integer dimensions use ``i, j, k, …``. Every summed index is distinct from every index in scope.

The printer walks an explicit stack (graphs are thousands of levels deep), and a subexpression that
is used several times and is large is written once, in a ``where`` clause, so the text stays
linear in the size of the graph. Pieces of notation come from a :class:`Style` (plain text here,
LaTeX in :mod:`indexcalc.latex`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping

import numpy as np

from .functions import rule
from .nodes import (Apply, Constant, Delta, Det, Expr, Inverse, LogDet, LogSumExp, Named, Product,
                    Reshape, Shared, Softmax, Sum, Tensor)

_LETTERS = "ijklmpqrstuvwxyzabcefg"
#: A subexpression used at least twice whose inline text would exceed this is written once.
SHARE_ABOVE = 160


def pick_name(dim, taken) -> str:
    """A readable index name for a label of dimension ``dim`` that is not in ``taken``.

    Examples:
        >>> pick_name("d", {"d"}), pick_name("d", {"d", "d'", "d''"}), pick_name(3, {"i"})
        ("d'", 'd_3', 'j')
    """
    base = dim if isinstance(dim, str) and dim.isidentifier() else None
    if base is None:
        free = next((c for c in _LETTERS if c not in taken), None)
        if free is not None:
            return free
        base = "i"
    for name in (base, base + "'", base + "''"):
        if name not in taken:
            return name
    k = 3
    while f"{base}_{k}" in taken:
        k += 1
    return f"{base}_{k}"


def label_names(dims: tuple) -> list[str]:
    """Distinct index names for the axes of a shape (the free indices of a printed expression).

    Examples:
        >>> label_names(("n", "h", "d", "h")), label_names((3, 4))
        (['n', 'h', 'd', "h'"], ['i', 'j'])
    """
    taken: set[str] = set()
    for d in dims:
        taken.add(pick_name(d, taken))
    names: list[str] = []
    used: set[str] = set()
    for d in dims:
        name = pick_name(d, used)
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

    def size(self, dim) -> str:
        """A dimension's size as a factor: the dimension itself (indices are only in brackets)."""
        return f"({dim})" if "*" in str(dim) else str(dim)

    def ones(self, names) -> str:
        return self.indexed("1", names)

    def array(self, value: np.ndarray) -> str:
        if value.size <= 6:
            return str(np.round(value, 6).tolist()).replace(" ", "")
        return "const(" + "×".join(map(str, value.shape)) + ")"

    def where(self, main: str, defs: list[str]) -> str:
        return main + "\nwhere\n" + "\n".join("  " + d for d in defs)

    def define(self, lhs: str, rhs: str) -> str:
        return f"{lhs} = {rhs}"


TEXT = Style()


class _Context:
    """One printing: the style, the names in scope, aliases, and which free names were written."""

    def __init__(self, style: Style, aliases: Mapping[Expr, str]):
        self.style = style
        self.aliases = aliases
        self.scope: Counter = Counter()
        self.mentioned: set[str] = set()

    def bind(self, dims) -> list[str]:
        names = []
        for d in dims:
            n = pick_name(d, self.scope)
            self.scope[n] += 1
            names.append(n)
        return names

    def release(self, names) -> None:
        for n in names:
            self.scope[n] -= 1
            if not self.scope[n]:
                del self.scope[n]

    def idx(self, names) -> list[str]:
        self.mentioned.update(names)
        return list(names)


def _unshared(node: Expr) -> Expr:
    while isinstance(node, Shared):
        node = node.arg
    return node


def _kind(node: Expr, aliases) -> str:
    """How a node binds: ``atom``, ``juxt`` (factors side by side), ``power``, ``loose`` (Σ, a
    coefficient or a sign in front, terms): parents parenthesize by kind."""
    node = _unshared(node)
    if node in aliases:
        return "atom"
    if isinstance(node, Sum):
        if not node.terms:
            return "atom"
        return "juxt" if len(node.terms) == 1 and node.terms[0][0] == 1.0 else "loose"
    if isinstance(node, Product):
        if not node.factors and node.coef >= 0:
            return "atom"
        summed = any(l not in node.out for _, ls in node.factors for l in ls)
        return "loose" if summed or node.coef != 1.0 else "juxt"
    if isinstance(node, Apply) and node.fn == "power":
        return "power"
    return "atom"


def _signed(node: Expr) -> bool:
    """Whether a node's text is several terms or starts with a sign (a term after ``+`` wraps it)."""
    node = _unshared(node)
    if isinstance(node, Sum):
        return len(node.terms) > 1 or (len(node.terms) == 1 and node.terms[0][0] != 1.0)
    return isinstance(node, Product) and node.coef < 0


def _child(node: Expr, names, ctx: _Context, wrap: tuple[str, ...]) -> list:
    if "signed" in wrap and node not in ctx.aliases and _signed(node) or \
            _kind(node, ctx.aliases) in wrap:
        return [ctx.style.open, (node, tuple(names)), ctx.style.close]
    return [(node, tuple(names))]


def _named(text: str) -> Callable:
    return lambda node, names, ctx: ([ctx.style.indexed(text, ctx.idx(names))], ())


def _tensor(node, names, ctx):
    return [ctx.style.indexed(ctx.style.name(node.name), ctx.idx(names))], ()


def _constant(node, names, ctx):
    s, v = ctx.style, node.value
    if node.name:
        return [s.indexed(s.name(node.name), ctx.idx(names))], ()
    if v.ndim == 0:
        return [s.number(float(v))], ()
    if v.size and np.all(v == v.flat[0]):  # the same value at every index
        c = float(v.flat[0])
        return [s.ones(ctx.idx(names)) if c == 1.0 else s.indexed(s.number(c), ctx.idx(names))], ()
    return [s.indexed(s.array(v), ctx.idx(names))], ()


def _labels(node: Product, names, ctx) -> tuple[dict, list]:
    """Each label's index name: output labels take ``names``, summed ones are bound fresh."""
    label = dict(zip(node.out, names))
    used = {l for _, ls in node.factors for l in ls}
    summed = [l for l in range(len(node.dims)) if l not in node.out and l in used]
    bound = ctx.bind([node.dims[l] for l in summed])
    label.update(zip(summed, bound))
    return label, bound


def product_label_names(node: Product) -> dict[int, str]:
    """The index name ``str(node)`` gives each label of a product printed on its own.

    Examples:
        >>> import indexcalc as ic
        >>> X, W = ic.tensors("X[n,d] W[d,h]")
        >>> sorted(product_label_names(X @ W).values())
        ['d', 'h', 'n']
    """
    ctx = _Context(TEXT, {})
    names = label_names(node.shape)
    ctx.scope.update(names)
    return _labels(node, names, ctx)[0]


def _product(node: Product, names, ctx):
    s = ctx.style
    label, bound = _labels(node, names, ctx)
    used = {l for _, ls in node.factors for l in ls}
    sizes = [l for l in range(len(node.dims)) if l not in node.out and l not in used]
    parts: list = []
    if node.coef == -1.0 and (node.factors or sizes):
        parts.append("-")
    elif node.coef != 1.0 or not (node.factors or sizes):
        parts += [s.number(node.coef), s.times]
    if bound:
        parts.append(s.sigma(bound))
    for f, ls in node.factors:
        parts += _child(f, [label[l] for l in ls], ctx, ("loose",)) + [s.times]
    for l in sizes:
        parts += [s.size(node.dims[l]), s.times]
    return parts[:-1], bound


def _sum(node: Sum, names, ctx):
    if not node.terms:
        return ["0"], ()
    parts: list = []
    for i, (c, t) in enumerate(node.terms):
        if i:
            parts.append(" - " if c < 0 else " + ")
        elif c < 0:
            parts.append("-")
        if abs(c) != 1.0:
            parts += [ctx.style.number(abs(c)), ctx.style.times]
        parts += _child(t, names, ctx, ("signed",) if (i or c < 0 or abs(c) != 1.0) else ())
    return parts, ()


def _apply(node: Apply, names, ctx):
    if node.fn == "power":
        return _child(node.arg, names, ctx, ("loose", "juxt", "power")) + \
            [ctx.style.power(node.param)], ()
    start, end = ctx.style.function(node.fn)
    return [start, (node.arg, tuple(names)), end], ()


def _closed(arg: Expr, ctx: _Context) -> tuple[list, list]:
    """``p,q ↦ arg[p,q]``: a matrix function's argument, with its own bound indices."""
    if _unshared(arg) in ctx.aliases or isinstance(_unshared(arg), (Tensor, Named)):
        node = _unshared(arg)
        return [ctx.aliases.get(node) or ctx.style.name(node.name)], []
    bound = ctx.bind(arg.shape)
    return [",".join(bound) + ctx.style.mapsto, (arg, tuple(bound))], bound


def _softmax(node: Softmax, names, ctx):
    axis = names[node.axis]
    if list(names).count(axis) == 1:
        start, end = ctx.style.call("softmax", ctx.idx([axis]))
        return [start, (node.arg, tuple(names)), end], ()
    body, bound = _closed(node.arg, ctx)
    start, end = ctx.style.call("softmax")
    return [start] + body + [f", axis={node.axis}", end + ctx.style.indexed("", ctx.idx(names))], bound


def _logsumexp(node: LogSumExp, names, ctx):
    bound = ctx.bind([node.arg.shape[a] for a in node.axes])
    it, ib = iter(names), iter(bound)
    inner = tuple(next(ib) if a in node.axes else next(it) for a in range(node.arg.ndim))
    start, end = ctx.style.call("logsumexp", bound)
    return [start, (node.arg, inner), end], bound


def _inverse(node: Inverse, names, ctx):
    body, bound = _closed(node.arg, ctx)
    s = ctx.style
    if not bound:
        return [s.indexed(body[0] + s.inverse, ctx.idx(names))], ()
    return [s.open] + body + [s.close, s.indexed(s.inverse, ctx.idx(names))], bound


def _det(log: bool):
    def render(node, names, ctx):
        body, bound = _closed(node.arg, ctx)
        start, end = ctx.style.logdet() if log else ctx.style.call("det")
        return [start] + body + [end], bound
    return render


def _reshape(node: Reshape, names, ctx):
    body, bound = _closed(node.arg, ctx)
    start, end = ctx.style.call("reshape")
    shape = "(" + ",".join(map(str, node.shape)) + ("," if len(node.shape) == 1 else "") + ")"
    return [start] + body + [", " + shape, end + ctx.style.indexed("", ctx.idx(names))], bound


#: Printers for node types defined outside nodes.py, ``(node, sub) -> str``: ``sub(child)`` stands
#: for the child as a whole tensor (its name, or ``p,q ↦ …`` with indices of its own), and the
#: text is then indexed by the node's indices: ``x[1:][i]``.
EXTRA: dict = {}


def _atom(s: str) -> str:
    """Parenthesize a whole-tensor text for an EXTRA printer unless it is a single token."""
    return s if s.replace("_", "").replace("'", "").isalnum() else f"({s})"


def _extra(node: Expr, names, ctx: _Context):
    children: list[Expr] = []

    def sub(child: Expr) -> str:
        c = _unshared(child)
        if c in ctx.aliases:
            return ctx.aliases[c]
        if isinstance(c, (Tensor, Named)):
            return ctx.style.name(c.name)
        children.append(child)
        return f"\x00{len(children) - 1}\x00"  # replaced by the child's pieces below

    text = EXTRA[type(node)](node, sub)
    pieces: list = []
    bound: list[str] = []
    for k, part in enumerate(re.split("\x00(\\d+)\x00", text)):
        if k % 2 == 0:
            pieces += [part] if part else []
            continue
        child = children[int(part)]
        b = ctx.bind(child.shape)
        bound += b
        pieces += ([",".join(b) + ctx.style.mapsto] if b else []) + [(child, tuple(b))]
    pieces.append(ctx.style.indexed("", ctx.idx(names)))
    return pieces, bound


#: One printing rule per node type: ``(node, index names, context) -> (pieces, bound names)``;
#: a piece is text or ``(child, its index names)``.
RULES: dict[type, Callable] = {
    Tensor: _tensor,
    Named: _tensor,
    Constant: _constant,
    Delta: lambda node, names, ctx: ([ctx.style.delta(ctx.idx(names))], ()),
    Product: _product,
    Sum: _sum,
    Apply: _apply,
    Softmax: _softmax,
    LogSumExp: _logsumexp,
    Inverse: _inverse,
    Det: _det(False),
    LogDet: _det(True),
    Reshape: _reshape,
    Shared: lambda node, names, ctx: ([(node.arg, tuple(names))], ()),
}


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
                out.append(ctx.style.indexed(alias, ctx.idx(idx)))
                continue
            pieces, bound = RULES.get(type(node), _extra)(node, idx, ctx)
            stack.append(list(bound))
            stack.extend((p if isinstance(p, str) else (p[0], p[1], False)) for p in reversed(pieces))
    return "".join(out)


def _reachable(root: Expr, opaque) -> tuple[list[Expr], Counter]:
    """Nodes the printer reaches (children before parents) and how often each is used."""
    uses: Counter = Counter()
    order: list[Expr] = []
    seen: set[int] = set()
    stack: list = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        kids = () if opaque(node) else node.children()
        for c in kids:
            uses[id(c)] += 1
        stack.extend((c, False) for c in reversed(kids) if id(c) not in seen)
    return order, uses


def _shared_names(root: Expr, aliases: Mapping[Expr, str]) -> dict[Expr, str]:
    """``z1, z2, …`` for large subexpressions used more than once (children numbered first)."""
    def opaque(n):
        return n in aliases or isinstance(n, Named)

    order, uses = _reachable(root, opaque)
    taken = {n.name for n in order if isinstance(n, (Tensor, Named))} | set(aliases.values())
    size: dict[int, int] = {}
    lets: dict[Expr, str] = {}
    k = 0
    for node in order:
        own = 12 + (8 * len(node.factors) if isinstance(node, Product) else 0)
        kids = () if opaque(node) else node.children()
        size[id(node)] = own + sum(size[id(c)] for c in kids)
        if uses[id(node)] > 1 and size[id(node)] > SHARE_ABOVE and node is not root:
            k += 1
            while f"z{k}" in taken:
                k += 1
            lets[node] = f"z{k}"
            size[id(node)] = 8
    return lets


def render(expr: Expr, style: Style = TEXT, aliases: Mapping[Expr, str] | None = None) -> str:
    """``expr`` in index notation, written in ``style``; ``aliases`` print nodes by a name.

    Examples:
        >>> import indexcalc as ic
        >>> X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
        >>> print(ic.grad(0.5 * ic.sum((X @ W @ v - y) ** 2), W))
        Σ_n X[n,d] v[h] (Σ_d',h' X[n,d'] W[d',h'] v[h'] - y[n])
    """
    aliases = dict(aliases or {})
    lets = _shared_names(expr, aliases)
    aliases.update({n: style.name(a) for n, a in lets.items()})
    main = _write(expr, style, aliases)
    if not lets:
        return main
    defs = [style.define(style.indexed(aliases[n], label_names(n.shape)), _write(n, style, aliases))
            for n in lets]
    return style.where(main, defs)


def _write(expr: Expr, style: Style, aliases) -> str:
    ctx = _Context(style, aliases)
    names = label_names(expr.shape)
    ctx.scope.update(names)
    text = _expand(expr, names, ctx)
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
    """
    return render(expr, TEXT)
