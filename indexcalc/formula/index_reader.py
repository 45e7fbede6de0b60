"""``ic.parse(..., notation="index")``: the index notation ``str(expr)`` prints, read back.

One reading per printed construct (:mod:`indexcalc.rendering.index_rules`): ``X[n,d]`` a tensor at
index names; juxtaposition a product, where a name that two factors share is elementwise unless a
``Σ_d`` binds it (then it is summed); ``p,q ↦ body`` the tensor whose ``[p,q]`` entry is ``body``;
``δ[i,j]``, ``1[i,j]``, ``0.5[i,j]``, ``[1,2][i]`` constants; ``tril(1)[i,j]`` a mask;
``softmax_j``, ``logsumexp_j``, ``max_j`` over an index; whole tensors (a name, ``p,q ↦ …``) sliced
(``S[0, 1::-1, None]``), inverted (``⁻¹``), reshaped, concatenated, scattered; ``det``,
``log|det(·)|``, ``expm`` …; ``x^p``, ``b^(x)``; elementwise functions by their printed name
(``σ``, ``σ'``, ``tanh``); a bare dimension name ``n`` is its size; ``where`` lines
``z1[i,j] = …`` define names the formula uses.

Sizes come from what an index meets: ``δ[i,j] X[i,j]`` takes ``i, j`` from ``X``; an index that
meets only ``δ``, ``1`` or a mask takes its dimension from its name (``b'`` is of dimension
``b``) when that names a dimension of a given tensor; otherwise it is refused, never guessed.

**Axes.** The free indices are the value's axes in order of first appearance (as in Python's
index notation); ``i,j ↦ …`` states them (the printer writes it where first appearance would
not be the order).

Examples:
    >>> import indexcalc as ic
    >>> X, W = ic.tensors("X[n,d] W[d,h]")
    >>> e = ic.parse("Σ_d X[n,d] W[d,h]", {"X": X, "W": W}, notation="index")
    >>> e.shape
    ('n', 'h')
    >>> ic.parse("h,n ↦ Σ_d X[n,d] W[d,h]", {"X": X, "W": W}).shape
    ('h', 'n')
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.algebra import add, full, product
from ..core.dims import check_dim, dim_mul, dims_equal
from ..core.nodes import Constant, Delta, Expr, Scatter, Tensor, TriMask
from ..errors import IndexcalcError, ParseError, ShapeError
from ..frontend import arithmetic, axes, extrema, indexing, linalg, matrices, shaping, spectral
from .index_syntax import MAX_LENGTH, IndexParser, split_definitions
from .matrix_syntax import Node, _slice_value, located
from .matrix_values import ELEMENTWISE

__all__ = ["read_index", "IndexReading", "first_seen", "explicit_block", "matricized"]

#: Index notation prints long (a Hessian's terms): its limit is larger than Python's.
LIMIT = 10 * MAX_LENGTH


class _Ix:
    """An indexed value: ``expr`` whose axes are the index symbols ``letters``."""

    __slots__ = ("expr", "letters")

    def __init__(self, expr: Expr, letters: tuple):
        self.expr, self.letters = expr, tuple(letters)


class _Whole:
    """A whole tensor (a name, ``p,q ↦ …``, ``x[1:3]``): its axes are positions."""

    __slots__ = ("expr",)

    def __init__(self, expr: Expr):
        self.expr = expr


class _Pending(Exception):
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


def _base(name: str) -> str:
    """The dimension an index name is printed from: ``d'`` → ``d``, ``d_3`` → ``d``."""
    name = name.rstrip("'")
    head, _, k = name.rpartition("_")
    return head if head and k.isdigit() else name


def first_seen(text: str, names) -> list[str]:
    """Which of ``names`` the text uses as indices, in order of first use: a value's axes, as
    the reader (and Python's notation) orders them.

    Examples:
        >>> first_seen("Σ_d X[n,d] W[d,h] softmax_n(y[n])", ["h", "n"])
        ['n', 'h']
    """
    want, seen = set(names), {}
    for m in re.finditer(r"\[([^\[\]]*)\]", text):
        for token in m.group(1).split(","):
            if token.strip() in want:
                seen.setdefault(token.strip(), m.start())
    return sorted(seen, key=seen.__getitem__)


