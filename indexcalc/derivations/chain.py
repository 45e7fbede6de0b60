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

from collections.abc import Iterable
from typing import Any

from ..core.algebra import add, fresh, product
from ..core.elementwise import RULES as ELEMENTWISE_RULES
from .display import LatexNames, Without, assume_normalized, by_value_table, for_display, placeholder
from .expansion import expanded as _expanded
from .graph_cut import (_Names, _collapses, _display_names, _inputs, _intermediates, _local, _partial,
                        _raw, _unshared)
from .readings import contraction_reading, d_vec, devec_line, form_of, kron_reading, label, matrix_line
from .records import Derivation, LocalDerivative, Shown, Step
from ..calculus.derivatives import _wrt, grad
from ..calculus.named_variables import restore
from ..calculus.forward import depends, identity_seed
from ..calculus.reverse import REVERSE
from ..errors import IndexcalcError
from ..core.nodes import Apply, Derivative, Expr, Named, Scan, Shared, Sum, Tensor
from ..rendering.index_notation import TEXT, Style, label_names, product_label_names, render
from ..core.graph_walk import postorder, tensors_of
from ..core.rebuild import REBUILD
from ..layouts.matrix_layout import unknown_names
from ..layouts.product_reading import assumption_note
from ..layouts.form_text import latex_name as form_latex_name
from ..rendering.latex_notation import LATEX, latex_name

DIRECTIONS = ("auto", "reverse", "forward")

#: A step's result longer than this (characters of index notation) is written through the
#: previous step's name (``dJ/dz2``) instead of in full: every line stays short, and a deep
#: graph's explanation grows linearly with its depth instead of quadratically.
INLINE_UP_TO = 160


# --------------------------------------------------------------------------- the derivation

def _final_form(f: Expr, x: Tensor, result: Expr, options: dict, user: list,
                named_x: Named | None = None):
    """The result's matrix form: as accumulated, or as ``ic.grad`` writes the same tensor
    (distributed: ``ŷ∘ŷ⁻¹`` cancels there), whichever reads shorter."""
    forms = [form_of(result, f.ndim, options, user)[0]]
    if f.ndim == 0 and f is not x and isinstance(x, Tensor):
        g = grad(f, x) if named_x is None else restore(grad(f, x), x, named_x)
        forms.append(form_of(g, 0, options, user)[0])
    forms = [m for m in forms if m is not None]
    return min(forms, key=lambda m: len(str(m))) if forms else None


def _user_names(names: Iterable[Expr]) -> list[Named]:
    names = [names] if isinstance(names, Expr) else list(names)
    for n in names:
        if not isinstance(n, Named):
            raise IndexcalcError(f"explain: names= takes named expressions "
                                 f"(ic.softmax(z).named('ŷ')), got {n!r:.60}")
    return names


def _options(layout, vectors, vec, normalized) -> dict:
    # strings only: ``in`` compares an array elementwise (NumPy's ambiguous truth value)
    for what, value, allowed in (("layout", layout, ("denominator", "numerator")),
                                 ("vectors", vectors, ("column", "row")),
                                 ("vec", vec, ("col", "row"))):
        if not isinstance(value, str) or value not in allowed:
            raise IndexcalcError(f"explain: {what} must be one of {allowed}, got {value!r:.60}")
    normalized = (normalized,) if isinstance(normalized, str) else tuple(normalized)
    if not all(isinstance(n, str) for n in normalized):
        raise IndexcalcError(f"explain: normalized= takes tensor names (normalized=['y']), "
                             f"got {normalized!r:.60}")
    return dict(layout=layout, vectors=vectors, vec=vec, normalized=normalized)


