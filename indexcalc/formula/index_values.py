"""The readings of index notation's constructs: one per node kind of
:mod:`.index_syntax`, each ``(reading, node, scope, free) -> value`` (rules as data: ``READ``).

A value is a float (a coefficient), an :class:`Ix` (an expression at index symbols) or a
:class:`Whole` (a tensor whose axes are positions: a name, ``p,q ↦ …``, ``x[1:3]``). A reading
that needs a size nothing has given yet raises :class:`Pending`; :class:`.index_reader.IndexReading`
repeats the pass once something new is known.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import numpy as np

from ..core.algebra import add, full, product
from ..core.dims import check_dim, dim_mul, dims_equal
from ..core.nodes import Constant, Delta, Expr, Scatter, TriMask
from ..errors import ShapeError
from ..frontend import arithmetic, axes, extrema, indexing, linalg, matrices, shaping, spectral
from .matrix_syntax import Node, _slice_value, located
from .matrix_values import ELEMENTWISE

if TYPE_CHECKING:
    from .index_reader import IndexReading

__all__ = ["Ix", "Whole", "Pending", "READ", "matricized"]


class Ix:
    """An indexed value: ``expr`` whose axes are the index symbols ``letters``."""

    __slots__ = ("expr", "letters")

    def __init__(self, expr: Expr, letters: tuple):
        self.expr, self.letters = expr, tuple(letters)


class Whole:
    """A whole tensor (a name, ``p,q ↦ …``, ``x[1:3]``): its axes are positions."""

    __slots__ = ("expr",)

    def __init__(self, expr: Expr):
        self.expr = expr


class Pending(Exception):
    """A size this pass does not know yet: ``node`` needs index ``name``'s dimension."""

    def __init__(self, node: Node, symbol: tuple):
        super().__init__(symbol[-1])
        self.node, self.symbol = node, symbol


def _matrix_calls() -> dict:
    calls = {name: getattr(linalg, name) for name in ("expm", "sqrtm", "logm")}
    calls.update({name: (lambda x, name=name: spectral.part_by_name(name, x))
                  for name in spectral.PARTS_BY_NAME})
    calls["det"] = matrices.det
    return calls


#: Calls of a whole tensor: ``det(X)``, ``expm(p,q ↦ …)``, ``eigvalsh(S)``.
WHOLE = _matrix_calls()


def _number(r: IndexReading, n: Node, scope, free):
    return n.args[0]


def _name(r: IndexReading, n: Node, scope, free):
    name = n.args[0]
    if name in r.defs:
        return Whole(r.definition(n, name))
    if name in r.names:
        return Whole(r.names[name])
    if name in r.dimnames:   # a size: Σ over an index no factor uses
        s = ("size", id(n))
        return Ix(product([(full((name,)), (s,))], (), {s: name}), ())
    raise r.fail(n, f"unknown name {name!r}: give it in shapes=, like shapes={{{name!r}: 'n d'}}")


def _indexed(r: IndexReading, n: Node, scope, free):
    base, names = n.args
    letters = tuple(r.symbol(n, x, scope, free) for x in names)
    if base.kind == "name" and base.args[0] == "δ" and "δ" not in r.names:
        known = [r.dims[s] for s in letters if s in r.dims]
        if not known:
            raise Pending(n, letters[0])
        r.learn(n, letters, (known[0],) * len(letters))
        return Ix(Delta(known[0], len(letters)), letters)
    if base.kind == "number":   # 1[i,j], 0.5[i,j]: the same value at every index
        shape = tuple(r.dim(n, s) for s in letters)
        return Ix(full(shape, base.args[0]), letters)
    if base.kind == "call" and base.args[0] in ("tril", "triu"):
        return Ix(_mask(r, base, tuple(r.dim(n, s) for s in letters)), letters)
    r.hint(base, [r.dims.get(s) for s in letters])
    expr = r._whole(base, r.value(base, scope, free))
    if expr.ndim != len(letters):
        raise r.fail(n, f"{len(letters)} index names for a value of shape {expr.shape}",
                     ShapeError)
    if base.kind == "array":   # a printed constant takes the named dimension it meets (a pin)
        named = tuple(r.named_as.get(s) or (r.dims[s] if isinstance(r.dims.get(s), str) else d)
                      for s, d in zip(letters, expr.shape))
        expr = expr if named == expr.shape else Constant(expr.value, shape=named)
        r.soft.update(s for s in letters if s not in r.dims)
    r.learn(n, letters, expr.shape)
    return Ix(expr, letters)