class IndexReading:
    """One reading: the text, the names it may use, its ``where`` definitions and the sizes
    of its indices (learnt over passes: a pass that meets an unknown size is repeated once
    something new is known)."""

    def __init__(self, text: str, names: Mapping[str, Expr]):
        self.text = text
        self.names = dict(names)
        self.dimnames = {d for e in self.names.values() for d in e.shape if isinstance(d, str)}
        self.defs: dict[str, tuple] = {}
        self.built: dict[str, Expr] = {}
        self.building: set[str] = set()
        self.dims: dict[tuple, Any] = {}
        self.memo: dict[int, Any] = {}
        self.progress = False

    def fail(self, node: Node, message: str, cls: type = ParseError) -> IndexcalcError:
        return located(self.text, node.span, message, cls)

    # ------------------------------------------------------------------ entry

    def define(self, name: str, letters: tuple, start: int, stop: int) -> None:
        """A ``where`` definition ``name[letters] = text[start:stop]``, read when first used."""
        if name in self.names:
            raise located(self.text, (start, stop), f"the where clause defines {name!r}, which is "
                          "a given tensor; name the definition differently (z1, z2, …)")
        self.defs[name] = (letters, start, stop)

    def read(self, start: int, stop: int, free: tuple | None = None) -> Expr:
        """The formula ``text[start:stop]``; its axes are ``free`` (index names) when given."""
        root = IndexParser(self.text, start, stop).formula()
        scope = {} if free is None else {n: ("free", n) for n in free}
        while True:
            self.progress = False
            try:
                v = self.value(root, scope, free is None)
                if isinstance(v, _Whole) and free is None:   # i,j ↦ …: the axes as written
                    return v.expr
                if isinstance(v, _Whole) and root.kind == "mapping" and \
                        sorted(root.args[0]) == sorted(free):   # mat_col[j | i](i,j ↦ …)
                    v = _Ix(v.expr, tuple(("free", x) for x in root.args[0]))
                v = self._ix(root, v)
                break
            except _Pending as p:
                if not self.progress and not self._by_name(p.symbol):
                    name = p.symbol[-1]
                    raise self.fail(p.node, f"index {name} has no size in the text: it meets no "
                                            "value that has one (a tensor, a where name); index "
                                            "a tensor with it, or give it a dimension's name") \
                        from None
        if free is None:   # the free indices in order of first appearance, as Python's notation
            out = tuple(dict.fromkeys(v.letters))
        else:
            out = tuple(("free", n) for n in free)
            for s in v.letters:
                if s not in out:
                    raise self.fail(root, f"index {s[-1]} is not among the block's indices "
                                          f"({','.join(free)})")
        return self._at(root, v, out)

    def _by_name(self, symbol: tuple) -> bool:
        """An index no value sizes takes the dimension it is named after (``b'``: ``b``)."""
        base = _base(symbol[-1])
        if base in self.dimnames and symbol not in self.dims:
            self.dims[symbol] = base
            return True
        return False

    # ------------------------------------------------------------------ helpers

    def learn(self, node: Node, letters: tuple, shape: tuple) -> None:
        for s, d in zip(letters, shape):
            known = self.dims.get(s)
            if known is None:
                self.dims[s] = d
                self.progress = True
            elif not dims_equal(known, d):
                raise self.fail(node, f"index {s[-1]} is of dimension {known} elsewhere but {d} "
                                      "here", ShapeError)

    def hint(self, node: Node, dims: list) -> None:
        """Sizes a whole value's own indices take from where it is used: ``(l,m ↦ δ[l,m])[2, :][k]``
        has ``m`` of ``k``'s dimension (a ``:`` keeps an axis whole; ``⁻¹``, ``expm``, a
        softmax keep the shape; a concatenation keeps every axis but its own)."""
        k = node.kind
        if k == "group" or k in ("inv", "power") or k == "call" and node.args[0] in (
                "expm", "sqrtm", "logm", "softmax") and len(node.args[1]) == 1:
            self.hint(node.args[0] if k != "call" else node.args[1][0], dims)
        elif k == "mapping":
            for name, d in zip(node.args[0], dims):
                s = (id(node), name)
                if d is not None and s not in self.dims:
                    self.dims[s] = d
                    self.progress = True
        elif k == "slice":
            try:
                index = _slice_value(ast.parse("_" + node.args[1], mode="eval").body.slice)
            except (SyntaxError, ValueError):
                return
            items, out, inner = index if isinstance(index, tuple) else (index,), iter(dims), []
            for it in items:
                if it is None:
                    next(out, None)
                elif isinstance(it, slice):
                    d = next(out, None)
                    inner.append(d if it == slice(None) else None)
                else:
                    inner.append(None)
            self.hint(node.args[0], inner)
        elif k == "call" and node.args[0] == "concatenate":
            axis = dict(node.args[2]).get("axis", 0)
            for part in node.args[1]:
                self.hint(part, [None if a == axis else d for a, d in enumerate(dims)])

    def dim(self, node: Node, s: tuple) -> Any:
        if s not in self.dims:
            raise _Pending(node, s)
        return self.dims[s]

    def symbol(self, node: Node, name: str, scope: dict, free: bool) -> tuple:
        if name in scope:
            return scope[name]
        if not free:
            raise self.fail(node, f"index {name} is not bound here (bound: "
                                  f"{', '.join(scope) or 'none'})")
        return ("free", name)

    def _ix(self, node: Node, v: Any) -> _Ix:
        if isinstance(v, float):
            return _Ix(full((), v), ())
        if isinstance(v, _Whole):
            if v.expr.ndim:
                raise self.fail(node, f"a value of shape {v.expr.shape} is used without index "
                                      "names; write it with them, like X[i,j]")
            return _Ix(v.expr, ())
        return v

    def _whole(self, node: Node, v: Any) -> Expr:
        if isinstance(v, _Whole):
            return v.expr
        v = self._ix(node, v)
        if v.letters:
            raise self.fail(node, "expected a whole tensor here: a name, or p,q ↦ … with its own "
                                  "index names")
        return v.expr

    def _at(self, node: Node, v: _Ix, out: tuple, coef: float = 1.0) -> Expr:
        """``v`` as a tensor over ``out`` (summing none; broadcasting names ``v`` lacks)."""
        dims = {s: self.dim(node, s) for s in (*v.letters, *out)}
        if v.letters == out and coef == 1.0:
            return v.expr
        return product([(v.expr, v.letters)], out, dims, coef)

    def _closed(self, node: Node, v: _Ix) -> _Ix:
        """``v`` with repeated letters (``X[i,i]``) read as the diagonal."""
        if len(set(v.letters)) == len(v.letters):
            return v
        out = tuple(dict.fromkeys(v.letters))
        return _Ix(self._at(node, v, out), out)

    # ------------------------------------------------------------------ values

    def value(self, node: Node, scope: dict, free: bool) -> Any:
        """A float, an ``_Ix`` or a ``_Whole`` for ``node``, built once."""
        done = self.memo.get(id(node))
        if done is not None:
            return done
        try:
            v = _READ[node.kind](self, node, scope, free)
        except IndexcalcError as e:
            if getattr(e, "position", None) is not None:
                raise
            raise self.fail(node, str(e).splitlines()[0], type(e)) from None
        self.memo[id(node)] = v
        return v

    def all_of(self, nodes, scope: dict, free: bool) -> list:
        """Each node's value; one that waits on a size lets the others teach theirs first."""
        out, pending = [], None
        for n in nodes:
            try:
                out.append(self.value(n, scope, free))
            except _Pending as p:
                pending = pending or p
        if pending is not None:
            raise pending
        return out

    def definition(self, node: Node, name: str) -> Expr:
        if name in self.built:
            return self.built[name]
        if name in self.building:
            raise self.fail(node, f"{name} is defined in terms of itself")
        letters, start, stop = self.defs[name]
        self.building.add(name)
        try:
            root = self.memo.get(("root", name)) or IndexParser(self.text, start, stop).formula()
            self.memo[("root", name)] = root
            scope = {n: ("def", name, n) for n in letters}
            v = self._ix(root, self.value(root, scope, False))
            out = tuple(scope[n] for n in letters)
            self.built[name] = self._at(root, v, out)
        finally:
            self.building.discard(name)
        return self.built[name]


