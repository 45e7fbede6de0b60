"""Linear algebra beyond ``inv``/``det``: solves, least squares, the pseudo-inverse, Cholesky,
integer matrix powers and the matrix exponential, square root and logarithm.

Solves are :class:`~indexcalc.core.nodes.Solve` nodes (evaluated by a solve, never an explicit
inverse); ``lstsq`` and ``pinv`` are solves of the normal equations, so their derivatives are
those of a solve and a product; ``matrix_power`` is repeated products (squarings shared);
``cholesky``, ``expm``, ``sqrtm`` and ``logm`` are rows of the matrix-function table
(:mod:`indexcalc.core.matrix_functions`), one :class:`~indexcalc.core.nodes.MatrixFunction`
node type for all.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..core.algebra import fresh_labels, product
from ..core.dims import dims_equal, format_shape
from ..core.nodes import Delta, Expr, Inverse, MatrixFunction, Shared, Solve
from ..core.normal_form import is_symmetric
from ..core.solve_rewrite import transpose_matrix
from ..errors import IndexcalcError, ShapeError
from .arithmetic import as_expr
from .axes import matmul
from .matrices import _square
from .shaping import tril


def solve(a: Any, b: Any) -> Expr:
    """``x`` with ``a x = b``, as ``numpy.linalg.solve``: ``a`` a square matrix (or a stack of
    them over leading axes), ``b`` a vector or a matrix (a stack with ``a``'s batch axes).

    Evaluated with a solve (an LU factorization), never an explicit inverse; a singular or
    numerically singular ``a`` is refused at evaluation. ``inv(a) @ b`` becomes this too.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A, b = ic.tensors("A[n,n] b[n]")
        >>> ic.solve(A, b).evaluate(A=np.diag([2.0, 4.0]), b=np.array([1.0, 1.0]))
        array([0.5 , 0.25])
        >>> print(ic.to_matrix(ic.grad(ic.sum(ic.solve(A, b)), A)))
        −A⁻ᵀ 1 bᵀ A⁻ᵀ
    """
    a, b = _square(a, "solve"), as_expr(b, "solve")
    batch, n = a.shape[:-2], a.shape[-1]
    if b.ndim == 1 and batch:  # one vector for every matrix of the stack, as NumPy broadcasts
        bl, ls = fresh_labels(len(batch)), fresh_labels(1)
        b = product([(b, ls)], bl + ls, {**dict(zip(bl, batch)), ls[0]: b.shape[0]})
    vector = b.ndim == a.ndim - 1
    if not vector and b.ndim != a.ndim:
        raise ShapeError(f"solve: b of shape {format_shape(b.shape)} is neither a vector nor a "
                         f"stack of matrices matching a {format_shape(a.shape)}")
    lead = b.shape[:len(batch) + 1]
    if not all(map(dims_equal, lead, batch + (n,))):
        raise ShapeError(f"solve: b of shape {format_shape(b.shape)} does not fit a of shape "
                         f"{format_shape(a.shape)}: b's axes must be a's batch axes, then "
                         f"{n} (broadcast b to a's batch axes first)")
    return Solve(a, b)


def _matrix(x: Any, what: str) -> Expr:
    x = as_expr(x, what)
    if x.ndim != 2:
        raise ShapeError(f"{what}: needs a matrix, got shape {format_shape(x.shape)}")
    return x


def lstsq(a: Any, b: Any) -> Expr:
    """The least-squares solution ``x = argmin ‖a x − b‖`` for ``a`` of full column rank:
    ``(aᵀa)⁻¹ aᵀ b``, by a solve of the normal equations (numpy.linalg.lstsq's first result).

    A rank-deficient ``a`` is refused at evaluation (its normal equations are singular).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A, y = ic.tensors("A[m,n] y[m]")
        >>> a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]); yv = np.array([1.0, 2.0, 3.0])
        >>> np.allclose(ic.lstsq(A, y).evaluate(A=a, y=yv), np.linalg.lstsq(a, yv)[0])
        True
    """
    a, b = _matrix(a, "lstsq"), as_expr(b, "lstsq")
    if b.ndim not in (1, 2) or not dims_equal(b.shape[0], a.shape[0]):
        raise ShapeError(f"lstsq: b of shape {format_shape(b.shape)} does not fit a of shape "
                         f"{format_shape(a.shape)}: its first axis must be {a.shape[0]}")
    return Solve(a.T @ a, a.T @ b)


def pinv(a: Any, tall: bool | None = None) -> Expr:
    """The Moore–Penrose pseudo-inverse of a full-rank matrix: ``(aᵀa)⁻¹aᵀ`` when ``a`` is tall
    (full column rank), ``aᵀ(aaᵀ)⁻¹`` when wide (full row rank), each by a solve.

    Args:
        a: an ``m × n`` matrix of full rank.
        tall: whether ``m ≥ n``; read from the shape when both sizes are ints or one name,
            needed (``True``/``False``) when they are different names.

    Raises:
        IndexcalcError: the sizes are different names and ``tall`` is not given. A
            rank-deficient value is refused at evaluation.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A = ic.Tensor("A", (2, 3))
        >>> a = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]])
        >>> np.allclose(ic.pinv(A).evaluate(A=a), np.linalg.pinv(a))
        True
    """
    a = _matrix(a, "pinv")
    m, n = a.shape
    if tall is not None and not isinstance(tall, (bool, np.bool_)):
        raise IndexcalcError(f"pinv: tall must be True (m ≥ n), False or None, got "
                             f"{type(tall).__name__} {tall!r}")
    if tall is not None and isinstance(m, int) and isinstance(n, int) and m != n \
            and bool(tall) != (m > n):
        raise IndexcalcError(f"pinv: tall={bool(tall)} contradicts the shape {format_shape(a.shape)}; "
                             "leave tall out for int sizes")
    if tall is None:
        if isinstance(m, int) and isinstance(n, int):
            tall = m >= n
        elif dims_equal(m, n):
            tall = True
        else:
            raise IndexcalcError(f"pinv: whether a {format_shape(a.shape)} is tall or wide is "
                                 "not known from its shape; pass tall=True (m ≥ n) or tall=False")
    if tall:
        return Solve(a.T @ a, a.T)
    return transpose_matrix(Solve(a @ a.T, a))


def cholesky(a: Any) -> Expr:
    """The lower Cholesky factor ``L`` (``L Lᵀ = a``) of a symmetric positive definite matrix.

    As ``numpy.linalg.cholesky``, only the lower triangle of ``a`` is read (so the derivative
    by an unsymmetric ``a`` is zero above the diagonal); a ``symmetric=True`` tensor is used
    whole. A value that is not positive definite is refused at evaluation.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> S = ic.Tensor("S", "n n", symmetric=True)
        >>> s = np.array([[4.0, 2.0], [2.0, 5.0]])
        >>> ic.cholesky(S).evaluate(S=s)
        array([[2., 0.],
               [1., 2.]])
    """
    a = _matrix(a, "cholesky")
    if not dims_equal(a.shape[0], a.shape[1]):
        raise ShapeError(f"cholesky: needs a square matrix, got shape {format_shape(a.shape)}")
    if not is_symmetric(a):  # the matrix NumPy factors: the lower triangle, mirrored
        a = tril(a) + tril(a, -1).T
    return MatrixFunction("cholesky", a)


def matrix_power(a: Any, k: Any) -> Expr:
    """``a`` to the integer power ``k`` (of each matrix of a stack), as
    ``numpy.linalg.matrix_power``: repeated products with shared squarings (``k < 0``: powers
    of the inverse; ``k = 0``: the identity).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A = ic.Tensor("A", "n n")
        >>> a = np.array([[1.0, 1.0], [0.0, 1.0]])
        >>> ic.matrix_power(A, 5).evaluate(A=a)
        array([[1., 5.],
               [0., 1.]])
        >>> print(ic.matrix_power(A, 3))
        Σ_n'',n_3 A[n,n''] A[n'',n_3] A[n_3,n']
    """
    a = _square(a, "matrix_power")
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise IndexcalcError(f"matrix_power: the exponent must be an integer, got {k!r}")
    k = int(k)
    if k == 0:
        ls = fresh_labels(a.ndim)
        n = a.shape[-1]
        return product([(Delta(n, 2), ls[-2:])], ls, dict(zip(ls, a.shape)))
    base = a if k > 0 else Inverse(a)
    result, square, k = None, base, abs(k)
    while True:
        if k & 1:
            result = square if result is None else matmul(result, square)
        k >>= 1
        if not k:
            return result
        square = Shared(matmul(square, square)) if k > 1 else matmul(square, square)


def expm(a: Any) -> Expr:
    """The matrix exponential ``e^A = Σ_k A^k / k!`` (``scipy.linalg.expm``).

    Its derivative is the Fréchet derivative ``L_exp(A, E) = ∫₀¹ e^{sA} E e^{(1−s)A} ds``, kept
    symbolic as a named linear operator and evaluated exactly as the top-right block of
    ``expm([[A, E], [0, A]])``; the gradient of ``tr(e^A B)`` is ``L_exp(Aᵀ, Bᵀ)``. On NumPy it
    needs SciPy (``pip install indexcalc[linalg]``); jax and torch use their own.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A = ic.Tensor("A", "n n")
        >>> print(ic.to_matrix(ic.expm(A)))
        expm(A)
        >>> ic.expm(A).evaluate(A=np.zeros((2, 2)))
        array([[1., 0.],
               [0., 1.]])
    """
    return MatrixFunction("expm", _square_matrix(a, "expm"))


def sqrtm(a: Any) -> Expr:
    """The principal matrix square root (``scipy.linalg.sqrtm``), for a matrix with no
    eigenvalue on the closed negative real axis (others are refused at evaluation).

    Derivative: the Fréchet derivative ``L_sqrt(A, E)`` (the ``X`` with ``√A X + X √A = E``),
    evaluated exactly by the block formula; needs SciPy on NumPy (``pip install indexcalc[linalg]``).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A = ic.Tensor("A", "n n")
        >>> ic.sqrtm(A).evaluate(A=np.diag([4.0, 9.0]))
        array([[2., 0.],
               [0., 3.]])
    """
    return MatrixFunction("sqrtm", _square_matrix(a, "sqrtm"))


def logm(a: Any) -> Expr:
    """The principal matrix logarithm (``scipy.linalg.logm``), for a matrix with no eigenvalue
    on the closed negative real axis (others are refused at evaluation).

    Derivative: the Fréchet derivative ``L_log(A, E)``, evaluated exactly by the block formula;
    needs SciPy on NumPy (``pip install indexcalc[linalg]``).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A = ic.Tensor("A", "n n")
        >>> np.allclose(ic.logm(A).evaluate(A=np.diag([1.0, np.e])), np.diag([0.0, 1.0]))
        True
    """
    return MatrixFunction("logm", _square_matrix(a, "logm"))


def frechet(fn: str):
    """``(A, E) -> L_f(A, E)``, the Fréchet derivative of the primary matrix function ``fn``
    along ``E`` (what the formula reader calls ``L_exp``, ``L_sqrt``, ``L_log``).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A, E = ic.tensors("A[n,n] E[n,n]")
        >>> L = frechet("expm")(A, E)
        >>> print(ic.to_matrix(L))
        L_exp(A, E)
        >>> L.evaluate(A=np.zeros((2, 2)), E=np.eye(2))
        array([[1., 0.],
               [0., 1.]])
    """
    def operator(a: Any, e: Any) -> Expr:
        a, e = _square_matrix(a, fn), as_expr(e, fn)
        return MatrixFunction(fn, a, e)
    operator.__name__ = operator.__qualname__ = "L_" + fn.removesuffix("m")
    return operator


def _square_matrix(a: Any, what: str) -> Expr:
    a = _matrix(a, what)
    if not dims_equal(a.shape[0], a.shape[1]):
        raise ShapeError(f"{what}: needs a square matrix, got shape {format_shape(a.shape)}")
    return a
