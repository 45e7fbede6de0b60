"""Seeing through reshapes (``ic.vec``, ``ic.unvec``) when reading a term in Kronecker form.

A reshape in C order only regroups indices: an axis of size ``m·n`` *is* the pair of axes
``(m, n)``, the first slower. So a factor ``R = reshape(arg)`` of a derivative term can be
replaced by ``arg`` itself once the term's output labels are regrouped the same way:

* **merge** — an output axis of ``R`` is several axes of ``arg`` (``vec(F)`` on the ``F`` side):
  the output label is replaced, in the slow-to-fast list of its side, by one new label per
  axis of ``arg``, slowest first;
* **split** — several output axes of ``R`` are one axis of ``arg`` (``unvec(x)`` on the ``X``
  side): they must stand together, slowest first, in their side's slow-to-fast list, and are
  replaced by one new label.

The slow-to-fast lists are what the Kronecker reader orders parts by, so
``∂vec(A X B)/∂X`` reads like ``∂(A X B)/∂X`` with its rows regrouped: ``Bᵀ ⊗ A``. A reshape
that regroups a label some other factor also holds, or that is no such regrouping, is left to
the caller (:class:`NoRegrouping`).
"""

from __future__ import annotations

from ..core.dims import dim_mul, dims_equal
from ..core.algebra import product
from ..core.nodes import Delta, Expr, Product, Reshape, Sum
from ..frontend.matrices import reshape


class NoRegrouping(Exception):
    """A reshape factor that cannot be read as a regrouping of the term's output labels."""


def groups(fine: tuple, coarse: tuple) -> list[tuple[int, int]] | None:
    """How the axes of two shapes of one size pair up, as ``(count in fine, count in coarse)``.

    Each pair is consecutive axes of equal total size with one side a single axis.

    Examples:
        >>> groups(("q", "p", "m", "n"), ("p*q", "m", "n"))
        [(2, 1), (1, 1), (1, 1)]
        >>> groups(("m*n",), ("n", "m"))
        [(1, 2)]
        >>> groups(("m", "n"), ("n", "m")) is None
        True
    """
    out, i, j = [], 0, 0
    while i < len(fine) and j < len(coarse):
        found = None
        for k in range(1, len(fine) - i + 1):
            if dims_equal(dim_mul(*fine[i:i + k]), coarse[j]):
                found = (k, 1)
                break
        if found is None:
            for k in range(2, len(coarse) - j + 1):
                if dims_equal(dim_mul(*coarse[j:j + k]), fine[i]):
                    found = (1, k)
                    break
        if found is None:
            return None
        out.append(found)
        i, j = i + found[0], j + found[1]
    return out if i == len(fine) and j == len(coarse) else None


def _sum_terms(e: Expr) -> list[tuple[float, Expr]] | None:
    """The terms of a sum, or of a single-factor product of one (a transposed sum); else None."""
    if isinstance(e, Sum) and e.terms:
        return list(e.terms)
    if isinstance(e, Product) and len(e.factors) == 1 and isinstance(e.factors[0][0], Sum):
        (s, ls), = e.factors
        dims = dict(enumerate(e.dims))
        return [(c, product([(t, ls)], e.out, dims, e.coef)) for c, t in s.terms] or None
    return None


def distribute(terms: tuple) -> list[tuple[float, Expr]]:
    """Terms with a reshape of a sum (``vec(A X B + X)``) split into one reshape per term."""
    done, todo = [], list(terms)
    while todo:
        c, t = todo.pop(0)
        inner, k = t, 1.0
        if isinstance(t, Product) and len(t.factors) == 1 and t.factors[0][1] == t.out:
            inner, k = t.factors[0][0], t.coef
        parts = _sum_terms(inner.arg) if isinstance(inner, Reshape) else None
        if parts:
            todo[:0] = [(c * k * c2, reshape(e, inner.shape)) for c2, e in parts]
        else:
            done.append((c, t))
    return done


