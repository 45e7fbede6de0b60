"""Evaluation: bind values to tensors, plan every product, run a straight-line program.

Every ``Product`` is contracted along an opt_einsum path planned for the bound sizes; the plans
are cached per set of sizes in a :class:`Compiled` expression, and so are the straight-line
programs (:mod:`indexcalc.evaluation.programs`) built from them, so a compiled expression plans once and
reuses the plan. Shared subexpressions are computed once (the graph is hash-consed).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any, Callable

import numpy as np

from ..core.dims import dim_names, dim_size, format_shape, merge_pins
from ..errors import BindingError, IndexcalcError
from ..core.nodes import Derivative, Expr, Product, Tensor, pins_of
from .product_plans import OPTIMIZE_DEFAULT, ProductPlan, _checked_optimize, plan_product  # noqa: F401
from ..core.graph_walk import postorder
from .backends import namespace
from ..core.coercion import as_expr
from .memory import _checked, memory_limit as global_memory_limit
from .shared_plans import SHARED, optimize_key
from .programs import Context, Program


# --------------------------------------------------------------------------- binding

def bind(roots: list[Expr], values: Mapping[str, Any],
         convert: Callable[[str, Any], Any] | None = None) -> tuple[dict[str, Any], dict[str, int]]:
    """Check the given arrays against the tensors of ``roots``; return arrays and dimension sizes.

    A dimension that no tensor of ``roots`` carries (``∂(XW)/∂W = X δ`` has lost ``W``) is bound
    from any other value given: an array for a tensor of that name, or an int for the dimension.
    ``convert(name, value)`` makes the arrays (default: NumPy float arrays).
    """
    return bind_signature(signature(roots), values, convert)


def signature(roots: list[Expr], nodes: list | None = None) -> tuple[dict, frozenset, dict]:
    """The tensors of ``roots`` by name, every dimension name they use, and the variables of the
    derivatives among them (``Derivative.wrt``), whose values bind dimensions the derivative
    lost; computed once. ``nodes``, when given, is ``postorder(roots)`` already computed.
    """
    tensors: dict[str, Tensor] = {}
    variables: dict[str, Tensor] = {}
    nodes = postorder(roots) if nodes is None else nodes
    pins = merge_pins(*(pins_of(r) for r in roots))
    for node in nodes:
        if isinstance(node, Tensor):
            _one_per_name(tensors, node)
        elif isinstance(node, Derivative):
            _one_per_name(variables, node.wrt)
    for t in variables.values():
        _one_per_name(dict(tensors), t)
    return tensors, frozenset(_dimension_names(nodes)), variables, pins


def _one_per_name(table: dict[str, Tensor], t: Tensor) -> None:
    other = table.setdefault(t.name, t)
    if other is not t:
        raise BindingError(f"two different tensors are named {t.name!r} (shapes "
                           f"{format_shape(other.shape)} and {format_shape(t.shape)}); "
                           "give them distinct names")


def bind_signature(sig: tuple, values: Mapping[str, Any],
                   convert: Callable[[str, Any], Any] | None = None) -> tuple[dict, dict]:
    """:func:`bind` for a precomputed :func:`signature`."""
    convert = convert or _as_array
    tensors, names, variables, pins = sig
    arrays: dict[str, np.ndarray] = {}
    sizes: dict[str, int] = {}
    where: dict[str, str] = {}
    for name, t in tensors.items():
        if name not in values:
            given = ", ".join(sorted(values)) or "nothing"
            raise BindingError(f"no value for tensor {name!r} of shape {format_shape(t.shape)} "
                               f"(given: {given})")
        arrays[name] = convert(name, values[name])
        _bind_axes(t, arrays[name], sizes, where)
    for name in symmetric_values(sig, values):
        check_symmetric(name, arrays[name] if name in arrays else convert(name, values[name]))
    _bind_pins(pins, sizes, where, single=True)
    missing = names - set(sizes)
    if missing:
        _bind_extra(values, tensors, variables, missing, sizes, where, convert)
    for name, t in tensors.items():  # merged dimensions, once their factors are known
        for axis, (d, n) in enumerate(zip(t.shape, arrays[name].shape)):
            if isinstance(d, str) and "*" in d and all(x in sizes for x in dim_names(d)):
                if dim_size(d, sizes) != n:
                    raise BindingError(f"tensor {name!r} axis {axis}: dimension {d!r} is "
                                       f"{dim_size(d, sizes)} by the sizes bound, got {n}")
    _bind_pins(pins, sizes, where, single=False)
    return arrays, sizes


def _bind_pins(pins: Mapping, sizes: dict, where: dict, single: bool) -> None:
    """Check the sizes bound against the pins (``d = 3`` where ``d`` met a concrete 3, see
    :mod:`indexcalc.core.dim_meeting`); bind a pinned name no value carries. ``single``: the
    pins of one name (before the other bindings), else those of products (after them)."""
    for dim, (size, pinned_by) in pins.items():
        if ("*" not in dim) != single:
            continue
        if single and dim not in sizes:
            sizes[dim], where[dim] = size, pinned_by
            continue
        if not all(n in sizes for n in dim_names(dim)):
            continue
        if dim_size(dim, sizes) != size:
            got = where.get(dim) or ", ".join(where[n] for n in dim_names(dim) if n in where)
            raise BindingError(f"dimension {dim!r} is {dim_size(dim, sizes)} by {got} but the "
                               f"expression fixes it to {size} ({pinned_by})")


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


def symmetric_values(sig: tuple, values: Mapping[str, Any] | None) -> list[str]:
    """The names of the values given (all, for ``None``) for symmetric tensors: the expression's,
    and the variables of its derivatives (a derivative by ``S`` that no longer reads ``S`` still
    took ``S`` as symmetric: a non-symmetric value is a mistake to report, whatever the result)."""
    tensors, _, variables, _ = sig
    return [name for name, t in {**variables, **tensors}.items()
            if t.symmetric and (values is None or name in values)]


def check_symmetric(name: str, value: Any) -> None:
    """Refuse a value for a symmetric tensor that is not symmetric (to √eps of its largest entry).

    A derivative by a symmetric variable holds only on symmetric matrices (``S.T − S`` is zero
    there, and simplification used it); a non-symmetric value would give a silently wrong answer.
    Entries that face an equal entry are symmetric, ``inf`` and ``inf``, ``NaN`` and ``NaN`` too.

    Examples:
        >>> import numpy as np
        >>> check_symmetric("S", np.array([[1.0, np.inf], [np.inf, np.nan]]))  # accepted
        >>> check_symmetric("S", np.array([[0.0, 1.0], [2.0, 0.0]]))
        Traceback (most recent call last):
        indexcalc.errors.BindingError: tensor 'S' is declared symmetric, but its value is not: ...
        pass (S + S.T) / 2, or declare S without symmetric=True
    """
    if not isinstance(value, np.ndarray) or value.ndim != 2 or value.size == 0:
        return  # other backends' arrays are not read back (that would copy from the device)
    with np.errstate(invalid="ignore", over="ignore"):
        gap = float(np.max(np.abs(value - value.T)))
        scale = float(np.max(np.abs(value)))
    if not (np.isfinite(gap) and np.isfinite(scale)):
        gap, scale = _nonfinite_gap(value)
    exact = value.dtype if np.issubdtype(value.dtype, np.inexact) else np.float64
    tol = float(np.sqrt(np.finfo(exact).eps)) * max(scale, 1e-300)
    if not gap <= tol:
        raise BindingError(f"tensor {name!r} is declared symmetric, but its value is not: "
                           f"max |{name} − {name}ᵀ| = {gap:.3g} (tolerance {tol:.3g}); pass "
                           f"({name} + {name}.T) / 2, or declare {name} without symmetric=True")


def _nonfinite_gap(value: np.ndarray) -> tuple[float, float]:
    """``max |S − Sᵀ|`` and ``max |S|`` over the finite entries, for a value holding ``inf`` or
    ``NaN`` (``inf − inf`` is NaN: an equal pair counts as no gap, a lone NaN as an infinite one)."""
    with np.errstate(invalid="ignore"):
        diff = np.abs(value - value.T)
    facing = value.T
    diff[(value == facing) | (np.isnan(value) & np.isnan(facing))] = 0.0
    diff[np.isnan(diff)] = np.inf  # a NaN facing a number
    finite = np.abs(value[np.isfinite(value)])
    return float(np.max(diff)), float(finite.max()) if finite.size else 0.0


def _dimension_names(nodes: list[Expr]) -> set[str]:
    names = {n for node in nodes for d in node.shape for n in dim_names(d)}
    for node in nodes:
        if isinstance(node, Product):
            names.update(n for d in node.dims for n in dim_names(d))
    return names


def _bind_extra(values: Mapping[str, Any], tensors: dict, variables: dict, missing: set,
                sizes: dict, where: dict, convert: Callable) -> None:
    """Bind the dimensions ``missing`` from sizes given by name and from the values of the
    derivatives' variables (``variables``), which the expression itself may no longer hold."""

    for name, value in values.items():
        if name in tensors:
            continue
        if name in missing and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            if value < 0:
                raise BindingError(f"the size given for dimension {name!r} is {value}; a size "
                                   "is a non-negative int")
            sizes[name] = int(value)
            where[name] = f"the size given for {name!r}"
            continue
        if name not in variables:
            continue
        trial: dict[str, int] = dict(sizes)
        _bind_axes(variables[name], convert(name, value), trial, dict(where))
        for d in missing & set(trial):
            if d not in sizes:
                sizes[d] = trial[d]
                where[d] = f"the value given for {name!r}"
    still = sorted(missing - set(sizes))
    if still:
        # a value given for a tensor the expression no longer holds (0*A, S - S, simplified
        # away) binds nothing: nothing records which dimensions that tensor had
        gone = sorted(n for n, v in values.items() if n not in tensors and n not in variables
                      and not isinstance(v, (int, np.integer)))
        why = (f" ({', '.join(gone)}: given, but not in the expression, which no longer depends "
               "on it)" if gone else "")
        raise BindingError(f"dimension {still[0]!r} is not bound: no tensor of the expression has "
                           f"it{why}; pass the value of the derivative's variable or the size, "
                           f"e.g. {still[0]}=10")


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