def _mask(r: IndexReading, n: Node, shape: tuple) -> Expr:
    name, args, keywords, _ = n.args
    if len(args) != 1 or args[0].kind != "number" or args[0].args[0] != 1.0 or \
            set(dict(keywords)) - {"k"} or len(shape) != 2:
        raise r.fail(n, f"{name}(1, k=…)[i,j] is the mask of a matrix: its argument is 1")
    return TriMask(shape[0], shape[1], dict(keywords).get("k", 0), name == "triu")


def _slice(r: IndexReading, n: Node, scope, free):
    base, text = n.args
    expr = r._whole(base, r.value(base, scope, free))
    try:
        index = _slice_value(ast.parse("_" + text, mode="eval").body.slice)
    except (SyntaxError, ValueError):
        raise r.fail(n, f"{text}: a subscript takes integers, slices (1:3, ::-1) and None, or "
                        "index names") from None
    return Whole(indexing.index(expr, index))


def _inv(r: IndexReading, n: Node, scope, free):
    v = r.value(n.args[0], scope, free)
    if isinstance(v, float):
        v = r._ix(n, v)
    expr = r._whole(n.args[0], v)
    return Whole(arithmetic.power(expr, -1.0) if expr.ndim == 0 else matrices.inv(expr))


def _power(r: IndexReading, n: Node, scope, free):
    v = r.value(n.args[0], scope, free)
    if isinstance(v, float):
        v = r._ix(n, v)
    if isinstance(v, Whole):
        return Whole(arithmetic.power(v.expr, n.args[1]))
    v = r._closed(n, v)
    return Ix(arithmetic.power(v.expr, n.args[1]), v.letters)


def _rpow(r: IndexReading, n: Node, scope, free):
    base, exponent = n.args
    v = r._closed(n, r._ix(n, r.value(exponent, scope, free)))
    return Ix(arithmetic.apply("rpow", v.expr, base), v.letters)


def _group(r: IndexReading, n: Node, scope, free):
    return r.value(n.args[0], scope, free)


def _bind(r: IndexReading, n: Node, names: tuple, scope: dict) -> tuple[dict, tuple]:
    r.distinct(n.span, names)
    symbols = tuple((id(n), x) for x in names)
    return {**scope, **dict(zip(names, symbols))}, symbols


def _mapping(r: IndexReading, n: Node, scope, free):
    names, body = n.args
    inner, bound = _bind(r, n, names, scope)
    v = r._ix(body, r.value(body, inner, free))
    for s in v.letters:
        if s not in bound:
            raise r.fail(n, f"the body of this ↦ uses index {s[-1]} from outside it; a value "
                            "written whole has only its own indices")
    return Whole(r._at(n, v, bound))


def _sigma(r: IndexReading, n: Node, scope, free):
    names, rest = n.args
    inner, bound = _bind(r, n, names, scope)
    v = r._ix(rest, r.value(rest, inner, free))
    unused = [s for s in bound if s not in v.letters]
    for s in unused:   # Σ_k of what k does not index: k's size times it, if the text has it
        if s not in r.dims and not r.by_declaration(s, own=True) and not r._by_name(s):
            error = r.fail(n, f"index {s[-1]} has no size in the text: Σ_{s[-1]} sums an index "
                              f"that nothing after it uses; declare its size, like Σ_{s[-1]}∈[3]")
            error.unsized = True   # the printer declares sizes on this (index_sizes)
            raise error
    out = tuple(dict.fromkeys(s for s in v.letters if s not in bound))
    items = [(v.expr, v.letters)] + [(full((r.dims[s],)), (s,)) for s in unused]
    dims = {s: r.dim(n, s) for s in (*v.letters, *unused)}
    return Ix(product(items, out, dims), out)