def _inline(arg: Expr, labels: tuple, dims: list) -> tuple[list, float]:
    """``arg`` over ``labels`` as factors (a product's own factors, its labels renamed)."""
    if not isinstance(arg, Product):
        return [(arg, labels)], 1.0
    rename = dict(zip(arg.out, labels))
    for l, d in enumerate(arg.dims):
        if l not in rename:
            rename[l] = len(dims)
            dims.append(d)
    return [(f, tuple(rename[l] for l in ls)) for f, ls in arg.factors], arg.coef


def _replace_run(sides: list, run: list, new) -> None:
    for s in sides:
        for i in range(len(s) - len(run) + 1):
            if s[i:i + len(run)] == run:
                s[i:i + len(run)] = [new]
                return
    raise NoRegrouping


def _expand(sides: list, label, new: list) -> None:
    for s in sides:
        if label in s:
            i = s.index(label)
            s[i:i + 1] = new
            return
    raise NoRegrouping


def _identity_split(r: Reshape, ls: tuple, pairs: list, sides: list, held: set,
                    retired: set) -> bool:
    """``unvec`` of the variable: the identity reshaped ties one output label to summed ones.

    ``reshape(δ)[l, m, k]`` with ``k`` an output label and ``l, m`` summed says ``k`` *is* the
    pair ``(l, m)``: ``k`` is replaced by ``l, m`` (slowest first) and the factor dropped.
    """
    if not (isinstance(r.arg, Delta) and r.arg.order == 2 and len(pairs) == 2):
        return False
    (one, many) = (0, 1) if pairs[0] == (1, 1) else (1, 0)
    if pairs[one] != (1, 1) or pairs[many][0] != 1:
        return False
    run = list(ls[1:]) if one == 0 else list(ls[:-1])
    label = ls[0] if one == 0 else ls[-1]
    outs = {l for s in sides for l in s}
    if label not in outs or label in held or len(set(run)) != len(run) \
            or any(l in outs or l == label for l in run):
        return False
    _expand(sides, label, run)
    retired.add(label)
    return True


def regroup(factors: list, f_slow: list, x_slow: list, dims: tuple) -> tuple:
    """Replace reshape factors by their arguments, regrouping the slow-to-fast label lists.

    Returns ``(factors, f_slow, x_slow, dims, coef, retired)`` (``retired``: the labels that
    were regrouped away, which no longer stand for an axis); raises :class:`NoRegrouping` when a
    reshape is no regrouping of output labels that it alone holds.
    """
    dims, sides, coef = list(dims), [list(f_slow), list(x_slow)], 1.0
    factors, retired = list(factors), set()
    while any(isinstance(f, Reshape) for f, _ in factors):
        k = next(i for i, (f, _) in enumerate(factors) if isinstance(f, Reshape))
        r, ls = factors.pop(k)
        pairs = groups(r.arg.shape, r.shape)
        if pairs is None:
            raise NoRegrouping
        held = {l for _, other in factors for l in other}
        if _identity_split(r, ls, pairs, sides, held, retired):
            continue
        arg_labels, i = [], 0
        for n_fine, n_coarse in pairs:
            mine = list(ls[i:i + n_coarse])
            if n_fine == n_coarse == 1:
                arg_labels += mine
            elif any(l in held or mine.count(l) > 1 for l in mine):
                raise NoRegrouping
            elif n_coarse == 1:  # merge: one label of R is several of arg
                new = list(range(len(dims), len(dims) + n_fine))
                dims += r.arg.shape[len(arg_labels):len(arg_labels) + n_fine]
                _expand(sides, mine[0], new)
                retired.add(mine[0])
                arg_labels += new
            else:  # split: several labels of R are one of arg
                new = len(dims)
                dims.append(r.arg.shape[len(arg_labels)])
                _replace_run(sides, mine, new)
                retired.update(mine)
                arg_labels.append(new)
            i += n_coarse
        inlined, c = _inline(r.arg, tuple(arg_labels), dims)
        factors += inlined
        coef *= c
    return factors, sides[0], sides[1], tuple(dims), coef, retired
