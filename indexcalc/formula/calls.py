"""Calls inside formulas: the library functions a formula may call, and their arguments.

A row of :data:`FUNCTIONS` says how a call's arguments are read: ``expr`` (a sub-formula, read
positionally), or a literal of a kind (``int``, ``axis``, ``dim``, ``str``, ``ord``). Elementwise
functions keep index letters (``exp(X[n,d])`` is indexed by ``n, d``); ``sum(expr, i, ...)``
sums index letters, ``sum(expr, axis)`` axes. Adding a callable function is adding a row.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..frontend import arithmetic, axes, extrema, linalg, matrices, spectral, statistics
from ..core.matrix_functions import matrix_function
from ..core.elementwise import PUBLIC
from ..core.nodes import Expr


@dataclass(frozen=True)
class Fn:
    """A callable library function: its parameters as ``(name, kind, required)``."""

    call: Callable
    params: tuple = (("x", "expr", True),)
    varargs: str | None = None


@dataclass(frozen=True)
class Indexed:
    """An expression whose axes carry index letters (repeated only before the product closes)."""

    expr: Expr
    letters: tuple[str, ...]


_X = ("x", "expr", True)
FUNCTIONS: dict[str, Fn] = {
    **{name: Fn(getattr(matrices, name)) for name in ("diag", "inv", "det", "logdet")},
    **{name: Fn(getattr(matrices, name), (_X, ("offset", "int", False)))
       for name in ("trace", "diagonal")},
    "norm": Fn(axes.norm, (_X, ("ord", "ord", False), ("axis", "axis", False),
                           ("keepdims", "bool", False))),
    **{name: Fn(getattr(statistics, name), (_X, ("axis", "axis", False),
                                            ("keepdims", "bool", False)))
       for name in ("mean", "prod")},
    **{name: Fn(getattr(statistics, name), (_X, ("axis", "axis", False),
                                            ("keepdims", "bool", False), ("ddof", "int", False)))
       for name in ("var", "std")},
    "cumsum": Fn(statistics.cumsum, (_X, ("axis", "axis", False))),
    **{name: Fn(getattr(extrema, name), (_X, ("axis", "axis", False), ("keepdims", "bool", False)))
       for name in ("max", "min")},
    **{name: Fn(getattr(extrema, name), (("a", "expr", True), ("b", "expr", True)))
       for name in ("maximum", "minimum")},
    "clip": Fn(extrema.clip, (_X, ("a_min", "expr", False), ("a_max", "expr", False))),
    "tensordot": Fn(axes.tensordot, (("a", "expr", True), ("b", "expr", True),
                                     ("axes", "int", False))),
    "softmax": Fn(axes.softmax, (_X, ("axis", "int", False))),
    "log_softmax": Fn(axes.log_softmax, (_X, ("axis", "int", False))),
    "logsumexp": Fn(axes.logsumexp, (_X, ("axis", "axis", False))),
    "eye": Fn(matrices.eye, (("n", "dim", True),)),
    "delta": Fn(matrices.delta, (("dim", "dim", True), ("order", "int", False))),
    "outer": Fn(matrices.outer, (("u", "expr", True), ("v", "expr", True))),
    "kron": Fn(matrices.kron, (("a", "expr", True), ("b", "expr", True))),
    "matmul": Fn(axes.matmul, (("a", "expr", True), ("b", "expr", True))),
    "transpose": Fn(axes.transpose, (_X,), "axis"),
    "reshape": Fn(matrices.reshape, (_X,), "dim"),
    "einsum": Fn(arithmetic.einsum, (("subscripts", "str", True),), "expr"),
    **{name: Fn(partial(spectral.part_by_name, name)) for name in spectral.PARTS_BY_NAME},
    **{name: Fn(getattr(linalg, name)) for name in ("pinv", "cholesky", "expm", "sqrtm", "logm")},
    **{name: Fn(getattr(linalg, name), (("a", "expr", True), ("b", "expr", True)))
       for name in ("solve", "lstsq")},
    "matrix_power": Fn(linalg.matrix_power, (_X, ("k", "int", True))),
    # the Fréchet derivatives as matrix forms print them: L_exp(A, E)
    **{matrix_function(fn).frechet_text: Fn(linalg.frechet(fn), (("a", "expr", True),
                                                                ("e", "expr", True)))
       for fn in ("expm", "sqrtm", "logm")},
}
ELEMENTWISE = frozenset(PUBLIC)


def read_call(r: Any, node: ast.Call) -> Any:
    """The value of a call node (``r`` is the formula reader)."""
    if not isinstance(node.func, ast.Name):
        raise r.error(node.func, "only the library's functions can be called (no attribute calls)")
    name = node.func.id
    for a in [*node.args, *(k.value for k in node.keywords)]:
        if isinstance(a, ast.Starred):
            raise r.error(a, "starred arguments are not allowed")
    if any(k.arg is None for k in node.keywords):
        raise r.error(node, "**keyword arguments are not allowed")
    if name == "sum":
        return _sum(r, node)
    if name in ELEMENTWISE:
        fn = getattr(arithmetic, name)
        if len(node.args) != 1 or node.keywords:
            raise r.error(node, f"{name}() takes exactly one argument")
        v = r.close(r.value(node.args[0]), node.args[0])
        return Indexed(fn(v.expr), v.letters) if isinstance(v, Indexed) else fn(v)
    spec = FUNCTIONS.get(name)
    if spec is None:
        known = ", ".join(sorted([*FUNCTIONS, *ELEMENTWISE, "sum"]))
        raise r.error(node.func, f"unknown function {name!r}; known: {known}")
    args, kwargs = _arguments(r, node, spec)
    return spec.call(*args, **kwargs)


def _arguments(r: Any, node: ast.Call, spec: Fn) -> tuple[list, dict]:
    name = node.func.id
    names = [p[0] for p in spec.params]
    if len(node.args) > len(names) and spec.varargs is None:
        raise r.error(node, f"{name}() takes at most {len(names)} positional arguments")
    args = [_argument(r, a, spec.params[i][1] if i < len(names) else spec.varargs)
            for i, a in enumerate(node.args)]
    kwargs = {}
    for k in node.keywords:
        if k.arg not in names or names.index(k.arg) < len(node.args):
            raise r.error(k.value, f"{name}() has no keyword {k.arg!r} here (parameters: "
                                   f"{', '.join(names)})")
        kwargs[k.arg] = _argument(r, k.value, spec.params[names.index(k.arg)][1])
    for i, (p, _, required) in enumerate(spec.params):
        if required and i >= len(node.args) and p not in kwargs:
            raise r.error(node, f"{name}() is missing its argument {p!r}")
    return args, kwargs


def _literal(r: Any, node: ast.AST, kinds: tuple) -> Any:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and isinstance(node.operand, ast.Constant) and type(node.operand.value) in (int, float):
        return -node.operand.value if type(node.operand.value) in kinds else _bad(r, node, kinds)
    if isinstance(node, ast.Constant) and type(node.value) in kinds:
        return node.value
    if isinstance(node, ast.Tuple) and tuple in kinds:
        return tuple(_literal(r, e, (int,)) for e in node.elts)
    if isinstance(node, ast.Name) and "name" in kinds:
        return node.id     # a dimension name
    return _bad(r, node, kinds)


def _bad(r: Any, node: ast.AST, kinds: tuple) -> Any:
    names = {int: "an int", float: "a number", str: "a string", tuple: "a tuple of ints",
             type(None): "None", "name": "a dimension name", bool: "True or False"}
    raise r.error(node, "expected " + " or ".join(names[k] for k in kinds))


_KINDS = {"int": (int,), "axis": (int, tuple, type(None)), "dim": (int, str, "name"),
          "str": (str,), "ord": (int, float, str, type(None)), "bool": (bool,)}


def _argument(r: Any, node: ast.AST, kind: str) -> Any:
    if kind == "expr":
        return r.positional(r.value(node), node)
    if kind == "str" and not isinstance(node, ast.Constant):
        raise r.error(node, "expected a string literal, like 'ij,jk->ik'")
    return _literal(r, node, _KINDS[kind])


def _sum(r: Any, node: ast.Call) -> Any:
    if not node.args or len(node.keywords) > 1 or node.keywords and node.keywords[0].arg != "axis":
        raise r.error(node, "sum() takes an expression, then index letters or axis=")
    letters = node.args[1:]
    if node.keywords or any(not isinstance(a, ast.Name) for a in letters):
        if len(letters) > 1 or node.keywords and letters:
            raise r.error(node, "sum(x, axis) takes one axis (an int or a tuple of ints)")
        axis = _literal(r, (node.keywords[0].value if node.keywords else letters[0]),
                        _KINDS["axis"])
        return axes.sum(r.positional(r.value(node.args[0]), node.args[0]), axis)
    names = tuple(a.id for a in letters)
    r.bound.append(frozenset(names))
    try:
        v = r.close(r.value(node.args[0]), node.args[0])
    finally:
        r.bound.pop()
    if not names:
        return axes.sum(r.positional(v, node.args[0]))
    if not isinstance(v, Indexed):
        raise r.error(node.args[0], "sum over index letters needs an indexed summand, like "
                                    "sum(X[n,d], n); use sum(X, axis=0) for positions")
    have = v.letters
    for a in letters:
        if a.id not in have:
            raise r.error(a, f"sum over index {a.id!r}, but the summand's free indices are "
                             f"({','.join(have)})")
    out = tuple(l for l in have if l not in names)
    return Indexed(axes.sum(v.expr, [have.index(l) for l in names]), out)
