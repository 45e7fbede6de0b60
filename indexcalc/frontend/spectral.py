"""Spectral decompositions: ``eigh``, ``eigvalsh``, ``svd``, ``svdvals`` and the matrix norms
built on them (the spectral norm ``‖A‖₂ = s₁`` and the nuclear norm ``‖A‖_* = Σ s``).

Each returns parts of one :class:`~indexcalc.core.nodes.Decomposition` per argument, so that
evaluation decomposes once however many parts are used. The conventions are NumPy's: eigenvalues
ascending, eigenvectors as columns; singular values descending, the thin SVD
(``full_matrices=False``). The sign of each eigenvector (singular vector pair) is the one the
backend's LAPACK returns and is arbitrary: a derivative is that of the vectors as evaluated,
and the derivative of anything that does not depend on the signs (``V diag(f(λ)) Vᵀ``,
``|u_i|``, ``U Vᵀ``) is the same whatever they are.

Derivatives (see :mod:`indexcalc.calculus.spectral_rules`) are refused at evaluation where they
do not exist: the eigenvectors' at repeated eigenvalues, the singular vectors' at repeated
singular values (or, for a non-square matrix, a zero one). The derivative of one eigenvalue
(singular value) at a repeated one is given as ``v_iᵀ dA v_i`` for the vectors evaluated (what
JAX gives): it is exact for every symmetric function of the eigenvalues (``Σ f(λ_i)``, the
nuclear norm) and one of the one-sided derivatives otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.algebra import fresh_labels, product
from ..core.coercion import as_expr
from ..core.dims import dims_equal, format_shape
from ..core.nodes import DECOMPOSITION_CALLS, Decomposition, Expr
from ..core.slicing import index_spec
from ..errors import IndexcalcError, ShapeError


def _matrix(x: Any, what: str, square: bool) -> Expr:
    x = as_expr(x, what)
    if x.ndim < 2 or (square and not dims_equal(x.shape[-2], x.shape[-1])):
        kind = "a square matrix" if square else "a matrix"
        raise ShapeError(f"{what}: needs {kind} (or a stack of them over leading axes), got shape "
                         f"{format_shape(x.shape)}")
    return x


def eigh(a: Any) -> tuple[Expr, Expr]:
    """Eigenvalues (ascending) and eigenvectors (as columns) of a symmetric matrix, as
    ``numpy.linalg.eigh``; of each matrix of a stack over the leading axes.

    The value must be symmetric (evaluation refuses one that is not, naming the asymmetry); the
    derivative is that of ``eigh((A + Aᵀ)/2)``, so by a ``symmetric=True`` variable it is the
    symmetric one. Eigenvector signs are LAPACK's (arbitrary).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A = ic.Tensor("A", "n n", symmetric=True)
        >>> w, V = ic.eigh(A)
        >>> w.shape, V.shape
        (('n',), ('n', 'n'))
        >>> w.evaluate(A=np.array([[2.0, 1.0], [1.0, 2.0]]))
        array([1., 3.])
        >>> print(ic.grad(ic.sum(w * w), A))
        2 Σ_n'' eigvecsh(A)[n,n''] eigvecsh(A)[n',n''] eigvalsh(A)[n'']
    """
    a = _matrix(a, "eigh", square=True)
    return Decomposition("eigh", a, "values"), Decomposition("eigh", a, "vectors")


def eigvalsh(a: Any) -> Expr:
    """The eigenvalues (ascending) of a symmetric matrix, as ``numpy.linalg.eigvalsh``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A = ic.Tensor("A", "n n", symmetric=True)
        >>> ic.eigvalsh(A).evaluate(A=np.diag([3.0, 1.0, 2.0]))
        array([1., 2., 3.])
        >>> print(ic.to_matrix(ic.grad(ic.sum(ic.eigvalsh(A)), A)))   # alone, I says its size
        I_n
    """
    return eigh(a)[0]


def svd(a: Any, full_matrices: bool = False, compute_uv: bool = True) -> Any:
    """The thin singular value decomposition ``A = U diag(s) Vh``, as
    ``numpy.linalg.svd(a, full_matrices=False)``: ``(U, s, Vh)``, ``s`` descending; of each
    matrix of a stack over the leading axes. ``compute_uv=False`` returns ``s`` alone.

    ``k = min(m, n)`` singular values: the matrix's dimensions must be ints, or equal.
    ``full_matrices=True`` is refused (the extra columns of ``U`` are not differentiable).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A = ic.Tensor("A", (3, 2))
        >>> U, s, Vh = ic.svd(A)
        >>> U.shape, s.shape, Vh.shape
        ((3, 2), (2,), (2, 2))
        >>> s.evaluate(A=np.array([[3.0, 0.0], [0.0, -4.0], [0.0, 0.0]]))
        array([4., 3.])
    """
    if not isinstance(full_matrices, (bool, np.bool_)) or not isinstance(compute_uv, (bool, np.bool_)):
        raise IndexcalcError(f"svd: full_matrices and compute_uv must be True or False, got "
                             f"{full_matrices!r:.40} and {compute_uv!r:.40}")
    if full_matrices:
        raise IndexcalcError("svd: full_matrices=True is not supported (the completed basis is "
                             "not unique, nor differentiable); use full_matrices=False")
    a = _matrix(a, "svd", square=False)
    s = Decomposition("svd", a, "s")
    if not compute_uv:
        return s
    return Decomposition("svd", a, "U"), s, Decomposition("svd", a, "Vh")


def svdvals(a: Any) -> Expr:
    """The singular values (descending), as ``numpy.linalg.svdvals``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A = ic.Tensor("A", (2, 3))
        >>> ic.svdvals(A).evaluate(A=np.array([[0.0, 2.0, 0.0], [1.0, 0.0, 0.0]]))
        array([2., 1.])
    """
    return svd(a, compute_uv=False)


#: a part's printed name -> (kind, part): what formulas may call (printed forms parse back)
PARTS_BY_NAME = {name: key for key, name in DECOMPOSITION_CALLS.items()}


def part_by_name(name: str, a: Any) -> Expr:
    """The part a printed name stands for: ``part_by_name("svd_U", A)`` is ``ic.svd(A)[0]``.

    Examples:
        >>> import indexcalc as ic
        >>> A = ic.Tensor("A", (3, 2))
        >>> part_by_name("svd_Vh", A) is ic.svd(A)[2]
        True
    """
    kind, part = PARTS_BY_NAME[name]
    return Decomposition(kind, _matrix(a, name, square=kind == "eigh"), part)


def matrix_norm(x: Expr, ord: Any) -> Expr:  # noqa: A002 - mirrors numpy.linalg.norm
    """``ord=2``: the spectral norm ``s₁`` (the largest singular value); ``ord="nuc"``: the
    nuclear norm ``Σ s_i``; of a matrix, as ``numpy.linalg.norm``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", (2, 2))
        >>> ic.norm(X, "nuc").evaluate(X=np.diag([3.0, -4.0]))
        array(7.)
        >>> ic.norm(X, 2).evaluate(X=np.diag([3.0, -4.0]))
        array(4.)
    """
    if x.ndim != 2:
        raise ShapeError(f"norm: ord={ord!r} is a matrix norm; got shape {format_shape(x.shape)}")
    try:
        s = svdvals(x)
    except ShapeError:
        raise ShapeError(f"norm: ord={ord!r} of a matrix of shape {format_shape(x.shape)} comes "
                         "from its min(m, n) singular values, a number unknown for two different "
                         "named dimensions: give the sizes as ints, or use ord=None (the "
                         "Frobenius norm)") from None
    if ord == 2:
        return index_spec(s, (("i", 0),))
    (i,) = fresh_labels(1)
    return product([(s, (i,))], (), {i: s.shape[0]})