def explain(f: Any, x: Any, layout: str = "denominator", vectors: str = "column",
            direction: str = "auto", *, vec: str = "col", names: Iterable[Expr] = (),
            normalized: Iterable[str] = ()) -> Derivation:
    """The derivative ``∂f/∂x`` derived step by step by the chain rule.

    Local derivatives (one node by one input, the others held fixed) are partial, ``∂z2/∂z1``;
    the derivatives the chain accumulates (through every path) are total, ``df/dz1``. Every
    formula names the intermediates (``z1``, ``h``) and earlier results (``df/dz2``) by name,
    with the same names in index and matrix lines.

    Args:
        f: the expression differentiated.
        x: the variable (an ``ic.Tensor``, or a named intermediate ``expr.named("H")``: the
            derivative by it, as if it were a variable).
        layout: ``"denominator"`` or ``"numerator"``, for the matrix forms.
        vectors: ``"column"`` or ``"row"``, for the matrix forms.
        direction: ``"reverse"`` (from ``f`` inward: ``df/dz`` for each intermediate ``z``),
            ``"forward"`` (from ``x`` outward: ``dz/dx``), or ``"auto"``: reverse when ``f`` has
            no more axes than ``x``.
        vec: ``"col"`` or ``"row"``: the vec order of the Kronecker forms (derivatives of order
            above 2), as in :func:`indexcalc.layouts.kronecker.to_kron`.
        names: named expressions that the forms print by name wherever their definition
            occurs (``[ic.softmax(z).named("ŷ")]``), as in :func:`indexcalc.layouts.matrix_layout`.
        normalized: names of tensors known to sum to 1 (one-hot labels), as in
            :func:`indexcalc.layouts.matrix_layout`: ``Σ y`` is written 1 and the notes say so.

    Returns:
        a :class:`Derivation`: ``str()``, ``.latex()``, ``.steps`` and ``.result``.

    Examples:
        >>> import indexcalc as ic
        >>> W, v = ic.tensors("W[d,h] v[h]")
        >>> d = ic.explain(ic.sum(ic.tanh(W @ v)), v)
        >>> [(s.target, s.order) for s in d.steps]
        [('df/dz2', 1), ('df/dz1', 1), ('df/dv', 1)]
        >>> print(d.steps[1].locals[0].index)  # each axis named as in the chain line below
        ∂z2/∂z1[d',d] = (1 - z2[d'] z2[d']) δ[d',d]
        >>> print(d.steps[1].chain)
        df/dz1[d] = Σ_d' df/dz2[d'] (1 - z2[d'] z2[d']) δ[d',d]
        >>> d.steps[1].collapses[0].text
        "δ[d',d]: d' → d"
        >>> print(d.steps[2].index)
        df/dv[h] = Σ_d (1 - z2[d] z2[d]) W[d,h]
    """
    named_x = x if isinstance(x, Named) else None
    f, x = _wrt(f, x, "explain")
    user = _user_names(names)
    options = _options(layout, vectors, vec, normalized)
    unknown_names("explain", options["normalized"], tensors_of(f))
    if not isinstance(direction, str) or direction not in DIRECTIONS:
        raise IndexcalcError(f"explain: direction must be one of {DIRECTIONS}, got {direction!r}")
    reverse = direction == "reverse" or (direction == "auto" and f.ndim <= x.ndim)
    dep = depends(f, x)
    cut = _intermediates(f, x, dep) if id(f) in dep else []
    names = _display_names(f, x, cut, user)
    ids = {id(n) for n in cut}
    inputs = {id(b): _inputs(b, ids, dep) for b in cut if b is not x}
    local = {(id(b), id(c)): _local(b, c, ids) for b in cut if b is not x for c in inputs[id(b)]}
    ctx = _Build(f, x, names, cut, options, user)
    steps = ctx.chain(inputs, local, reverse)
    result = steps[-1].result if steps else (identity_seed(x)[0] if f is x else
                                              add([], f.shape + x.shape))
    f_name = names.text.get(f, "f")
    lhs = (_partial(f_name, x.name, TEXT, "d"),
           _partial(names.latex.get(f, "f"), latex_name(x.name), ctx.latex, "d"))
    final = ctx.show(ctx.display(ctx.assumed(result)), lhs) if cut else ctx.show(result)
    # the final form writes explain's own intermediates by their names (z1, …); one that the
    # rule table reads by value (σ(a), whose σ'(a) would turn into z∘(1 − z)) keeps its formula
    # so that the result reads as the steps do
    own = [Named(names.text[n], n) for n in cut
           if n is not x and not isinstance(n, (Tensor, Named))
           and not (isinstance(n, Apply) and n.fn in _BY_VALUE_ROWS)]
    if named_x is not None:  # by a named intermediate: its value from its definition again
        result = restore(result, x, named_x)
    form = _final_form(f, x, result, options, user + own, named_x)
    if form is not None:
        shown = Shown(str(form), ctx.tex(form.latex()))
        head = label(f_name, x.name, result, f.ndim, form, options, "d")
    else:
        head, shown, _ = matrix_line(f_name, x.name, result, f.ndim, options, user + own, "d")
    notes = tuple(dict.fromkeys(n for s in steps for n in s.notes))
    if form is not None:
        notes = tuple(dict.fromkeys(notes + form.notes))
    taken = {n.name for n in postorder([f]) if isinstance(n, (Tensor, Named))}
    devec = devec_line(f_name, x.name, result, f.ndim, taken, options) \
        if result.ndim > 2 else None
    return Derivation(
        f=f_name, x=x.name, direction="reverse" if reverse else "forward",
        layout=options["layout"], vectors=options["vectors"],
        definitions=tuple(ctx.definition(n) for n in cut if n is not x), steps=tuple(steps),
        result=Derivative(result, f, x, f.ndim), index=final,
        full=render(result, TEXT, {}, label_names(result.shape)),  # at the index line's axes
        matrix=shown, matrix_form=form, vec=options["vec"], matrix_label=head, notes=notes + _recurrence_notes(cut, names, reverse),
        devec=devec)


