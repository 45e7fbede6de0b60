"""Re-associating a product so that no factor of order above 2 is left for ``ic.to_matrix``.

A product of order ≤ 2 may hold a factor of order 3 or 4 — a sum of outer products that a
derivative rule built (``∂(LᵀL)/∂L``), a shared cotangent, a Kronecker product that a trace
reads. Matrix algebra has no name for such a piece, but the product does not need one: the
contraction can be taken in another order. :func:`reassociate` distributes the product over such
a sum (``A (B + C) = A B + A C``, with every term flattened into one einsum, whose deltas then
collapse) and reads a reshape that only merges axes into the labels it merges (``Σ_i K[i,i]``
for ``K = A ⊗ B`` is ``Σ_{a,b} A[a,a] B[b,b]``), until every factor has order ≤ 2 — or it gives
up, past :data:`MAX_TERMS` terms, and returns ``None``.

Examples:
    >>> import indexcalc as ic
    >>> L = ic.Tensor("L", "m n")
    >>> print(ic.to_matrix(ic.grad(ic.logdet(L.T @ L), L)))
    2 L (Lᵀ L)⁻¹
"""

from __future__ import annotations

from ..core.algebra import add, fresh, product
from ..core.dims import dim_mul, dims_equal
from ..core.nodes import Derivative, Expr, Product, Reshape, Shared, Sum

#: Distribution stops (and ``reassociate`` gives up) past this many terms.
MAX_TERMS = 64


def _big(f: Expr) -> bool:
    return f.ndim > 2


def _unwrapped(f: Expr) -> Expr:
    while isinstance(f, (Shared, Derivative)):
        f = f.arg
    return f


def _groups(r: Reshape) -> list[tuple] | None:
    """For each axis of ``r``, the run of ``r.arg``'s axes it merges; ``None`` unless ``r``
    only merges adjacent axes."""
    src, out, at = tuple(r.arg.shape), [], 0
    for d in r.shape:
        run: list = []
        while at < len(src) and (not run or not dims_equal(dim_mul(*run), d)):
            run.append(src[at])
            at += 1
        if not run or not dims_equal(dim_mul(*run), d):
            return None
        out.append(tuple(run))
    return out if at == len(src) else None


def _split_reshape(p: Product) -> Expr | None:
    """``p`` with its reshape factors read through their arguments: each merged label is
    split into the labels it merges, in every reshape factor that has it the same way."""
    dims = dict(enumerate(p.dims))
    factors = list(p.factors)
    split: dict = {}  # label -> its run of dims
    for f, ls in factors:
        g = _unwrapped(f)
        groups = _groups(g) if isinstance(g, Reshape) else None
        if groups is None:
            continue
        for l, run in zip(ls, groups):
            if len(run) > 1:
                if l in p.out or (l in split and split[l] != run):
                    return None
                split.setdefault(l, run)
    if not split:
        return None
    parts = {l: tuple(fresh() for _ in run) for l, run in split.items()}
    for l, run in split.items():
        dims.update(zip(parts[l], run))
    new = []
    for f, ls in factors:
        g = _unwrapped(f)
        groups = _groups(g) if isinstance(g, Reshape) else None
        if groups is not None and any(l in split for l in ls):
            labels = []
            for l, run in zip(ls, groups):
                if l in split and split[l] == run:
                    labels.extend(parts[l])
                elif len(run) > 1:
                    return None  # a merged axis on an output or a label split otherwise
                else:
                    labels.append(l)
            new.append((g.arg, tuple(labels)))
        elif any(l in split for l in ls):
            return None  # a label that only a reshape can split
        else:
            new.append((f, ls))
    return product(new, p.out, dims, p.coef)


def _step(p: Product) -> list[tuple[float, Expr]] | None:
    """One re-association of ``p`` (terms), or ``None`` when no big factor can be opened."""
    dims = dict(enumerate(p.dims))
    for k, (f, ls) in enumerate(p.factors):
        if not _big(f):
            continue
        g = _unwrapped(f)
        others = list(p.factors[:k] + p.factors[k + 1:])
        if isinstance(g, Sum):
            return [(c, product(others + [(t, ls)], p.out, dims, p.coef)) for c, t in g.terms]
        if isinstance(g, Product):
            flat = product(others + [(g, ls)], p.out, dims, p.coef)
            if not (isinstance(flat, Product) and flat.factors == p.factors):
                return [(1.0, flat)]
        if isinstance(g, Reshape):
            split = _split_reshape(p)
            if split is not None:
                return [(1.0, split)]
    return None


def reassociate(p: Product) -> Expr | None:
    """An expression equal to ``p`` whose products have no factor of order above 2 (a sum of
    products), or ``None`` when a big factor cannot be opened (a tensor of order 3, a function
    of one) or the expansion passes :data:`MAX_TERMS` terms."""
    done: list[tuple[float, Expr]] = []
    work: list[tuple[float, Expr]] = [(1.0, p)]
    steps = 0
    while work:
        steps += 1
        if steps > 16 * MAX_TERMS or len(work) + len(done) > MAX_TERMS:
            return None
        c, e = work.pop()
        e = _unwrapped(e)
        if isinstance(e, Sum):
            work.extend((c * c2, t) for c2, t in e.terms)
            continue
        if isinstance(e, Product) and any(_big(f) for f, _ in e.factors):
            step = _step(e)
            if step is None:
                return None
            work.extend((c * c2, t) for c2, t in step)
            continue
        done.append((c, e))
    return add(done, p.shape)
