"""One printing rule per node type, for :mod:`indexcalc.rendering.index_notation`.

A rule is ``(node, index names, context) -> (pieces, bound names)``: it writes the node *at* the
given index names; a piece is text or ``(child, the child's index names)``, which the printer
expands later (never by recursion). Names a rule binds (``Σ_d``) stay in scope for its pieces, so
nested sums pick names distinct from every index around them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from ..core.dims import format_shape
from ..core.nodes import DECOMPOSITION_CALLS, Decomposition
from ..core.nodes import (Derivative, Apply, Concat, Constant, Delta, Det, Expr, Index, Inverse, LogDet, LogSumExp, Max,
                          Named, Product, Reshape, Scatter, Shared, Softmax, Sum, Tensor, TriMask,
                          format_spec, MatrixFunction, Solve)
from ..core.matrix_functions import matrix_function
from ..formula.index_reader import named_dimension
from ..core.nodes import Scan
from .recurrence_rules import scan_rule

if TYPE_CHECKING:
    from .index_notation import Style

_LETTERS = "ijklmpqrstuvwxyzabcefg"

def pick_name(dim, taken, hints: dict | None = None, reserved=frozenset()) -> str:
    """A readable index name for a label of dimension ``dim`` that is not in ``taken``.

    ``hints`` (base name → a subscript below which every ``base_k`` is taken) lets a printer
    that binds thousands of nested names of one dimension find the next in O(1) amortized; the
    caller keeps it true (:class:`_Context` lowers it when it releases a name). ``reserved``: the
    dimension names of the text's tensors; a name the reader would take for another dimension
    (``i`` of size 3 where a tensor has a dimension ``i``: ``named_dimension``) is never picked.

    Examples:
        >>> pick_name("d", {"d"}), pick_name("d", {"d", "d'", "d''"}), pick_name(3, {"i"})
        ("d'", 'd_3', 'j')
        >>> taken = {"h", "h'", "h''"}
        >>> pick_name(3, set(), reserved={"i", "j"}), pick_name("h", taken, None, {"h", "h_3"})
        ('k', 'h_4')
    """
    def fits(name: str) -> bool:
        return not reserved or named_dimension(name, reserved) in (None, dim)

    # a dimension named None: x[None] is a new axis to the reader, never an index
    base = dim if isinstance(dim, str) and dim.isidentifier() and dim != "None" else None
    if base is None:
        free = next((c for c in _LETTERS if c not in taken and fits(c)), None)
        if free is not None:
            return free
        base = next((c for c in _LETTERS if fits(c)), "ix")
        while not fits(base):
            base += "x"
    for name in (base, base + "'", base + "''"):
        if name not in taken and fits(name):
            return name
    k = 3 if hints is None else max(3, hints.get(base, 3))
    while f"{base}_{k}" in taken or not fits(f"{base}_{k}"):
        k += 1
    if hints is not None:
        hints[base] = k
    return f"{base}_{k}"


def by_name(dim, reserved) -> bool:
    """Whether an index of ``dim`` is named after it (``pick_name``), so that the reader, given
    tensors of the ``reserved`` dimensions, sizes it by its name where nothing else does."""
    return isinstance(dim, str) and dim.isidentifier() and dim != "None" and dim in reserved


def sized_name(name: str, dim) -> str:
    """An index name with its size, as a binder declares it: ``i∈[3]``, ``k∈[2*b]``."""
    return f"{name}∈[{dim}]"


class _Context:
    """One printing: the style, the names in scope, aliases, and which free names were written."""

    def __init__(self, style: Style, aliases: Mapping[Expr, str], sized: bool = False,
                 reserved=frozenset()):
        self.style = style
        self.aliases = aliases
        #: the dimension names of the printed tensors: no index of another size is named so
        self.reserved = reserved
        #: every index bound so far is of one of those dimensions, so the reader sizes it by its
        #: name at worst (h, h', h_3): the text cannot lack a size (``to_index_notation``)
        self.named = True
        #: write each bound name with its size, ``i∈[3]`` (the printer then keeps those the
        #: reader needs: :func:`~indexcalc.rendering.index_notation.to_index_notation`)
        self.sized = sized
        self.dim_of: dict[str, object] = {}
        self.uses: Counter = Counter()   # how often each name was written at a value
        self.uses_at_bind: dict[str, int] = {}
        #: a name was bound that nothing under its binder is written at (``Σ_k c``, ``j ↦ s``):
        #: the text may hold no size for it (``to_index_notation`` then reads it to find out)
        self.unused = False
        self.scope: Counter = Counter()
        self.mentioned: set[str] = set()
        # each binding of a name (bound, or free in this printing) is a class of a union-find:
        # written at a value with a shape (a tensor, a listed constant, a where name) it is
        # sized; δ joins its indices' classes. Every class sized: the text holds every size
        self._binding: dict[str, int] = {}
        self._parent: list[int] = []
        self._sized: set[int] = set()
        # base → k with every base_j (3 ≤ j < k) in scope: deep nests of one dimension bind
        # h_3, h_4, …, h_5000 and must not rescan them all (quadratic printing)
        self.hints: dict[str, int] = {}
        self.subscripts: dict[str, tuple[str, int]] = {}

    def bind(self, dims) -> list[str]:
        names = []
        for d in dims:
            n = pick_name(d, self.scope, self.hints, self.reserved)
            self.named = self.named and by_name(d, self.reserved)
            self.scope[n] += 1
            self.open([n])
            self.dim_of[n] = d
            self.uses_at_bind[n] = self.uses[n]
            base, _, k = n.rpartition("_")
            if k.isdigit() and self.hints.get(base) == int(k):
                self.subscripts[n] = (base, int(k))
                self.hints[base] = int(k) + 1
            names.append(n)
        return names

    def release(self, names) -> None:
        for n in names:
            if self.uses[n] == self.uses_at_bind.get(n):
                self.unused = True
            self.scope[n] -= 1
            if not self.scope[n]:
                del self.scope[n]
                if n in self.subscripts:
                    base, k = self.subscripts[n]
                    self.hints[base] = min(self.hints.get(base, k), k)

    def binders(self, names) -> list[str]:
        """``names`` as a binder writes them: with their sizes when the printing is sized."""
        return [sized_name(n, self.dim_of[n]) for n in names] if self.sized else list(names)

    def idx(self, names) -> list[str]:
        """``names`` written at a value that gives them no size (``1[i]``, a mask, a whole with
        indices of its own, ``(p,q ↦ …)⁻¹``)."""
        self.mentioned.update(names)
        self.uses.update(names)
        return list(names)

    def open(self, names) -> None:
        """New bindings of ``names`` (bound here, or the free names of a printing)."""
        for n in names:
            self._binding[n] = len(self._parent)
            self._parent.append(len(self._parent))

    def _root(self, k: int) -> int:
        while self._parent[k] != k:
            self._parent[k] = k = self._parent[self._parent[k]]
        return k

    def sizing(self, names) -> list[str]:
        """``names`` written at a value whose shape the text gives (a tensor, ``A⁻¹``, ``z1``)."""
        self._sized.update(self._binding[n] for n in names if n in self._binding)
        return self.idx(names)

    def tie(self, names) -> list[str]:
        """``names`` written at ``δ``: one size, whichever of them has it."""
        ks = [self._root(self._binding[n]) for n in names if n in self._binding]
        for k in ks[1:]:
            self._parent[k] = ks[0]
        return self.idx(names)

    def all_sized(self) -> bool:
        """Whether every binding meets a value with a shape, itself or through ``δ``: then
        the reader sizes every index (``to_index_notation`` reads nothing back)."""
        sized = {self._root(k) for k in self._sized}
        return all(self._root(k) in sized for k in range(len(self._parent)))


def _unshared(node: Expr) -> Expr:
    while isinstance(node, (Shared, Derivative)):
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
        sizes = sum(1 for l in range(len(node.dims)) if l not in node.out)
        if not node.factors and node.coef >= 0 and sizes + (node.coef != 1.0) <= 1:
            return "atom"  # one number or one size (several, ``m n``, are juxtaposed)
        summed = any(l not in node.out for _, ls in node.factors for l in ls)
        return "loose" if summed or node.coef != 1.0 else "juxt"
    if isinstance(node, Apply) and node.fn == "power":
        return "power"
    if isinstance(node, Solve):  # Σ_j A⁻¹[i,j] B[j,k]
        return "loose"
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


def _tensor(node, names, ctx):
    return [ctx.style.indexed(ctx.style.name(node.name), ctx.sizing(names))], ()


def _constant(node, names, ctx):
    s, v = ctx.style, node.value
    if node.name:
        return [s.indexed(s.name(node.name), ctx.sizing(names))], ()
    if v.ndim == 0:
        return [s.number(float(v))], ()
    if not v.size or np.all(v == v.flat[0]):  # the same value at every index
        c = float(v.flat[0]) if v.size else 0.0   # empty: [[],[]] would lose its last axes

        return [s.ones(ctx.idx(names)) if c == 1.0 else s.indexed(s.number(c), ctx.idx(names))], ()
    return [s.indexed(s.array(v), ctx.sizing(names))], ()


def _labels(node: Product, names, ctx) -> tuple[dict, list]:
    """Each label's index name: output labels take ``names``, summed ones are bound fresh."""
    label = dict(zip(node.out, names))
    used = {l for _, ls in node.factors for l in ls}
    summed = [l for l in range(len(node.dims)) if l not in node.out and l in used]
    bound = ctx.bind([node.dims[l] for l in summed])
    label.update(zip(summed, bound))
    return label, bound


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
        parts.append(s.sigma(ctx.binders(bound)))
    for f, ls in node.factors:
        parts += _child(f, [label[l] for l in ls], ctx, ("loose",)) + [s.times]
    for l in sizes:
        parts += [s.size(node.dims[l]), s.times]
    return parts[:-1], bound


