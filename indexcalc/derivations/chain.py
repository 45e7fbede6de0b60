"""``ic.explain(f, x)``: the chain rule, step by step, as a teacher writes it on the board.

The graph between ``x`` and ``f`` is cut at its *intermediates*: every named subexpression, every
non-linear node (``σ``, ``tanh``, ``softmax``, ``logsumexp``, ``⁻¹``, ``det``, powers) and the
argument of each, so a linear layer ``h_prev H + e I + b1`` is one intermediate (its derivative by
``H`` is the 3rd-order ``h_prev δ``) rather than a cascade of trivial steps. Unnamed intermediates
are called ``z1, z2, …`` (from ``x`` outward) in the explanation only.

Each step shows the local derivatives (order, shape, index form with their deltas), the chain as
one product *before* simplification (how it is contracted, which indices are summed), which deltas
collapse, and the simplified result in index notation and in matrix form. Scalar-valued ``f``
(and any ``f`` of order ≤ that of ``x``) is accumulated in reverse, from ``f`` inward; otherwise
forward, from ``x`` outward. :class:`indexcalc.derivations.records.Derivation` holds and prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable
from typing import Any

from ..core.algebra import add, delta_classes, fresh, inline, product
from .records import Derivation, LocalDerivative, Shown, Step
from ..calculus.derivatives import _wrt, grad
from ..calculus.forward import FORWARD, depends, identity_seed
from ..errors import IndexcalcError, LayoutError
from ..core.nodes import (Derivative, Apply, Concat, Constant, Delta, Det, Expr, Index, Inverse, LogDet, LogSumExp, Max,
                          Named, Product, Reshape, Scatter, Shared, Softmax, Sum, Tensor, TriMask)
from ..rendering.index_notation import TEXT, Style, label_names, product_label_names, render
from ..core.graph_walk import postorder
from ..core.nodes import MatrixFunction, Solve
from ..layouts.kronecker import to_kron
from ..layouts.matrix_layout import to_matrix
from ..rendering.latex_notation import LATEX, latex_name

#: How the explanation treats each node type (``NODE_TYPES``), ``type -> role``:
#: ``"leaf"`` has no children (the variable, or a constant); ``"linear"`` is passed through, its
#: local derivative folded into the step of the nearest intermediate above it; ``"nonlinear"``
#: is an intermediate, and so is its argument; ``"named"`` is an intermediate by its name.
#: Local derivatives come from the forward rules (:data:`FORWARD`), one row per type as well.
ROLES: dict[type, str] = {
    Tensor: "leaf", Constant: "leaf", Delta: "leaf", TriMask: "leaf",
    Product: "linear", Sum: "linear", Reshape: "linear", Shared: "linear", Derivative: "linear",
    Index: "linear", Scatter: "linear", Concat: "linear",
    Apply: "nonlinear", Softmax: "nonlinear", LogSumExp: "nonlinear", Max: "nonlinear",
    Inverse: "nonlinear",
    Det: "nonlinear", LogDet: "nonlinear",
    Named: "named",
    Solve: "nonlinear", MatrixFunction: "nonlinear",
}
NONLINEAR = tuple(t for t, role in ROLES.items() if role == "nonlinear")
DIRECTIONS = ("auto", "reverse", "forward")


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
        if role == "named" or (role == "nonlinear" and id(n) not in wrapped):
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

    for n in postorder([b]):
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


def _display_names(f: Expr, x: Tensor, cut: list[Expr]) -> _Names:
    taken = {n.name for n in postorder([f]) if isinstance(n, (Tensor, Named))}
    text: dict = {}
    k = 0
    for n in cut:
        if isinstance(n, (Tensor, Named)):
            text[n] = n.name
        elif n is f:
            text[n] = "f" if "f" not in taken else "F"
        else:
            k += 1
            while f"z{k}" in taken:
                k += 1
            text[n] = f"z{k}"
    return _Names(text, {n: latex_name(t) for n, t in text.items()})


def _partial(top: str, bottom: str, style: Style) -> str:
    if style is TEXT:
        return f"∂{top}/∂{bottom}"
    return rf"\left(\partial {top}/\partial {bottom}\right)"


# --------------------------------------------------------------------------- matrix forms

def _matrix(e: Expr, out_ndim: int, layout: str, vectors: str, names: list,
            normalized: tuple = ()) -> Shown | None:
    """The matrix form's text (see :func:`_matrix_form`)."""
    return _shown(_matrix_form(e, out_ndim, layout, vectors, names, normalized))


