"""NumPy-like operators and methods of ``Expr``, attached here so ``nodes.py`` stays a grammar.

The methods of later stages (``evaluate``, ``str``, ``_repr_latex_``) are attached by the
facade, ``indexcalc/__init__.py``, which is the one module that sees every stage.
"""

from __future__ import annotations

from typing import Any

from ..core.coercion import as_expr
from ..core.nodes import Expr
from .arithmetic import add2, div, exp, log, mul, named, neg, power
from .axes import matmul, sum, transpose
from .indexing import index
from .matrices import reshape
from .numpy_protocol import array_function, array_ufunc


def _pow(self: Expr, p: Any) -> Expr:
    return power(self, p)


def _rpow(self: Expr, base: Any) -> Expr:
    return exp(mul(self, log(as_expr(base))))


METHODS = {
    "__add__": lambda s, o: add2(s, o),
    "__radd__": lambda s, o: add2(o, s),
    "__sub__": lambda s, o: add2(s, o, -1.0, "-"),
    "__rsub__": lambda s, o: add2(o, s, -1.0, "-"),
    "__mul__": lambda s, o: mul(s, o),
    "__rmul__": lambda s, o: mul(o, s),
    "__truediv__": lambda s, o: div(s, o),
    "__rtruediv__": lambda s, o: div(o, s),
    "__matmul__": lambda s, o: matmul(s, o),
    "__rmatmul__": lambda s, o: matmul(o, s),
    "__neg__": neg,
    "__pos__": lambda s: s,
    "__getitem__": index,
    "__pow__": _pow,
    "__rpow__": _rpow,
    "T": property(lambda s: transpose(s), doc="The transpose (axes reversed)."),
    "transpose": transpose,
    "sum": lambda s, axis=None: sum(s, axis),
    "reshape": reshape,
    "named": named,
    "__array_ufunc__": array_ufunc,  # np.tanh(X), np.ones(3) - x, M @ x (numpy_protocol)
    "__array_function__": array_function,  # np.sum(X), np.einsum(...), np.linalg.inv(A)
}


def attach() -> None:
    """Make the front end's operators and methods those of every expression."""
    for name, fn in METHODS.items():
        setattr(Expr, name, fn)