def _sum(node: Sum, names, ctx):
    if not node.terms:
        return ["0"], ()
    parts: list = []
    terms = list(node.terms)
    lead = next((i for i, (c, t) in enumerate(terms) if c > 0 and not _signed(t)), 0)
    terms[:lead + 1] = terms[lead:lead + 1] + terms[:lead]  # ŷ − y, not −y + ŷ: as matrix forms
    for i, (c, t) in enumerate(terms):
        if i:
            parts.append(" - " if c < 0 else " + ")
        elif c < 0:
            parts.append("-")
        if abs(c) != 1.0:
            parts += [ctx.style.number(abs(c)), ctx.style.times]
        parts += _child(t, names, ctx, ("signed",) if (i or c < 0 or abs(c) != 1.0) else ())
    return parts, ()


def _apply(node: Apply, names, ctx):
    if node.fn == "rpow":  # b^x[i]: the base first
        start, end = ctx.style.base_power(node.param)
        return [start, (node.arg, tuple(names)), end], ()
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
    return [",".join(ctx.binders(bound)) + ctx.style.mapsto, (arg, tuple(bound))], bound


def _softmax(node: Softmax, names, ctx):
    axis = names[node.axis]
    if list(names).count(axis) == 1:
        ctx.mentioned.add(axis)   # named, not written at a value: softmax_j(1) sizes no j
        start, end = ctx.style.call("softmax", [axis])
        return [start, (node.arg, tuple(names)), end], ()
    body, bound = _closed(node.arg, ctx)
    start, end = ctx.style.call("softmax")
    return [start] + body + [f", axis={node.axis}", end + ctx.style.indexed("", ctx.idx(names))], bound