def _shown(form) -> Shown | None:
    if form is None or isinstance(form, Shown):
        return form
    return Shown(str(form), form.latex())


def _matrix_form(e: Expr, out_ndim: int, layout: str, vectors: str, names: list,
                 normalized: tuple = ()):
    """The ``MatrixForm`` of ``e`` (``to_kron`` above order 2), or a ``Shown`` saying why there
    is none."""
    try:
        if e.ndim <= 2:
            form = to_matrix(e, layout, vectors, out_ndim=out_ndim, names=names,
                             normalized=normalized)
        else:
            form = to_kron(e, layout, out_ndim=out_ndim, names=names)
    except LayoutError as err:
        return Shown(f"(none: {err})", r"\text{(none)}")
    return form


# --------------------------------------------------------------------------- the derivation

def _final_form(f: Expr, x: Tensor, result: Expr, layout: str, vectors: str, user: list,
                normalized: tuple):
    """The result's matrix form: as accumulated, or as ``ic.grad`` writes the same tensor
    (distributed: ``ŷ∘ŷ⁻¹`` cancels there), whichever reads shorter."""
    forms = [_matrix_form(result, f.ndim, layout, vectors, user, normalized)]
    if f.ndim == 0 and f is not x and isinstance(x, Tensor):
        forms.append(_matrix_form(grad(f, x), 0, layout, vectors, user, normalized))
    return min(forms, key=lambda m: (m is None or isinstance(m, Shown), len(str(m))))


def _user_names(names: Iterable[Expr]) -> list[Named]:
    names = [names] if isinstance(names, Expr) else list(names)
    for n in names:
        if not isinstance(n, Named):
            raise IndexcalcError(f"explain: names= takes named expressions "
                                 f"(ic.softmax(z).named('ŷ')), got {n!r:.60}")
    return names