def _number(r: IndexReading, n: Node, scope, free):
    return n.args[0]


def _name(r: IndexReading, n: Node, scope, free):
    name = n.args[0]
    if name in r.defs:
        return _Whole(r.definition(n, name))
    if name in r.names:
        return _Whole(r.names[name])
    if name in r.dimnames:   # a size: Σ over an index no factor uses
        s = ("size", id(n))
        return _Ix(product([(full((name,)), (s,))], (), {s: name}), ())
    raise r.fail(n, f"unknown name {name!r}: give it in shapes=, like shapes={{{name!r}: 'n d'}}")


def _indexed(r: IndexReading, n: Node, scope, free):
    base, names = n.args
    letters = tuple(r.symbol(n, x, scope, free) for x in names)
    if base.kind == "name" and base.args[0] == "δ" and "δ" not in r.names:
        known = [r.dims[s] for s in letters if s in r.dims]
        if not known:
            raise _Pending(n, letters[0])
        r.learn(n, letters, (known[0],) * len(letters))
        return _Ix(Delta(known[0], len(letters)), letters)
    if base.kind == "number":   # 1[i,j], 0.5[i,j]: the same value at every index
        shape = tuple(r.dim(n, s) for s in letters)
        return _Ix(full(shape, base.args[0]), letters)
    if base.kind == "call" and base.args[0] in ("tril", "triu"):
        return _Ix(_mask(r, base, tuple(r.dim(n, s) for s in letters)), letters)
    r.hint(base, [r.dims.get(s) for s in letters])
    expr = r._whole(base, r.value(base, scope, free))
    if expr.ndim != len(letters):
        raise r.fail(n, f"{len(letters)} index names for a value of shape {expr.shape}",
                     ShapeError)
    r.learn(n, letters, expr.shape)
    return _Ix(expr, letters)


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
    return _Whole(indexing.index(expr, index))


