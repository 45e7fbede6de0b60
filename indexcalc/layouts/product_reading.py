"""Reading one einsum product of matrices and vectors as matrix algebra.

The product is a graph: a matrix factor is an edge between its two labels, a vector an edge to a
free end, a scalar a loose piece. Local rewrites shrink the graph until only the output labels
are left, each step writing matrix algebra for what it removed:

1. a matrix whose two labels coincide: ``tr(M)`` if the label is summed there alone, else the
   vector ``diagonal(M)``;
2. **series** — a summed label joining exactly two pieces: the matrix product, with a transpose
   where an edge is walked backwards (``Σ_l A[a,l] B[b,l] = (A Bᵀ)[a,b]``);
3. **parallel** — two pieces over the same labels: the Hadamard product ``∘``;
4. **absorb** — a vector on a label that a matrix also has: ``M diag(v)`` on that side;
5. **lone** — a summed label in one piece only: ``sum(v)`` or ``M 1``.

Every step removes a piece or a label, so the loop ends; what is left is a matrix over both
output labels, or one vector per output label (an outer product ``u wᵀ``), times scalars.
A graph the rules cannot finish (a summed label shared by three matrices) is a ``LayoutError``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import LayoutError
from .forms import Form, Leaf, Nary, Ones, hadamard, matmul, scaled, transpose, unary



def assumption_note(name: str) -> str:
    """The note a form or an explanation prints when it used ``Σ name = 1``."""
    return f"assumes Σ {name} = 1 (declared normalized)"


@dataclass
class Piece:
    """A factor (or a merged group of factors) and the labels of its form's axes."""
    labels: tuple
    form: Form
    weight: int = 1  # how many factors it holds: the heavier goes first in a Hadamard


@dataclass
class Walk:
    """One product being read: pieces, which labels are outputs, the vector orientation."""
    pieces: list
    out: tuple
    dims: tuple
    mode: str  # "col" or "row": how a vector is written
    normalized: frozenset
    notes: list

    def vector_shape(self, label) -> tuple:
        d = self.dims[label]
        return (d, None) if self.mode == "col" else (None, d)

    def count(self, label) -> int:
        return sum(p.labels.count(label) for p in self.pieces)


def col(v: Form) -> Form:
    return v if v.shape[1] is None else transpose(v)


def row(v: Form) -> Form:
    return v if v.shape[0] is None else transpose(v)


def orient(p: Piece, labels: tuple) -> Form:
    """The matrix of piece ``p`` with rows on ``labels[0]`` and columns on ``labels[1]``."""
    return p.form if p.labels == labels else transpose(p.form)


def _replace(w: Walk, old: list, new: Piece) -> None:
    at = min(w.pieces.index(p) for p in old)
    for p in old:
        w.pieces.remove(p)
    w.pieces.insert(at, new)


def _self_loop(w: Walk) -> bool:
    for p in w.pieces:
        if len(p.labels) == 2 and p.labels[0] == p.labels[1]:
            l = p.labels[0]
            if l not in w.out and w.count(l) == 2:
                _replace(w, [p], Piece((), unary("tr", p.form, (None, None)), p.weight))
            else:
                _replace(w, [p], Piece((l,), unary("diagonal", p.form, w.vector_shape(l)), p.weight))
            return True
    return False


def _contract(w: Walk, p: Piece, q: Piece, l) -> Piece:
    a = [x for x in p.labels if x != l]
    b = [x for x in q.labels if x != l]
    weight = p.weight + q.weight
    if a and b:
        return Piece((a[0], b[0]), matmul(orient(p, (a[0], l)), orient(q, (l, b[0]))), weight)
    if not a and not b:
        return Piece((), matmul(row(p.form), col(q.form)), weight)
    mat, vec, end = (p, q, a[0]) if a else (q, p, b[0])
    if w.mode == "col":
        return Piece((end,), matmul(orient(mat, (end, l)), col(vec.form)), weight)
    return Piece((end,), matmul(row(vec.form), orient(mat, (l, end))), weight)


def _series(w: Walk) -> bool:
    for l in range(len(w.dims)):
        if l in w.out:
            continue
        holders = [p for p in w.pieces if l in p.labels]
        if len(holders) == 2 and w.count(l) == 2:
            p, q = holders
            _replace(w, [p, q], _contract(w, p, q, l))
            return True
    return False


def _merge_vectors(w: Walk, group: list) -> Form:
    group = sorted(group, key=lambda p: -p.weight)
    first = group[0].form
    if w.mode == "row" and isinstance(first, Nary) and first.op == "matmul":
        # a back-propagated row vector times an elementwise factor reads as the Jacobian chain
        return matmul(first, unary("diag", hadamard(*[p.form for p in group[1:]]),
                                   (first.shape[1], first.shape[1])))
    return hadamard(*[p.form for p in group])


