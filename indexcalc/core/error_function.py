"""The error function for NumPy, which has none (SciPy is not a dependency).

:func:`erf` is the NumPy kernel of the rule table's ``erf`` row; other backends use their own
(``jax.scipy.special.erf``, ``torch.erf``, ``cupyx.scipy.special.erf``). Code generation copies
this function's source into the generated module, so it uses nothing but ``np`` and its own
locals.
"""

from __future__ import annotations

import numpy as np


def erf(x):
    """``erf(x) = 2/√π ∫₀ˣ exp(−t²) dt`` elementwise, to float64 accuracy.

    The rational approximations of Cephes (S. L. Moshier, after W. J. Cody): ``x·T(x²)/U(x²)``
    for ``|x| < 1``; ``1 − exp(−x²)·P(|x|)/Q(|x|)`` for ``1 ≤ |x| < 8``; 1 beyond (``erfc(8)``
    is below 1e-28). Relative error below 1e-15 against ``math.erf``; ``erf(±inf) = ±1``,
    NaN gives NaN, the sign of zero is kept. A float array keeps its dtype (float32 is computed
    in float64 and rounded once); anything else comes back float64.

    Examples:
        >>> import numpy as np
        >>> erf(np.array([0.0, 0.5, -3.0, np.inf])).round(12).tolist()
        [0.0, 0.520499877813, -0.999977909503, 1.0]
    """
    t = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
         7.00332514112805075473e3, 5.55923013010394962768e4)
    u = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
         2.26290000613890934246e4, 4.92673942608635921086e4)
    p = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
         4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
         9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
    q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
         9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
         1.65666309194161350182e3, 5.57535340817727675546e2)

    def horner(coefficients, v):
        out = np.full_like(v, coefficients[0])
        for c in coefficients[1:]:
            out = out * v + c
        return out

    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    x = x.astype(np.float64)
    a = np.abs(x)
    small, large = a < 1.0, a >= 8.0
    s = np.where(small, a, 0.0)
    near = s * horner(t, s * s) / horner(u, s * s)
    m = np.where(small | large, 1.0, a)  # NaN stays NaN and falls through to here
    far = 1.0 - np.exp(-m * m) * horner(p, m) / horner(q, m)
    return np.copysign(np.where(small, near, np.where(large, 1.0, far)), x).astype(dtype)
