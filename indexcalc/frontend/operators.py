"""NumPy-like operators and methods of ``Expr``, attached here so ``nodes.py`` stays a grammar."""

from __future__ import annotations

from typing import Any

from . import arithmetic as ops
from .indexing import index
from ..core.nodes import Expr


def _pow(self: Expr, p: Any) -> Expr:
    return ops.power(self, p)


def _rpow(self: Expr, base: Any) -> Expr:
    return ops.exp(ops.mul(self, ops.log(ops.as_expr(base))))


def _evaluate(self: Expr, /, **values: Any):
    from ..evaluation.compiled import evaluate

    return evaluate(self, **values)


def _str(self: Expr) -> str:
    from ..rendering.index_notation import to_index_notation

    return to_index_notation(self)


def _repr_latex(self: Expr) -> str:
    from ..rendering.latex_notation import repr_latex

    return repr_latex(self)


METHODS = {
    "__add__": lambda s, o: ops.add2(s, o),
    "__radd__": lambda s, o: ops.add2(o, s),
    "__sub__": lambda s, o: ops.add2(s, o, -1.0, "-"),
    "__rsub__": lambda s, o: ops.add2(o, s, -1.0, "-"),
    "__mul__": lambda s, o: ops.mul(s, o),
    "__rmul__": lambda s, o: ops.mul(o, s),
    "__truediv__": lambda s, o: ops.div(s, o),
    "__rtruediv__": lambda s, o: ops.div(o, s),
    "__matmul__": lambda s, o: ops.matmul(s, o),
    "__rmatmul__": lambda s, o: ops.matmul(o, s),
    "__neg__": ops.neg,
    "__pos__": lambda s: s,
    "__getitem__": index,
    "__pow__": _pow,
    "__rpow__": _rpow,
    "T": property(lambda s: ops.transpose(s), doc="The transpose (axes reversed)."),
    "transpose": ops.transpose,
    "sum": lambda s, axis=None: ops.sum(s, axis),
    "reshape": ops.reshape,
    "named": ops.named,
    "evaluate": _evaluate,
    "__str__": _str,
    "_repr_latex_": _repr_latex,
}


def attach() -> None:
    for name, fn in METHODS.items():
        setattr(Expr, name, fn)
