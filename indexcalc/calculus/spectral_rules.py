"""Derivatives of the parts of ``eigh`` and ``svd`` in closed form, as data.

Each part's differential is a short sum of einsum terms in the other parts and the argument's
differential ``T = dA`` (one row per part in :data:`DIFFERENTIALS`); the forward rule contracts
``T`` with the tangent's trailing axes, the reverse rule puts the cotangent where the part's
axes were and reads the result off ``T``'s labels (each term is linear in ``T``). Every factor
is a :class:`~indexcalc.core.nodes.Decomposition` part, so the derivatives are products of
existing nodes that the planner, the renderers and the layouts read like any other.

Letters stand for one matrix's axes; the stack's leading axes are shared by every factor.
Factor names: ``V`` eigenvectors, ``L`` eigenvalues, ``F`` the gap matrix (``1/(λ_j − λ_i)``
for eigh, ``1/(s_j² − s_i²)`` for svd, 0 on the diagonal), ``U``/``s``/``Vh`` the thin SVD,
``R = 1/s``. The formulas (Magnus 1985 for eigh; Townsend 2016, "Differentiating the singular
value decomposition", for svd, the ``R`` terms being the extra ones of a non-square A):

* ``dλ_i = v_iᵀ dA v_i``; ``dV = V (F ∘ (Vᵀ sym(dA) V))`` with ``F_ij = 1/(λ_j − λ_i)``.
* ``ds_i = u_iᵀ dA v_i``; with ``dP = Uᵀ dA V``:
  ``dU = U (F ∘ (dP S + S dPᵀ)) + (I − U Uᵀ) dA V S⁻¹``,
  ``dV = V (F ∘ (S dP + dPᵀ S)) + (I − V Vᵀ) dAᵀ U S⁻¹``.
* ``dF_ij = −F_ij² (dλ_j − dλ_i)`` (svd: ``−F_ij² (2 s_j ds_j − 2 s_i ds_i)``),
  ``d(1/s_i) = −ds_i / s_i²``: second derivatives compose from these.

``eigh`` reads a symmetric matrix (its value is refused otherwise), and its derivative is that of
``eigh((A + Aᵀ)/2)`` — JAX's convention — so the eigenvector rule symmetrizes ``dA``; the
eigenvalue rule needs no symmetrizing (``vᵀ dA v = vᵀ dAᵀ v``).
"""

from __future__ import annotations

from functools import lru_cache

from ..core.algebra import add, fresh_labels, product
from ..core.dims import dims_equal
from ..core.nodes import Decomposition, Expr
from ..errors import IndexcalcError

#: factor name -> the part it stands for, per kind
PART_NAMES = {
    "eigh": {"L": "values", "V": "vectors", "F": "gaps"},
    "svd": {"U": "U", "s": "s", "Vh": "Vh", "F": "gaps", "R": "inv_s"},
}

_EIGVAL = "V:ai T:ab V:bi"      # dλ_i
_SINGVAL = "U:ai T:ab Vh:ib"    # ds_i

#: (kind, part) -> terms ``(coefficient, "factor:letters … -> output letters", condition)`` of
#: the part's differential; ``condition`` ``"m>k"``/``"n>k"`` keeps a term only for a matrix
#: with more rows (columns) than singular values.
DIFFERENTIALS = {
    ("eigh", "values"): [(1.0, _EIGVAL + " -> i", None)],
    ("eigh", "vectors"): [(0.5, "V:aj F:ji V:bj T:bc V:ci -> ai", None),
                          (0.5, "V:aj F:ji V:bj T:cb V:ci -> ai", None)],
    ("eigh", "gaps"): [(-1.0, "F:ij F:ij V:aj T:ab V:bj -> ij", None),
                       (1.0, "F:ij F:ij V:ai T:ab V:bi -> ij", None)],
    ("svd", "s"): [(1.0, _SINGVAL + " -> i", None)],
    ("svd", "U"): [(1.0, "U:aj F:ji s:i U:bj T:bc Vh:ic -> ai", None),
                   (1.0, "U:aj F:ji s:j U:bi T:bc Vh:jc -> ai", None),
                   (1.0, "T:ac Vh:ic R:i -> ai", "m>k"),
                   (-1.0, "U:aj U:bj T:bc Vh:ic R:i -> ai", "m>k")],
    ("svd", "Vh"): [(1.0, "Vh:ja F:ji s:j U:bj T:bc Vh:ic -> ia", None),
                    (1.0, "Vh:ja F:ji s:i U:bi T:bc Vh:jc -> ia", None),
                    (1.0, "T:ba U:bi R:i -> ia", "n>k"),
                    (-1.0, "Vh:ja Vh:jc T:bc U:bi R:i -> ia", "n>k")],
    ("svd", "gaps"): [(-2.0, "F:ij F:ij s:j U:aj T:ab Vh:jb -> ij", None),
                      (2.0, "F:ij F:ij s:i U:ai T:ab Vh:ib -> ij", None)],
    ("svd", "inv_s"): [(-1.0, "R:i R:i U:ai T:ab Vh:ib -> i", None)],
}


