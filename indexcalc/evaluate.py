"""Evaluation: bind values to tensors, then run the graph once, children first.

Every ``Product`` is contracted by opt_einsum with a path planned for the bound sizes; the plans
are cached per set of sizes in a :class:`Compiled` program, so a compiled expression plans once
and reuses the plan. Shared subexpressions are computed once (the graph is hash-consed).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import opt_einsum as oe

from .dims import Dim, dim_names, dim_size, format_shape
from .errors import BindingError, IndexcalcError
from .functions import rule
from .nodes import (Apply, Constant, Delta, Det, Expr, Inverse, LogDet, LogSumExp, Named, Product,
                    Reshape, Shared, Softmax, Sum, Tensor)
from .traverse import postorder

OPTIMIZE_DEFAULT = "auto"


# --------------------------------------------------------------------------- binding

def bind(roots: list[Expr], values: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Check the given arrays against the tensors of ``roots``; return arrays and dimension sizes.

    A dimension that no tensor of ``roots`` carries (``∂(XW)/∂W = X δ`` has lost ``W``) is bound
    from any other value given: an array for a tensor of that name, or an int for the dimension.
    """
    tensors: dict[str, Tensor] = {}
    nodes = postorder(roots)
    for node in nodes:
        if isinstance(node, Tensor):
            other = tensors.setdefault(node.name, node)
            if other is not node:
                raise BindingError(f"two different tensors are named {node.name!r} (shapes "
                                   f"{format_shape(other.shape)} and {format_shape(node.shape)}); "
                                   "give them distinct names")
    arrays: dict[str, np.ndarray] = {}
    sizes: dict[str, int] = {}
    where: dict[str, str] = {}
    for name, t in tensors.items():
        if name not in values:
            given = ", ".join(sorted(values)) or "nothing"
            raise BindingError(f"no value for tensor {name!r} of shape {format_shape(t.shape)} "
                               f"(given: {given})")
        arrays[name] = _as_array(name, values[name])
        _bind_axes(t, arrays[name], sizes, where)
    missing = _dimension_names(nodes) - set(sizes)
    if missing:
        _bind_extra(values, tensors, missing, sizes, where)
    for name, t in tensors.items():  # merged dimensions, once their factors are known
        for axis, (d, n) in enumerate(zip(t.shape, arrays[name].shape)):
            if isinstance(d, str) and "*" in d and all(x in sizes for x in dim_names(d)):
                if dim_size(d, sizes) != n:
                    raise BindingError(f"tensor {name!r} axis {axis}: dimension {d!r} is "
                                       f"{dim_size(d, sizes)} by the sizes bound, got {n}")
    return arrays, sizes


def _bind_axes(t: Tensor, arr: np.ndarray, sizes: dict, where: dict) -> None:
    name = t.name
    if arr.ndim != len(t.shape):
        raise BindingError(f"tensor {name!r} expects {len(t.shape)} axes with shape "
                           f"{format_shape(t.shape)}, got an array of shape {arr.shape}")
    for axis, (d, n) in enumerate(zip(t.shape, arr.shape)):
        if isinstance(d, int):
            if d != n:
                raise BindingError(f"tensor {name!r} axis {axis}: expected size {d}, got {n} "
                                   f"(array shape {arr.shape})")
        elif "*" not in d:
            if d in sizes and sizes[d] != n:
                raise BindingError(f"tensor {name!r} axis {axis}: dimension {d!r} has size {n} "
                                   f"here but {sizes[d]} in {where[d]}")
            sizes.setdefault(d, n)
            where.setdefault(d, f"tensor {name!r} axis {axis}")


def _dimension_names(nodes: list[Expr]) -> set[str]:
    names = {n for node in nodes for d in node.shape for n in dim_names(d)}
    for node in nodes:
        if isinstance(node, Product):
            names.update(n for d in node.dims for n in dim_names(d))
    return names