# --------------------------------------------------------------------------- programs

class Compiled:
    """An expression compiled for repeated evaluation: planned once per set of sizes.

    Calling it with the tensors' values (by name) returns the value as an array of the backend:
    a NumPy array for ``"numpy"``, a ``jax.Array``, a ``torch.Tensor``, a ``cupy.ndarray``, or a
    lazy ``dask.array.Array`` (call ``.compute()``; chunked inputs stay chunked). Inputs are
    converted to the backend's arrays first. Values of names the expression does not use are
    accepted and ignored (they may bind a dimension only the derivative's variable carried).

    The plans (one opt_einsum path per product) are cached per set of sizes, the straight-line
    programs per set of sizes and dtype, and both are shared with every other compiled object
    of the same expression (:mod:`indexcalc.evaluation.shared_plans`).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A, x = ic.tensors("A[n,n] x[n]")
        >>> f = ic.compile(x @ A @ x)
        >>> float(f(A=np.eye(3), x=np.ones(3)))
        3.0
    """

    def __init__(self, expr: Expr, backend: str = "numpy", optimize: Any = OPTIMIZE_DEFAULT,
                 memory_limit: int | None = None, jit: bool = False):

        self.expr = as_expr(expr, "compile")
        self.backend = backend
        self.namespace = namespace(backend)
        self.jit = _checked_jit(jit, self.namespace)
        self.optimize = _checked_optimize(optimize)
        self.memory_limit = _checked(memory_limit, "compile")
        self.order = postorder([self.expr])
        self._signature = signature([self.expr], self.order)
        self._symmetric = symmetric_values(self._signature, None)
        self._plans: dict[tuple, dict[int, ProductPlan]] = {}
        self._programs: dict[tuple, Any] = {}
        self._bound: dict[tuple, tuple] = {}  # shapes of the values -> (program, dtype)

    def __reduce__(self) -> tuple:
        # plans and programs hold the backend's module and functions: pickled is what they are
        # made from, and a loaded copy plans again on first use
        return (Compiled, (self.expr, self.backend, self.optimize, self.memory_limit, self.jit))

    def plans_for(self, sizes: Mapping[str, int]) -> dict[int, ProductPlan]:
        """The product plans for these sizes (planned on first use, then reused)."""
        key = tuple(sorted(sizes.items()))
        plans = self._plans.get(key)
        if plans is None:
            def build():
                cache: dict = {}
                return {id(n): plan_product(n, sizes, self.optimize, cache)
                        for n in self.order if isinstance(n, Product)}
            # the key holds the expression: its nodes (whose ids key the plans) stay alive
            plans = SHARED.get_or_build(("plans", self.expr, key, optimize_key(self.optimize)),
                                        build)
            self._plans[key] = plans
        return plans

    def program_for(self, sizes: Mapping[str, int], dtype: Any = np.float64):
        """The straight-line program for these sizes and dtype (checked by the memory guard)."""

        dtype = np.dtype(dtype)
        key = (tuple(sorted(sizes.items())), dtype.str)
        program = self._programs.get(key)
        if program is None:
            def build():
                ctx = Context(dict(sizes), dtype, self.namespace, self.plans_for(sizes))
                with getattr(self.namespace.ops, "building", nullcontext)():
                    return Program(self.order, self.expr, ctx, limit)
            # the limit in force now is part of the key: a program is checked against it once
            limit = self.memory_limit if self.memory_limit is not None else global_memory_limit()
            program = SHARED.get_or_build(("program", self.expr, *key, self.backend,
                                           optimize_key(self.optimize), limit), build)
            self._plans.setdefault(key[0], program.plans)  # this object's plans, even if shared
            self._programs[key] = program
        return program

    def __call__(self, values: Mapping[str, Any] | None = None, /, **more: Any) -> Any:
        if values is not None:
            more = _values(values, more)
        values = more
        ns = self.namespace
        if ns.name == "numpy":
            key = _shapes_key(values)
            hit = self._bound.get(key) if key is not None else None
            if hit is not None:  # float arrays of shapes seen before: binding is known
                for name in self._symmetric:
                    if name in values:  # a derivative's variable may go without a value
                        check_symmetric(name, values[name])
                program, dtype = hit
                function = program._function  # generated after the first calls
                out = function(values) if function is not None else program.run(values)
                return np.asarray(out, dtype=dtype)
            arrays, sizes = bind_signature(self._signature, values)
            dtype = np.result_type(*arrays.values()) if arrays else np.float64
            program = self.program_for(sizes, dtype)
            if key is not None:
                self._bound[key] = (program, dtype)
            return np.asarray(program.run(arrays), dtype=dtype)
        arrays, sizes = bind_signature(self._signature, values, _backend_converter(ns))
        dtype = np.result_type(*map(_numpy_dtype, arrays.values())) if arrays else np.float64
        program = self.program_for(sizes, dtype)
        out = program.jitted(ns.ops.jit)(arrays) if self.jit else program.run(arrays)
        if _numpy_dtype(out) != dtype and hasattr(out, "astype"):
            out = out.astype(dtype)  # float32 in, float32 out (dask's inv computes in float64)
        return out


