"""Multiplying a chain's sums out, so that a step is as simple as its result.

A step's chain is the product of a local derivative and the derivative accumulated so far; both
may be sums (``diag(ŷ) − ŷ ŷᵀ``) or products holding sums (``y∘ŷ⁻¹``). Kept factored, a factor
and its inverse sit in different factors and never meet; multiplied out, term by term,
:func:`indexcalc.core.algebra.product` cancels them (``y∘ŷ⁻¹ (diag(ŷ) − ŷ ŷᵀ)`` is
``−y + (Σ y) ŷ``). ``ic.explain`` prints whichever reads shorter.
"""

from __future__ import annotations

from ..core.algebra import add, inline, product, size_factors
from ..core.nodes import Expr, Product, Sum


class _TooMany(Exception):
    pass


def expanded(factors: list, out: tuple, dims: dict, opaque: frozenset = frozenset(),
             limit: int = 8) -> Expr | None:
    """The product of ``factors`` with every sum among them (and inside a product among them)
    multiplied out, term by term, so that a factor and its inverse in different terms meet and
    cancel (``y∘ŷ⁻¹ (diag(ŷ) − ŷ ŷᵀ)`` is ``y − (Σ y) ŷ``); ``None`` past ``limit`` terms.
    Nodes whose id is in ``opaque`` (the explanation's named intermediates) stay whole."""
    def terms(e: Expr, ls: tuple) -> list:
        if id(e) in opaque:
            return [(1.0, [(e, ls)])]
        if isinstance(e, Sum):
            return [(c * k, g) for c, t in e.terms for k, g in terms(t, ls)]
        if isinstance(e, Product) and not size_factors(e):
            inner, _ = inline(e, ls, dims)
            out_terms = [(e.coef, [])]
            for g, gls in inner:
                out_terms = [(c * k, fs + parts) for c, fs in out_terms for k, parts in terms(g, gls)]
                if len(out_terms) > limit:
                    raise _TooMany
            return out_terms
        return [(1.0, [(e, ls)])]

    try:
        combos = [(1.0, [])]
        for e, ls in factors:
            combos = [(c * k, fs + parts) for c, fs in combos for k, parts in terms(e, ls)]
            if len(combos) > limit:
                return None
    except _TooMany:
        return None
    shape = tuple(dims[l] for l in out)
    return add([(c, product(fs, out, dims)) for c, fs in combos], shape)