_BY_VALUE_ROWS = frozenset(r.by_value[0] for r in ELEMENTWISE_RULES.values() if r.by_value)


def _through_time(b: Expr, c: Expr, ct: Expr) -> Expr | None:
    """The cotangent a scan ``b`` with cotangent ``ct`` passes to its child ``c``:
    backpropagation through time, a scan run backwards (``None`` if ``b`` is no scan over ``c``)."""
    scan = _unshared(b)
    if not isinstance(scan, Scan) or c not in scan.children():
        return None
    parts = [v for child, v in REVERSE[Scan](scan, ct, {id(c)}) if child is c]
    return add([(1.0, v) for v in parts], c.shape)


def _recurrence_notes(cut: list, names, reverse: bool) -> tuple:
    """One line per scan among the intermediates: how its derivative runs."""
    notes = []
    for n in cut:
        if isinstance(_unshared(n), Scan):
            name = names.text.get(n, str(n))
            how = ("backpropagation through time: the cotangent runs backwards through the steps, "
                   "a scan of the step's vector-Jacobian product (the recurrence g_{t-1} = "
                   "(∂h_t/∂h_{t-1})ᵀ g_t, plus each step's own cotangent)" if reverse else
                   "forward through time: the tangent obeys the recurrence dh_t = "
                   "(∂h_t/∂h_{t-1}) dh_{t-1} + (∂h_t/∂x_t) dx_t, a scan of its own")
            notes.append(f"{name} is a recurrence (a scan over t); it is differentiated by {how}.")
    return tuple(notes)


