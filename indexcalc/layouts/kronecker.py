"""``ic.to_kron``: a derivative tensor as the matrix ∂vec(F)/∂vec(X), in Kronecker form.

A derivative ``D`` of shape ``F.shape + X.shape`` is the matrix ``J`` with rows ``vec(F)`` and
columns ``vec(X)`` (numerator layout; denominator is ``Jᵀ``). ``vec="col"`` stacks columns (the
first axis varies fastest, so the last axis is the slowest); ``vec="row"`` stacks rows. A
Kronecker product ``A ⊗ B`` has ``A`` on the slow part of both indices, so
``vec_col(A X B) = (Bᵀ ⊗ A) vec_col(X)`` and ``vec_row(A X B) = (A ⊗ Bᵀ) vec_row(X)``.

A term is read in three steps: vectors on an output axis that other factors share become
``diag(·)`` multipliers on their side (rows for ``F``'s axes, columns for ``X``'s); the other
factors split into connected parts, each tying at most one axis of ``F`` to at most one axis of
``X`` (a part with two axes on one side only is ``vec(M)``); the parts are ordered so that the
slow-to-fast axes of both ``F`` and ``X`` come out right, or right but for a side of two axes
that comes out swapped, which a commutation matrix puts back (``∂vec(A Xᵀ B)/∂X =
(Bᵀ ⊗ A) K``). A term that does not split that way is written as it stands, matricized
(``mat_col[i j | k l](T)``, ``T`` in index notation; the form's notes say how to read it) —
correct, if not pretty. Every factor of a term appears in its form, or the term is written so.
"""

from __future__ import annotations

import re
from typing import Any


from ..core.algebra import add as algebra_add
from ..core.dims import dim_mul, dims_equal
from ..errors import LayoutError
from .conventions import LAYOUTS, VECS, check_choice, split_of
from .matrix_form import MatrixForm, identities_clash
from .forms import (Commutation, Explicit, Form, Identity, Ones, add, hadamard, kron,
                          matmul, scaled, transpose, unary)
from .product_reading import read_product
from .vec_regroup import NoRegrouping, distribute, regroup
from ..core.nodes import Derivative, Expr, Product, Reshape, Sum, plain
from .matrix_layout import Scope, build_form
from ..core.graph_walk import one_tensor_per_name, tensors_of
from ..core.coercion import as_expr
from ..rendering.index_notation import label_names, to_index_notation
from ..rendering.index_sizes import dimension_names


class _NoFactorization(Exception):
    """This term does not split into Kronecker parts."""


def _as_product(t: Expr) -> tuple:
    if isinstance(t, Product):
        return t.factors, t.out, t.dims, t.coef
    labels = tuple(range(t.ndim))
    return ((t, labels),), labels, tuple(t.shape), 1.0


def _components(factors: list, labels_of_out: set) -> list[list]:
    """Factors grouped by shared labels (union-find over labels)."""
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for _, ls in factors:
        for l in ls[1:]:
            parent[find(l)] = find(ls[0])
    groups: dict = {}
    for f in factors:
        key = find(f[1][0]) if f[1] else ("scalar", id(f))
        groups.setdefault(key, []).append(f)
    return list(groups.values())


def _order(parts: list, f_slow: list, x_slow: list) -> list:
    """Parts in Kronecker order: their rows spell ``f_slow`` and their columns ``x_slow``."""
    todo, done, i, j = list(parts), [], 0, 0
    while todo:
        fits = [p for p in todo if tuple(p[0]) == tuple(f_slow[i:i + len(p[0])])
                and tuple(p[1]) == tuple(x_slow[j:j + len(p[1])])]
        both = [p for p in fits if p[0] and p[1]]
        if not fits:
            raise _NoFactorization
        p = (both or fits)[0]
        todo.remove(p)
        done.append(p)
        i, j = i + len(p[0]), j + len(p[1])
    return done


def _part_form(rows: list, cols: list, factors: list, dims: tuple, vec: str, sizes: tuple) -> Form:
    if len(rows) > 1 and cols or len(cols) > 1 and rows or len(rows) > 2 or len(cols) > 2:
        raise _NoFactorization
    order = rows + cols
    if len(order) == 2 and not (rows and cols):
        # two axes on one side: vec of the matrix over them. ``order`` is slow-to-fast; vec_col
        # runs down columns (rows fastest), so its matrix has the fast axis on rows; vec_row
        # runs along rows (columns fastest), so the slow axis is on rows.
        natural = tuple(order[::-1]) if vec == "col" else tuple(order)
        m = read_product(factors, natural, dims, 1.0, "col", sizes=sizes)
        v = unary("vec", m, (dim_mul(*(dims[l] for l in order)), None), vec)
        return v if rows else transpose(v)
    m = read_product(factors, tuple(order), dims, 1.0, "col", sizes=sizes)
    return transpose(m) if cols and not rows else m