def explain(f: Any, x: Any, layout: str = "denominator", vectors: str = "column",
            direction: str = "auto", *, names: Iterable[Expr] = (),
            normalized: Iterable[str] = ()) -> Derivation:
    """The derivative ``∂f/∂x`` derived step by step by the chain rule.

    Args:
        f: the expression differentiated.
        x: the variable (an ``ic.Tensor``).
        layout: ``"denominator"`` or ``"numerator"``, for the matrix forms.
        vectors: ``"column"`` or ``"row"``, for the matrix forms.
        direction: ``"reverse"`` (from ``f`` inward: ``∂f/∂z`` for each intermediate ``z``),
            ``"forward"`` (from ``x`` outward: ``∂z/∂x``), or ``"auto"``: reverse when ``f`` has
            no more axes than ``x``.
        names: named expressions that the matrix forms print by name wherever their definition
            occurs (``[ic.softmax(z).named("ŷ")]``), as in :func:`indexcalc.layouts.matrix_layout`.
        normalized: names of tensors known to sum to 1 (one-hot labels), as in
            :func:`indexcalc.layouts.matrix_layout`: ``Σ y`` is written 1 and the form notes it.

    Returns:
        a :class:`Derivation`: ``str()``, ``.latex()``, ``.steps`` and ``.result``.

    Examples:
        >>> import indexcalc as ic
        >>> W, v = ic.tensors("W[d,h] v[h]")
        >>> d = ic.explain(ic.sum(ic.tanh(W @ v)), v)
        >>> [(s.target, s.order) for s in d.steps]
        [('∂f/∂z2', 1), ('∂f/∂z1', 1), ('∂f/∂v', 1)]
        >>> print(d.steps[1].locals[0].index)
        ∂z2/∂z1[d,d'] = (1 - z2[d] z2[d]) δ[d,d']
        >>> print(d.steps[1].chain)
        ∂f/∂z1[d] = Σ_d' ∂f/∂z2[d'] (1 - z2[d'] z2[d']) δ[d',d]
        >>> d.steps[1].collapses[0].text
        "δ[d',d]: d' → d"
        >>> print(d.steps[2].index)
        ∂f/∂v[h] = Σ_d (1 - z2[d] z2[d]) W[d,h]
    """
    f, x = _wrt(f, x, "explain")
    user, normalized = _user_names(names), tuple(normalized)
    # strings only: ``in`` compares an array elementwise (NumPy's ambiguous truth value)
    if not isinstance(direction, str) or direction not in DIRECTIONS:
        raise IndexcalcError(f"explain: direction must be one of {DIRECTIONS}, got {direction!r}")
    if not (isinstance(layout, str) and isinstance(vectors, str)) or \
            layout not in ("denominator", "numerator") or vectors not in ("column", "row"):
        raise IndexcalcError(f"explain: layout must be 'denominator' or 'numerator' and vectors "
                             f"'column' or 'row', got {layout!r}, {vectors!r}")
    reverse = direction == "reverse" or (direction == "auto" and f.ndim <= x.ndim)
    dep = depends(f, x)
    cut = _intermediates(f, x, dep) if id(f) in dep else []
    names = _display_names(f, x, cut)
    ids = {id(n) for n in cut}
    inputs = {id(b): _inputs(b, ids, dep) for b in cut if b is not x}
    local = {(id(b), id(c)): _local(b, c, ids) for b in cut if b is not x for c in inputs[id(b)]}
    ctx = _Build(f, x, names, cut, layout, vectors, user, normalized)
    steps = ctx.chain(inputs, local, reverse)
    result = steps[-1].result if steps else (identity_seed(x)[0] if f is x else
                                              add([], f.shape + x.shape))
    final = ctx.show(result, (_partial(names.text.get(f, "f"), x.name, TEXT),
                              _partial(names.latex.get(f, "f"), names.latex[x], ctx.latex))) \
        if cut else ctx.show(result)
    # the final form writes explain's own intermediates by their names (z1, …), so a `where`
    # clause of its own cannot reuse those names for something else
    own = [Named(names.text[n], n) for n in cut
           if n is not f and n is not x and not isinstance(n, (Tensor, Named))]
    form = _final_form(f, x, result, layout, vectors, user + own, normalized)
    return Derivation(
        f=names.text.get(f, "f"), x=x.name, direction="reverse" if reverse else "forward",
        layout=layout, vectors=vectors,
        definitions=tuple(ctx.definition(n) for n in cut if n is not x), steps=tuple(steps),
        result=Derivative(result, f, x, f.ndim), index=final, full=str(result),
        matrix=_shown(form), matrix_form=None if isinstance(form, Shown) else form)


