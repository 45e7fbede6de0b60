"""The contract's ∂vec(F)/∂vec(X) layout of a numeric derivative array: ``ic.vec_jacobian``.

The reference every symbolic Kronecker form (:mod:`indexcalc.layouts.kronecker`) evaluates to.
"""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np

from .conventions import LAYOUTS, VECS, check_choice
from ..errors import LayoutError


def vec_jacobian(array: Any, out_ndim: int, layout: str = "numerator", vec: str = "col") -> np.ndarray:
    """A numeric derivative array of shape ``F.shape + X.shape`` as the matrix ∂vec(F)/∂vec(X).

    Examples:
        >>> import numpy as np
        >>> D = np.arange(8.0).reshape(2, 2, 2)  # F has one axis, X two
        >>> vec_jacobian(D, 1).tolist()
        [[0.0, 2.0, 1.0, 3.0], [4.0, 6.0, 5.0, 7.0]]
    """
    check_choice("layout", layout, LAYOUTS)
    check_choice("vec", vec, VECS)
    a = np.asarray(array)
    if not isinstance(out_ndim, int) or not 0 <= out_ndim <= a.ndim:
        raise LayoutError(f"out_ndim must be an int from 0 to {a.ndim}, got {out_ndim!r}")
    fa, xa = list(range(out_ndim)), list(range(out_ndim, a.ndim))
    if vec == "col":
        a = a.transpose(fa[::-1] + xa[::-1])
        fa = fa[::-1]
    rows = prod(np.asarray(array).shape[:out_ndim])
    j = a.reshape(rows, -1) if rows else a.reshape(0, prod(a.shape[out_ndim:]))
    return j.T if layout == "denominator" else j