def _inv(r: IndexReading, n: Node, scope, free):
    v = r.value(n.args[0], scope, free)
    if isinstance(v, float):
        v = r._ix(n, v)
    expr = r._whole(n.args[0], v)
    return _Whole(arithmetic.power(expr, -1.0) if expr.ndim == 0 else matrices.inv(expr))


def _power(r: IndexReading, n: Node, scope, free):
    v = r.value(n.args[0], scope, free)
    if isinstance(v, float):
        v = r._ix(n, v)
    if isinstance(v, _Whole):
        return _Whole(arithmetic.power(v.expr, n.args[1]))
    v = r._closed(n, v)
    return _Ix(arithmetic.power(v.expr, n.args[1]), v.letters)


def _rpow(r: IndexReading, n: Node, scope, free):
    base, exponent = n.args
    v = r._closed(n, r._ix(n, r.value(exponent, scope, free)))
    return _Ix(arithmetic.apply("rpow", v.expr, base), v.letters)


def _group(r: IndexReading, n: Node, scope, free):
    return r.value(n.args[0], scope, free)


def _bind(n: Node, names: tuple, scope: dict) -> tuple[dict, tuple]:
    symbols = tuple((id(n), x) for x in names)
    return {**scope, **dict(zip(names, symbols))}, symbols


def _mapping(r: IndexReading, n: Node, scope, free):
    names, body = n.args
    inner, bound = _bind(n, names, scope)
    v = r._ix(body, r.value(body, inner, free))
    for s in v.letters:
        if s not in bound:
            raise r.fail(n, f"the body of this ↦ uses index {s[-1]} from outside it; a value "
                            "written whole has only its own indices")
    return _Whole(r._at(n, v, bound))


def _sigma(r: IndexReading, n: Node, scope, free):
    names, rest = n.args
    inner, bound = _bind(n, names, scope)
    v = r._ix(rest, r.value(rest, inner, free))
    for s in bound:
        if s not in v.letters:
            raise r.fail(n, f"Σ_{s[-1]} sums an index that nothing after it uses")
    out = tuple(dict.fromkeys(s for s in v.letters if s not in bound))
    dims = {s: r.dim(n, s) for s in v.letters}
    return _Ix(product([(v.expr, v.letters)], out, dims), out)


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
    return _Ix(product(items, out, dims, coef), out)