def _shapes_key(values: Mapping[str, Any]) -> tuple | None:
    """What binding depends on, when every value is a float array or an int size; else None."""
    key = []
    ndarray = np.ndarray
    for name, v in values.items():
        if type(v) is ndarray:
            dtype = v.dtype
            if dtype.kind != "f":
                return None
            key.append((name, v.shape, dtype.char))
        elif type(v) is int:
            key.append((name, v))
        else:
            return None
    return tuple(key)


def _checked_jit(jit: Any, ns) -> bool:
    """``jit`` if it is a bool the backend supports (only JAX traces a whole program)."""
    if not isinstance(jit, bool):
        raise IndexcalcError(f"compile: jit must be True or False, got {jit!r}")
    if jit and not hasattr(ns.ops, "jit"):
        raise IndexcalcError(f"compile: jit=True traces the program with jax.jit; the "
                             f"{ns.name!r} backend has no such tracer: use backend='jax' "
                             "(or jit=False)")
    return jit


def _numpy_dtype(a: Any) -> np.dtype:
    try:
        return np.dtype(a.dtype)
    except TypeError:  # torch.float32 and the like
        return np.dtype(str(a.dtype).rsplit(".", 1)[-1])


def _backend_converter(ns) -> Callable:
    top = ns.xp.__name__.split(".")[0]

    def convert(name: str, value: Any) -> Any:
        if type(value).__module__.split(".")[0] in (top, "jaxlib"):
            return value  # already the backend's array: no round trip through NumPy
        return ns.asarray(_as_array(name, value), None)
    return convert


