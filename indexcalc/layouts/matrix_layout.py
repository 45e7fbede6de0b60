"""``ic.to_matrix`` (an order-≤2 expression as matrix algebra) and ``ic.to_einsum``.

Each node of the expression becomes a form (:mod:`indexcalc.layouts.forms`) bottom-up: a product
is read as a graph by :mod:`indexcalc.layouts.product_reading`, a sum term by term, an elementwise function
as ``f(·)``, an inverse as ``⁻¹``. A subexpression that a ``Named`` node in scope defines prints
by its name (``h``, ``ŷ``); ``σ'(x)`` prints ``h∘(1 − h)`` when ``h`` names ``σ(x)``. The layout
(see :mod:`indexcalc.layouts.conventions`) decides whether each term is transposed.

A subexpression the walk reaches more than once (a ``Shared`` cotangent of reverse accumulation,
the hidden state of a recurrence) whose text is longer than :data:`SHARE_ABOVE` becomes a
:class:`~indexcalc.layouts.forms.Ref`: written once, in the form's ``where`` clause, so the text of
a deep recurrence's gradient grows linearly with its depth instead of quadratically.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from ..errors import LayoutError
from .conventions import LAYOUTS, VECTORS, check_choice, split_of, transposes
from .form_text import to_text
from .matrix_form import MatrixForm, identities_clash
from .forms import (SYMMETRIC, Add, Explicit, Form, Identity, Leaf, Nary, Number, Ones, Ref, Scaled, Unary,
                    add, matmul, scaled, transpose, unary)
from .product_reading import read_product
from .reassociation import reassociate
from ..core.nodes import Decomposition
from ..core.nodes import (Derivative, plain, Apply, Concat, Constant, Delta, Det, Expr, Index, Inverse, LogDet, LogSumExp, Max,
                          Named, Product, Reshape, Scatter, Shared, Softmax, Sum, Tensor, TriMask,
                          MatrixFunction, Solve)
from .structure_rows import (_concat, _index, _index_leaf, _reshape, _scatter, _trimask,
                             fuse_masks)
from ..core.algebra import full
from ..core.coercion import as_expr
from ..core.nodes import Scan
from .scan_rows import scan_form
from ..core.elementwise import rule
from ..core.normal_form import is_symmetric
from ..core.graph_walk import one_tensor_per_name, postorder, tensors_of
from ..formula.index_reader import block_sizes
from ..rendering.index_notation import (TEXT as INDEX_TEXT, _shared_names, _write, binder_names,
                                        label_names)
from ..rendering.index_sizes import dimension_names, leaf_names, readable

_KRON_HINT = "; ic.to_kron writes a derivative of higher order as ∂vec(F)/∂vec(X)"

#: A subexpression used more than once whose text would be longer than this is written once.
SHARE_ABOVE = 24


def _names_of(keyword: str, given: Any, named: bool = False) -> tuple:
    """``names=``/``normalized=`` as a tuple: one bare name or expression is one entry (a string
    is not its letters: ``normalized="yq"`` must not declare ``y`` normalized)."""
    if isinstance(given, (str, Expr)):
        given = (given,)
    try:
        entries = tuple(given)
    except TypeError:
        entries = (given,)
    if not named:
        for n in entries:
            if not isinstance(n, str):
                raise LayoutError(f"normalized= takes tensor names (normalized=['y']), got {n!r:.60}")
    return entries


def unknown_names(what: str, normalized: tuple, tensors) -> None:
    """Refuse a ``normalized=`` name that is no tensor of the expression (a typo would otherwise
    leave the assumption silently unused)."""
    known = {t.name for t in tensors}
    for n in normalized:
        if n not in known:
            raise LayoutError(f"{what}: normalized={n!r} is no tensor of the expression (its "
                              f"tensors: {', '.join(sorted(known)) or 'none'})")


class Scope:
    """What a conversion knows: named subexpressions, the vector orientation, assumptions."""

    def __init__(self, expr: Expr, names: Iterable[Expr], mode: str, normalized: Iterable[str]):
        self.mode = mode
        self.normalized = frozenset(_names_of("normalized", normalized))
        self.notes: list[str] = []
        self.named: dict[int, Named] = {}
        extra = list(_names_of("names", names, named=True))
        for n in extra:
            if not isinstance(n, Named):
                raise LayoutError(f"names= takes named expressions (expr.named('ŷ')), got {n!r}")
        for n in extra + [m for m in postorder([expr]) if isinstance(m, Named)]:
            self.named.setdefault(id(n.arg), n)
        # f(a) by a named g(a), where the rule table writes f through g's value (σ' by σ)
        self._values = {(id(n.arg.arg), n.arg.fn): n for n in self.named.values()
                        if isinstance(n.arg, Apply)}
        self.constant_names, self.identity_subscripted = _symbols(expr, self.named.values())
        self.uses: Counter | None = None  # set by share(): how often the walk reaches each node
        self.built: dict[int, tuple[Expr, Form]] = {}  # forms kept across the terms of a sum
        self.rewritten: dict[int, Expr] = {}  # a product re-associated (no factor of order > 2)
        self.lets = 0  # pieces named ζ1, ζ2, … inside index-notation definitions (explicit)

    def share(self, roots: list[Expr]) -> None:
        """Count how often :func:`build_form` will reach each node from ``roots``, so that a
        large node reached more than once is written once (a ``where`` definition)."""
        uses: Counter = Counter(id(r) for r in roots)
        seen: set[int] = set()
        stack = list(roots)
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if type(node) in LEAVES or self.opaque(node) is not None:
                continue
            for c in node.children():
                uses[id(c)] += 1
                stack.append(c)
        self.uses = uses

    def defined(self, node: Expr, form: Form) -> Form:
        """``form``, or a reference to it when ``node`` is reached several times and is large."""
        if self.uses is None or self.uses[id(node)] < 2 or isinstance(form, (Leaf, Ref)) \
                or len(to_text(form)) <= SHARE_ABOVE:
            return form
        return Ref(form.shape, form)

    def opaque(self, node: Expr) -> Form | None:
        """The form of a node printed by a name, without looking inside it (none for a node of
        order > 2: its parent reads it some other way)."""
        if node.ndim > 2:
            return None
        if isinstance(node, Named):
            return Leaf(node.name, self.shape(node), node)
        if id(node) in self.named:
            n = self.named[id(node)]
            return Leaf(n.name, self.shape(node), n)
        by_value = isinstance(node, Apply) and rule(node.fn).by_value
        if by_value and (id(node.arg), by_value[0]) in self._values:
            return build_form(by_value[1](self._values[id(node.arg), by_value[0]]), self)
        return None

    def shape(self, e: Expr) -> tuple:
        if e.ndim == 0:
            return (None, None)
        if e.ndim == 1:
            return (e.shape[0], None) if self.mode == "col" else (None, e.shape[0])
        if e.ndim == 2:
            return tuple(e.shape)
        kinds = ", ".join(sorted({type(n).__name__ for n in postorder([e])}))  # the culprit's kind
        raise LayoutError(f"a subexpression of order {e.ndim} (a {type(e).__name__} of {kinds}: "
                          f"{e!r:.80}) has no matrix form; str() shows it in index notation"
                          + _KRON_HINT)


def _symbols(expr: Expr, named: Iterable[Named]) -> tuple[dict[int, str], bool]:
    """Names no user name can be confused with: ``C`` for the one anonymous constant (``C₁``,
    ``C₂``, … for several, or when a tensor is named ``C``), skipping every name taken; and
    whether the identity must print as ``I_n`` (a tensor or named expression is called ``I``)."""
    nodes = postorder([expr])
    taken = {n.name for n in nodes if isinstance(n, (Tensor, Named))} | {n.name for n in named}
    taken |= {n.name for n in nodes if isinstance(n, Constant) and n.name}
    anonymous = [n for n in nodes if isinstance(n, Constant) and not n.name and n.value.ndim > 0]
    anonymous = list({id(n): n for n in anonymous}.values())
    names: dict[int, str] = {}
    if len(anonymous) == 1 and "C" not in taken:
        names[id(anonymous[0])] = "C"
    else:
        k = 0
        for n in anonymous:
            k += 1
            while f"C{_subscript(k)}" in taken:
                k += 1
            names[id(n)] = f"C{_subscript(k)}"
    return names, "I" in taken


def _subscript(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _product(n: Product, kids: list, s: Scope) -> Form:
    big = [f for f, ls in n.factors if len(ls) > 2]
    if len(n.out) > 2 or big:
        kinds = ", ".join(sorted({type(f).__name__ for f in big})) or "Product"
        raise LayoutError(f"a factor of order > 2 ({kinds}) in {n!r:.80} cannot be written with "
                          "matrices; str() shows it in index notation" + _KRON_HINT)
    factors = fuse_masks(list(zip(kids, (ls for _, ls in n.factors))))
    return read_product(factors, n.out, n.dims, n.coef, s.mode, s.normalized, s.notes)


def _same_leaf(a: Form, b: Form) -> bool:
    """Whether two forms are one tensor (or its transpose), by the expression they print."""
    if isinstance(a, Unary) and isinstance(b, Unary) and a.op == b.op == "T":
        a, b = a.arg, b.arg
    if isinstance(a, Ref):  # one where-definition
        return a is b
    return isinstance(a, Leaf) and isinstance(b, Leaf) and a.source is b.source \
        and a.name == b.name and a.shape == b.shape


def _chain(f: Form) -> tuple[Form, tuple] | None:
    """``(scalars-and-coef wrapper, factors)`` of a matrix chain, possibly scaled."""
    if isinstance(f, Scaled) and f.body is not None:
        inner = _chain(f.body)
        return None if inner is None else ((f.coef, f.scalars), inner[1])
    if isinstance(f, Nary) and f.op == "matmul":
        return (1.0, ()), f.args
    return None


def _sum(terms: list, shape: tuple) -> Form:
    """``Σ c_k f_k`` with a tensor that ends (or starts) every chain taken out of the sum:
    ``−ŷ Uᵀ + y Uᵀ`` is ``(y − ŷ) Uᵀ`` (a positive term first)."""
    chains = [_chain(f) for _, f in terms]
    if len(terms) > 1 and all(chains):
        for end in (-1, 0):
            first = chains[0][1][end]
            if all(_same_leaf(first, ch[1][end]) for ch in chains):
                rest = []
                for (c, _), ((k, scalars), args) in zip(terms, chains):
                    body = matmul(*(args[:-1] if end == -1 else args[1:]))
                    rest.append((c, scaled(k, list(scalars), body)))
                rest.sort(key=lambda t: t[0] < 0)
                inner_shape = (shape[0], first.shape[0]) if end == -1 else (first.shape[1], shape[1])
                inner = add(rest, inner_shape)
                return matmul(inner, first) if end == -1 else matmul(first, inner)
    return add(terms, shape)


def _symmetric_sum(n: Sum, form: Form) -> Form:
    """``form`` marked symmetric where the sum is known to be (``P + Pᵀ`` prints untransposed)."""
    if isinstance(form, Add) and n.ndim == 2 and is_symmetric(n):
        return Add(form.terms, form.shape, symmetric=True)
    return form


def _delta(n: Delta, kids: list, s: Scope) -> Form:
    if n.order == 2:
        return Identity(n.dim, subscripted=s.identity_subscripted)
    if n.order <= 1:
        return Ones(s.shape(n))
    raise LayoutError(f"a delta of order {n.order} has no matrix form" + _KRON_HINT)


def _constant(n: Constant, kids: list, s: Scope) -> Form:
    if n.value.ndim == 0:
        return Number(float(n.value))
    return Leaf(n.name or s.constant_names.get(id(n), "C"), s.shape(n), n)


def _softmax(n: Softmax, kids: list, s: Scope) -> Form:
    return unary("softmax", kids[0], s.shape(n), n.axis % 2 if n.ndim == 2 else None)


def _logsumexp(n: LogSumExp, kids: list, s: Scope) -> Form:
    """Over every entry a scalar; over one axis of a matrix, ``logsumexp(X, axis=k)``: a vector."""
    if len(n.axes) == n.arg.ndim:
        return unary("logsumexp", kids[0], (None, None))
    return unary("logsumexp", kids[0], s.shape(n), n.axes[0] % 2)


def _max(n: Max, kids: list, s: Scope) -> Form:
    """Over every entry a scalar; over one axis of a matrix, ``max(X, axis=k)``: a vector."""
    if len(n.axes) == n.arg.ndim:
        return unary("max", kids[0], (None, None))
    return unary("max", kids[0], s.shape(n), n.axes[0] % 2)


def _solve(n: Solve, kids: list, s: Scope) -> Form:
    """``A⁻¹ B``: the textbook form of a solve (evaluated, like the expression, by a solve)."""
    if n.a.ndim != 2:
        raise LayoutError(f"a solve of a stack of matrices {n.a.shape} has no matrix form; str() "
                          "shows it in index notation")
    a = kids[0]
    inverse = transpose(unary("inv", a.arg)) if isinstance(a, Unary) and a.op == "T" \
        else unary("inv", a)  # (Aᵀ)⁻¹ prints A⁻ᵀ
    # read as the product Σ_j A⁻¹[i,j] B[j,…], so a vector B follows the vectors= convention
    rest = tuple(range(2, 1 + n.b.ndim))
    dims = (n.a.shape[-1], n.a.shape[-1]) + n.b.shape[1:]
    return read_product([(inverse, (0, 1)), (kids[1], (1,) + rest)], (0,) + rest, dims, 1.0,
                        s.mode, s.normalized, s.notes)


def _matrix_function(n: MatrixFunction, kids: list, s: Scope) -> Form:
    """``expm(A)``; a Fréchet derivative as the named operator ``L_exp(A, E)``."""
    if n.direction is not None:
        return Nary("frechet:" + n.fn, tuple(kids), s.shape(n))
    return unary("mfunc", kids[0], s.shape(n), n.fn)


#: One row per node type (``NODE_TYPES``): ``(node, the children's forms, scope) -> Form``.
BUILD = {
    Tensor: lambda n, kids, s: Leaf(n.name, s.shape(n), n),
    Constant: _constant,
    Delta: _delta,
    Product: _product,
    Sum: lambda n, kids, s: _symmetric_sum(n, _sum([(c, k) for (c, _), k in zip(n.terms, kids)], s.shape(n))),
    Apply: lambda n, kids, s: unary("func", kids[0], s.shape(n), (n.fn, n.param)),
    Softmax: _softmax,
    LogSumExp: _logsumexp,
    Max: _max,
    Inverse: lambda n, kids, s: unary("inv", kids[0], param=SYMMETRIC if is_symmetric(n.arg) else None),
    Det: lambda n, kids, s: unary("det", kids[0], (None, None)),
    LogDet: lambda n, kids, s: unary("logdet", kids[0], (None, None)),
    Reshape: _reshape,
    Named: lambda n, kids, s: Leaf(n.name, s.shape(n), n),  # (Scope.opaque reads it first)
    Shared: lambda n, kids, s: kids[0],
    Derivative: lambda n, kids, s: kids[0],
    Index: _index,
    Scatter: _scatter,
    Concat: _concat,
    TriMask: _trimask,
    Decomposition: lambda n, kids, s: unary("spectral", kids[0], s.shape(n), (n.kind, n.part)),
    Solve: _solve,
    MatrixFunction: _matrix_function,
    Scan: lambda n, kids, s: scan_form(n, s, build_form),
}


#: The node types that may print whole, without reading their children first (``x[1:3]`` by
#: name): ``(node, scope) -> Form``, or ``None`` to build the node from its children (BUILD).
#: Only these types; every other one is built from its children.
LEAVES = {Index: _index_leaf}


def explicit(node: Expr, s: Scope) -> Form:
    """The last resort for an order-≤2 node that matrix algebra cannot write: a ``where``
    definition in index notation with its rows and columns named, ``z1 = [Σ_k T[i,j,k] v[k]]_(i,j)``
    (rows ``i``, columns ``j``), evaluated as exactly that einsum. A large piece it uses twice is
    written once, ``… with ζ1[m,p] = …``, so the text stays linear in the expression."""
    leaves = leaf_names(node)   # what reading the block takes (block_sizes)
    reserved = dimension_names(node, leaves)   # no index of another size named after these
    free = label_names(tuple(node.shape), reserved)
    lets = _shared_names(node, {})  # large pieces used twice: ζ1, ζ2, … (numbered per form)
    aliases = {}
    for n in lets:
        s.lets += 1
        aliases[n] = f"ζ{s.lets}"

    contexts: list = []

    def write(sized: bool) -> str:   # sized: every bound index declares its size (i∈[3])
        body = _write(node, INDEX_TEXT, aliases, sized=sized, contexts=contexts,
                      reserved=reserved)
        names = binder_names(free, tuple(node.shape), sized)
        text = f"[{body}]_({','.join(names)})" if free else f"[{body}]"
        if lets:
            text += " with " + "; ".join(
                INDEX_TEXT.indexed(aliases[n], binder_names(label_names(n.shape, reserved),
                                                            n.shape, sized))
                + " = " + _write(n, INDEX_TEXT, aliases, sized=sized, contexts=contexts,
                                 reserved=reserved)
                for n in lets)
        return text

    plain = write(False)
    text = readable(plain, lambda: write(True), lambda block: block_sizes(block, leaves),
                    unused=any(c.unused for c in contexts),
                    named=all(c.named or c.all_sized() for c in contexts))
    shape = s.shape(node)
    column = node.ndim == 2 or shape[0] is not None  # rows on the first axis, or a column
    form = Explicit(node, 1 if column and node.ndim else 0, "numerator", "col", shape, text)
    return Ref(shape, form)


def build_form(expr: Expr, scope: Scope) -> Form:
    """The form of ``expr`` as is (rows on its first axis), children first, iteratively."""
    done: dict[int, Form] = {k: f for k, (_, f) in scope.built.items()}
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        named = scope.opaque(node)
        if named is None and type(node) in LEAVES:
            named = LEAVES[type(node)](node, scope)
        if named is not None:
            done[id(node)] = named
            continue
        if not expanded:
            if node.ndim > 2:  # say which node it is, before its children do
                scope.shape(node)
            kids = node.children()
            if isinstance(node, Product) and any(c.ndim > 2 for c in kids):
                if id(node) not in scope.rewritten:
                    alt = reassociate(node)
                    scope.rewritten[id(node)] = node if alt is None else alt
                alt = scope.rewritten[id(node)]
                kids = (alt,) if alt is not node else kids
            if any(c.ndim > 2 for c in kids):  # a piece of order > 2 that nothing opens
                done[id(node)] = explicit(node, scope)
                continue
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(kids) if id(c) not in done)
            continue
        alt = scope.rewritten.get(id(node), node)
        if alt is not node:
            done[id(node)] = done[id(alt)]
            continue
        build = BUILD.get(type(node))
        if build is None:
            raise LayoutError(f"{type(node).__name__} has no matrix form; str() shows it in index "
                              "notation" + _KRON_HINT)
        try:
            form = scope.defined(node, build(node, [done[id(c)] for c in node.children()], scope))
        except LayoutError:  # no matrix algebra for this node (a label shared by three matrices)
            form = explicit(node, scope)
        done[id(node)] = form
        if scope.uses is not None:  # the nodes stay alive with the scope, so their ids do
            scope.built[id(node)] = (node, form)
    return done[id(expr)]


def to_matrix(expr: Any, layout: str = "denominator", vectors: str = "column", *,
              out_ndim: int | None = None, names: Iterable[Expr] = (),
              normalized: Iterable[str] = ()) -> MatrixForm:
    """An expression of order ≤ 2 (a derivative, usually) written as matrix algebra.

    Args:
        expr: the expression; a sum is written term by term.
        layout: ``"denominator"`` (a gradient has the variable's shape; a Jacobian is in × out)
            or ``"numerator"`` (a Jacobian is out × in; a gradient is laid out like ``Xᵀ``).
        vectors: ``"column"`` or ``"row"`` — how a vector is written (``uᵀ`` becomes ``u``).
        out_ndim: how many leading axes belong to the function differentiated; remembered for
            results of ``ic.diff``/``ic.grad``/``ic.hessian``. An expression that is no derivative
            is written as is in both layouts (see :mod:`indexcalc.layouts.conventions` for the rule).
        names: extra named expressions (``ic.softmax(z).named("ŷ")``): wherever their definition
            occurs it prints by name. Named nodes inside ``expr`` are always in scope.
        normalized: names of tensors known to sum to 1 (one-hot labels, probabilities): a full
            sum ``Σ_v y_v`` is written as 1 and the form notes the assumption.

    Raises:
        LayoutError: an order above 2, a factor of order above 2 in a product, or a product
            that is no chain of matrix products (it says which renderer can write it).

    Examples:
        >>> import indexcalc as ic
        >>> X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
        >>> g = ic.grad(0.5 * ic.sum((X @ W @ v - y) ** 2), W)
        >>> print(ic.to_matrix(g))
        Xᵀ (X W v − y) vᵀ
        >>> print(ic.to_matrix(g, "numerator"))
        v (X W v − y)ᵀ X
    """
    expr = as_expr(expr, "to_matrix")
    one_tensor_per_name(tensors_of(expr), "to_matrix")  # a form would print both as one name
    check_choice("layout", layout, LAYOUTS)
    check_choice("vectors", vectors, VECTORS)
    if expr.ndim > 2:
        raise LayoutError(f"to_matrix writes expressions of order ≤ 2; this one has shape "
                          f"{expr.shape} (order {expr.ndim})" + _KRON_HINT)
    split = split_of(expr, out_ndim)
    source, expr = expr, plain(expr)  # the split read, a derivative is its value
    unknown_names("to_matrix", _names_of("normalized", normalized), tensors_of(source))
    for sized_identity in (False, True):
        scope = Scope(expr, names, "col" if vectors == "column" else "row", normalized)
        scope.identity_subscripted |= sized_identity
        scope.layout = layout  # a recurrence writes its step as the layout reads it
        flip = transposes(layout, split)
        terms = expr.terms if isinstance(expr, Sum) and expr.terms else ((1.0, expr),)
        scope.share([t for _, t in terms])
        forms = []
        for c, t in terms:
            f = build_form(t, scope)
            forms.append((c, transpose(f) if flip else f))
        shape = forms[0][1].shape if len(forms) == 1 else _flip_if(scope.shape(expr), flip)
        root = add(forms, shape)
        notes = tuple(dict.fromkeys(scope.notes))
        reserved = frozenset(n.name for n in scope.named.values())
        form = MatrixForm(root, tuple(tensors_of(expr)), layout, notes, expr.ndim, reserved,
                          source, vectors)
        if not identities_clash(form):
            return form
    return form


def _flip_if(shape: tuple, flip: bool) -> tuple:
    return (shape[1], shape[0]) if flip else shape


def to_einsum(expr: Any) -> tuple[str, list]:
    """``(subscripts, operands)`` of an expression that is one product.

    A coefficient other than 1 (a scaled product ``2 X W``, a scaled tensor ``−X``) becomes a
    scalar operand, last, with the empty subscript; an output axis that no factor has (the
    gradient of ``sum(x)`` is ``1[n]``) is a vector of ones, an operand of its own.

    Examples:
        >>> import indexcalc as ic
        >>> X, W = ic.tensors("X[n,d] W[d,h]")
        >>> s, ops = ic.to_einsum(X @ W)
        >>> s, [o.name for o in ops]
        ('ac,cb->ab', ['X', 'W'])
        >>> s, ops = ic.to_einsum(-2 * X)
        >>> s, float(ops[-1].value)
        ('ab,->ab', -2.0)
        >>> ic.to_einsum(ic.grad(ic.sum(X), X))[0]
        'a,b->ab'
    """
    expr = plain(as_expr(expr, "to_einsum"))
    scale = 1.0
    if isinstance(expr, Sum) and len(expr.terms) == 1:  # c · t: one scaled product
        scale, expr = expr.terms[0]
        expr = plain(expr)
    if isinstance(expr, Sum):
        raise LayoutError(f"to_einsum needs one product; this is a sum of {len(expr.terms)} terms "
                          "(write each term with to_einsum, or use to_matrix)")
    if not isinstance(expr, Product):
        letters = _letters(expr.ndim)
        if scale != 1.0:
            return f"{letters},->{letters}", [expr, Constant(scale)]
        return f"{letters}->{letters}", [expr]
    used = {l for _, ls in expr.factors for l in ls}
    # an output axis no operand has (the gradient of sum(x) is 1[n]) is a ones operand's
    factors = list(expr.factors) + [(full((expr.dims[l],)), (l,)) for l in expr.out if l not in used]
    coef = scale * expr.coef
    for l, d in enumerate(expr.dims):
        if l not in used and l not in expr.out:
            if not isinstance(d, int):
                raise LayoutError(f"to_einsum: the product multiplies by the size of dimension "
                                  f"{d!r}, which an einsum string cannot say")
            coef *= d
    letters = _letters(len(expr.dims))
    subs = ",".join("".join(letters[l] for l in ls) for _, ls in factors)
    operands = [f for f, _ in factors]
    if coef != 1.0:
        subs += ","
        operands.append(Constant(coef))
    return f"{subs}->{''.join(letters[l] for l in expr.out)}", operands


def _letters(n: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if n > len(alphabet):
        raise LayoutError(f"to_einsum: {n} indices do not fit in an einsum string (52 letters)")
    return alphabet[:n]