def _sum(r: IndexReading, n: Node, scope, free):
    values = r.all_of([t for _, t in n.args], scope, free)
    terms = [r._ix(t, v) for (_, t), v in zip(n.args, values)]
    out = tuple(dict.fromkeys(s for t in terms for s in t.letters))
    shape = tuple(r.dim(n, s) for s in out)
    return _Ix(add([(c, r._at(t, v, out)) for (c, t), v in zip(n.args, terms)], shape), out)


def _reduce(r: IndexReading, n: Node, scope, free):
    fn, subs, arg = n.args
    if fn == "softmax":   # softmax_j(x[i,j]): over an index of the argument's own
        inner, over = scope, tuple(r.symbol(n, x, scope, free) for x in subs)
    else:
        inner, over = _bind(n, subs, scope)
    v = r._closed(n, r._ix(arg, r.value(arg, inner, free)))
    for s in over:
        if s not in v.letters:
            raise r.fail(n, f"{fn}_{s[-1]} is over an index its argument does not have")
    where = tuple(v.letters.index(s) for s in over)
    if fn == "softmax":
        if len(where) != 1:
            raise r.fail(n, "softmax_j is over one index")
        return _Ix(axes.softmax(v.expr, where[0]), v.letters)
    reduce = axes.logsumexp if fn == "logsumexp" else extrema.max
    return _Ix(reduce(v.expr, where), tuple(s for s in v.letters if s not in over))


def _logdet(r: IndexReading, n: Node, scope, free):
    return _Whole(matrices.logdet(r._whole(n.args[0], r.value(n.args[0], scope, free))))


def _array(r: IndexReading, n: Node, scope, free):
    try:
        value = np.array(ast.literal_eval(n.args[0]), dtype=float)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise r.fail(n, "a constant is a list of numbers, like [1.5,-2] or [[1,2],[3,4]]") \
            from None
    return _Whole(Constant(value))


def _size(r: IndexReading, n: Node, scope, free):
    dims = [check_dim(int(d) if d.isdigit() else d, "a size") for d in n.args[0]]
    s = ("size", id(n))
    d = dim_mul(*dims)
    return _Ix(product([(full((d,)), (s,))], (), {s: d}), ())


def _call(r: IndexReading, n: Node, scope, free):
    name, args, keywords, extra = n.args
    keywords, extra = dict(keywords), dict(extra)
    if name in ELEMENTWISE:
        if len(args) != 1 or keywords:
            raise r.fail(n, f"{name}(…) takes one argument")
        v = r._closed(n, r._ix(args[0], r.value(args[0], scope, free)))
        return _Ix(arithmetic.apply(ELEMENTWISE[name], v.expr), v.letters)
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
        return _Whole(shaping.concatenate(parts, keywords.get("axis", 0)))
    if len(parts) != 1:
        raise r.fail(n, f"{name}() takes one argument, got {len(parts)}")
    x = parts[0]
    if name == "softmax":
        return _Whole(axes.softmax(x, keywords.get("axis", -1)))
    if name == "reshape":
        return _Whole(matrices.reshape(x, *_shape(r, n, extra["shape"])))
    if name == "scatter":
        if len(out) != x.ndim or not all(dims_equal(a, b) for a, b in zip(out, x.shape)):
            raise r.fail(n, f"scatter: a value of shape {x.shape} written at [{text[1:-1]}] of "
                            f"{shape}, whose shape there is {out}", ShapeError)
        return _Whole(Scatter(x, spec, shape))
    if name in WHOLE:
        return _Whole(WHOLE[name](x))
    names = ", ".join(sorted({*ELEMENTWISE, *WHOLE, "concatenate", "softmax", "reshape",
                              "scatter", "tril", "triu", "log|det"}))
    raise r.fail(n, f"unknown function {name!r} in index notation; known: {names}")


def _shape(r: IndexReading, n: Node, dims: tuple) -> tuple:
    out = []
    for d in dims:
        parts = [int(p) if p.isdigit() else p for p in d.split("*")]
        out.append(dim_mul(*(check_dim(p, "a shape") for p in parts)))
    return tuple(out)