#: Recently evaluated expressions and their programs (bounded: a program refers to its
#: expression, so a weak-keyed cache could never drop an entry).
_CACHE: "OrderedDict[Expr, Compiled]" = OrderedDict()
_CACHE_SIZE = 128


def compile(expr: Any, backend: str = "numpy", optimize: Any = OPTIMIZE_DEFAULT,  # noqa: A001
            memory_limit: int | None = None, jit: bool = False) -> Compiled:
    """A callable ``(**values) -> array`` that plans once per set of sizes and reuses the plan.

    Args:
        expr: the expression.
        backend: ``"numpy"``, ``"jax"``, ``"torch"``, ``"cupy"`` or ``"dask"``; contractions run
            through opt_einsum's backend of that name, everything else through the library's
            own functions; results are the library's arrays (see :class:`Compiled`). JAX
            computes in float32 unless ``jax.config.update("jax_enable_x64", True)``.
        optimize: opt_einsum's path search; ``"auto"`` picks by operand count
            (see :func:`choose_optimizer`).
        memory_limit: bytes the largest array of an evaluation may take (default: the global
            limit, see ``ic.set_memory_limit``); past it evaluation raises before allocating.
        jit: with ``backend="jax"``, trace the whole straight-line program into one
            ``jax.jit`` computation (one XLA program per set of sizes and dtype, fused by XLA;
            the first call of each compiles). Refused on other backends.

    Raises:
        IndexcalcError: an unknown backend (the message lists them) or one whose library is
            not installed (the message says what to install); ``jit=True`` off JAX.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A, x = ic.tensors("A[m,n] x[n]")
        >>> f = ic.compile(A @ x)
        >>> f(A=np.ones((2, 3)), x=np.arange(3.0))
        array([3., 3.])
    """
    return Compiled(expr, backend, optimize, memory_limit, jit)