def _bind_extra(values: Mapping[str, Any], tensors: dict, missing: set, sizes: dict,
                where: dict) -> None:
    from .nodes import live_tensors

    for name, value in values.items():
        if name in tensors:
            continue
        if name in missing and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            sizes[name] = int(value)
            where[name] = f"the size given for {name!r}"
            continue
        arr = None
        found: dict[str, int] = {}
        for t in live_tensors(name):  # several may exist (other scopes); use those that fit
            arr = _as_array(name, value) if arr is None else arr
            trial: dict[str, int] = dict(sizes)
            try:
                _bind_axes(t, arr, trial, dict(where))
            except BindingError:
                continue
            for d in missing & set(trial):
                if found.setdefault(d, trial[d]) != trial[d]:
                    raise BindingError(f"dimension {d!r}: tensors named {name!r} of different "
                                       f"shapes give it different sizes; pass {d}=<size>")
        for d, n in found.items():
            if d not in sizes:
                sizes[d] = n
                where[d] = f"the value given for {name!r}"
    still = sorted(missing - set(sizes))
    if still:
        raise BindingError(f"dimension {still[0]!r} is not bound: no tensor of the expression has "
                           f"it; pass the value of a tensor that has it (such as the variable of "
                           f"the derivative) or its size, e.g. {still[0]}=10")


def _as_array(name: str, value: Any) -> np.ndarray:
    if isinstance(value, Expr):
        raise BindingError(f"tensor {name!r}: expected an array, got an expression")
    try:
        arr = np.asarray(value)
    except Exception as e:
        raise BindingError(f"tensor {name!r}: cannot convert {type(value).__name__} to an array "
                           f"({e})") from None
    if arr.dtype == bool or arr.dtype.kind in "iu":
        return arr.astype(np.float64)
    if arr.dtype.kind != "f":
        raise BindingError(f"tensor {name!r}: expected real numbers, got an array of dtype "
                           f"{arr.dtype}")
    return arr


# --------------------------------------------------------------------------- products

@dataclass(frozen=True)
class ProductPlan:
    """How one product is computed for one set of sizes.

    ``equation`` is contracted by opt_einsum (``expression``); then broadcast axes are added,
    size multipliers applied, and surviving deltas written through a diagonal view.
    """

    equation: str
    operand_shapes: tuple
    expression: Any            # an opt_einsum ContractExpression, or None for no operands
    info: Any                  # opt_einsum PathInfo (None for fewer than one operand)
    compact: str               # labels of the contracted result
    target: str                # labels after broadcasting (one per distinct output class)
    full: str                  # output labels with diagonal classes repeated: the final layout
    full_shape: tuple
    multiplier: float

    def __call__(self, arrays: list, backend: str = "numpy") -> Any:
        if self.expression is not None:
            res = self.expression(*arrays, backend=backend) if backend != "numpy" else self.expression(*arrays)
        else:
            res = np.asarray(1.0)
        if self.multiplier != 1.0:
            res = res * self.multiplier
        if self.compact != self.target:
            res = _broadcast(res, self.compact, self.target, self.size_of)
        if self.full == self.target:
            return res
        out = np.zeros(self.full_shape, dtype=np.result_type(res, np.float32) if hasattr(res, "dtype") else float)
        view = np.einsum(f"{self.full}->{self.target}", out)
        view[...] = res
        return out

    @property
    def size_of(self) -> dict:
        return dict(zip(self.full, self.full_shape))


def _broadcast(res: Any, have: str, want: str, sizes: dict) -> Any:
    order = [have.index(c) for c in want if c in have]
    res = np.transpose(res, order) if order != sorted(order) else res
    present = [c for c in want if c in have]
    shape = [sizes[c] if c in have else 1 for c in want]
    res = np.reshape(res, shape) if present != list(want) else res
    return np.broadcast_to(res, tuple(sizes[c] for c in want))


