"""The rewrite ``A⁻¹ B → solve(A, B)`` (and ``B A⁻¹ → solve(Aᵀ, Bᵀ)ᵀ``) inside a product.

``Σ_j A⁻¹[i,j] B[j,r…] = solve(A, B)[i,r…]``: an inverse factor whose one label is summed and
met by exactly one other factor is replaced, with that factor, by a solve — cheaper (one LU
factorization, no explicit inverse) and more accurate. Where the summed label is the inverse's
first, ``Σ_i A⁻¹[i,j] B[i,r…] = solve(Aᵀ, B)[j,r…]``. Shrinks: two factors become one, so
repeating it terminates. An inverse met by a delta (``A⁻¹ I``) or by nothing stays an inverse.

Applied where a user writes the product (``@``). Not by ``ic.simplify``: the results of
``diff``/``grad`` are in normal form and come back from ``simplify`` unchanged, with the inverses
their rules write (a full Jacobian holds ``A⁻¹`` itself: ``∂(A⁻¹B)/∂B = I ⊗ A⁻¹``).

Examples:
    >>> import indexcalc as ic
    >>> A, B = ic.tensors("A[n,n] B[n,k]")
    >>> type(ic.inv(A) @ B).__name__, type(B.T @ ic.inv(A)).__name__
    ('Solve', 'Product')
    >>> print(ic.to_matrix(ic.inv(A) @ B))
    A⁻¹ B
"""

from __future__ import annotations

from collections import Counter

from .algebra import fresh_labels, product, size_factors
from .nodes import Delta, Expr, Inverse, Product, Solve, TriMask


def transpose_matrix(a: Expr) -> Expr:
    """``a`` with its last two axes swapped (``aᵀ`` of each matrix of a stack)."""
    ls = fresh_labels(a.ndim)
    return product([(a, ls)], ls[:-2] + (ls[-1], ls[-2]), dict(zip(ls, a.shape)))


def solve_along(a: Expr, b: Expr, axis: int) -> tuple[Expr, tuple]:
    """``solve(a, b)`` along axis ``axis`` of ``b`` (a 2-D ``a``): the solve node and the order
    of ``b``'s axes it holds (``axis`` first, then the others in order)."""
    order = (axis,) + tuple(k for k in range(b.ndim) if k != axis)
    ls = fresh_labels(b.ndim)
    moved = product([(b, ls)], tuple(ls[k] for k in order), dict(zip(ls, b.shape)))
    return Solve(a, moved), order


def _partner(factors: list, k: int, label) -> int | None:
    """The one other factor that carries ``label`` once, if exactly one does."""
    holders = [m for m, (_, ls) in enumerate(factors) if m != k and label in ls]
    if len(holders) != 1:
        return None
    f, ls = factors[holders[0]]
    if isinstance(f, (Delta, TriMask)) or Counter(ls)[label] != 1:
        return None
    return holders[0]


def _one_rewrite(factors: list, out: tuple) -> list | None:
    for k, (f, ls) in enumerate(factors):
        if not isinstance(f, Inverse) or f.ndim != 2 or ls[0] == ls[1]:
            continue
        for pos in (1, 0):
            label, other = ls[pos], ls[1 - pos]
            if label in out:
                continue
            m = _partner(factors, k, label)
            if m is None:
                continue
            b, bls = factors[m]
            a = f.arg if pos == 1 else transpose_matrix(f.arg)
            x, order = solve_along(a, b, bls.index(label))
            new = (x, (other,) + tuple(bls[j] for j in order[1:]))
            return [fl for j, fl in enumerate(factors) if j not in (k, m)] + [new]
    return None


def solve_inverses(e: Expr) -> Expr:
    """``e`` with every inverse factor that meets one other factor made a solve (see above)."""
    if not isinstance(e, Product) or not any(isinstance(f, Inverse) for f, _ in e.factors):
        return e
    factors, changed = list(e.factors), False
    while True:
        new = _one_rewrite(factors, e.out)
        if new is None:
            break
        factors, changed = new, True
    if not changed:
        return e
    return product(factors + size_factors(e), e.out, dict(enumerate(e.dims)), e.coef)