def evaluate(expr: Any, values: Mapping[str, Any] | None = None, /, **more: Any) -> np.ndarray:
    """The value of ``expr`` as a NumPy array; any tensor name works as a keyword, and the values
    may also come as one dict (``ic.evaluate(f, {"X": X})``, ``f.evaluate({"X": X})``).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X, w = ic.tensors("X[n,d] w[d]")
        >>> ic.evaluate(X @ w, X=np.ones((2, 3)), w=np.arange(3.0))
        array([3., 3.])
        >>> (X @ w).evaluate({"X": np.ones((2, 3)), "w": np.arange(3.0)})
        array([3., 3.])
    """

    values = _values(values, more)
    expr = as_expr(expr, "evaluate")
    compiled = _CACHE.pop(expr, None) or Compiled(expr)
    _CACHE[expr] = compiled
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return compiled(**values)


def _values(values: Any, more: dict) -> dict:
    """The keyword values, with those of a dict given positionally."""
    if values is None:
        return more
    if not isinstance(values, Mapping) or not all(isinstance(k, str) for k in values):
        raise BindingError(f"evaluate: give the values as keywords or one dict of tensor names "
                           f"to arrays, got {type(values).__name__}")
    both = sorted(set(values) & set(more))
    if both:
        raise BindingError(f"evaluate: {both[0]!r} is given both in the dict and as a keyword")
    return {**values, **more}