def plan_product(node: Product, sizes: Mapping[str, int], optimize: Any = OPTIMIZE_DEFAULT) -> ProductPlan:
    """Plan one product for bound dimension sizes."""
    parent = list(range(len(node.dims)))

    def find(l: int) -> int:
        while parent[l] != l:
            parent[l] = parent[parent[l]]
            l = parent[l]
        return l

    operands = []
    for f, ls in node.factors:
        if isinstance(f, Delta):
            for l in ls[1:]:
                parent[find(l)] = find(ls[0])
        else:
            operands.append((f, ls))
    size = [dim_size(d, sizes) for d in node.dims]
    letter = {l: oe.get_symbol(find(l)) for l in range(len(node.dims))}
    inputs = ["".join(letter[l] for l in ls) for _, ls in operands]
    present = set("".join(inputs))
    target = "".join(dict.fromkeys(letter[l] for l in node.out))
    compact = "".join(c for c in target if c in present)
    summed_classes = {find(l) for l in range(len(node.dims))} - {find(l) for l in node.out}
    multiplier = 1.0
    for c in summed_classes:
        if oe.get_symbol(c) not in present:
            multiplier *= size[c]
    shapes = tuple(tuple(size[l] for l in ls) for _, ls in operands)
    expression = info = None
    equation = ",".join(inputs) + "->" + compact
    if operands:
        path, info = oe.contract_path(equation, *shapes, shapes=True, optimize=optimize)
        expression = oe.contract_expression(equation, *shapes, optimize=path)
    full = "".join(letter[l] for l in node.out)
    return ProductPlan(equation, shapes, expression, info, compact, target, full,
                       tuple(size[l] for l in node.out), multiplier)


# --------------------------------------------------------------------------- the interpreter

def _softmax(a: np.ndarray, axis: int) -> np.ndarray:
    z = a - np.max(a, axis=axis, keepdims=True, initial=-np.inf)  # initial: an empty axis
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def _logsumexp(a: np.ndarray, axes: tuple) -> np.ndarray:
    m = np.max(a, axis=axes, keepdims=True, initial=-np.inf)  # initial: an empty axis
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):  # all −inf: log 0 = −inf is the right answer
        return np.squeeze(np.log(np.sum(np.exp(a - m), axis=axes, keepdims=True)) + m, axis=axes)