@lru_cache(maxsize=None)
def _parsed(kind: str, part: str, wide_rows: bool, wide_cols: bool) -> tuple:
    """The terms that apply, each ``(coef, ((name, letters), …), output letters)``."""
    keep = {None: True, "m>k": wide_rows, "n>k": wide_cols}
    out = []
    for coef, spec, cond in DIFFERENTIALS[(kind, part)]:
        if not keep[cond]:
            continue
        lhs, res = spec.split("->")
        factors = tuple(tuple(f.split(":")) for f in lhs.split())
        out.append((coef, factors, res.strip()))
    return tuple(out)


def _letter_dims(node: Decomposition, factors: tuple, parts: dict) -> dict:
    """Each letter's dimension, read off the factors' shapes (one matrix's axes)."""
    dims: dict = {}
    for name, letters in factors:
        shape = node.arg.shape[-2:] if name == "T" else parts[name].shape[node.arg.ndim - 2:]
        for c, d in zip(letters, shape):
            if c in dims and not dims_equal(dims[c], d):
                raise IndexcalcError(f"internal: letter {c!r} of the {node.kind} rule joins "
                                     f"{dims[c]} and {d}")
            dims[c] = d
    return dims


def differential_terms(node: Decomposition) -> list:
    """``[(coef, factors, T's labels, output labels, dims)]``: ``d node`` as einsum terms in
    fresh labels, ``factors`` the parts with theirs (the stack's labels first), ``T`` not
    among them (the caller puts the tangent, or reads the cotangent off, at ``T``'s labels)."""
    arg = node.arg
    m, n = arg.shape[-2:]
    k = Decomposition("svd", arg, "s").shape[-1] if node.kind == "svd" else n
    terms = _parsed(node.kind, node.part, not dims_equal(m, k), not dims_equal(n, k))
    parts = {name: Decomposition(node.kind, arg, part) for name, part in PART_NAMES[node.kind].items()}
    batch = fresh_labels(arg.ndim - 2)
    out = []
    for coef, factors, res in terms:
        letters = _letter_dims(node, factors, parts)
        label = dict(zip(letters, fresh_labels(len(letters))))
        dims = {label[c]: d for c, d in letters.items()}
        dims.update(zip(batch, arg.shape[:-2]))
        fs, t_labels = [], None
        for name, ls in factors:
            labels = batch + tuple(label[c] for c in ls)
            if name == "T":
                t_labels = labels
            else:
                fs.append((parts[name], labels))
        out.append((coef, fs, t_labels, batch + tuple(label[c] for c in res), dims))
    return out


def forward_decomposition(node: Decomposition, tan, E) -> Expr:
    """The tangent of a part: its differential with ``dA`` the argument's tangent."""
    t = tan(node.arg)
    el = tuple(l for l, _ in E)
    terms = []
    for coef, fs, t_labels, res, dims in differential_terms(node):
        terms.append((coef, product(fs + [(t, t_labels + el)], res + el, {**dims, **dict(E)})))
    return add(terms, node.shape + tuple(d for _, d in E))


def reverse_decomposition(node: Decomposition, ct: Expr, dep) -> list:
    """The argument's cotangent: each term's adjoint, the cotangent at the part's labels."""
    terms = []
    for coef, fs, t_labels, res, dims in differential_terms(node):
        terms.append((coef, product(fs + [(ct, res)], t_labels, dims)))
    return [(node.arg, add(terms, node.arg.shape))]
