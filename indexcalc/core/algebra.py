"""Smart constructors: every product and sum is built in simplified normal form.

The local rewrites, each shrinking the expression (so normalization terminates):

* **flatten** — a product factor that is itself a product is inlined with fresh summed labels,
  so one product holds a whole chain and the planner sees all of it. (``Named`` blocks this.)
* **eliminate deltas** — deltas are merged by shared labels; a class of labels tied by deltas
  that meets at most one output label is renamed to one label and the deltas vanish
  (``Σ_j A_ij δ_jk = A_ik``); a class meeting several output labels keeps one delta over exactly
  those (a diagonal that the result really has).
* **fold** — zero factors zero the product, scalar constants and integer sizes of unused summed
  labels (``δ_ii = n``) move into the coefficient, an identity product is its factor.
* **collect** — sums flatten, coefficients of equal terms add, zero terms drop.
* **factor** — a factor every term of a sum shares is taken out once (``common_factor``).
* **matrix rules** — ``A⁻¹A = I`` and its kin (``matrix_rules.FACTOR_RULES``).
"""

from __future__ import annotations

import itertools
from typing import Any
from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np

from .dims import Dim, dims_equal
from .orthogonality import cancel_orthogonal, vanishes
from .common_factor import factor_common
from .matrix_rules import rewrite_factors
from .normal_form import merge_powers, orient_symmetric, term_key
from .nodes import Constant, Delta, Expr, Named, Product, Sum, is_zero, plain, zero

Label = Hashable
_fresh = itertools.count()


#: Largest product that flattening builds. A deep chain (an unrolled recurrence's forward
#: Jacobian) would otherwise become one product of O(depth) factors at every step: quadratic
#: time and memory to build, and a planner facing thousands of operands. Beyond this the inner
#: product stays a factor (values and derivatives are the same; only the normal form is coarser).
MAX_FLAT = 48


def fresh() -> tuple:
    """A label that collides with no label a caller could have chosen."""
    return ("~", next(_fresh))


def fresh_labels(n: int) -> tuple:
    """``n`` labels that collide with no other label."""
    return tuple(fresh() for _ in range(n))


def product(factors: Iterable[tuple[Expr, Sequence[Label]]], out: Sequence[Label],
            dims: Mapping[Label, Dim], coef: float = 1.0) -> Expr:
    """The simplified einsum ``coef · Σ Π factors`` with output labels ``out``.

    Examples:
        >>> import indexcalc as ic
        >>> A = ic.Tensor("A", "m n")
        >>> product([(A, "ij"), (ic.delta("n"), "jk")], "ik", {"i": "m", "j": "n", "k": "n"}) is A
        True
    """
    dims = dict(dims)
    out = tuple(out)
    todo = [(plain(f), tuple(ls)) for f, ls in factors]  # a derivative is its value here
    todo.reverse()
    kept: list[tuple[Expr, tuple]] = []
    while todo:
        f, ls = todo.pop()
        if isinstance(f, Product) and len(f.factors) + len(kept) + len(todo) <= MAX_FLAT:
            inner, rename = inline(f, ls, dims)
            coef *= f.coef
            todo.extend(reversed(inner))
            # labels no factor of f uses: f's own summed ones multiply by their size, and so
            # do its broadcast output labels if this product sums them (else the marker is moot)
            used = {l for _, gls in f.factors for l in gls}  # once: a chain has many factors
            for l in range(len(f.dims)):
                if l not in used:
                    kept.append((_SIZE, (rename[l],)))
        elif isinstance(f, Sum) and len(f.terms) <= 1:
            if not f.terms:
                return zero(tuple(dims[l] for l in out))
            c, t = f.terms[0]
            coef *= c
            todo.append((t, ls))
        elif isinstance(f, Constant) and f.value.ndim == 0:
            coef *= float(f.value)
        else:
            kept.append((f, ls))
    shape = tuple(dims[l] for l in out)
    if coef == 0.0:
        return zero(shape)
    kept = cancel_orthogonal(kept, out)
    rewritten = rewrite_factors(kept, out, fresh_labels)  # A⁻¹ A = I and its kin
    if rewritten is not None:
        factors, c = rewritten
        factors = [(full((dims[ls[0]],)), ls) if f is _SIZE else (f, ls) for f, ls in factors]
        for f, ls in factors:  # the rules' fresh labels take their factor's dimensions
            for l, d in zip(ls, f.shape):
                dims.setdefault(l, d)
        return product(factors, out, dims, coef * c)
    kept, out = _eliminate_deltas(kept, out, dims)
    if vanishes(kept):
        return zero(shape)
    kept, freed = merge_powers(kept)
    kept = orient_symmetric(kept, out) + [(_SIZE, (l,)) for l in freed]
    size_labels = list(dict.fromkeys(ls[0] for f, ls in kept if f is _SIZE))  # each label once
    kept = [(f, ls) for f, ls in kept if f is not _SIZE]
    used = set(out).union(*(ls for _, ls in kept)) if kept else set(out)
    extra = {}
    for l in size_labels:
        if l in used:
            continue
        if isinstance(dims[l], int):
            coef *= dims[l]
        else:
            extra[l] = dims[l]
    if coef == 0.0:
        return zero(shape)
    if not kept and not out and not extra:
        return Constant(coef)
    if len(kept) == 1 and not extra and kept[0][1] == out:
        return scale(kept[0][0], coef)
    label_dims = {l: dims[l] for l in used}
    label_dims.update(extra)
    return Product(coef, tuple(kept), out, label_dims)