_READ = {"number": _number, "name": _name, "indexed": _indexed, "slice": _slice, "inv": _inv,
         "power": _power, "rpow": _rpow, "group": _group, "mapping": _mapping, "sigma": _sigma,
         "product": _product, "sum": _sum, "reduce": _reduce, "logdet": _logdet, "call": _call,
         "array": _array, "size": _size}


def given_names(shapes: Mapping[str, Any] | None) -> dict[str, Expr]:
    """``shapes=`` as the expressions its names stand for (a shape declares a tensor)."""
    out = {}
    for k, v in (shapes or {}).items():
        if isinstance(v, Expr):
            out[str(k)] = v
        else:
            out[str(k)] = Tensor(str(k), v)
    return out


def read_index(text: Any, shapes: Mapping[str, Any] | None = None) -> Expr:
    """The expression index notation ``text`` (what ``str(expr)`` prints) describes.

    Raises:
        ParseError: text outside the notation, with a caret under the culprit.
        ShapeError: an index used with two dimensions, or values that do not conform.

    Examples:
        >>> import indexcalc as ic
        >>> x, A = ic.tensors("x[n] A[n,n]")
        >>> print(read_index("Σ_n,n' x[n] A[n,n'] x[n']", {"x": x, "A": A}))
        Σ_n,n' x[n] A[n,n'] x[n']
        >>> read_index("Σ_n x[n] y[n]", {"x": x})
        Traceback (most recent call last):
        ...
        indexcalc.errors.ParseError: unknown name 'y': give it in shapes=, like shapes={'y': 'n d'} (at column 10)
            Σ_n x[n] y[n]
                     ^
    """
    if not isinstance(text, str):
        raise ParseError(f"parse: expected a formula string, got {type(text).__name__}")
    if len(text) > LIMIT:
        raise ParseError(f"parse: the formula is {len(text)} characters long; the limit is {LIMIT}")
    text = text.strip("\n ")
    (start, stop), defs = split_definitions(text)
    reading = IndexReading(text, given_names(shapes))
    for name, letters, a, b in defs:
        reading.define(name, letters, a, b)
    return reading.read(start, stop)


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


_LET = re.compile(r"(?: with |; )([^\W\d]\w*)(?:\[([^\]]*)\])?\s*=\s*")


def explicit_block(text: str, start: int, block: str, reading: IndexReading) -> tuple[Expr, tuple]:
    """The value of a matrix form's explicit block at ``text[start:]`` and its ``(rows, cols)``
    (a vector's ``(n,)``: its side is the convention's):
    ``mat_col[i j | k l](T)`` (``T`` matricized, :func:`matricized`; ``mat_row``: the last index
    fastest), or ``[T]_(i,j)`` (the matrix, or vector, whose ``[i,j]`` entry is ``T``), with its
    ``with ζ1[m] = …; …`` pieces. An absent axis is ``None``."""
    if block.startswith("mat_"):
        head = block.index("](")
        rows, _, cols = block[8:head].partition("|")
        rows, cols = rows.split(), cols.split()
        t = reading.read(start + head + 2, start + len(block) - 1, tuple(rows + cols))
        r, c = len(rows), len(cols)
        return matricized(t, r, block[4:7]), (dim_mul(*t.shape[:r]) if r else None,
                                               dim_mul(*t.shape[r:]) if c else None)
    depth, close = 0, 0
    for k, ch in enumerate(block):
        depth += (ch == "[") - (ch == "]")
        if depth == 0:
            close = k
            break
    names: tuple = ()
    rest = close + 1
    if block.startswith("_(", rest):
        end = block.index(")", rest)
        names = tuple(x.strip() for x in block[rest + 2:end].split(","))
        rest = end + 1
    lets = list(_LET.finditer(block, rest))
    for m, nxt in zip(lets, lets[1:] + [None]):
        letters = tuple(m.group(2).split(",")) if m.group(2) else ()
        reading.define(m.group(1), letters, start + m.end(), start + (nxt.start() if nxt else
                                                                      len(block)))
    t = reading.read(start + 1, start + close, names)
    return t, tuple(t.shape) if t.ndim else (None, None)   # a vector's side: the reader's