def _reduction(name: str):
    """The rule of a reduction over ``node.axes`` (logsumexp, max): its bound letters are the
    reduced axes' and the call carries them."""
    def rule(node: LogSumExp | Max, names, ctx):
        bound = ctx.bind([node.arg.shape[a] for a in node.axes])
        it, ib = iter(names), iter(bound)
        inner = tuple(next(ib) if a in node.axes else next(it) for a in range(node.arg.ndim))
        start, end = ctx.style.call(name, ctx.binders(bound))
        return [start, (node.arg, inner), end], bound
    return rule


def _inverse(node: Inverse, names, ctx):
    body, bound = _closed(node.arg, ctx)
    s = ctx.style
    if not bound:
        return [s.indexed(body[0] + s.inverse, ctx.sizing(names))], ()
    return [s.open] + body + [s.close, s.indexed(s.inverse, ctx.idx(names))], bound


def _det(log: bool):
    def render(node, names, ctx):
        body, bound = _closed(node.arg, ctx)
        start, end = ctx.style.logdet() if log else ctx.style.call("det")
        if names:  # one per matrix of a stack: indexed by the leading axes
            end += ctx.style.indexed("", ctx.idx(names))
        return [start] + body + [end], bound
    return render


def _reshape(node: Reshape, names, ctx):
    body, bound = _closed(node.arg, ctx)
    start, end = ctx.style.call("reshape")
    shape = "(" + ",".join(map(str, node.shape)) + ("," if len(node.shape) == 1 else "") + ")"
    return [start] + body + [", " + shape, end + ctx.style.indexed("", ctx.sizing(names))], bound


def _atom(s: str) -> str:
    """Parenthesize a whole-tensor text unless it is a single token."""
    return s if s.replace("_", "").replace("'", "").isalnum() else f"({s})"


def _whole(printer: Callable) -> Callable:
    """A rule for a node written as a whole tensor, then indexed: ``x[1:3][i]``.

    ``printer(node, sub, style) -> str``: ``sub(child)`` stands for the child as a whole tensor
    (its name, or ``p,q ↦ …`` with indices of its own).
    """
    def rule(node: Expr, names, ctx: _Context):
        children: list[Expr] = []

        def sub(child: Expr) -> str:
            c = _unshared(child)
            if c in ctx.aliases:
                return ctx.aliases[c]
            if isinstance(c, (Tensor, Named)):
                return ctx.style.name(c.name)
            children.append(child)
            return f"\x00{len(children) - 1}\x00"  # replaced by the child's pieces below

        text = printer(node, sub, ctx.style)
        pieces: list = []
        bound: list[str] = []
        for k, part in enumerate(re.split("\x00(\\d+)\x00", text)):
            if k % 2 == 0:
                pieces += [part] if part else []
                continue
            child = children[int(part)]
            b = ctx.bind(child.shape)
            bound += b
            pieces += ([",".join(ctx.binders(b)) + ctx.style.mapsto] if b else []) + \
                [(child, tuple(b))]
        # a whole of names only has the shape the text gives (a mask's comes from its indices)
        at = ctx.sizing if not bound and not isinstance(node, TriMask) else ctx.idx
        pieces.append(ctx.style.indexed("", at(names)))
        return pieces, bound
    return rule