def inline(p: Product, labels: Sequence[Label], dims: dict) -> tuple[list, dict]:
    """The factors of ``p`` as factors of an enclosing product that gives ``p`` ``labels``.

    ``p``'s output labels become ``labels`` and its summed labels fresh ones, whose dimensions
    are added to ``dims`` (in place). Returns the relabelled factors and the renaming of each
    label of ``p``. Nothing is simplified (``p.coef`` is the caller's to fold): ``product``
    flattens with it, and an explanation shows a chain's factors before simplification.
    """
    rename = dict(zip(p.out, labels))
    for l, d in enumerate(p.dims):
        if l not in rename:
            rename[l] = fresh()
            dims[rename[l]] = d
    return [(g, tuple(rename[l] for l in gls)) for g, gls in p.factors], rename


class _SizeMarker:
    """Stands for a summed label that no factor uses (it multiplies by the label's size)."""


_SIZE = _SizeMarker()


def delta_classes(factors: Iterable[tuple[Expr, Sequence[Label]]]) -> tuple[dict, list]:
    """The classes of labels that delta factors tie together, and the factors that are not deltas.

    Returns ``(root, operands)``: ``root`` maps each label of a delta to its class's
    representative (labels of no delta are their own class); ``operands`` keeps the other
    factors in order. Every consumer of a product's deltas (normal form, planning, code, the
    explanation) must agree on these classes, so they are computed here only.

    Examples:
        >>> root, operands = delta_classes([(Delta(3, 2), "ij"), (Delta(3, 2), "jk")])
        >>> root["i"] == root["j"] == root["k"], operands
        (True, [])
    """
    parent: dict[Label, Label] = {}

    def find(l: Label) -> Label:
        while parent.get(l, l) != l:
            parent[l] = l = parent.get(parent[l], parent[l])  # halve the path: long chains
        return l

    operands = []
    tied: dict[Label, None] = {}
    for f, ls in factors:
        if not isinstance(f, Delta):
            operands.append((f, ls))
            continue
        tied.update(dict.fromkeys(ls))
        for l in ls[1:]:
            a, b = find(ls[0]), find(l)
            if a != b:
                parent[b] = a
    return {l: find(l) for l in tied}, operands


def _eliminate_deltas(factors: list, out: tuple, dims: dict) -> tuple[list, tuple]:
    deltas = [ls for f, ls in factors if isinstance(f, Delta)]
    if not deltas:
        return factors, out
    root, operands = delta_classes(factors)
    classes: dict[Label, list[Label]] = {}
    for ls in deltas:
        for l in ls:
            members = classes.setdefault(root[l], [])
            if l not in members:
                members.append(l)
    rename: dict[Label, Label] = {}
    new_deltas = []
    reps = []
    for members in classes.values():
        in_out = [l for l in out if l in members]
        rep = in_out[0] if in_out else members[0]
        reps.append(rep)
        for l in members:
            if l not in in_out[1:]:
                rename[l] = rep
        if len(in_out) >= 2:
            new_deltas.append((Delta(dims[rep], len(in_out)), tuple(in_out)))
    kept = [(f, tuple(rename.get(l, l) for l in ls)) for f, ls in operands]
    used = set(out).union(*(ls for _, ls in kept))
    for rep in reps:
        if rep not in used:  # Σ_i δ_ii…: the class is summed over nothing but deltas
            kept.append((_SIZE, (rep,)))
            used.add(rep)
    return kept + new_deltas, out


