"""Orthonormal factors cancel: ``Σ_k V[i,k] V[j,k] = δ_ij`` for eigenvectors and singular vectors.

A rewrite of :func:`indexcalc.core.algebra.product`: two factors that are the same
:class:`~indexcalc.core.nodes.Decomposition` part with orthonormal columns (rows), contracted
over their row (column) label and nothing else — the label in no other factor and not in the
output, every other label but one shared — are the identity on the remaining pair of labels: a
delta, which delta elimination then renames away. So ``∂(Σλ)/∂A`` is ``I`` and ``∂tr(Uᵀ U)`` is
zero. Shrinks: two factors become one delta (or none: ``Σ_k V[k,i] V[k,i] = 1`` where ``i`` is
used elsewhere).

:func:`vanishes` says when a product is zero because it reads the diagonal of a gap matrix
(``F[k,k] = 0``): the eigenvector terms of the derivative of a function of the eigenvalues alone.
"""

from __future__ import annotations

from collections import Counter

from .dims import dims_equal
from .nodes import Decomposition, Delta

#: (kind, part) -> the axes (of a matrix) a contraction over which gives the identity:
#: ``-2`` for orthonormal columns (``Σ_rows``), ``-1`` for orthonormal rows (``Σ_columns``).
#: U's rows (Vh's columns) are orthonormal too when the matrix has no more rows (columns) than k.
def _orthonormal_axes(f: Decomposition) -> tuple[int, ...]:
    if f.kind == "eigh":
        return (-2, -1) if f.part == "vectors" else ()
    if f.part == "U":
        return (-2, -1) if dims_equal(f.shape[-2], f.shape[-1]) else (-2,)
    if f.part == "Vh":
        return (-2, -1) if dims_equal(f.shape[-2], f.shape[-1]) else (-1,)
    return ()


def cancel_orthogonal(factors: list, out: tuple) -> list:
    """``factors`` with each orthonormal pair contracted over its summed label made a delta."""
    if sum(isinstance(f, Decomposition) for f, _ in factors) < 2:
        return factors
    changed = True
    while changed:
        changed = False
        count = Counter(l for _, ls in factors for l in ls)
        for i, (f, ls) in enumerate(factors):
            axes = _orthonormal_axes(f) if isinstance(f, Decomposition) else ()
            for j in range(i + 1, len(factors)):
                g, ms = factors[j]
                if g is not f or not axes:
                    continue
                pair = _contracted_pair(f, ls, ms, axes, count, out)
                if pair is not None:
                    rest = [x for k, x in enumerate(factors) if k not in (i, j)]
                    factors = rest + [p for p in (pair,) if p is not _ONE]
                    changed = True
                    break
            if changed:
                break
    return factors


def _contracted_pair(f: Decomposition, ls: tuple, ms: tuple, axes: tuple, count: Counter,
                     out: tuple):
    """The delta that ``f[ls] f[ms]`` is, or None."""
    for axis in axes:
        free = -1 if axis == -2 else -2
        c = ls[axis]
        if ms[axis] != c or c in out or count[c] != 2:
            continue
        if ls[:-2] != ms[:-2] or c in ls[:-2] or ls.count(c) != 1:
            continue
        if ls[free] == ms[free]:  # a column's squared norm: 1, if its label lives on elsewhere
            if ls[free] in out or count[ls[free]] > 2 or ls[free] in ls[:-2]:
                return _ONE
            continue
        return (Delta(f.shape[free], 2), (ls[free], ms[free]))
    return None


_ONE = object()  # a pair whose product is 1


def vanishes(factors: list) -> bool:
    """Whether a factor is the diagonal of a gap matrix (zero there by definition)."""
    return any(isinstance(f, Decomposition) and f.part == "gaps" and ls[-1] == ls[-2]
               for f, ls in factors)
