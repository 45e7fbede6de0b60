"""Matrix algebra as a value: a small expression tree that prints and evaluates itself.

A form node has a 2-D ``shape`` ``(rows, cols)`` whose entries are dimensions, or ``None`` for an
axis that is not there: a column vector is ``(n, None)``, a row vector ``(None, n)``, a scalar
``(None, None)``. Each form evaluates to a 2-D NumPy array (an absent axis has size 1), so a
misplaced transpose shows up as a wrong shape, never hides. Printing and evaluation are tables
keyed by node type (``TEXT``, ``LATEX`` in :mod:`indexcalc.layouts.form_text`, ``EVAL`` in
:mod:`indexcalc.layouts.form_values`); the walks
are iterative, so forms of deep recurrences print without hitting the recursion limit.

The smart constructors (:func:`transpose`, :func:`matmul`, :func:`hadamard`, :func:`add`,
:func:`scaled`) keep forms readable: ``(AB)ᵀ = BᵀAᵀ``, ``(Aᵀ)ᵀ = A``, ``diag(v)ᵀ = diag(v)``,
``A I = A``, ``1∘x = x``, nested products flattened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


from ..core.dims import Dim
from ..core.dims import dim_mul
from ..core.graph_walk import postorder


class Form:
    """Base of the matrix-algebra nodes."""

    shape: tuple[Any, Any]

    def children(self) -> tuple["Form", ...]:
        return ()


def _node(cls):
    return dataclass(frozen=True, eq=False)(cls)


@_node
class Leaf(Form):
    """A tensor, a named subexpression (``h``, ``ŷ``) or a constant, in its own orientation."""
    name: str
    shape: tuple
    source: Any = None  # the ic expression that defines it (a Tensor, a Named, a Constant)


@_node
class Number(Form):
    """A scalar constant (``shape = (None, None)``)."""
    value: float
    shape: tuple = (None, None)


@_node
class Identity(Form):
    """``I_n`` (printed ``I``, or ``I_n`` when ``subscripted``: a tensor of the form is named ``I``)."""
    dim: Dim
    shape: tuple = ()
    subscripted: bool = False

    def __post_init__(self):
        object.__setattr__(self, "shape", (self.dim, self.dim))


@_node
class Ones(Form):
    """A vector (or matrix) of ones, written ``1`` (``1ᵀ`` when ``marked``: transposed from how
    the renderer writes vectors)."""
    shape: tuple
    marked: bool = False


@_node
class Commutation(Form):
    """The commutation matrix ``K_{m,n}``: ``K vec_col(A) = vec_col(Aᵀ)`` for ``A`` of shape m × n."""
    m: Dim
    n: Dim
    shape: tuple = ()

    def __post_init__(self):
        d = dim_mul(self.m, self.n)
        object.__setattr__(self, "shape", (d, d))


@_node
class Unary(Form):
    """An operator of one form: ``op`` is a key of the tables (``T``, ``inv``, ``diag``, ``tr``…)."""
    op: str
    arg: Form
    shape: tuple
    param: Any = None

    def children(self):
        return (self.arg,)


@_node
class Nary(Form):
    """``op`` in ``matmul``, ``hadamard``, ``kron``, ``vcat``/``hcat`` (blocks) over ``args``."""
    op: str
    args: tuple
    shape: tuple

    def children(self):
        return self.args


@_node
class Add(Form):
    """``Σ c_k term_k`` (``symmetric``: known to equal its transpose, like ``P + Pᵀ``)."""
    terms: tuple  # ((coef, form), ...)
    shape: tuple
    symmetric: bool = False

    def children(self):
        return tuple(t for _, t in self.terms)


@_node
class Scaled(Form):
    """``coef · scalar₁ · scalar₂ ⋯ body`` (``body`` may be ``None``: a scalar)."""
    coef: float
    scalars: tuple
    body: Form | None
    shape: tuple

    def children(self):
        return self.scalars + ((self.body,) if self.body is not None else ())


@_node
class Ref(Form):
    """A subexpression used several times, printed by a name (``z1``) and defined once, in the
    form's ``where`` clause. ``definition`` is no child: walks stop here, so text stays linear.
    The :class:`MatrixForm` holding it numbers its definitions in the order they are listed."""
    shape: tuple
    definition: Form


@_node
class Explicit(Form):
    """A derivative tensor reshaped to ``∂vec(F)/∂vec(X)`` as it stands (it did not factorize)."""
    expr: Any
    out_ndim: int
    layout: str
    vec: str
    shape: tuple
    text: str = ""


# --------------------------------------------------------------------------- constructors

def is_scalar(f: Form) -> bool:
    return f.shape == (None, None)


#: The ``param`` of an ``inv`` form whose matrix is known symmetric (so its inverse is too).
SYMMETRIC = "symmetric"


def _symmetric(f: Form) -> bool:
    if isinstance(f, Ref):
        f = f.definition  # a definition is never itself a Ref: one step down
    return (isinstance(f, (Identity, Number)) or is_scalar(f)
            or isinstance(f, Unary) and f.op == "diag"
            or isinstance(f, Unary) and f.op == "inv" and f.param == SYMMETRIC  # (AᵀA)⁻ᵀ = (AᵀA)⁻¹
            or isinstance(f, Add) and f.symmetric  # (P + Pᵀ)ᵀ = P + Pᵀ
            or isinstance(f, Ones) and f.shape[0] == f.shape[1] and f.shape[0] is not None)


def _flip(shape: tuple) -> tuple:
    return (shape[1], shape[0])


def transpose(f: Form) -> Form:
    """``fᵀ``, pushed through products so a chain reads as the edges were walked."""
    if _symmetric(f):
        return f
    if isinstance(f, Unary) and f.op == "T":
        return f.arg
    if isinstance(f, Commutation):
        return Commutation(f.n, f.m)  # K_{m,n}ᵀ = K_{n,m} (a permutation's inverse)
    if isinstance(f, Nary) and f.op in ("vcat", "hcat"):  # [a; b]ᵀ = [aᵀ, bᵀ]
        return Nary("hcat" if f.op == "vcat" else "vcat", tuple(transpose(a) for a in f.args),
                    _flip(f.shape))
    if isinstance(f, Unary) and f.op == "unvec":  # unvec_col(u) of m × n, transposed, is
        order = "row" if f.param[0] == "col" else "col"  # unvec_row(u) of n × m, and back
        return Unary("unvec", f.arg, _flip(f.shape), (order,))
    if isinstance(f, Ones):
        return Ones(_flip(f.shape), not f.marked)
    if isinstance(f, Add) and not f.terms:  # a zero prints 0 either way round, never 0ᵀ
        return Add((), _flip(f.shape))
    if isinstance(f, Nary) and f.op == "matmul":
        return matmul(*[transpose(a) for a in reversed(f.args)])
    if isinstance(f, Nary) and f.op == "kron":
        return Nary("kron", tuple(transpose(a) for a in f.args), _flip(f.shape))
    if isinstance(f, Scaled) and f.body is not None:
        return Scaled(f.coef, f.scalars, transpose(f.body), _flip(f.shape))
    if isinstance(f, Unary) and f.op == "func" and f.arg.shape[0] is not None \
            and f.arg.shape[1] is not None:
        return Unary(f.op, transpose(f.arg), _flip(f.shape), f.param)
    return Unary("T", f, _flip(f.shape))


def _transposes(f: Form) -> int:
    return fold(f, _COUNT_T)


def unary(op: str, arg: Form, shape: tuple | None = None, param: Any = None) -> Form:
    if op == "tr" and _transposes(transpose(arg)) < _transposes(arg):
        arg = transpose(arg)  # tr(Mᵀ) = tr(M): read the loop the way with fewer transposes
    return Unary(op, arg, arg.shape if shape is None else shape, param)


def _spliced(fs: tuple, op: str, unit: type) -> list[Form]:
    """The factors of the ``op`` product of ``fs``: a nested ``op`` product's factors spliced in,
    ``unit`` factors dropped (all of them: the first stays). A nested product, made here, has no
    unit factor left, so it is not looked through again: a product grown one factor per level
    (the gradient of a deep chain) costs a copy per level, not a Python loop over all factors."""
    kept: list[Form] = []
    for f in fs:
        if isinstance(f, Nary) and f.op == op:
            kept.extend(f.args)
        elif not isinstance(f, unit):
            kept.append(f)
    return kept or list(fs[:1])


def matmul(*fs: Form) -> Form:
    """The chain ``f₁ f₂ ⋯`` (flattened; identities dropped)."""
    kept = _spliced(fs, "matmul", Identity)
    if len(kept) == 2 and all(isinstance(a, Ones) for a in kept) and kept[0].shape[1] is None \
            and kept[1].shape[0] is None and None not in (kept[0].shape[0], kept[1].shape[1]):
        return Ones((kept[0].shape[0], kept[1].shape[1]))  # 1 1ᵀ: the matrix of ones, 𝟙
    if len(kept) == 1:
        return kept[0]
    return Nary("matmul", tuple(kept), (kept[0].shape[0], kept[-1].shape[1]))


def hadamard(*fs: Form) -> Form:
    """``f₁ ∘ f₂ ∘ ⋯`` (flattened; ones dropped)."""
    kept = _spliced(fs, "hadamard", Ones)
    if len(kept) == 1:
        return kept[0]
    # a nested product's shape is that of its first non-scalar factor: no need to look inside
    shape = next((f.shape for f in fs if not isinstance(f, Ones) and not is_scalar(f)),
                 kept[0].shape)
    return Nary("hadamard", tuple(kept), shape)


def kron(*fs: Form) -> Form:
    """``f₁ ⊗ f₂ ⊗ ⋯``; a scalar factor multiplies the product (it is never dropped)."""
    scalars = [f for f in fs if is_scalar(f)]
    kept = [f for f in fs if not is_scalar(f)]
    if scalars and kept:
        return scaled(1.0, scalars, kron(*kept))
    if not fs:
        return Identity(1)  # the empty Kronecker product
    if not kept:
        return scaled(1.0, scalars[1:], scalars[0]) if len(scalars) > 1 else scalars[0]
    if len(kept) == 1:
        return kept[0]
    if all(isinstance(f, Identity) for f in kept):
        return Identity(dim_mul(*(f.dim for f in kept)))
    if len(kept) == 2 and {f.shape.index(None) for f in kept if None in f.shape} == {0, 1} \
            and all(None in f.shape for f in kept):  # a column ⊗ a row is their outer product
        column = next(f for f in kept if f.shape[1] is None)
        return matmul(column, next(f for f in kept if f is not column))

    def side(i: int) -> Dim | None:
        ds = [f.shape[i] for f in kept if f.shape[i] is not None]
        return dim_mul(*ds) if ds else None

    return Nary("kron", tuple(kept), (side(0), side(1)))


def add(terms: list[tuple[float, Form]], shape: tuple) -> Form:
    """``Σ c_k f_k`` of one ``shape`` (nested sums flattened, scalar factors' signs pulled out)."""
    flat: list[tuple[float, Form]] = []
    for c, f in terms:
        if isinstance(f, Add):
            flat.extend((c * c2, t) for c2, t in f.terms)
        elif isinstance(f, Scaled) and f.coef != 1.0:
            flat.append((c * f.coef, scaled(1.0, list(f.scalars), f.body)))
        else:
            flat.append((c, f))
    if len(flat) == 1 and flat[0][0] == 1.0:
        return flat[0][1]
    if len(flat) == 1 and isinstance(flat[0][1], Number):   # −0.39588, not −0.39588 1 (whose
        return Number(flat[0][0] * flat[0][1].value)        # 1 the text leaves unsized)
    # a block whose index notation ends in its own where lines stays last, or the terms after it
    # would print inside its where clause
    last = len(flat) - (bool(flat) and isinstance(flat[-1][1], Explicit)
                        and "\nwhere\n" in flat[-1][1].text)
    lead = next((i for i, (c, _) in enumerate(flat[:last]) if c > 0), 0)
    flat[:lead + 1] = flat[lead:lead + 1] + flat[:lead]  # σ(Xw) − y, not −y + σ(Xw): a positive term leads
    return Add(tuple(flat), shape)


def scaled(coef: float, scalars: list[Form], body: Form | None) -> Form:
    """``coef · Π scalars · body``."""
    scalars = [s for s in scalars if not (isinstance(s, Number) and s.value == 1.0)]
    if any(isinstance(s, Add) and not s.terms for s in scalars):   # a zero factor: the product
        # is a zero of its shape, which prints sized (0_1 0_1ᵀ); "0 I" reads as 0_(k×1) I_1
        return Add((), body.shape if body is not None else (None, None))
    if body is not None and not scalars and coef == 1.0:
        return body
    if body is None and len(scalars) == 1 and coef == 1.0:
        return scalars[0]
    if body is None and not scalars:
        return Number(coef)
    return Scaled(coef, tuple(scalars), body, body.shape if body is not None else (None, None))


# --------------------------------------------------------------------------- walking

def fold(root: Form, table: dict, extra: Any = None) -> Any:
    """Bottom-up over a form tree, iteratively: ``table[type](node, child_results, extra)``."""
    done: dict[int, Any] = {}
    stack: list[tuple[Form, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if not expanded:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(node.children()) if id(c) not in done)
            continue
        kids = [done[id(c)] for c in node.children()]
        done[id(node)] = table[type(node)](node, kids, extra)
    return done[id(root)]


def definitions(roots: list[Form]) -> list[Ref]:
    """The ``Ref`` nodes reachable from ``roots`` and from their definitions, each definition
    after those it uses (so they can be evaluated in order)."""
    deep = postorder(roots, lambda n: (n.definition,) if isinstance(n, Ref) else n.children())
    return [n for n in deep if isinstance(n, Ref)]


def _def_names(refs: tuple[Ref, ...], root: Form, tensors: tuple,
               reserved: frozenset) -> dict[int, str]:
    """``z1, z2, …`` for ``refs`` in order, skipping a name a leaf or tensor already has (and
    ``reserved``: the names in scope, which a derivation may show beside the form)."""
    if not refs:
        return {}
    taken = {getattr(t, "name", None) for t in tensors} | set(reserved)
    for top in (root,) + tuple(r.definition for r in refs):
        taken |= set(fold(top, _LEAF_NAMES))
    names: dict[int, str] = {}
    k = 0
    for r in refs:
        k += 1
        while f"z{k}" in taken:
            k += 1
        names[id(r)] = f"z{k}"
    return names


class _LeafNames(dict):
    def __missing__(self, cls):
        if cls is Leaf:
            return lambda n, kids, _: frozenset((n.name,))
        return lambda n, kids, _: frozenset().union(*kids)


_LEAF_NAMES = _LeafNames()


class _CountT(dict):
    def __missing__(self, cls):
        return lambda n, kids, _: sum(kids) + (isinstance(n, Unary) and n.op == "T")


_COUNT_T = _CountT()
