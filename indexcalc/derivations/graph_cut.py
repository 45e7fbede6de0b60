"""Where ``ic.explain`` cuts the graph and what one step is made of: the intermediates (by the
role of each node type), the inputs of each, their local derivatives, the raw chain product with
its deltas and the names everything prints by. :mod:`indexcalc.derivations.chain` builds the
steps from these.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.algebra import delta_classes, inline
from ..calculus.forward import FORWARD, identity_seed
from ..core.nodes import (Derivative, Apply, Concat, Constant, Decomposition, Delta, Det, Expr,
                          Index, Inverse, LogDet, LogSumExp, MatrixFunction, Max, Named, Product,
                          Reshape, Scan, Scatter, Shared, Softmax, Solve, Sum, Tensor, TriMask)
from ..core.graph_walk import postorder
from ..rendering.index_notation import TEXT, Style, product_label_names
from ..rendering.latex_notation import latex_name

#: How the explanation treats each node type (``NODE_TYPES``), ``type -> role``:
#: ``"leaf"`` has no children (the variable, or a constant); ``"linear"`` is passed through, its
#: local derivative folded into the step of the nearest intermediate above it; ``"nonlinear"``
#: is an intermediate, and so is its argument; ``"named"`` is an intermediate by its name;
#: ``"recurrence"`` (a scan) is an intermediate, differentiated in reverse through time (BPTT).
#: Local derivatives come from the forward rules (:data:`FORWARD`), one row per type as well.
ROLES: dict[type, str] = {
    Tensor: "leaf", Constant: "leaf", Delta: "leaf", TriMask: "leaf",
    Product: "linear", Sum: "linear", Reshape: "linear", Shared: "linear", Derivative: "linear",
    Index: "linear", Scatter: "linear", Concat: "linear",
    Apply: "nonlinear", Softmax: "nonlinear", LogSumExp: "nonlinear", Max: "nonlinear",
    Inverse: "nonlinear",
    Det: "nonlinear", LogDet: "nonlinear",
    Named: "named",
    Decomposition: "nonlinear",
    Solve: "nonlinear", MatrixFunction: "nonlinear",
    Scan: "recurrence",
}
NONLINEAR = tuple(t for t, role in ROLES.items() if role == "nonlinear")


# --------------------------------------------------------------------------- the graph's cut

def _unshared(e: Expr) -> Expr:
    while isinstance(e, (Shared, Derivative)):
        e = e.arg
    return e


def _intermediates(f: Expr, x: Tensor, dep: set[int]) -> list[Expr]:
    """The nodes the explanation names, children before parents (x first, f last)."""
    nodes = [n for n in postorder([f]) if id(n) in dep]
    wrapped = {id(n.arg) for n in nodes if isinstance(n, Named)}
    cut: set[int] = {id(x), id(f)}
    for n in nodes:
        inner = n.arg if isinstance(n, Named) else n
        role = ROLES[type(n)]
        if role in ("named", "recurrence") or (role == "nonlinear" and id(n) not in wrapped):
            cut.add(id(n))
        if ROLES[type(inner)] == "nonlinear":  # its arguments (a solve has two)
            cut.update(id(_unshared(c)) for c in inner.children() if id(_unshared(c)) in dep)
    return [n for n in nodes if id(n) in cut]


def _inputs(b: Expr, cut: set[int], dep: set[int]) -> list[Expr]:
    """The intermediates ``b`` is computed from directly (through linear, unnamed nodes)."""
    found: list[Expr] = []
    seen: set[int] = set()
    stack = list(reversed(b.children()))
    while stack:
        n = stack.pop()
        if id(n) in seen or id(n) not in dep:
            continue
        seen.add(id(n))
        if id(n) in cut:
            found.append(n)
        else:
            stack.extend(reversed(n.children()))
    return found


def _local(b: Expr, c: Expr, cut: set[int]) -> Expr:
    """``∂b/∂c`` with every other intermediate held fixed (the forward rules, seeded at c)."""
    seed, E = identity_seed(c)
    tangents = {id(c): seed}

    def tan(n: Expr) -> Expr | None:
        return tangents.get(id(n))

    def kids(n: Expr) -> tuple:  # the walk stops at the other intermediates: a step costs its own size
        return () if n is c or (id(n) in cut and n is not b) else n.children()

    for n in postorder([b], kids):
        if n is c or (id(n) in cut and n is not b):
            continue
        if any(id(k) in tangents for k in n.children()):
            tangents[id(n)] = FORWARD[type(n)](n, tan, E)
    return tangents[id(b)]


def _raw(parts: list, out: tuple, dims: dict) -> Product:
    """The product of ``parts`` *without* simplification; inner products are inlined so that
    their deltas stand as factors of the chain."""
    factors: list = []
    coef = 1.0
    dims = dict(dims)
    for e, ls in parts:
        if isinstance(e, Sum) and len(e.terms) == 1:  # c·t: the coefficient joins the product's
            coef *= e.terms[0][0]
            e = e.terms[0][1]
        if isinstance(e, Product):
            coef *= e.coef
            factors += inline(e, ls, dims)[0]
        else:
            factors.append((e, tuple(ls)))
    return Product(coef, tuple(factors), tuple(out), dims)


def _collapses(p: Product, style: Style) -> list[str]:
    """Which deltas of the raw product ``p`` meet a summed index, and the renaming that removes
    them (as :func:`indexcalc.core.algebra.product` does)."""
    names = product_label_names(p)
    root, _ = delta_classes(p.factors)
    classes: dict[int, list] = {}
    for g, ls in p.factors:
        if isinstance(g, Delta):
            classes.setdefault(root[ls[0]], []).append(ls)
    lines = []
    arrow = " → " if style is TEXT else r" \to "
    for group in classes.values():
        members = list(dict.fromkeys(l for ls in group for l in ls))
        free = [l for l in p.out if l in members]
        summed = [l for l in members if l not in p.out]
        shown = " ".join(style.delta([names[l] for l in ls]) for ls in group)
        if not summed:
            lines.append(f"{shown} stays" + (" (a diagonal of the result)" if style is TEXT
                                              else r"\ \text{(a diagonal of the result)}"))
            continue
        rep = free[0] if free else summed[0]
        renames = ", ".join(f"{names[l]}{arrow}{names[rep]}" for l in summed if l != rep)
        lines.append(f"{shown}: {renames}" if renames else shown)
    return lines


# --------------------------------------------------------------------------- naming

@dataclass(frozen=True)
class _Names:
    text: dict
    latex: dict

    def of(self, e: Expr) -> str:
        return self.text[e]


def _display_names(f: Expr, x: Tensor, cut: list[Expr], user: list = ()) -> _Names:
    """Each intermediate's name: its own (a tensor, a named node), the one ``names=`` gives its
    definition, or ``z1, z2, …`` from ``x`` outward."""
    taken = {n.name for n in postorder([f]) if isinstance(n, (Tensor, Named))}
    given = {id(u.arg): u.name for u in user}
    taken |= set(given.values())
    text: dict = {}
    k = 0
    for n in cut:
        if isinstance(n, (Tensor, Named)):
            text[n] = n.name
        elif id(n) in given:
            text[n] = given[id(n)]
        elif n is f:
            text[n] = "f" if "f" not in taken else "F"
        else:
            k += 1
            while f"z{k}" in taken:
                k += 1
            text[n] = f"z{k}"
    return _Names(text, {n: latex_name(t) for n, t in text.items()})


def _partial(top: str, bottom: str, style: Style, d: str = "∂") -> str:
    """``∂top/∂bottom`` (a local, partial derivative) or, with ``d="d"``, ``dtop/dbottom`` (a
    total derivative: through every path, as the chain rule accumulates it)."""
    if style is TEXT:
        return f"{d}{top}/{d}{bottom}"
    sym = r"\partial" if d == "∂" else r"\mathrm{d}"
    return rf"\left({sym} {top}/{sym} {bottom}\right)"
