"""The printed forms' expected values, written once from the contract (``API.md``, Conventions).

Not a test module: ``tests/test_layouts_reference.py``, ``tests/test_layouts_cookbook.py`` and
``benchmarks/forms_fuzz.py`` hold every form to these references. Nothing here calls the library's
layout code (``ic.vec_jacobian``, ``indexcalc.layouts``, ``indexcalc.layouts.conventions``): the input
is the dense derivative array ``D`` that ``ic.evaluate`` gives, of shape ``F.shape + X.shape``
(``D[I, J] = ∂F[I]/∂X[J]``), and the layouts are NumPy reshapes and transposes by definition:

* ``vec`` column-major (``"col"``) stacks the columns: ``X[i, j]`` goes to ``i + m·j``, which is
  NumPy's Fortran-order reshape; ``"row"`` is C order (``X[i, j]`` to ``i·n + j``).
* ``to_kron`` numerator layout is ``∂vec(F)/∂vec(X)``, (size F × size X): row ``vec F``, column
  ``vec X``; denominator layout is its transpose.
* ``to_matrix`` of a result of order ≤ 2 whose first ``out_ndim`` axes are ``F``'s: numerator
  layout writes a Jacobian of vectors out × in and a derivative by a scalar like ``F``, but a
  scalar-by-vector or scalar-by-matrix derivative like ``Xᵀ``; denominator layout is the
  transpose of numerator layout (a gradient has the variable's shape). A vector is a column
  (n × 1) unless ``vectors="row"`` (1 × n), a scalar is 0-d; an expression that is no derivative
  (``out_ndim`` None) is written as is in both layouts.
* ``to_einsum``'s ``(subscripts, operands)`` is worth ``np.einsum(subscripts, *operand values)``.
"""

from __future__ import annotations

from math import prod

import numpy as np

LAYOUTS = ("numerator", "denominator")
VECS = ("col", "row")
VECTORS = ("column", "row")


def vec(a: np.ndarray, order: str = "col") -> np.ndarray:
    """``vec(a)``: the entries of ``a`` in column-major (``"col"``) or row-major order."""
    return np.asarray(a).reshape(-1, order="F" if order == "col" else "C")


def kron_reference(D: np.ndarray, out_ndim: int, layout: str = "numerator",
                   vec_order: str = "col") -> np.ndarray:
    """The matrix ``to_kron(derivative, layout, vec)`` must evaluate to.

    ``D`` has ``F``'s ``out_ndim`` axes first, then ``X``'s. With ``n_F = size F`` and
    ``n_X = size X``, the Fortran-order reshape of ``D`` to ``(n_F, n_X)`` puts ``D[I, J]`` at
    row ``vec_col``-index of ``I``, column ``vec_col``-index of ``J`` (the linear Fortran index of
    ``(I, J)`` is ``i_F + n_F · j_X``); the C-order reshape does the same for row-major ``vec``.
    """
    D = np.asarray(D, dtype=float)
    n_f = prod(D.shape[:out_ndim])
    n_x = prod(D.shape[out_ndim:])
    J = D.reshape((n_f, n_x), order="F" if vec_order == "col" else "C")
    return J.T if layout == "denominator" else J


def _numerator_transposes(out_ndim: int | None) -> bool:
    """Whether numerator layout writes the as-is matrix transposed: only a derivative of a scalar
    (``out_ndim == 0``) by a vector or matrix, laid out like ``Xᵀ``."""
    return out_ndim == 0


def matrix_reference(R: np.ndarray, out_ndim: int | None, layout: str = "denominator",
                     vectors: str = "column") -> np.ndarray:
    """The array ``to_matrix(result, layout, vectors).evaluate(...)`` must return.

    ``R`` is the result's dense value (order ≤ 2), rows on its first axis; ``out_ndim`` is how
    many leading axes belong to ``F`` (None: not a derivative, written as is).
    """
    R = np.asarray(R, dtype=float)
    if R.ndim > 2:
        raise ValueError(f"to_matrix writes order ≤ 2; this reference got order {R.ndim}")
    if R.ndim == 0:
        return R
    as_is = R if R.ndim == 2 else (R[:, None] if vectors == "column" else R[None, :])
    if out_ndim is None:
        return as_is
    flip = _numerator_transposes(out_ndim) != (layout == "denominator")
    return as_is.T if flip else as_is


def einsum_reference(subscripts: str, operand_values: list) -> np.ndarray:
    """``np.einsum`` of the operands' values: what ``to_einsum``'s pair says."""
    return np.einsum(subscripts, *[np.asarray(v, dtype=float) for v in operand_values])


def max_error(got: np.ndarray, want: np.ndarray) -> float:
    """Largest entry difference relative to ``max(1, |want|)``; ``inf`` for a shape mismatch or
    where one has a non-finite entry the other has not (NaN against NaN, the derivative of a norm
    at 0, agrees; NaN against a number never passes as "no error")."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape:
        return float("inf")
    finite = np.isfinite(want)
    if not (np.array_equal(np.isfinite(got), finite)
            and np.array_equal(got[~finite], want[~finite], equal_nan=True)):
        return float("inf")
    if not finite.any():
        return 0.0
    diff = float(np.max(np.abs(got[finite] - want[finite])))
    return diff / max(1.0, float(np.max(np.abs(want[finite]))))