def _broadcast_vec(key: tuple, axes_slow: list, forms: list, dims: tuple, vec: str) -> Form:
    """``vec`` over all of a side's axes of the factors over ``key`` (Hadamard), repeated along
    the side's other axes: ``1 ⊗ v ⊗ 1``, slowest axis first (``key`` is a run of them)."""
    d = hadamard(*forms)
    if len(key) == 2:
        d = unary("vec", d, (dim_mul(*(dims[l] for l in key)), None), vec)
    start = axes_slow.index(key[0])
    if tuple(axes_slow[start:start + len(key)]) != key:
        raise _NoFactorization  # a diagonal over axes that are not adjacent in vec
    pieces = [Ones((dims[l], None)) for l in axes_slow[:start]] + [d] \
        + [Ones((dims[l], None)) for l in axes_slow[start + len(key):]]
    return kron(*pieces) if len(pieces) > 1 else d


def _diag_side(axes_slow: list, diags: dict, dims: tuple, vec: str, used: set) -> Form | None:
    """``diag(·)`` of one side: blocks ``diag(v) ⊗ I`` when the diagonal factors' axes tile the
    side without overlapping, else one ``diag`` of the Hadamard product of their vecs, each
    repeated along the axes it lacks. Every key over this side is added to ``used``."""
    mine = [k for k in diags if set(k) <= set(axes_slow)]
    if not mine:
        return None
    used.update(mine)
    size = dim_mul(*(dims[l] for l in axes_slow))
    if any(set(a) & set(b) for a in mine for b in mine if a != b):
        v = hadamard(*[_broadcast_vec(k, axes_slow, diags[k], dims, vec) for k in mine])
        return unary("diag", v, (size, size))
    blocks, i = [], 0
    while i < len(axes_slow):
        key = next((k for k in mine if tuple(axes_slow[i:i + len(k)]) == k), None)
        if key is None:
            if any(axes_slow[i] in k for k in mine):
                raise _NoFactorization  # a diagonal over axes that are not adjacent in vec
            blocks.append(Identity(dims[axes_slow[i]]))
            i += 1
            continue
        d = _broadcast_vec(key, list(key), diags[key], dims, vec)
        block = dim_mul(*(dims[l] for l in key))
        blocks.append(unary("diag", d, (block, block)))
        i += len(key)
    return kron(*blocks)


def _diagonal_factor(ls: tuple, sides: tuple, counts: dict) -> bool:
    """A factor over output axes of one side only, each shared: it scales rows (or columns)."""
    return (0 < len(ls) <= 2 and len(set(ls)) == len(ls) and all(counts[l] > 1 for l in ls)
            and any(set(ls) <= set(side) for side in sides))


