"""Matrix algebra as a value: a small expression tree that prints and evaluates itself.

A form node has a 2-D ``shape`` ``(rows, cols)`` whose entries are dimensions, or ``None`` for an
axis that is not there: a column vector is ``(n, None)``, a row vector ``(None, n)``, a scalar
``(None, None)``. Each form evaluates to a 2-D NumPy array (an absent axis has size 1), so a
misplaced transpose shows up as a wrong shape, never hides. Printing and evaluation are tables
keyed by node type (``TEXT``, ``LATEX`` in :mod:`indexcalc.form_text`, ``EVAL`` here); the walks
are iterative, so forms of deep recurrences print without hitting the recursion limit.

The smart constructors (:func:`transpose`, :func:`matmul`, :func:`hadamard`, :func:`add`,
:func:`scaled`) keep forms readable: ``(AB)ᵀ = BᵀAᵀ``, ``(Aᵀ)ᵀ = A``, ``diag(v)ᵀ = diag(v)``,
``A I = A``, ``1∘x = x``, nested products flattened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .dims import Dim, dim_size
from .errors import BindingError
from .functions import rule


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
    """``I_n``."""
    dim: Dim
    shape: tuple = ()

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
        from .dims import dim_mul
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
    """``op`` in ``matmul``, ``hadamard``, ``kron`` over ``args`` (left to right)."""
    op: str
    args: tuple
    shape: tuple

    def children(self):
        return self.args


@_node
class Add(Form):
    """``Σ c_k term_k``."""
    terms: tuple  # ((coef, form), ...)
    shape: tuple

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


def _symmetric(f: Form) -> bool:
    return (isinstance(f, (Identity, Number)) or is_scalar(f)
            or isinstance(f, Unary) and f.op == "diag"
            or isinstance(f, Ones) and f.shape[0] == f.shape[1] and f.shape[0] is not None)


def _flip(shape: tuple) -> tuple:
    return (shape[1], shape[0])


def transpose(f: Form) -> Form:
    """``fᵀ``, pushed through products so a chain reads as the edges were walked."""
    if _symmetric(f):
        return f
    if isinstance(f, Unary) and f.op == "T":
        return f.arg
    if isinstance(f, Ones):
        return Ones(_flip(f.shape), not f.marked)
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


def matmul(*fs: Form) -> Form:
    """The chain ``f₁ f₂ ⋯`` (flattened; identities dropped)."""
    args: list[Form] = []
    for f in fs:
        args.extend(f.args if isinstance(f, Nary) and f.op == "matmul" else (f,))
    kept = [a for a in args if not isinstance(a, Identity)] or args[:1]
    if len(kept) == 1:
        return kept[0]
    return Nary("matmul", tuple(kept), (kept[0].shape[0], kept[-1].shape[1]))


def hadamard(*fs: Form) -> Form:
    """``f₁ ∘ f₂ ∘ ⋯`` (flattened; ones dropped)."""
    args: list[Form] = []
    for f in fs:
        args.extend(f.args if isinstance(f, Nary) and f.op == "hadamard" else (f,))
    kept = [a for a in args if not isinstance(a, Ones)] or args[:1]
    if len(kept) == 1:
        return kept[0]
    shape = next((a.shape for a in kept if not is_scalar(a)), kept[0].shape)
    return Nary("hadamard", tuple(kept), shape)


def kron(*fs: Form) -> Form:
    """``f₁ ⊗ f₂ ⊗ ⋯`` (a 1 × 1 factor is dropped)."""
    from .dims import dim_mul
    kept = [f for f in fs if not is_scalar(f)] or list(fs[:1])
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
    return Add(tuple(flat), shape)


def scaled(coef: float, scalars: list[Form], body: Form | None) -> Form:
    """``coef · Π scalars · body``."""
    scalars = [s for s in scalars if not (isinstance(s, Number) and s.value == 1.0)]
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


class _CountT(dict):
    def __missing__(self, cls):
        return lambda n, kids, _: sum(kids) + (isinstance(n, Unary) and n.op == "T")


_COUNT_T = _CountT()


# --------------------------------------------------------------------------- evaluation

@dataclass
class EvalContext:
    """What evaluation needs beyond the tree: bound arrays, dimension sizes, named values."""
    values: dict
    sizes: dict
    cache: dict = field(default_factory=dict)

    def size(self, d: Dim | None) -> int:
        return 1 if d is None else dim_size(d, self.sizes)

    def shaped(self, arr: Any, shape: tuple) -> np.ndarray:
        """``arr`` laid out as a 2-D array of ``shape`` (vectors as 1 × n or n × 1)."""
        return np.asarray(arr, dtype=np.float64).reshape(self.size(shape[0]), self.size(shape[1]))


def _eval_leaf(n: Leaf, kids, ctx: EvalContext):
    from .evaluate import evaluate
    from .nodes import Constant
    src = n.source
    if isinstance(src, Constant):
        return ctx.shaped(src.value, n.shape)
    if id(src) not in ctx.cache:  # a tensor or a named subexpression, from its definition
        ctx.cache[id(src)] = evaluate(src, **ctx.values)
    return ctx.shaped(ctx.cache[id(src)], n.shape)


def _softmax(a: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _logsumexp(a: np.ndarray) -> np.ndarray:
    m = a.max()
    return np.reshape(m + np.log(np.exp(a - m).sum()), (1, 1))


def _vec(a: np.ndarray, order: str) -> np.ndarray:
    return a.reshape(-1, 1, order="F" if order == "col" else "C")


_UNARY_EVAL: dict[str, Callable] = {
    "T": lambda a, n, ctx: a.T,
    "inv": lambda a, n, ctx: np.linalg.inv(a),
    "diag": lambda a, n, ctx: np.diag(a.ravel()),
    "diagonal": lambda a, n, ctx: ctx.shaped(np.diagonal(a), n.shape),
    "tr": lambda a, n, ctx: np.reshape(np.trace(a), (1, 1)),
    "det": lambda a, n, ctx: np.reshape(np.linalg.det(a), (1, 1)),
    "logdet": lambda a, n, ctx: np.reshape(np.linalg.slogdet(a)[1], (1, 1)),
    "sum": lambda a, n, ctx: np.reshape(a.sum(), (1, 1)),
    "func": lambda a, n, ctx: rule(n.param[0]).numpy(a, n.param[1]),
    "softmax": lambda a, n, ctx: _softmax(a, n.param if min(a.shape) > 1 else int(a.shape[0] == 1)),
    "logsumexp": lambda a, n, ctx: _logsumexp(a),
    "vec": lambda a, n, ctx: _vec(a, n.param),
}


def _eval_commutation(n: Commutation, kids, ctx: EvalContext) -> np.ndarray:
    m, k = ctx.size(n.m), ctx.size(n.n)
    perm = np.arange(m * k).reshape(m, k, order="F").reshape(-1)  # vec_col(Aᵀ) picks these
    return np.eye(m * k)[perm]


def _eval_explicit(n: Explicit, kids, ctx: EvalContext) -> np.ndarray:
    from .evaluate import evaluate
    from .to_kron import vec_jacobian
    return vec_jacobian(evaluate(n.expr, **ctx.values), n.out_ndim, n.layout, n.vec)


def _eval_nary(n: Nary, kids, ctx):
    out = kids[0]
    for k in kids[1:]:
        out = out @ k if n.op == "matmul" else np.kron(out, k) if n.op == "kron" else out * k
    return out


def _eval_scaled(n: Scaled, kids, ctx):
    out = np.full((1, 1), n.coef)
    for k in kids[:len(n.scalars)]:
        out = out * k
    return out * kids[-1] if n.body is not None else out


EVAL: dict[type, Callable] = {
    Leaf: _eval_leaf,
    Number: lambda n, kids, ctx: np.full((1, 1), n.value),
    Identity: lambda n, kids, ctx: np.eye(ctx.size(n.dim)),
    Ones: lambda n, kids, ctx: np.ones((ctx.size(n.shape[0]), ctx.size(n.shape[1]))),
    Commutation: _eval_commutation,
    Unary: lambda n, kids, ctx: _UNARY_EVAL[n.op](kids[0], n, ctx),
    Nary: _eval_nary,
    Add: lambda n, kids, ctx: sum((c * k for (c, _), k in zip(n.terms, kids)),
                                  np.zeros((ctx.size(n.shape[0]), ctx.size(n.shape[1])))),
    Scaled: _eval_scaled,
    Explicit: _eval_explicit,
}


# --------------------------------------------------------------------------- the value

class MatrixForm:
    """A derivative or expression written as matrix algebra, in a stated layout.

    ``str()`` and :meth:`latex` print it; :meth:`evaluate` computes exactly what is printed, from
    the form's own tree (products, transposes, ``⊗``, ``diag``, ``∘``, traces, inverses; a named
    subexpression such as ``h`` from its definition).

    Attributes:
        layout: ``"numerator"`` or ``"denominator"``.
        notes: what a reader must know (an assumption such as ``Σ y = 1``, a term that did not
            factorize).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A, x = ic.tensors("A[m,n] x[n]")
        >>> f = ic.to_matrix(A.T @ (A @ x))
        >>> print(f)
        Aᵀ A x
        >>> f.evaluate(A=np.eye(2, 3), x=np.ones(3)).shape
        (3, 1)
    """

    def __init__(self, root: Form, tensors: tuple, layout: str, notes: tuple = (),
                 ndim: int = 2):
        self.root = root
        self.tensors = tensors
        self.layout = layout
        self.notes = tuple(notes)
        self.ndim = ndim

    def __str__(self) -> str:
        from .form_text import to_text
        return to_text(self.root)

    def __repr__(self) -> str:
        return f"MatrixForm({self})"

    def latex(self) -> str:
        """The form in LaTeX (``X^\\top``, ``\\circ``, ``\\otimes``, ``\\operatorname{diag}``)."""
        from .form_text import to_latex
        return to_latex(self.root)

    def _repr_latex_(self) -> str:
        return f"${self.latex()}$"

    def evaluate(self, /, **values: Any) -> np.ndarray:
        """The matrix the form prints: a 2-D array (a vector as n × 1 or 1 × n); a scalar is 0-d."""
        from .evaluate import bind
        _, sizes = bind(list(self.tensors), values)
        ctx = EvalContext(values, sizes)
        try:
            out = fold(self.root, EVAL, ctx)
        except KeyError as e:
            raise BindingError(f"no size for dimension {e.args[0]!r}; bind a tensor that has it") from None
        return out.reshape(()) if self.root.shape == (None, None) else out