def _product(r: IndexReading, n: Node, scope, free):
    coef, items = 1.0, []
    for f, v in zip(n.args, r.all_of(n.args, scope, free)):
        if isinstance(v, float):
            coef *= v
            continue
        v = r._ix(f, v)
        items.append((v.expr, v.letters))
    letters = [s for _, ls in items for s in ls]
    out = tuple(dict.fromkeys(letters))
    dims = {s: r.dim(n, s) for s in letters}
    return Ix(product(items, out, dims, coef), out)


def _sum(r: IndexReading, n: Node, scope, free):
    values = r.all_of([t for _, t in n.args], scope, free)
    terms = [r._ix(t, v) for (_, t), v in zip(n.args, values)]
    out = tuple(dict.fromkeys(s for t in terms for s in t.letters))
    shape = tuple(r.dim(n, s) for s in out)
    return Ix(add([(c, r._at(t, v, out)) for (c, t), v in zip(n.args, terms)], shape), out)


def _reduce(r: IndexReading, n: Node, scope, free):
    fn, subs, arg = n.args
    if fn == "softmax":   # softmax_j(x[i,j]): over an index of the argument's own
        if any((id(n), x) in r.declared for x in subs):   # bound elsewhere: sized there
            raise r.fail(n, f"softmax_{subs[0]} binds no index, so it declares no size: declare "
                            f"it where {subs[0]} is bound ({subs[0]}∈[3] ↦ …)")
        inner, over = scope, tuple(r.symbol(n, x, scope, free) for x in subs)
    else:
        inner, over = _bind(r, n, subs, scope)
    v = r._closed(n, r._ix(arg, r.value(arg, inner, free)))
    missing = tuple(s for s in over if s not in v.letters)
    if missing:   # logsumexp_j(c) of what j does not index: over c at each j (as Σ_j c)
        dims = {s: r.dim(n, s) for s in (*v.letters, *missing)}
        items = [(v.expr, v.letters)] + [(full((dims[s],)), (s,)) for s in missing]
        v = Ix(product(items, v.letters + missing, dims), v.letters + missing)
    where = tuple(v.letters.index(s) for s in over)
    if fn == "softmax":
        if len(where) != 1:
            raise r.fail(n, "softmax_j is over one index")
        return Ix(axes.softmax(v.expr, where[0]), v.letters)
    reduce = axes.logsumexp if fn == "logsumexp" else extrema.max
    return Ix(reduce(v.expr, where), tuple(s for s in v.letters if s not in over))


def _logdet(r: IndexReading, n: Node, scope, free):
    return Whole(matrices.logdet(r._whole(n.args[0], r.value(n.args[0], scope, free))))


def _array(r: IndexReading, n: Node, scope, free):
    try:
        value = np.array(ast.literal_eval(n.args[0]), dtype=float)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise r.fail(n, "a constant is a list of numbers, like [1.5,-2] or [[1,2],[3,4]]") \
            from None
    return Whole(Constant(value))


def _size(r: IndexReading, n: Node, scope, free):
    dims = [check_dim(d, "a size") for d in n.args[0]]   # "3" → 3 (check_dim: ASCII digits)
    s = ("size", id(n))
    d = dim_mul(*dims)
    return Ix(product([(full((d,)), (s,))], (), {s: d}), ())