def _inverse(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise IndexcalcError("inv: the matrix is singular at these values") from None


def _delta(dim: int, order: int, dtype) -> np.ndarray:
    out = np.zeros((dim,) * order, dtype=dtype)
    np.einsum("i" * order + "->i", out)[...] = 1
    return out


class Compiled:
    """An expression compiled for repeated evaluation: planned once per set of sizes.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A, x = ic.tensors("A[n,n] x[n]")
        >>> f = ic.compile(x @ A @ x)
        >>> float(f(A=np.eye(3), x=np.ones(3)))
        3.0
    """

    def __init__(self, expr: Expr, backend: str = "numpy", optimize: Any = OPTIMIZE_DEFAULT):
        from .ops import as_expr

        self.expr = as_expr(expr, "compile")
        self.backend = backend
        self.optimize = optimize
        self.order = postorder([self.expr])
        self._plans: dict[tuple, dict[int, ProductPlan]] = {}

    def plans_for(self, sizes: Mapping[str, int]) -> dict[int, ProductPlan]:
        """The product plans for these sizes (planned on first use, then reused)."""
        key = tuple(sorted(sizes.items()))
        plans = self._plans.get(key)
        if plans is None:
            plans = {id(n): plan_product(n, sizes, self.optimize)
                     for n in self.order if isinstance(n, Product)}
            self._plans[key] = plans
        return plans

    def __call__(self, /, **values: Any) -> np.ndarray:
        arrays, sizes = bind([self.expr], values)
        plans = self.plans_for(sizes)
        dtype = np.result_type(*arrays.values()) if arrays else np.float64
        return self._run(arrays, sizes, plans, dtype)

    def _run(self, arrays, sizes, plans, dtype) -> np.ndarray:
        memo: dict[int, Any] = {}
        get = memo.__getitem__
        for node in self.order:
            memo[id(node)] = _EVAL[type(node)](node, lambda c: get(id(c)), arrays, sizes, plans, dtype)
        out = memo[id(self.expr)]
        return np.asarray(out, dtype=dtype) if self.backend == "numpy" else out


def _eval_product(n, val, arrays, sizes, plans, dtype):
    plan = plans[id(n)]
    ops = [val(f) for f, _ in n.factors if not isinstance(f, Delta)]
    res = plan(ops)
    return res * n.coef if n.coef != 1.0 else res


def _eval_sum(n, val, arrays, sizes, plans, dtype):
    if not n.terms:
        return np.zeros(tuple(dim_size(d, sizes) for d in n.shape), dtype=dtype)
    total = None
    for c, t in n.terms:
        v = val(t)
        v = v * c if c != 1.0 else v
        total = v if total is None else total + v
    return total


def _eval_apply(n, val, *_):
    with np.errstate(over="ignore", under="ignore"):
        return rule(n.fn).numpy(val(n.arg), n.param)


_EVAL = {
    Tensor: lambda n, val, arrays, *_: arrays[n.name],
    # constants take the inputs' precision (like NumPy's Python scalars), so float32 stays float32
    Constant: lambda n, val, arrays, sizes, plans, dtype: n.value.astype(dtype, copy=False),
    Delta: lambda n, val, arrays, sizes, plans, dtype: _delta(dim_size(n.dim, sizes), n.order, dtype),
    Product: _eval_product,
    Sum: _eval_sum,
    Apply: _eval_apply,
    Softmax: lambda n, val, *_: _softmax(val(n.arg), n.axis),
    LogSumExp: lambda n, val, *_: _logsumexp(val(n.arg), n.axes),
    Inverse: lambda n, val, *_: _inverse(val(n.arg)),
    Det: lambda n, val, *_: np.linalg.det(val(n.arg)),
    LogDet: lambda n, val, *_: np.linalg.slogdet(val(n.arg))[1],
    Reshape: lambda n, val, arrays, sizes, *_: np.reshape(val(n.arg), tuple(dim_size(d, sizes) for d in n.shape)),
    Named: lambda n, val, *_: val(n.arg),
    Shared: lambda n, val, *_: val(n.arg),
}

#: Recently evaluated expressions and their programs (bounded: a program refers to its
#: expression, so a weak-keyed cache could never drop an entry).
_CACHE: "OrderedDict[Expr, Compiled]" = OrderedDict()
_CACHE_SIZE = 128


def compile(expr: Any, backend: str = "numpy", optimize: Any = OPTIMIZE_DEFAULT) -> Compiled:  # noqa: A001
    """A callable ``(**values) -> array`` that plans once per set of sizes and reuses the plan.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A, x = ic.tensors("A[m,n] x[n]")
        >>> f = ic.compile(A @ x)
        >>> f(A=np.ones((2, 3)), x=np.arange(3.0))
        array([3., 3.])
    """
    if not isinstance(backend, str):
        raise IndexcalcError(f"compile: backend must be a name like 'numpy', got {backend!r}")
    return Compiled(expr, backend, optimize)


def evaluate(expr: Any, /, **values: Any) -> np.ndarray:
    """The value of ``expr`` as a NumPy array; any tensor name works as a keyword.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X, w = ic.tensors("X[n,d] w[d]")
        >>> ic.evaluate(X @ w, X=np.ones((2, 3)), w=np.arange(3.0))
        array([3., 3.])
    """
    from .ops import as_expr

    expr = as_expr(expr, "evaluate")
    compiled = _CACHE.pop(expr, None) or Compiled(expr)
    _CACHE[expr] = compiled
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return compiled(**values)