def _term_form(t: Expr, a: int, vec: str, scope: Scope) -> Form:
    factors, out, dims, coef = _as_product(t)
    fl, xl = list(out[:a]), list(out[a:])
    f_slow, x_slow = (fl[::-1], xl[::-1]) if vec == "col" else (fl, xl)
    retired: set = set()
    if any(isinstance(f, Reshape) for f, _ in factors):  # vec/unvec: regroup the labels
        try:
            factors, f_slow, x_slow, dims, c, retired = regroup(factors, f_slow, x_slow, dims)
        except NoRegrouping:
            raise _NoFactorization from None
        coef *= c
        fl, xl = (f_slow[::-1], x_slow[::-1]) if vec == "col" else (f_slow, x_slow)
        out = tuple(fl + xl)
    if any(len(ls) > 2 for _, ls in factors):
        raise _NoFactorization
    counts: dict = {}
    for _, ls in factors:
        for l in set(ls):
            counts[l] = counts.get(l, 0) + 1
    diags: dict = {}
    rest = []
    for f, ls in factors:
        if _diagonal_factor(ls, (fl, xl), counts):
            natural = tuple(l for l in out if l in ls)  # vec of a matrix factor, in out's order
            form = build_form(f, scope)
            form = form if ls == natural else transpose(form)
            diags.setdefault(tuple(l for l in f_slow + x_slow if l in ls), []).append(form)
        else:
            rest.append((build_form(f, scope), ls))
    present = {l for _, ls in rest for l in ls}
    rest += [(None, (l,)) for l in out if l not in present]  # broadcast axes: a part of ones
    parts = []
    sizes = tuple(l for l in range(len(dims))
                  if l not in out and l not in present and l not in retired)
    for group in _components(rest, set(out)):
        labels = {l for _, ls in group for l in ls}
        rows = [l for l in f_slow if l in labels]
        cols = [l for l in x_slow if l in labels]
        real = [(f, ls) for f, ls in group if f is not None]
        parts.append((rows, cols, real))
    scalars = [read_product(p[2], (), dims, 1.0, "col", sizes=()) for p in parts
               if not p[0] and not p[1]]
    if sizes:
        scalars.append(read_product([], (), dims, 1.0, "col", sizes=sizes))
    parts = [p for p in parts if p[0] or p[1]]
    ordered, swap_f, swap_x = _swapped_order(parts, f_slow, x_slow)
    body = kron(*[_part_form(r, c, fs, dims, vec, ()) for r, c, fs in ordered])
    if swap_f:  # the parts spell F's two axes fast-to-slow: K puts them back
        body = matmul(Commutation(dims[f_slow[0]], dims[f_slow[1]]), body)
    if swap_x:
        body = matmul(body, Commutation(dims[x_slow[1]], dims[x_slow[0]]))
    if body is None:
        body = Identity(1) if not out else None
    used: set = set()
    left, right = (_diag_side(f_slow, diags, dims, vec, used),
                   _diag_side(x_slow, diags, dims, vec, used))
    if used != set(diags):  # every factor of the term is in its form, or the term falls back
        raise _NoFactorization
    body = matmul(*[f for f in (left, body, right) if f is not None])
    return scaled(coef, scalars, body)


def _swapped_order(parts: list, f_slow: list, x_slow: list) -> tuple[list, bool, bool]:
    """Parts in Kronecker order, allowing a side of two axes to come out swapped: ``(parts,
    F's axes swapped, X's axes swapped)``; a swap is undone by a commutation matrix ``K``."""
    f_ways = [(list(f_slow), False)] + ([(f_slow[::-1], True)] if len(f_slow) == 2 else [])
    x_ways = [(list(x_slow), False)] + ([(x_slow[::-1], True)] if len(x_slow) == 2 else [])
    for n_swaps in (0, 1, 2):
        for fs, sf in f_ways:
            for xs, sx in x_ways:
                if sf + sx != n_swaps:
                    continue
                try:
                    return _order(parts, fs, xs), sf, sx
                except _NoFactorization:
                    continue
    raise _NoFactorization


_MAT_NOTE = {
    "col": "row r and column c hold T[i,j,…,k,l,…] where r runs over the indices before '|' and "
           "c over those after it, the first index fastest (column-major, as vec_col)",
    "row": "row r and column c hold T[i,j,…,k,l,…] where r runs over the indices before '|' and "
           "c over those after it, the last index fastest (row-major, as vec_row)"}


def explicit(t: Expr, a: int, vec: str, shape: tuple, layout: str = "numerator") -> Explicit:
    """The term ``t`` as it stands, matricized: ``mat_col[i j | k l](T)``, rows over the indices
    before ``|`` (``F``'s in numerator layout, ``X``'s in denominator layout). Index notation's
    own ``where`` lines (shared pieces of ``T``) follow the closing parenthesis.

    Examples:
        >>> import indexcalc as ic
        >>> x = ic.Tensor("x", (3,))
        >>> print(explicit(ic.outer(x, x * x), 1, "col", (3, 3)).text)
        mat_col[i | j](x[i] x[j] x[j])
    """
    names = label_names(t.shape, dimension_names(t))   # to_index_notation(t)'s own axes
    rows, cols = (names[:a], names[a:]) if layout == "numerator" else (names[a:], names[:a])
    head = f"mat_{vec}[{' '.join(rows)} | {' '.join(cols)}]".replace("[ |", "[|")
    head = head.replace("| ]", "|]")
    main, where, lets = to_index_notation(t).partition("\nwhere\n")
    text = f"{head}({main})" + (where + lets if where else "")
    if layout == "denominator":
        shape = (shape[1], shape[0])
    return Explicit(t, a, layout, vec, shape, text)


