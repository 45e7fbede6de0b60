"""Named rewrite rules of matrix algebra that ``algebra.product`` applies to a product's factors.

Rules are data: ``FACTOR_RULES`` is an ordered table of ``(name, identity, rule)``; each rule
takes the factors of one product (``(expr, labels)`` pairs, after flattening), the output labels
and how often each label is used, and returns the rewritten factors (and a scalar to multiply
the coefficient by) or ``None`` where it does not apply. Each one shrinks the product (fewer
factors or less nesting), so rewriting terminates; each one keeps the value wherever the
expression is defined (an ``Inverse`` node already requires its argument to be invertible).
``tests/test_core_matrix_rules.py`` checks every row numerically, before against after.

* ``inverse_of_inverse`` — ``(A⁻¹)⁻¹ = A``. Shrinks: removes two nodes.
* ``inverse_cancels`` — ``Σ_j A⁻¹[i,j] A[j,k] = δ[i,k]`` (and ``A A⁻¹``; either orientation for a
  symmetric ``A``) where ``j`` joins only these two factors. Shrinks: two factors become a
  delta, which delta elimination then removes.
* ``inverse_of_square_chain`` — ``(A₁ A₂ ⋯ A_k)⁻¹ = A_k⁻¹ ⋯ A₁⁻¹`` for square factors of one
  size (each is then invertible), taken only where one of the inverses then cancels against
  another factor of the product: ``det(X⁵) (X⁵)⁻ᵀ Xᵀ Xᵀ = det(X⁵) X⁻ᵀ X⁻ᵀ X⁻ᵀ``. Shrinks: it
  is kept only where the factor count does not grow, and it removes an ``Inverse`` of a product
  (which no rule creates).
* ``cancel_through_shared`` — a ``Shared`` product (a cotangent that reverse accumulation uses
  several times) is inlined where one of the rules above then removes a factor:
  ``[det(P) P⁻ᵀ] Pᵀ = det(P) I``. Shrinks: kept only when the inlined product has fewer factors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any

from .dims import dims_equal
from .nodes import Delta, Expr, Inverse, Product, Shared
from .normal_form import is_symmetric

Label = Hashable
Factors = list[tuple[Any, tuple]]


def _is_matrix_factor(f: Any, ls: tuple) -> bool:
    return isinstance(f, Expr) and f.ndim == 2 and len(ls) == 2 and ls[0] != ls[1]


def inverse_of_inverse(factors: Factors, out: tuple, fresh: Callable) -> tuple[Factors, float] | None:
    """``(A⁻¹)⁻¹ = A`` for a factor of the product."""
    changed = False
    result = []
    for f, ls in factors:
        if isinstance(f, Inverse) and isinstance(f.arg, Inverse) and f.ndim == 2:
            f, changed = f.arg.arg, True
        result.append((f, ls))
    return (result, 1.0) if changed else None


def _cancel_pair(inv_ls: tuple, a_ls: tuple, symmetric: bool, counts: Counter,
                 out: tuple) -> tuple | None:
    """The delta's labels when ``A⁻¹[inv_ls]`` and ``A[a_ls]`` cancel, else None."""
    (a, b), (c, d) = inv_ls, a_ls
    pairs = [(b, c, (a, d)), (a, d, (c, b))]  # A⁻¹A: shared b = c; A A⁻¹: shared a = d
    if symmetric:  # A = Aᵀ (and so A⁻¹ = A⁻ᵀ): A may be read either way round
        pairs += [(b, d, (a, c)), (a, c, (d, b))]
    for x, y, delta in pairs:
        if x == y and x not in out and counts[x] == 2:
            return delta
    return None


def _cancel_once(factors: Factors, out: tuple) -> Factors | None:
    counts = Counter(l for _, ls in factors for l in ls)
    for i, (f, ls) in enumerate(factors):
        if not (isinstance(f, Inverse) and _is_matrix_factor(f, ls)):
            continue
        for j, (g, gls) in enumerate(factors):
            if j == i or g is not f.arg or not _is_matrix_factor(g, gls):
                continue
            delta = _cancel_pair(ls, gls, is_symmetric(g), counts, out)
            if delta is not None:
                rest = [fl for k, fl in enumerate(factors) if k not in (i, j)]
                return _tie(rest, delta, f.shape[0], out)
    return None


def _tie(factors: Factors, labels: tuple, dim: Any, out: tuple) -> Factors:
    """``factors`` times ``δ[labels]``: a summed label is renamed to the other one at once (so the
    next cancellation along a chain sees the two factors meet), else the delta is a factor."""
    p, q = labels
    if p != q and (q not in out or p not in out):
        old, new = (q, p) if q not in out else (p, q)
        return [(f, tuple(new if l == old else l for l in ls)) for f, ls in factors]
    return factors + [(Delta(dim, 2), labels)]


def inverse_cancels(factors: Factors, out: tuple, fresh: Callable) -> tuple[Factors, float] | None:
    """``A⁻¹ A = I`` and ``A A⁻¹ = I`` inside the product, as often as they occur."""
    result = _cancel_once(factors, out)
    if result is None:
        return None
    while (again := _cancel_once(result, out)) is not None:
        result = again
    return result, 1.0


