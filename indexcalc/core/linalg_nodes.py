"""The linear-algebra nodes of the closed set (:data:`indexcalc.core.nodes.NODE_TYPES`):
``Decomposition`` (a part of eigh or svd), ``Solve`` and ``MatrixFunction`` (expm, sqrtm, logm,
cholesky, and their Fréchet derivatives). Re-exported by :mod:`indexcalc.core.nodes`."""

from __future__ import annotations

from .dims import Dim, dims_equal, format_shape
from .expr import Expr, _Unary, _brief, _intern  # noqa: F401
from .matrix_functions import matrix_function
from ..errors import IndexcalcError, ShapeError


DECOMPOSITION_PARTS = {
    "eigh": {"values": lambda m, n, k: (n,), "vectors": lambda m, n, k: (n, n),
             "gaps": lambda m, n, k: (n, n)},
    "svd": {"U": lambda m, n, k: (m, k), "s": lambda m, n, k: (k,), "Vh": lambda m, n, k: (k, n),
            "gaps": lambda m, n, k: (k, k), "inv_s": lambda m, n, k: (k,)},
}

#: (kind, part) -> the name a part prints by (index notation, LaTeX, matrix form)
DECOMPOSITION_CALLS = {
    ("eigh", "values"): "eigvalsh", ("eigh", "vectors"): "eigvecsh", ("eigh", "gaps"): "eiggaps",
    ("svd", "U"): "svd_U", ("svd", "s"): "svdvals", ("svd", "Vh"): "svd_Vh",
    ("svd", "gaps"): "svdgaps", ("svd", "inv_s"): "svdvals_inv",
}


def min_dim(m: Dim, n: Dim) -> Dim:
    """``min(m, n)`` of two dimensions: ints, or two equal ones; otherwise a ``ShapeError``."""
    if dims_equal(m, n):
        return m
    if isinstance(m, int) and isinstance(n, int):
        return min(m, n)
    raise ShapeError(f"svd: the number of singular values, min({m}, {n}), is unknown for a "
                     f"matrix of shape ({m}, {n}); give its sizes as ints or make it square")


class Decomposition(_Unary):
    """One ``part`` of the decomposition ``kind`` of ``arg`` (of each matrix of a stack: over the
    last two axes), a row of :data:`DECOMPOSITION_PARTS`.

    ``eigh``: ``values`` (ascending) and ``vectors`` (as columns) of a symmetric matrix, as
    ``numpy.linalg.eigh``; ``svd``: ``U``, ``s`` (descending) and ``Vh`` of the thin SVD, as
    ``numpy.linalg.svd(full_matrices=False)``. The parts of one ``(kind, arg)`` are computed by
    one decomposition. Build them with ``ic.eigh``/``ic.svd`` and their kin.
    """

    __slots__ = ("kind", "part")
    _fields = ("kind", "arg", "part")

    def __new__(cls, kind: str, arg: Expr, part: str) -> "Decomposition":
        parts = DECOMPOSITION_PARTS.get(kind)
        if parts is None or part not in parts:
            raise IndexcalcError(f"internal: no part {part!r} of decomposition {kind!r}")
        if arg.ndim < 2:
            raise ShapeError(f"{kind}: needs a matrix (or a stack of them), got shape "
                             f"{format_shape(arg.shape)}")
        m, n = arg.shape[-2:]
        if kind == "eigh" and not dims_equal(m, n):
            raise ShapeError(f"eigh: needs a square matrix, got shape {format_shape(arg.shape)}")
        k = min_dim(m, n)
        return _intern(cls, kind=kind, arg=arg, part=part,
                       shape=arg.shape[:-2] + parts[part](m, n, k))

    def __repr__(self) -> str:
        return f"Decomposition({self.kind}, {_brief(self.arg)}, {self.part})"
class Solve(Expr):
    """``a⁻¹ b``, computed by a solve, never an explicit inverse.

    ``a`` is a square matrix or a stack of them (shape ``batch + (n, n)``); ``b`` has the same
    batch axes, then ``n``, then any trailing axes (none: a vector right-hand side; one: the
    columns of a matrix; more: a tangent's axes), each solved for: ``X[…, i, r…] = Σ_j
    a⁻¹[…, i, j] b[…, j, r…]``.
    """

    __slots__ = ("a", "b", "shape")
    _fields = ("a", "b")

    def __new__(cls, a: Expr, b: Expr) -> "Solve":
        batch, n = a.shape[:-2], a.shape[-1] if a.ndim >= 2 else None
        if (a.ndim < 2 or not dims_equal(a.shape[-2], n) or b.ndim < len(batch) + 1
                or not all(map(dims_equal, b.shape[:len(batch) + 1], batch + (n,)))):
            raise ShapeError(f"solve: a {format_shape(a.shape)} and b {format_shape(b.shape)} do "
                             "not fit: a must be square over its last two axes and b's leading "
                             "axes its batch axes, then its size")
        return _intern(cls, a=a, b=b, shape=b.shape)

    def children(self) -> tuple[Expr, ...]:
        return (self.a, self.b)

    def __repr__(self) -> str:
        return f"Solve({_brief(self.a)}, {_brief(self.b)})"


class MatrixFunction(Expr):
    """A function of a square matrix (``fn``: a row of
    :data:`indexcalc.core.matrix_functions.MATRIX_FUNCTIONS`: expm, sqrtm, logm, cholesky), or,
    with a ``direction``, its Fréchet derivative ``L_f(arg, direction)``: the change of ``f(arg)``
    along ``direction`` (shape ``(n, n)`` and then any trailing axes, each a direction of its
    own; the node has the direction's shape).
    """

    __slots__ = ("fn", "arg", "direction", "shape")
    _fields = ("fn", "arg", "direction")

    def __new__(cls, fn: str, arg: Expr, direction: Expr | None = None) -> "MatrixFunction":
        matrix_function(fn)  # a row of the table, or an IndexcalcError listing them
        if arg.ndim != 2 or not dims_equal(arg.shape[0], arg.shape[1]):
            raise ShapeError(f"{fn}: needs a square matrix, got shape {format_shape(arg.shape)}")
        if direction is not None and (direction.ndim < 2 or not all(
                map(dims_equal, direction.shape[:2], arg.shape))):
            raise ShapeError(f"{fn}: a direction of shape {format_shape(direction.shape)} does not "
                             f"start with the matrix's shape {format_shape(arg.shape)}")
        shape = arg.shape if direction is None else direction.shape
        return _intern(cls, fn=fn, arg=arg, direction=direction, shape=shape)

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,) if self.direction is None else (self.arg, self.direction)

    def __repr__(self) -> str:
        if self.direction is None:
            return f"MatrixFunction({self.fn}, {_brief(self.arg)})"
        return f"MatrixFunction(L_{self.fn}, {_brief(self.arg)}, {_brief(self.direction)})"


#: Every concrete node type: the closed set each stage's table covers, row by row.