def _parallel(w: Walk) -> bool:
    for i, p in enumerate(w.pieces):
        if not p.labels:
            continue
        group = [p] + [q for q in w.pieces[i + 1:] if set(q.labels) == set(p.labels)
                       and len(q.labels) == len(p.labels)]
        if len(group) < 2:
            continue
        weight = sum(q.weight for q in group)
        if len(p.labels) == 1:
            _replace(w, group, Piece(p.labels, _merge_vectors(w, group), weight))
        else:
            _replace(w, group, Piece(p.labels, hadamard(*[orient(q, p.labels) for q in group]),
                                     weight))
        return True
    return False


def _absorb(w: Walk) -> bool:
    for v in w.pieces:
        if len(v.labels) != 1:
            continue
        (l,) = v.labels
        m = next((p for p in w.pieces if len(p.labels) == 2 and l in p.labels), None)
        if m is None:
            continue
        d = unary("diag", v.form, (w.dims[l], w.dims[l]))
        form = matmul(m.form, d) if m.labels[1] == l else matmul(d, m.form)
        _replace(w, [v, m], Piece(m.labels, form, v.weight + m.weight))
        return True
    return False


def _lone(w: Walk) -> bool:
    for p in w.pieces:
        for l in p.labels:
            if l in w.out or w.count(l) != 1:
                continue
            if len(p.labels) == 1:
                src = p.form.source if isinstance(p.form, Leaf) else None
                if src is not None and getattr(src, "name", None) in w.normalized:
                    w.notes.append(assumption_note(src.name))
                    _replace(w, [p], Piece((), scaled(1.0, [], None), p.weight))
                else:
                    _replace(w, [p], Piece((), unary("sum", p.form, (None, None)), p.weight))
                return True
            (a,) = [x for x in p.labels if x != l]
            ones = Ones(w.vector_shape(l))
            form = (matmul(orient(p, (a, l)), col(ones)) if w.mode == "col"
                    else matmul(row(ones), orient(p, (l, a))))
            _replace(w, [p], Piece((a,), form, p.weight))
            return True
    return False


RULES: tuple[Callable[[Walk], bool], ...] = (_self_loop, _series, _parallel, _absorb, _lone)


def read_product(factors: list[tuple[Form, tuple]], out: tuple, dims: tuple, coef: float,
                 mode: str, normalized: frozenset = frozenset(), notes: list | None = None,
                 sizes: tuple | None = None) -> Form:
    """Matrix algebra for ``coef · Σ Π factors`` with output labels ``out`` (at most two).

    The result has rows on ``out[0]`` and columns on ``out[1]``; an order-1 result is a vector
    written as ``mode`` says; an order-0 result a scalar. ``sizes`` are summed labels that no
    factor has (each multiplies by its size); by default every such label of ``dims``.
    """
    w = Walk([Piece(tuple(ls), f) for f, ls in factors], tuple(out), tuple(dims), mode,
             frozenset(normalized), notes if notes is not None else [])
    for l in out:
        if w.count(l) == 0:  # an output label no factor has: the product broadcasts along it
            w.pieces.append(Piece((l,), Ones(w.vector_shape(l))))
    if sizes is None:
        sizes = tuple(l for l in range(len(dims)) if l not in out and w.count(l) == 0)
    for l in sizes:
        w.pieces.append(Piece((l,), Ones(w.vector_shape(l))))
    while any(rule(w) for rule in RULES):
        pass
    return _assemble(w, coef)


def _assemble(w: Walk, coef: float) -> Form:
    scalars = [p.form for p in w.pieces if not p.labels]
    rest = [p for p in w.pieces if p.labels]
    left = {l for p in rest for l in p.labels}
    if left - set(w.out) or len(rest) > len(w.out):
        raise LayoutError("this product is not a chain of matrix products, Hadamard products and "
                          "traces (a summed index is shared by three or more matrices); "
                          "ic.to_einsum shows it as an einsum, ic.to_kron as a Kronecker form")
    if len(w.out) == 0:
        body = None
    elif len(w.out) == 1:
        body = rest[0].form
    elif len(rest) == 1 and len(rest[0].labels) == 2:
        body = orient(rest[0], w.out)
    else:
        by_label = {p.labels[0]: p.form for p in rest}
        body = matmul(col(by_label[w.out[0]]), row(by_label[w.out[1]]))
    return scaled(coef, scalars, body)