class _Build:
    """Builds the steps of one derivation (the names, styles and layout it shares)."""

    def __init__(self, f, x, names: _Names, cut, layout, vectors, user=(), normalized=()):
        self.f, self.x, self.names, self.cut = f, x, names, cut
        self.layout, self.vectors, self.latex = layout, vectors, LATEX
        self.user, self.normalized = list(user), tuple(normalized)
        self.acc: dict[int, Expr] = {}
        self.markers: dict[Expr, Shown] = {}

    def aliases(self, style: Style) -> dict:
        table = self.names.text if style is TEXT else self.names.latex
        out = {n: t for n, t in table.items() if not isinstance(n, (Tensor, Named))}
        out.update({m: (s.text if style is TEXT else s.latex) for m, s in self.markers.items()})
        return out

    def show(self, e: Expr, lhs: tuple[str, str] | None = None) -> Shown:
        """``e`` in both styles, intermediates by name, as ``lhs[idx] = …`` when given."""
        texts = []
        for style, head in ((TEXT, lhs and lhs[0]), (self.latex, lhs and lhs[1])):
            body = render(e, style, self.aliases(style))
            texts.append(f"{style.indexed(head, label_names(e.shape))} = {body}" if head else body)
        return Shown(*texts)

    def definition(self, n: Expr) -> tuple[str, Shown]:
        """``z1[nh] = …`` (a named node is defined by its argument)."""
        body = n.arg if isinstance(n, Named) else n
        return self.names.text[n], self.show(body, (self.names.text[n], self.names.latex[n]))

    def _marker(self, top: Expr, bottom: Expr, value: Expr) -> Expr:
        t, b = self.names.text[top], self.names.text[bottom]
        m = Named(f"∂{t}/∂{b}", value)
        self.markers[m] = Shown(_partial(t, b, TEXT),
                                _partial(self.names.latex[top], self.names.latex[bottom], self.latex))
        return m

    def _local_record(self, b: Expr, c: Expr, L: Expr) -> LocalDerivative:
        of, by = self.names.text[b], self.names.text[c]
        lhs = (_partial(of, by, TEXT), _partial(self.names.latex[b], self.names.latex[c], self.latex))
        return LocalDerivative(of, by, L.ndim, L.shape, L, self.show(L, lhs))

    def _step(self, node: Expr, top: Expr, bottom: Expr, out_ndim: int, locals_: list,
              raws: list, terms: list) -> Step:
        shape = raws[0].shape
        result = add([(1.0, t) for t in terms], shape)
        raw = raws[0] if len(raws) == 1 else Sum(tuple((1.0, r) for r in raws), shape)
        t, b = self.names.text[top], self.names.text[bottom]
        lhs = (_partial(t, b, TEXT), _partial(self.names.latex[top], self.names.latex[bottom], self.latex))
        summed = []
        for r in raws:
            names = product_label_names(r)
            summed += [names[l] for l in range(len(r.dims)) if l not in r.out]
        collapses = [Shown(a, b) for r in raws for a, b in zip(_collapses(r, TEXT),
                                                               _collapses(r, self.latex))]
        names_for_matrix = self.user + [Named(self.names.text[n], n) for n in self.cut
                                        if not isinstance(n, (Tensor, Named))]
        return Step(self.names.text[node], lhs[0], result.ndim, result.shape, tuple(locals_),
                    self.show(raw, lhs), tuple(dict.fromkeys(summed)), tuple(collapses), result,
                    self.show(result, lhs),
                    _matrix(result, out_ndim, self.layout, self.vectors, names_for_matrix,
                            self.normalized))

    def chain(self, inputs: dict, local: dict, reverse: bool) -> list[Step]:
        """The steps of the accumulation: forward, ``∂b/∂x`` for each intermediate from ``x``
        outward; reverse, ``∂f/∂c`` for each from ``f`` inward.

        Reverse accumulation is forward accumulation read right to left: ``cat`` joins every
        label tuple and factor list in the direction's order, so one loop writes both.
        """
        def cat(*parts):
            return sum(reversed(parts) if reverse else parts, parts[0][:0])

        end = self.f if reverse else self.x  # the fixed end of every accumulated derivative
        E = tuple(fresh() for _ in end.shape)
        if reverse:
            parents: dict[int, list] = {}
            for b in self.cut:
                for c in inputs.get(id(b), []):
                    parents.setdefault(id(c), []).append(b)
            todo = [(c, parents.get(id(c), [])) for c in reversed(self.cut[:-1])]
        else:
            todo = [(b, inputs[id(b)]) for b in self.cut[1:]]
        steps = []
        for node, links in todo:
            locals_, raws, terms = [], [], []
            N = tuple(fresh() for _ in node.shape)
            out = cat(N, E)
            for other in links:
                b, c = cat((node,), (other,))
                L = local[(id(b), id(c))]
                locals_.append(self._local_record(b, c, L))
                if other is end:
                    raws.append(_raw([(L, out)], out, dict(zip(out, cat(node.shape, end.shape)))))
                    terms.append(L)
                    continue
                O = tuple(fresh() for _ in other.shape)
                dims = dict(zip(cat(N, O, E), cat(node.shape, other.shape, end.shape)))
                acc = self.acc[id(other)]
                marker = self._marker(*cat((other,), (end,)), acc)
                raws.append(_raw(cat([(L, cat(N, O))], [(marker, cat(O, E))]), out, dims))
                terms.append(product(cat([(L, cat(N, O))], [(acc, cat(O, E))]), out, dims))
            top, bottom = cat((node,), (end,))
            step = self._step(node, top, bottom, top.ndim, locals_, raws, terms)
            self.acc[id(node)] = step.result
            steps.append(step)
        return steps
