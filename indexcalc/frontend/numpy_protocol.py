"""NumPy's own functions on expressions: ``__array_ufunc__`` and ``__array_function__``.

``np.tanh(X)``, ``np.sum(X, axis=0)``, ``np.einsum("ij,jk->ik", A, B)`` and
``np.linalg.inv(A)`` return expressions, as the ``ic.`` functions do; so do the operators
between a NumPy array and an expression (``np.ones(3) - x``, ``M @ x``), which NumPy routes
through ``__array_ufunc__``. Both protocols read one table each: :data:`UFUNCS` (the arithmetic
ufuncs, and every public row of the elementwise rule table that NumPy has under its name) and
:data:`FUNCTIONS`. Anything else, and any argument indexcalc does not take (``out=``,
``dtype=``, ``where=``), is an ``IndexcalcError`` that says what to write instead.

Examples:
    >>> import indexcalc as ic, numpy as np
    >>> X = ic.Tensor("X", "n d")
    >>> print(np.tanh(X))
    tanh(X[n,d])
    >>> np.sum(X, axis=0).shape
    ('d',)
    >>> (np.ones(3) - ic.Tensor("x", 3)).shape
    (3,)
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from ..core.coercion import as_expr
from ..core.elementwise import PUBLIC
from ..core.nodes import Expr
from ..errors import IndexcalcError
from .arithmetic import add2, apply, div, exp, log, mul, neg, power
from .axes import matmul, norm, sum, transpose
from .matrices import det, diag, diagonal, inv, kron, outer, reshape, trace
from .shaping import concatenate, stack, tril, triu, where
from .arithmetic import einsum


def _power(a: Any, b: Any) -> Expr:
    if isinstance(b, Expr) and not isinstance(a, Expr):  # 2 ** x, np.power(2, x)
        return exp(mul(b, log(as_expr(a, "base of **"))))
    return power(a, b)


def _elementwise(name: str) -> Callable[[Any], Expr]:
    return lambda x: apply(name, x)


#: ``numpy ufunc -> (function of its inputs, ic. spelling)``
UFUNCS: dict[np.ufunc, tuple[Callable, str]] = {
    **{getattr(np, name): (_elementwise(name), f"ic.{name}") for name in PUBLIC
       if isinstance(getattr(np, name, None), np.ufunc)},
    np.add: (lambda a, b: add2(a, b), "+"),
    np.subtract: (lambda a, b: add2(a, b, -1.0, "-"), "-"),
    np.multiply: (mul, "*"),
    np.true_divide: (div, "/"),
    np.matmul: (matmul, "@ (ic.matmul)"),
    np.negative: (neg, "unary -"),
    np.positive: (lambda a: as_expr(a), "unary +"),
    np.power: (_power, "**"),
    np.absolute: (_elementwise("abs"), "ic.abs"),
}


def _sum(a: Any, axis: Any = None) -> Expr:
    return sum(a, axis)


def _transpose(a: Any, axes: Any = None) -> Expr:
    return transpose(a) if axes is None else transpose(a, *axes)


def _reshape(a: Any, *args: Any, order: str = "C", **kwargs: Any) -> Expr:
    shape = kwargs.pop("shape", kwargs.pop("newshape", args[0] if args else None))
    if kwargs or len(args) > 1 or shape is None:
        raise IndexcalcError("np.reshape(x, shape) on an expression takes the shape and "
                             "order='C' only (ic.reshape)")
    if order != "C":
        raise IndexcalcError("np.reshape on an expression is C order only; for column-major "
                             "flattening write ic.vec(x) / ic.unvec(x, shape)")
    return reshape(a, shape)


def _einsum(subscripts: Any, *operands: Any, optimize: Any = None) -> Expr:
    return einsum(subscripts, *operands)  # indexcalc plans every contraction itself


def _diag(v: Any, k: int = 0) -> Expr:
    if k != 0:
        raise IndexcalcError("np.diag(v, k) on an expression: only k=0 (ic.diag)")
    x = as_expr(v, "np.diag")
    return diagonal(x) if x.ndim == 2 else diag(x)


def _dot(a: Any, b: Any) -> Expr:
    a, b = as_expr(a, "np.dot"), as_expr(b, "np.dot")
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    return matmul(a, b)


def _where(condition: Any, x: Any, y: Any) -> Expr:
    return where(condition, x, y)


#: ``numpy function -> (function taking NumPy's arguments, ic. spelling)``
FUNCTIONS: dict[Callable, tuple[Callable, str]] = {
    np.sum: (_sum, "ic.sum"),
    np.einsum: (_einsum, "ic.einsum"),
    np.trace: (lambda a: trace(a), "ic.trace"),
    np.transpose: (_transpose, "ic.transpose"),
    np.reshape: (_reshape, "ic.reshape"),
    np.linalg.inv: (lambda a: inv(a), "ic.inv"),
    np.linalg.det: (lambda a: det(a), "ic.det"),
    np.linalg.norm: (lambda x, ord=None: norm(x, ord), "ic.norm"),  # noqa: A002
    np.kron: (lambda a, b: kron(a, b), "ic.kron"),
    np.outer: (lambda a, b: outer(a, b), "ic.outer"),
    np.diag: (_diag, "ic.diag / ic.diagonal"),
    np.diagonal: (lambda a: diagonal(a), "ic.diagonal"),
    np.stack: (lambda arrays, axis=0: stack(arrays, axis), "ic.stack"),
    np.concatenate: (lambda arrays, axis=0: concatenate(arrays, axis), "ic.concatenate"),
    np.tril: (lambda m, k=0: tril(m, k), "ic.tril"),
    np.triu: (lambda m, k=0: triu(m, k), "ic.triu"),
    np.where: (_where, "ic.where"),
    np.dot: (_dot, "@"),
    np.shape: (lambda a: as_expr(a).shape, "expr.shape"),
    np.ndim: (lambda a: as_expr(a).ndim, "expr.ndim"),
}


def _call(fn: Callable, spelling: str, what: str, args: tuple, kwargs: dict) -> Any:
    try:
        inspect.signature(fn).bind(*args, **kwargs)
    except TypeError:
        given = ", ".join(sorted(kwargs)) or "these arguments"
        raise IndexcalcError(f"{what} on an expression: indexcalc's {spelling} does not take "
                             f"{given}") from None
    return fn(*args, **kwargs)


def _name(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or "numpy"
    module = "np" if module in ("numpy", "numpy.core.multiarray") else module.replace("numpy", "np")
    return f"{module}.{getattr(obj, '__name__', obj)}"


def array_ufunc(self: Expr, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """NumPy's ufunc protocol: the table's ufuncs called plainly return expressions."""
    entry = UFUNCS.get(ufunc)
    what = f"np.{ufunc.__name__}"
    if entry is None or method != "__call__":
        call = what if method == "__call__" else f"{what}.{method}"
        hint = ("; expressions have no truth value or order: compare evaluated arrays"
                if ufunc in (np.equal, np.not_equal, np.less, np.less_equal, np.greater,
                             np.greater_equal) else "")
        raise IndexcalcError(f"{call} is not supported on indexcalc expressions{hint}; the "
                             f"elementwise functions are ic.{', ic.'.join(PUBLIC)}, the "
                             f"operators + - * / ** @")
    fn, spelling = entry
    return _call(fn, spelling, what, inputs, kwargs)


def array_function(self: Expr, func: Callable, types: tuple, args: tuple, kwargs: dict) -> Any:
    """NumPy's function protocol: the table's functions return expressions."""
    entry = FUNCTIONS.get(func)
    what = _name(func)
    if entry is None:
        known = ", ".join(sorted({s for _, s in FUNCTIONS.values() if s.startswith("ic.")}))
        raise IndexcalcError(f"{what} is not supported on indexcalc expressions; indexcalc "
                             f"has {known} (and the ic. elementwise functions), or evaluate "
                             f"the expression first")
    fn, spelling = entry
    return _call(fn, spelling, what, args, kwargs)