def _square_chain(p: Product) -> list[tuple[Expr, bool]] | None:
    """``p``'s factors in chain order from its first output label to its second, each with
    whether it is read transposed; None unless ``p`` is such a chain of square matrices."""
    if p.ndim != 2 or not all(dims_equal(d, p.dims[0]) for d in p.dims):
        return None
    if not all(_is_matrix_factor(f, ls) for f, ls in p.factors):
        return None
    counts = Counter(l for _, ls in p.factors for l in ls)
    first, last = p.out
    if first == last or counts[first] != 1 or counts[last] != 1:
        return None
    if any(counts[l] != 2 for l in counts if l not in p.out) or len(counts) != len(p.dims):
        return None
    chain, at, todo = [], first, list(p.factors)
    while todo:
        step = next(((k, f, ls) for k, (f, ls) in enumerate(todo) if at in ls), None)
        if step is None:
            return None
        k, f, ls = step
        transposed = ls[1] == at
        chain.append((f, transposed))
        at = ls[0] if transposed else ls[1]
        del todo[k]
    return chain if at == last else None


def _expanded_inverse(p: Product, ls: tuple, fresh: Callable) -> Factors | None:
    """``(A₁⋯A_k)⁻¹[ls]`` as the factors ``A_k⁻¹ ⋯ A₁⁻¹`` (fresh labels between them)."""
    chain = _square_chain(p)
    if chain is None:
        return None
    k = len(chain)
    labels = [ls[1]] + list(fresh(k - 1)) + [ls[0]]  # labels[i]: between A_i⁻¹ and A_{i+1}⁻¹
    factors = []
    for i, (f, transposed) in enumerate(chain, start=1):
        row, col = labels[i], labels[i - 1]  # (A_i⁻¹)[row, col]; (Aᵀ)⁻¹[r, c] = A⁻¹[c, r]
        inverse = f.arg if isinstance(f, Inverse) else Inverse(f)  # (A⁻¹)⁻¹ = A at once
        factors.append((inverse, (col, row) if transposed else (row, col)))
    return factors


def inverse_of_square_chain(factors: Factors, out: tuple,
                            fresh: Callable) -> tuple[Factors, float] | None:
    """``(A₁⋯A_k)⁻¹ = A_k⁻¹⋯A₁⁻¹`` where an inverse then cancels against another factor."""
    for i, (f, ls) in enumerate(factors):
        if not (isinstance(f, Inverse) and isinstance(f.arg, Product) and _is_matrix_factor(f, ls)
                and f.arg.coef != 0.0):
            continue
        expanded = _expanded_inverse(f.arg, ls, fresh)
        if expanded is None:
            continue
        trial = factors[:i] + expanded + factors[i + 1:]
        rewritten = inverse_cancels(trial, out, fresh)
        if rewritten is not None and len(rewritten[0]) <= len(factors):
            return rewritten[0], 1.0 / f.arg.coef
    return None


def _inlined(q: Product, ls: tuple, fresh: Callable) -> Factors:
    """The factors of product ``q`` given output labels ``ls`` (its summed labels made fresh)."""
    summed = [l for l in range(len(q.dims)) if l not in q.out]
    rename = dict(zip(q.out, ls)) | dict(zip(summed, fresh(len(summed))))
    return [(g, tuple(rename[l] for l in gls)) for g, gls in q.factors]


def cancel_through_shared(factors: Factors, out: tuple,
                          fresh: Callable) -> tuple[Factors, float] | None:
    """A shared product (a cotangent used several times) is inlined where an inverse in it then
    cancels: ``[det(P) P⁻ᵀ] Pᵀ = det(P) I``. Sharing saves recomputing the product; the
    cancellation saves more (the product with it is never computed)."""
    for i, (f, ls) in enumerate(factors):
        q = f.arg if isinstance(f, Shared) else None
        if not (isinstance(q, Product) and len(q.factors) <= _INLINE_LIMIT
                and any(isinstance(g, Inverse) for g, _ in q.factors)
                and all(dims_equal(d, dd) for d, dd in zip(q.shape, f.shape))):
            continue
        trial = factors[:i] + _inlined(q, ls, fresh) + factors[i + 1:]
        before = len(trial)
        for _, _, rule in FACTOR_RULES[:3]:
            rewritten = rule(trial, out, fresh)
            if rewritten is not None and len(rewritten[0]) < before:
                return rewritten[0], q.coef * rewritten[1]
    return None


#: A shared product of more factors than this is never inlined (reverse accumulation shares
#: long cotangents so that a deep chain's gradient is not quadratic to build).
_INLINE_LIMIT = 8


#: The rules, in the order they are tried: ``(name, identity, rule)``.
FACTOR_RULES: tuple[tuple[str, str, Callable], ...] = (
    ("inverse_of_inverse", "(A⁻¹)⁻¹ = A", inverse_of_inverse),
    ("inverse_cancels", "A⁻¹ A = A A⁻¹ = I", inverse_cancels),
    ("inverse_of_square_chain", "(A₁⋯A_k)⁻¹ = A_k⁻¹⋯A₁⁻¹ (square Aᵢ), where it cancels",
     inverse_of_square_chain),
    ("cancel_through_shared", "[B A⁻¹] A = B, the bracket shared", cancel_through_shared),
)


def rewrite_factors(factors: Factors, out: tuple, fresh: Callable) -> tuple[Factors, float] | None:
    """The first rule of ``FACTOR_RULES`` that applies, as ``(factors, coefficient)``; else None.

    Factors that are not expressions (``algebra``'s size markers) pass through untouched.
    """
    if not any(isinstance(f, (Inverse, Shared)) for f, _ in factors):
        return None
    for _, _, rule in FACTOR_RULES:
        result = rule(factors, out, fresh)
        if result is not None:
            return result
    return None
