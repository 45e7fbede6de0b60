"""Small rewrites that ``algebra.product`` and ``algebra.add`` apply to reach a normal form.

Each one states its identity and why it terminates (it never adds factors or terms):

* ``merge_powers`` — ``x^p[L] · x^q[L] = x^(p+q)[L]`` for factors on the same labels (``sqrt(x)``
  counts as ``x^0.5``; ``(x^a)^b = x^(ab)`` for integer ``b``, and ``sqrt(x)^b = x^(b/2)``). A total
  exponent of 0 drops the factors (``x⁻¹ ∘ x = 1`` where ``x`` is defined). Plain ``x ∘ x`` is
  left alone (it reads better than ``x²``). Shrinks: ≥ 2 factors become ≤ 1.
* ``orient_symmetric`` — a symmetric matrix factor ``S[b,a] = S[a,b]``: its two labels are put in a
  canonical order, so ``Sᵀ`` is ``S`` and products that differ by it compare equal. Reorders only.
  Symmetric are symmetric variables, deltas, inverses and elementwise functions of symmetric
  matrices, and products equal to their own transpose (``AᵀA``, ``A S Aᵀ``): so
  ``(AᵀA)⁻ᵀ = (AᵀA)⁻¹`` and ``A (AᵀA)⁻¹ + A (AᵀA)⁻ᵀ`` collects to ``2 A (AᵀA)⁻¹``.
* ``term_key`` — products that differ only in the order of their factors are like terms
  (``x xᵀ + (x xᵀ)ᵀ = 2 x xᵀ``), so ``add`` collects them. Keys only; builds nothing.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .dims import dims_equal
from .nodes import Derivative, Apply, Delta, Expr, Inverse, Named, Product, Shared, Sum, Tensor

_SYMMETRY_DEPTH = 16


def is_symmetric(e: Expr, depth: int = _SYMMETRY_DEPTH) -> bool:
    """Whether a square matrix expression is known to equal its transpose (a cheap, sound test)."""
    if e.ndim != 2 or depth <= 0 or not dims_equal(e.shape[0], e.shape[1]):
        return False
    if isinstance(e, Tensor):
        return e.symmetric
    if isinstance(e, Delta):
        return True
    if isinstance(e, (Inverse, Named, Shared, Derivative, Apply)):
        return is_symmetric(e.arg, depth - 1)
    if isinstance(e, Sum):
        if bool(e.terms) and all(is_symmetric(t, depth - 1) for _, t in e.terms):
            return True
        # P + Pᵀ: the transposed terms are the terms (up to factor order), coefficients alike;
        # compared as multisets, not by hash: hash(-1.0) == hash(-2.0), so -2 S - Sᵀ matched
        return len(e.terms) <= _GRAM_FACTORS and \
            Counter((c, term_key(t)) for c, t in e.terms) == \
            Counter((c, _transposed_key(t)) for c, t in e.terms)
    if isinstance(e, Product) and len(e.factors) == 1:
        f, ls = e.factors[0]
        return set(ls) == set(e.out) and is_symmetric(f, depth - 1)
    if isinstance(e, Product) and len(e.factors) <= _GRAM_FACTORS:
        # a product that is its own transpose up to factor order: Aᵀ A, A S Aᵀ, x xᵀ
        return term_key(e) == term_key(Product(e.coef, e.factors, e.out[::-1], e.dims))
    return False


def _transposed_key(t: Expr) -> Any:
    """``term_key`` of ``tᵀ`` (a matrix), without building more than one product."""
    if isinstance(t, Product):
        f, ls = t.factors[0] if len(t.factors) == 1 else (None, None)
        if f is not None and t.coef == 1.0 and ls == t.out[::-1] and len(set(ls)) == 2:
            return f  # (Pᵀ)ᵀ = P
        return term_key(Product(t.coef, t.factors, t.out[::-1], t.dims))
    return term_key(Product(1.0, ((t, (1, 0)),), (0, 1), (t.shape[1], t.shape[0])))


#: Products of more factors than this are not tested for symmetry (the test builds the transpose).
_GRAM_FACTORS = 6


def orient_symmetric(factors: list, out: tuple) -> list:
    """Give every symmetric matrix factor its labels in a canonical order (output labels first)."""
    rank: dict[Any, int] = {l: i for i, l in enumerate(out)}
    for _, ls in factors:
        for l in ls:
            rank.setdefault(l, len(rank))
    result = []
    for f, ls in factors:
        if len(ls) == 2 and ls[0] != ls[1] and rank[ls[0]] > rank[ls[1]] and is_symmetric(f):
            ls = (ls[1], ls[0])
        result.append((f, ls))
    return result


def _power_base(f: Expr) -> tuple[Expr, float]:
    """``f`` as ``base ** exponent``."""
    if isinstance(f, Apply) and f.fn == "sqrt":
        return f.arg, 0.5
    if isinstance(f, Apply) and f.fn == "power":
        inner = f.arg
        if isinstance(inner, Apply) and inner.fn == "sqrt":
            return inner.arg, 0.5 * f.param
        if isinstance(inner, Apply) and inner.fn == "power" and float(f.param).is_integer():
            return inner.arg, inner.param * f.param
        return inner, f.param
    return f, 1.0


def _power(base: Expr, p: float) -> Expr:
    if p == 1.0:
        return base
    if p == 0.5:
        return Apply("sqrt", base)
    return Apply("power", base, p)


def merge_powers(factors: list) -> tuple[list, list]:
    """Merge powers of one base on the same labels; return the factors and labels left unused."""
    groups: dict[tuple, list[int]] = {}
    bases = []
    for i, (f, ls) in enumerate(factors):
        base, p = _power_base(f) if isinstance(f, Expr) else (f, 1.0)
        bases.append((base, p))
        if isinstance(f, Expr):  # size markers are not factors
            groups.setdefault((id(base), ls), []).append(i)
    # x ∘ x stays a Hadamard product (it prints as 1 − h∘h); merge only where a power is involved
    groups = {k: g for k, g in groups.items() if len(g) > 1 and any(bases[j][1] != 1.0 for j in g)}
    if not groups:
        return factors, []
    result, freed = [], []
    for i, (f, ls) in enumerate(factors):
        group = groups.get((id(bases[i][0]), ls) if isinstance(f, Expr) else ("marker", i), [i])
        if len(group) == 1:
            result.append((f, ls))
        elif group[0] == i:
            total = sum(bases[j][1] for j in group)
            if total == 0.0:
                freed.extend(ls)
            else:
                result.append((_power(bases[i][0], total), ls))
    return result, freed


def term_key(e: Expr) -> Any:
    """A key equal for products that differ only in factor order (and label names).

    Labels are colored by where they sit (output position, or the factors and axes they join),
    the colors refined a few rounds as in Weisfeiler–Lehman graph hashing, and the factors sorted
    by node and label colors before the labels are renumbered. Equal keys always mean equal
    products; products with symmetric structure may rarely still get different keys.
    """
    if not isinstance(e, Product) or len(e.factors) < 2:
        return e
    color = {l: hash(("sum", e.dims[l])) for l in range(len(e.dims))}
    color.update({l: hash(("out", i)) for i, l in enumerate(e.out)})
    for _ in range(3):
        seen: dict[int, list] = {l: [] for l in color}
        for f, ls in e.factors:
            around = tuple(color[m] for m in ls)
            for pos, l in enumerate(ls):
                seen[l].append((id(f), pos, around))
        color = {l: hash((c, tuple(sorted(seen[l])))) for l, c in color.items()}
    order = sorted(e.factors, key=lambda fl: (type(fl[0]).__name__, id(fl[0]),
                                              tuple(color[l] for l in fl[1])))
    relabel: dict[int, int] = {l: i for i, l in enumerate(e.out)}
    for _, ls in order:
        for l in ls:
            relabel.setdefault(l, len(relabel))
    for l in range(len(e.dims)):
        relabel.setdefault(l, len(relabel))
    dims = [None] * len(e.dims)
    for l, i in relabel.items():
        dims[i] = e.dims[l]
    return (Product, tuple((id(f), tuple(relabel[l] for l in ls)) for f, ls in order),
            tuple(relabel[l] for l in e.out), tuple(dims))


def power_of(x: Expr, p: float) -> Expr | None:
    """``x ** p`` simplified when ``x`` is itself a power or a square root; else None."""
    base, q = _power_base(Apply("power", x, p))
    if base is x:
        return None
    return _power(base, q)