def _index(node: Index, sub, style: Style) -> str:
    return f"{_atom(sub(node.arg))}[{format_spec(node.spec, node.arg.shape)}]"


def _scatter(node: Scatter, sub, style: Style) -> str:
    start, end = style.call("scatter")
    where = format_spec(node.spec, node.shape)
    return f"{start}{sub(node.arg)} at [{where}] of {format_shape(node.shape)}{end}"


def _concat(node: Concat, sub, style: Style) -> str:
    start, end = style.call("concatenate")
    return f"{start}{', '.join(sub(p) for p in node.parts)}; axis={node.axis}{end}"


def _trimask(node: TriMask, sub, style: Style) -> str:
    start, end = style.call("triu" if node.upper else "tril")
    return f"{start}1{f', k={node.k}' if node.k else ''}{end}"


def _decomposition(node: Decomposition, sub, style: Style) -> str:
    start, end = style.call(DECOMPOSITION_CALLS[(node.kind, node.part)])
    return f"{start}{sub(node.arg)}{end}"


def _solve(node: Solve, names, ctx):
    """A solve in its textbook form, the inverse it stands for: ``Σ_j A⁻¹[i,j] B[j,k]``."""
    nb = node.a.ndim - 2
    (j,) = ctx.bind([node.a.shape[-1]])
    batch = tuple(names[:nb])
    a, at = node.a, (names[nb], j)
    if isinstance(a, Product) and len(a.factors) == 1 and a.coef == 1.0 and a.ndim == 2 \
            and a.factors[0][1] == a.out[::-1]:  # solve(Aᵀ, B): A⁻¹[j,i] B[j,k]
        a, at = a.factors[0][0], (j, names[nb])
    inverse = [(Inverse(a), batch + at)]
    return [ctx.style.sigma(ctx.binders([j]))] + inverse + [ctx.style.times] + \
        _child(node.b, batch + (j,) + tuple(names[nb + 1:]), ctx, ("loose",)), [j]


def _matrix_function(node: MatrixFunction, names, ctx):
    """``expm(A)[i,j]``; the Fréchet derivative ``L_exp(A, p,q ↦ E[p,q,r])[i,j]``."""
    row = matrix_function(node.fn)
    body, bound = _closed(node.arg, ctx)
    if node.direction is None:
        start, end = ctx.style.call(row.text)
        at = ctx.idx if bound else ctx.sizing   # expm(A)[i,j]: A's shape
        return [start] + body + [end + ctx.style.indexed("", at(names))], bound
    start, end = ctx.style.call(row.frechet_text)
    p, q = ctx.bind(node.shape[:2])
    direction = [", " + ",".join(ctx.binders((p, q))) + ctx.style.mapsto,
                 (node.direction, (p, q) + tuple(ctx.idx(names[2:])))]
    return [start] + body + direction + [end + ctx.style.indexed("", ctx.idx(names[:2]))], \
        list(bound) + [p, q]


#: One printing rule per node type (``NODE_TYPES``), for text and LaTeX alike (the style differs):
#: ``(node, index names, context) -> (pieces, bound names)``; a piece is text or
#: ``(child, its index names)``.
RULES: dict[type, Callable] = {
    Tensor: _tensor,
    Named: _tensor,
    Constant: _constant,
    Delta: lambda node, names, ctx: ([ctx.style.delta(ctx.tie(names))], ()),
    Product: _product,
    Sum: _sum,
    Apply: _apply,
    Softmax: _softmax,
    LogSumExp: _reduction("logsumexp"),
    Max: _reduction("max"),
    Inverse: _inverse,
    Det: _det(False),
    LogDet: _det(True),
    Reshape: _reshape,
    Shared: lambda node, names, ctx: ([(node.arg, tuple(names))], ()),
    Derivative: lambda node, names, ctx: ([(node.arg, tuple(names))], ()),
    Index: _whole(_index),
    Scatter: _whole(_scatter),
    Concat: _whole(_concat),
    TriMask: _whole(_trimask),
    Decomposition: _whole(_decomposition),
    Solve: _solve,
    MatrixFunction: _matrix_function,
    Scan: scan_rule,
}