def _call(r: IndexReading, n: Node, scope, free):
    name, args, keywords, extra = n.args
    keywords, extra = dict(keywords), dict(extra)
    if name in ELEMENTWISE:
        if len(args) != 1 or keywords:
            raise r.fail(n, f"{name}(…) takes one argument")
        v = r._closed(n, r._ix(args[0], r.value(args[0], scope, free)))
        return Ix(arithmetic.apply(ELEMENTWISE[name], v.expr), v.letters)
    if name in ("tril", "triu"):
        raise r.fail(n, f"{name}(1) is a mask written at its indices, like {name}(1)[i,j]")
    known = {"concatenate": {"axis"}, "softmax": {"axis"}}.get(name, set())
    if set(keywords) - known:
        raise r.fail(n, f"{name}() has no keyword {sorted(set(keywords) - known)[0]!r}")
    if name == "scatter":   # its argument has the shape of the slice it is written at
        shape = _shape(r, n, extra["shape"])
        text, span = extra["spec"]
        try:
            index = _slice_value(ast.parse("_" + text, mode="eval").body.slice)
        except (SyntaxError, ValueError):
            raise located(r.text, span, f"{text}: a subscript takes integers, slices and None") \
                from None
        spec, out = indexing.normalize(index, shape)
        r.hint(args[0], list(out))
    parts = [r._whole(a, v) for a, v in zip(args, r.all_of(args, scope, free))]
    if name == "concatenate":
        return Whole(shaping.concatenate(parts, keywords.get("axis", 0)))
    if len(parts) != 1:
        raise r.fail(n, f"{name}() takes one argument, got {len(parts)}")
    x = parts[0]
    if name == "softmax":
        return Whole(axes.softmax(x, keywords.get("axis", -1)))
    if name == "reshape":
        return Whole(matrices.reshape(x, *_shape(r, n, extra["shape"])))
    if name == "scatter":
        if len(out) != x.ndim or not all(dims_equal(a, b) for a, b in zip(out, x.shape)):
            raise r.fail(n, f"scatter: a value of shape {x.shape} written at [{text[1:-1]}] of "
                            f"{shape}, whose shape there is {out}", ShapeError)
        return Whole(Scatter(x, spec, shape))
    if name in WHOLE:
        return Whole(WHOLE[name](x))
    names = ", ".join(sorted({*ELEMENTWISE, *WHOLE, "concatenate", "softmax", "reshape",
                              "scatter", "tril", "triu", "log|det"}))
    raise r.fail(n, f"unknown function {name!r} in index notation; known: {names}")


def _shape(r: IndexReading, n: Node, dims: tuple) -> tuple:
    out = []
    for d in dims:
        out.append(dim_mul(check_dim(d, "a shape")))   # check_dim reads products, 2*b
    return tuple(out)


READ = {"number": _number, "name": _name, "indexed": _indexed, "slice": _slice, "inv": _inv,
         "power": _power, "rpow": _rpow, "group": _group, "mapping": _mapping, "sigma": _sigma,
         "product": _product, "sum": _sum, "reduce": _reduce, "logdet": _logdet, "call": _call,
         "array": _array, "size": _size}



def matricized(t: Expr, rows: int, order: str) -> Expr:
    """``t``'s first ``rows`` axes flattened into rows and the rest into columns, the first
    axis fastest (``order="col"``, as ``vec_col``) or the last (``"row"``); one side empty: a
    vector.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> T = ic.Tensor("T", (2, 3, 4))
        >>> t = np.arange(24.0).reshape(2, 3, 4)
        >>> m = matricized(T, 1, "col").evaluate(T=t)
        >>> np.array_equal(m, t.reshape(2, 12, order="F"))
        True
    """
    r, c = list(range(rows)), list(range(rows, t.ndim))
    if order == "col":   # first fastest: C order over the axes reversed
        r, c = r[::-1], c[::-1]
    if r + c != list(range(t.ndim)):
        t = axes.transpose(t, r + c)
    shape = ([dim_mul(*t.shape[:rows])] if rows else []) + \
        ([dim_mul(*t.shape[rows:])] if t.ndim > rows else [])
    return matrices.reshape(t, *shape) if shape and t.ndim != len(shape) else t