class _Build:
    """Builds the steps of one derivation (the names, styles and layout it shares)."""

    def __init__(self, f, x, names: _Names, cut, options: dict, user=()):
        self.f, self.x, self.names, self.cut = f, x, names, cut
        self.options, self.latex = options, LATEX
        self.user = list(user)
        self.acc: dict[int, Expr] = {}  # the exact accumulated derivative of each node
        self.leaves: dict[int, Expr] = {}  # node id -> the leaf it prints as
        self.latex_of: dict[Expr, str] = {}  # leaf -> its LaTeX
        self.marker: dict[int, Expr] = {}  # node id -> the leaf of its accumulated derivative
        self.long: set[int] = set()  # nodes whose accumulated derivative is written by name
        self.tex_names = LatexNames({form_latex_name(names.text[n]): names.latex[n] for n in cut})
        named: dict = {}
        for k, n in enumerate(cut):
            if n is x:
                continue
            leaf = placeholder(names.text[n], n.shape, k)
            self._name_latex(leaf, names.latex[n])
            self.leaves[id(n)] = leaf
            if isinstance(n, Named):
                self.leaves.setdefault(id(n.arg), leaf)
                named[n] = leaf
        for k, u in enumerate(self.user):
            if id(u.arg) not in self.leaves:
                leaf = placeholder(u.name, u.shape, len(cut) + k)
                self._name_latex(leaf, latex_name(u.name))
                self.leaves[id(u.arg)] = leaf
                named[u] = leaf
        self.by_value = by_value_table(named)
        # an intermediate written in its inputs' leaves (tanh(z1) for z2 = tanh(z1)) is its leaf
        # too: local derivatives are taken in the leaves (local_shown) and read through them
        self.in_leaves = [self.with_leaves(n) for n in cut if n is not x]  # kept: ids stay valid
        for n, r in zip([n for n in cut if n is not x], self.in_leaves):
            self.leaves.setdefault(id(r), self.leaves[id(n)])
        for (arg, fn), leaf in list(self.by_value.items()):  # σ'(z1's leaf) reads as h∘(1 − h)
            if arg in self.leaves:
                self.by_value[(id(self.leaves[arg]), fn)] = leaf
        self.opaque = frozenset(self.leaves)  # intermediates: never multiplied out

    def tex(self, latex: str) -> str:
        """A matrix form's LaTeX with the explanation's names as its index lines write them
        (``z_{1}``, not the matrix printer's ``\\mathrm{z1}``)."""
        return self.tex_names.rewrite(latex)

    def _name_latex(self, leaf: Expr, latex: str) -> None:
        self.latex_of[leaf] = latex
        self.tex_names.add(form_latex_name(leaf.name), latex)

    def display(self, e: Expr) -> Expr:
        """``e`` as it prints: intermediates and long earlier results by name."""
        return for_display(e, self.leaves, self.by_value)

    def assumed(self, e: Expr, used: set | None = None) -> Expr:
        """``e`` as the user's assumptions let it read (``Σ y = 1`` for ``normalized=["y"]``);
        the names whose assumption it used are added to ``used``."""
        return assume_normalized(e, frozenset(self.options["normalized"]), used)

    def aliases(self, style: Style, e: Expr) -> dict:
        """The LaTeX of the leaves ``e`` prints (only those: the printer reads every alias it is
        given, and an explanation has one per step)."""
        if style is TEXT:
            return {}
        shown = postorder([e], lambda n: () if isinstance(n, Named) else n.children())
        return {n: self.latex_of[n] for n in shown if n in self.latex_of}

    def show(self, e: Expr, lhs: tuple[str, str] | None = None, axes: list | None = None) -> Shown:
        """``e`` (already rewritten for display) in both styles, as ``lhs[idx] = …`` if given;
        ``axes``: the index names of its axes (default: as it prints on its own)."""
        texts = []
        axes = label_names(e.shape) if axes is None else axes
        for style, head in ((TEXT, lhs and lhs[0]), (self.latex, lhs and lhs[1])):
            body = render(e, style, self.aliases(style, e), axes)
            texts.append(f"{style.indexed(head, axes)} = {body}" if head else body)
        return Shown(*texts)

    def definition(self, n: Expr) -> tuple[str, Shown]:
        """``z1[nh] = …`` (a named node is defined by its argument)."""
        body = n.arg if isinstance(n, Named) else n
        leaves = Without(self.leaves, id(body), id(n))
        shown = self.show(for_display(body, leaves, {}), (self.names.text[n], self.names.latex[n]))
        return self.names.text[n], shown

    def _marker(self, top: Expr, bottom: Expr, node: Expr, shape: tuple) -> Expr:
        """The leaf ``dtop/dbottom`` that stands for an earlier step's result."""
        if id(node) not in self.marker:
            t, b = self.names.text[top], self.names.text[bottom]
            leaf = placeholder(f"d{t}/d{b}", shape, 10 ** 6 + len(self.marker))
            self._name_latex(leaf, _partial(self.names.latex[top], self.names.latex[bottom],
                                            self.latex, "d"))
            self.marker[id(node)] = leaf
        return self.marker[id(node)]

    def local_shown(self, b: Expr, c: Expr) -> Expr:
        """``∂b/∂c`` as it prints: taken of ``b`` with its intermediate inputs as their named
        leaves, so that the rule's result keeps them whole (``2 z1``, not ``2 ŷ − 2 y``, where
        ``z1 = ŷ − y``); its value is the exact local derivative's."""
        return _local(self.with_leaves(b), self.leaves.get(id(c), c), set())

    def with_leaves(self, b: Expr) -> Expr:
        """``b`` with the intermediates below it (not ``b`` itself) as their leaves."""
        own = self.leaves.get(id(b))  # b's leaf (a named b's argument has it too)

        def stop(n: Expr) -> bool:
            return n is not b and id(n) in self.leaves and self.leaves[id(n)] is not own

        done: dict[int, Expr] = {}
        for n in postorder([b], lambda n: () if stop(n) else n.children()):
            if stop(n):
                done[id(n)] = self.leaves[id(n)]
            elif all(done[id(k)] is k for k in n.children()):
                done[id(n)] = n
            else:
                done[id(n)] = REBUILD[type(n)](n, lambda k: done[id(k)])
        return done[id(b)]

    def _local_record(self, b: Expr, c: Expr, L: Expr, printed: Expr, contracted: tuple | None,
                      axes: list | None = None, through_time: bool = False) -> LocalDerivative:
        of, by = self.names.text[b], self.names.text[c]
        lhs = (_partial(of, by, TEXT), _partial(self.names.latex[b], self.names.latex[c], self.latex))
        reading = None
        if through_time:   # a recurrence's tangent: contracted backwards, step by step
            reading = (f"order {L.ndim}, never built: the tangent of the recurrence {of}, itself a "
                       f"recurrence over t; the chain rule contracts it with {contracted[0]} by "
                       "backpropagation through time, running the step's vector-Jacobian "
                       "product from the last step to the first (the chain line)")
        elif L.ndim > 2:  # say what it is as a matrix, and what the chain makes of it
            parts = [f"order {L.ndim}, never built"]
            form, _ = form_of(printed, b.ndim, self.options, [])
            if form is not None:
                parts.append(f"as {d_vec(of, by, self.options)} it is {form}"
                             + (f" ({kron_reading(str(form), short=True)})"
                                if kron_reading(str(form), short=True) else ""))
            if contracted is not None and contracted[1].ndim <= 2:
                shown = self._matrix_text(contracted[1])
                if shown is not None:
                    parts.append(contraction_reading(contracted[0], shown, contracted[1].shape))
            reading = "; ".join(parts)
        return LocalDerivative(of, by, L.ndim, L.shape, L, self.show(printed, lhs, axes), reading)

    def _matrix_text(self, e: Expr) -> Shown | None:
        form, _ = form_of(e, 0, dict(self.options, layout="denominator"), [])
        return None if form is None else Shown(str(form), self.tex(form.latex()))

    def _step(self, node: Expr, top: Expr, bottom: Expr, locals_: list, raws: list,
              exact: Expr, short: Expr, assumed: set, backwards: list) -> Step:
        """One step; ``backwards`` has, for each chain term contracting a recurrence's tangent,
        that contraction as it is computed (a scan run backwards through time; else ``None``):
        the chain line shows it instead of the tangent, which is never built."""
        t, b = self.names.text[top], self.names.text[bottom]
        lhs = (_partial(t, b, TEXT, "d"),
               _partial(self.names.latex[top], self.names.latex[bottom], self.latex, "d"))
        terms = [r if k is None else k for r, k in zip(raws, backwards)]
        raw = terms[0] if len(terms) == 1 else Sum(tuple((1.0, r) for r in terms), terms[0].shape)
        raws = [r for r, k in zip(raws, backwards) if k is None]
        summed = []
        for r in raws:
            label_of = product_label_names(r)
            summed += [label_of[l] for l in range(len(r.dims)) if l not in r.out]
        collapses = [Shown(a, c) for r in raws for a, c in zip(_collapses(r, TEXT),
                                                               _collapses(r, self.latex))]
        index = self.show(short, lhs)
        head, matrix, form = matrix_line(t, b, short, top.ndim, self.options, [], "d")
        matrix = Shown(matrix.text, self.tex(matrix.latex))
        kron = kron_reading(matrix.text) if short.ndim > 2 else None
        notes = tuple(assumption_note(n) for n in sorted(assumed)) + \
            (() if form is None else form.notes)
        notes = tuple(dict.fromkeys(notes))
        return Step(self.names.text[node], lhs[0], exact.ndim, exact.shape, tuple(locals_),
                    self.show(raw, lhs), tuple(dict.fromkeys(summed)), tuple(collapses), exact,
                    index, matrix, head, notes, kron, any(k is not None for k in backwards))

    def chain(self, inputs: dict, local: dict, reverse: bool) -> list[Step]:
        """The steps of the accumulation: forward, ``dz/dx`` for each intermediate from ``x``
        outward; reverse, ``df/dz`` for each from ``f`` inward.

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
            locals_, raws, exact, expanded, by_names, backwards = [], [], [], [], [], []
            N = tuple(fresh() for _ in node.shape)
            out = cat(N, E)
            for other in links:
                b, c = cat((node,), (other,))
                L = local[(id(b), id(c))]
                shown_L = self.display(self.local_shown(b, c))
                if other is end:
                    locals_.append(self._local_record(b, c, L, shown_L, None))
                    dims = dict(zip(out, cat(node.shape, end.shape)))
                    raws.append(_raw([(shown_L, out)], out, dims))
                    backwards.append(None)
                    exact.append(L)
                    expanded.append(L)
                    by_names.append(shown_L)
                    continue
                O = tuple(fresh() for _ in other.shape)
                dims = dict(zip(cat(N, O, E), cat(node.shape, other.shape, end.shape)))
                top_, bottom_ = cat((other,), (end,))
                marker = self._marker(top_, bottom_, other, tuple(dims[l] for l in cat(O, E)))
                chain_factors = cat([(shown_L, cat(N, O))], [(marker, cat(O, E))])
                by_name = product(chain_factors, out, dims)
                name = _partial(self.names.text[top_], self.names.text[bottom_], TEXT, "d")
                raws.append(_raw(chain_factors, out, dims))
                # the local line names each axis as the chain line does (node's axes as in the
                # result, the other's as the indices summed): one name per axis in the step
                r = raws[-1]
                printed = product_label_names(r)
                position = dict(zip(cat(N, E), r.out))
                position.update(zip(cat(O, E), next(ls for g, ls in r.factors if g is marker)))
                axes = [printed[position[l]] for l in cat(N, O)]
                acc = self.acc[id(other)]
                if id(other) in self.long:  # written by name; kept whole, never copied
                    acc = Shared(acc)
                    self.leaves[id(acc)] = marker
                through_time = _through_time(other, node, acc) if reverse and not E else None
                locals_.append(self._local_record(b, c, L, shown_L, (name, by_name), axes,
                                                  through_time is not None))
                by_names.append(by_name)
                backwards.append(None)
                if through_time is not None:  # the result reads as it is computed: backwards
                    by_names[-1] = backwards[-1] = self.display(through_time)
                exact.append(through_time if through_time is not None else
                             product(cat([(L, cat(N, O))], [(acc, cat(O, E))]), out, dims))
                wide = None if id(other) in self.long or through_time is not None else \
                    _expanded(cat([(L, cat(N, O))], [(acc, cat(O, E))]), out, dict(dims),
                              self.opaque)
                expanded.append(exact[-1] if wide is None else wide)
            shape = raws[0].shape
            candidates = [add([(1.0, t) for t in exact], shape),
                          add([(1.0, t) for t in expanded], shape)]
            shown = [(len(render(self.display(self.assumed(e)))), k, e)
                     for k, e in enumerate(candidates)]
            size, _, value = min(shown, key=lambda t: t[:2])
            used: set = set()
            display = self.display(self.assumed(value, used))
            if size > INLINE_UP_TO:  # long: written through the earlier results' names
                self.long.add(id(node))
                display = add([(1.0, t) for t in by_names], shape)
            top, bottom = cat((node,), (end,))
            step = self._step(node, top, bottom, locals_, raws, value, display, used, backwards)
            self.acc[id(node)] = value
            steps.append(step)
        return steps