def to_kron(expr: Any, layout: str = "numerator", vec: str = "col",
            out_ndim: int | None = None, *, names: Any = ()) -> MatrixForm:
    """The Jacobian ``∂vec(F)/∂vec(X)`` of a derivative tensor, with ``⊗``, ``I`` and ``diag``.

    Args:
        expr: a derivative of shape ``F.shape + X.shape`` (from ``ic.diff``; a sum term by term).
            Every derivative has a form: terms that do not factorize into ``⊗``, ``diag``, ``K``
            and ``vec`` are written as the tensor itself, matricized (``mat_col[i j | k l](T)``,
            see the form's notes), and evaluate to just that.
        layout: ``"numerator"`` (rows ``vec F``) or ``"denominator"`` (the transpose).
        vec: ``"col"`` (column-major, ``vec(AXB) = (Bᵀ ⊗ A) vec X``) or ``"row"``.
        out_ndim: how many leading axes are ``F``'s; remembered for results of ``ic.diff``.
        names: extra named expressions, as in :func:`indexcalc.layouts.matrix_layout`.

    Examples:
        >>> import indexcalc as ic
        >>> A, X, B = ic.tensors("A[p,q] X[q,r] B[r,s]")
        >>> print(ic.to_kron(ic.diff(A @ X @ B, X)))
        Bᵀ ⊗ A
        >>> print(ic.to_kron(ic.diff(A @ X @ B, X), vec="row"))
        A ⊗ Bᵀ
        >>> print(ic.to_kron(ic.diff(A @ X @ X.T, X)))  # K_(q,r) vec(X) = vec(Xᵀ)
        X ⊗ A + (I ⊗ (A X)) K_(q,r)
    """
    expr = as_expr(expr, "to_kron")
    one_tensor_per_name(tensors_of(expr), "to_kron")  # a form would print both as one name
    check_choice("layout", layout, LAYOUTS)
    check_choice("vec", vec, VECS)
    a = split_of(expr, out_ndim)
    if a is None:
        raise LayoutError("to_kron needs to know which axes belong to F: pass out_ndim= (the "
                          "number of leading axes of the function differentiated); results of "
                          "ic.diff carry it")
    # the derivative itself binds the dimensions its value lost (from its variable's value or
    # a size given by name): the form's identities and ones may be sized by them
    roots = (expr,) if isinstance(expr, Derivative) else ()
    expr = plain(expr)  # the split read, a derivative is its value
    for sized_identity in (False, True):   # identities of two sizes: printed again, I_n
        scope = Scope(expr, names, "col", ())
        scope.identity_subscripted |= sized_identity
        terms = distribute(expr.terms if isinstance(expr, Sum) and expr.terms else ((1.0, expr),))
        # a large piece reached more than once is written once, in the where clause
        try:
            scope.share([f for _, t in terms for f, _ in _as_product(t)[0]])
        except LayoutError:  # a named piece of order > 2 has no matrix leaf: terms explicit
            scope.uses = None
        forms, notes, unfactored = [], [], []
        shape = (dim_mul(*expr.shape[:a]) if a else None,
                 dim_mul(*expr.shape[a:]) if a < expr.ndim else None)
        for k, (c, t) in enumerate(terms):
            try:
                f = _term_form(t, a, vec, scope)
                if isinstance(f, Identity) and shape[0] is not None and \
                        dims_equal(f.dim, shape[0]):   # I_{m·n} as F's size is written
                    f = Identity(shape[0], subscripted=scope.identity_subscripted)
            except (_NoFactorization, LayoutError):
                unfactored.append((c, t))
                continue
            forms.append((c, transpose(f) if layout == "denominator" else f))
        reserved: frozenset = frozenset()
        if unfactored:  # one explicit tensor for them all: its shared pieces are written once
            f = explicit(algebra_add(unfactored, expr.shape), a, vec, shape, layout)
            notes.append(f"a term that does not factorize into Kronecker products "
                         f"({len(unfactored)} of {len(terms)}) is written, with the others "
                         f"like it, as "
                         f"{f.text.partition('(')[0]}(T): the tensor T in index notation, "
                         f"matricized: {_MAT_NOTE[vec]}")
            forms.append((1.0, f))  # last: index notation's where lines end the text
            reserved = frozenset(re.findall(r"\bz\d+\b", f.text))  # its lets' names: its own
        root = add(forms, (shape[1], shape[0]) if layout == "denominator" else shape)
        form = MatrixForm(root, tuple(tensors_of(expr)) + roots, layout,
                          tuple(notes + scope.notes), reserved=reserved)
        if not identities_clash(form):
            return form
    return form