#: A nested sum of more terms than this stays one term (flattening it copies all its terms:
#: ``s = s + term`` repeated T times would cost T²); smaller ones are flattened.
FLATTEN_LIMIT = 64


def add(terms: Iterable[tuple[float, Expr]], shape: Sequence[Dim]) -> Expr:
    """The simplified linear combination ``Σ c·e`` (nested sums flattened, like terms collected).

    A nested sum of more than ``FLATTEN_LIMIT`` terms added to others is kept whole, so building
    a sum term by term is linear in its length.

    Examples:
        >>> import indexcalc as ic
        >>> x = ic.Tensor("x", 3)
        >>> add([(1.0, x), (2.0, x)], (3,)).terms
        ((3.0, Tensor('x', (3,))),)
        >>> add([(1.0, x), (-1.0, x)], (3,))
        <Zero (3,)>
    """
    shape = tuple(shape)
    coefs: dict[Any, list] = {}  # like-term key -> [first expression seen, total coefficient]
    stack = [(float(c), plain(e)) for c, e in terms]
    stack.reverse()
    several = len(stack) > 1
    while stack:
        c, e = stack.pop()
        if c == 0.0 or is_zero(e):
            continue
        if isinstance(e, Sum) and not (several and len(e.terms) > FLATTEN_LIMIT):
            stack.extend(reversed([(c * c2, t) for c2, t in e.terms]))
            continue
        if isinstance(e, Product) and e.coef != 1.0:
            c, e = c * e.coef, Product(1.0, e.factors, e.out, e.dims)
        entry = coefs.setdefault(term_key(e), [e, 0.0])
        entry[1] += c
    items = [(c, e) for e, c in coefs.values() if c != 0.0]
    items = _fold_constants(items)
    if not items:
        return zero(shape)
    if len(items) == 1 and items[0][0] == 1.0:
        return items[0][1]
    whole = Sum(tuple(items), shape)  # first: where the terms pin a dimension two ways, it says so
    factored = factor_common(items, shape, product, add, fresh_labels, size_factors)
    if factored is not None:  # Σ F·R_t = F·Σ R_t: F is read once
        return factored
    return whole


def _fold_constants(items: list) -> list:
    consts = [(c, e) for c, e in items if isinstance(e, Constant)]
    if len(consts) < 2:
        return items
    total = sum(c * np.asarray(e.value, dtype=np.result_type(e.value, np.float64)) for c, e in consts)
    rest = [(c, e) for c, e in items if not isinstance(e, Constant)]
    shapes = {e.shape for _, e in consts}  # keep named dimensions (a constant of shape ('d',))
    named = shapes.pop() if len(shapes) == 1 and np.ndim(total) == len(consts[0][1].shape) else None
    return [(1.0, Constant(total, shape=named))] + rest


def scale(e: Expr, c: float) -> Expr:
    """``c · e``."""
    if c == 1.0:
        return e
    return add([(c, e)], e.shape)


def full(shape: Sequence[Dim], value: float = 1.0) -> Expr:
    """A constant-valued tensor of a (possibly symbolic) shape, never stored densely."""
    shape = tuple(shape)
    labels = tuple(fresh() for _ in shape)
    return product([], labels, dict(zip(labels, shape)), coef=value)


def size_factors(node: Product) -> list[tuple[Expr, tuple]]:
    """``(ones, (label,))`` for each summed label of ``node`` that no factor uses.

    Such a label multiplies the product by its size; a product rebuilt from (some of) the
    factors of ``node`` must keep these, since ``product`` drops labels that nothing uses.
    """
    return [(full((d,)), (l,)) for l, d in enumerate(node.dims)
            if l not in node.out and not any(l in ls for _, ls in node.factors)]


def hadamard(*es: Expr) -> Expr:
    """Elementwise product of expressions of one shape."""
    shape = es[0].shape
    labels = tuple(fresh() for _ in shape)
    for e in es:
        if len(e.shape) != len(shape) or not all(map(dims_equal, e.shape, shape)):
            raise ValueError("internal: hadamard of different shapes")
    return product([(e, labels) for e in es], labels, dict(zip(labels, shape)))


def one_minus(e: Expr, c: float = 1.0) -> Expr:
    """``1 − c·e`` elementwise."""
    return add([(1.0, full(e.shape)), (-c, e)], e.shape)


def unnamed(e: Expr) -> Expr:
    """The expression behind any ``Named`` wrappers."""
    while isinstance(e, Named):
        e = e.arg
    return e
