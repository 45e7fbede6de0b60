"""NumPy-like operators and methods of ``Expr``, attached here so ``nodes.py`` stays a grammar.

The methods of later stages (``evaluate``, ``str``, ``_repr_latex_``) are attached by the
facade, ``indexcalc/__init__.py``, which is the one module that sees every stage.
"""

from __future__ import annotations

from typing import Any

from ..core.coercion import as_expr
from ..core.elementwise import apply
from ..core.nodes import Constant, Expr
from .arithmetic import add2, div, exp, log, mul, named, neg, power
from .axes import matmul, sum, transpose
from .indexing import index
from . import extrema, matrices, statistics
from .matrices import reshape
from .numpy_protocol import array_function, array_ufunc


def _pow(self: Expr, p: Any) -> Expr:
    return power(self, p)


def _rpow(self: Expr, base: Any) -> Expr:
    b = as_expr(base)
    if isinstance(b, Constant) and b.value.ndim == 0 and float(b.value) > 0:
        return apply("rpow", self, float(b.value))  # 2 ** v stays a power of 2
    return exp(mul(self, log(b)))


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
    # NumPy's array methods: the axis positional, the rest by keyword (NumPy's second positional
    # parameter is a dtype or an out array, which expressions do not take)
    "sum": lambda s, axis=None, *, keepdims=False: sum(s, axis, keepdims),
    "mean": lambda s, axis=None, *, keepdims=False: statistics.mean(s, axis, keepdims),
    "var": lambda s, axis=None, *, keepdims=False, ddof=0: statistics.var(s, axis, keepdims, ddof),
    "std": lambda s, axis=None, *, keepdims=False, ddof=0: statistics.std(s, axis, keepdims, ddof),
    "prod": lambda s, axis=None, *, keepdims=False: statistics.prod(s, axis, keepdims),
    "cumsum": lambda s, axis=None: statistics.cumsum(s, axis),
    "max": lambda s, axis=None, *, keepdims=False: extrema.max(s, axis, keepdims),
    "min": lambda s, axis=None, *, keepdims=False: extrema.min(s, axis, keepdims),
    "clip": lambda s, min=None, max=None: extrema.clip(s, min, max),
    "trace": lambda s, offset=0: matrices.trace(s, offset),
    "diagonal": lambda s, offset=0: matrices.diagonal(s, offset),
    "reshape": reshape,
    "named": named,
    "__array_ufunc__": array_ufunc,  # np.tanh(X), np.ones(3) - x, M @ x (numpy_protocol)
    "__array_function__": array_function,  # np.sum(X), np.einsum(...), np.linalg.inv(A)
}


def attach() -> None:
    """Make the front end's operators and methods those of every expression."""
    for name, fn in METHODS.items():
        setattr(Expr, name, fn)
