"""The sum rule ``common_factor``: ``Σ_t F·R_t = F·(Σ_t R_t)`` for a factor every term shares.

``−Xᵀy + Xᵀσ(Xw)`` becomes ``Xᵀ(σ(Xw) − y)``: shorter to print, and evaluation reads ``X`` once
(one contraction with it instead of one per term). It applies to a sum whose terms are all
products with one factor ``F`` (the same node) that joins the output the same way in each: the
same output axes at the same positions of ``F``, its other labels summed. What each term has
besides ``F`` (its *rest*) is a product whose outputs are ``F``'s summed labels and the output
axes the rest uses; those outputs must agree too, so the rests add up as tensors of one shape,
and no rest may have more axes than its largest factor (else the rests' sum would be a tensor
larger than anything the terms hold: ``Σ_kl X_kl (c_j M_ik b_l + …)``).
Shrinks: ``k`` copies of ``F`` become one (the rests' sum is rewritten by the same rules).

``algebra.add`` calls :func:`factor_common` with its own ``product`` and ``add`` (this module
sits below them and cannot import them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .nodes import Expr, Product

#: Sums of more terms than this are left alone (the search is quadratic in the terms).
MAX_TERMS = 16


def _roles(t: Product, ls: tuple) -> tuple | None:
    """How ``F[ls]`` joins the output of ``t``: each label's output position, or ``None`` for a
    summed one; None when ``F`` repeats a label (a diagonal)."""
    if len(set(ls)) != len(ls):
        return None
    return tuple(t.out.index(l) if l in t.out else None for l in ls)


def _rest(t: Product, k: int) -> tuple[list, dict] | None:
    """The factors of ``t`` but its ``k``-th, and the role of each label they must output:
    ``("F", i)`` for ``F``'s ``i``-th label (summed), ``("out", j)`` for output axis ``j``. The
    roles are in the order the rest's factors first use them (so ``I[i,k] C[k,j]`` less ``C``
    is read ``I[i,k]``, not its transpose); an output axis the rest does not use comes last.
    None where the rest does not use one of ``F``'s summed labels."""
    f, ls = t.factors[k]
    others = [fl for j, fl in enumerate(t.factors) if j != k]
    role = {l: ("F", i) for i, l in enumerate(ls) if l not in t.out}
    role.update({l: ("out", j) for j, l in enumerate(t.out) if l not in ls})
    used = [l for _, gls in others for l in gls]
    role.update({l: ("out", j) for j, l in enumerate(t.out) if l in ls and l in used})
    if any(l not in used for l in ls if l not in t.out):
        return None  # the rest would be broadcast along F's summed axis: Σ_k y_k (… + U ŷ 1ᵀ)
    order = list(dict.fromkeys(l for l in used if l in role))
    order += [l for l in role if l not in order]
    return others, {role[l]: l for l in order}


def _split(t: Product, f: Expr, roles: tuple) -> tuple | None:
    """``t`` as ``F`` and a rest, with ``F`` joining as ``roles``; None if it does not."""
    for k, (g, ls) in enumerate(t.factors):
        if g is f and _roles(t, ls) == roles:
            rest = _rest(t, k)
            if rest is not None:
                return (k,) + rest
    return None


def factor_common(items: list[tuple[float, Expr]], shape: tuple, product: Callable,
                  add: Callable, fresh_labels: Callable, size_factors: Callable) -> Expr | None:
    """``Σ c_t·t`` with a factor shared by every term taken out, or None where none is.

    Args:
        items: the collected terms ``(c, t)`` of a sum (``t.coef == 1`` for products).
        shape: the sum's shape.
        product, add, fresh_labels, size_factors: ``algebra``'s constructors.
    """
    if not 2 <= len(items) <= MAX_TERMS or not all(isinstance(t, Product) for _, t in items):
        return None
    first = items[0][1]
    for f, ls in first.factors:
        roles = _roles(first, ls)
        if roles is None:
            continue
        splits = [_split(t, f, roles) for _, t in items]
        if any(s is None for s in splits) or len({frozenset(s[2]) for s in splits}) != 1:
            continue
        if any(len(sp[2]) > max((g.ndim for g, _ in sp[1]), default=0) for sp in splits):
            continue  # a rest would be a tensor larger than its factors: Σ_kl X_kl (c_j M_ik b_l)
        return _factored(items, shape, f, roles, splits, product, add, fresh_labels, size_factors)
    return None


def _factored(items: list, shape: tuple, f: Expr, roles: tuple, splits: list, product: Callable,
              add: Callable, fresh_labels: Callable, size_factors: Callable) -> Expr:
    out = fresh_labels(len(shape))
    f_labels = tuple(out[r] if r is not None else fresh_labels(1)[0] for r in roles)
    dims: dict[Any, Any] = dict(zip(out, shape))
    dims.update(zip(f_labels, f.shape))
    order = list(splits[0][2])  # the roles of the rest's outputs, as the first term reads them
    rest_labels = tuple(f_labels[i] if kind == "F" else out[i] for kind, i in order)
    rests = []
    for (c, t), (_, others, labels_of) in zip(items, splits):
        rest_out = tuple(labels_of[r] for r in order)
        rests.append((c * t.coef, product(others + size_factors(t), rest_out, dict(enumerate(t.dims)))))
    rest_shape = tuple(dims[l] for l in rest_labels)
    return product([(f, f_labels), (add(rests, rest_shape), rest_labels)], out, dims)
