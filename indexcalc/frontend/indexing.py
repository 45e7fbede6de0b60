"""Basic indexing ``expr[index]`` and its adjoint, the scatter into zeros.

Two node types join the grammar::

    Expr := … | Index(arg, spec)            arg[spec]: ints, slices and new axes (no fancy indexing)
              | Scatter(arg, spec, shape)   zeros of ``shape`` with ``arg`` written at ``[spec]``

A ``spec`` is the user's index normalized to one item per axis of ``arg`` (the ellipsis expanded),
with new axes in place: ``("i", k)`` an integer, ``("s", start, stop, step)`` a slice as NumPy
takes it, ``("n",)`` a new axis of size 1. Integer dimensions are checked when the expression is
built (an out-of-range integer is a ``ShapeError``); a named dimension is checked when its size
is bound. A slice of a named dimension must have a size known without the name: the full slice
(``:`` and ``::-1``) keeps the name, ``a:b`` with ``0 ≤ a ≤ b`` has ``len(range(a, b, step))``
elements (and needs the bound size to be at least ``b``); any other slice of a named dimension
is a ``ShapeError`` that says to give the tensor an integer dimension.

Indexing is linear, so it moves inside sums and products: ``(A B)[0]`` becomes ``A[0] B`` and
the derivative of ``x[t]`` by ``x`` — the identity seed indexed — is a *sliced delta*
``δ[t, :]``, a selection that stays symbolic until the output asks for it. The tangent of
``x[idx]`` is ``T[idx]`` on the leading axes; the cotangent scatters into zeros.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..calculus.forward import FORWARD
from ..calculus.reverse import REVERSE
from ..evaluation.compiled import _EVAL
from ..core.algebra import add, fresh, full, product
from ..core.dims import Dim, dim_size, format_shape
from ..errors import BindingError, IndexcalcError, ShapeError
from ..core.nodes import Constant, Expr, Product, Sum, _intern, is_zero, zero

_FULL_NAMED = ("s", None, None, 1)


# --------------------------------------------------------------------------- the spec

def _as_int(v: Any, what: str) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (numbers.Integral, np.integer)):
        raise IndexcalcError(f"{what} must be an int or None, got {v!r}")
    return int(v)


def _fancy(item: Any) -> IndexcalcError:
    return IndexcalcError(
        f"expr[...]: only basic indexing is supported (ints, slices, None, ...); got "
        f"{type(item).__name__} {item!r:.40}. Fancy indexing (arrays, lists, booleans) is not: "
        "use ic.where with a constant mask, ic.stack of single items, or an einsum with a "
        "constant selection matrix")


def _slice_item(sl: slice, d: Dim, axis: int) -> tuple[tuple, Dim]:
    start, stop = _as_int(sl.start, "a slice start"), _as_int(sl.stop, "a slice stop")
    step = _as_int(sl.step, "a slice step")
    step = 1 if step is None else step
    if step == 0:
        raise ShapeError(f"expr[...]: slice step cannot be zero (axis {axis})")
    if isinstance(d, int):
        start, stop, step = slice(start, stop, step).indices(d)
        length = len(range(start, stop, step))
        if length == 0:
            return ("s", 0, 0, 1), 0
        last = start + step * (length - 1)
        end = last + (1 if step > 0 else -1)  # canonical stop; -1 means "through index 0"
        return ("s", start, end if end >= 0 else None, step), length
    if start is None and stop is None and step in (1, -1):
        return ("s", None, None, step), d
    if step > 0 and (start is None or start >= 0) and stop is not None and stop >= (start or 0):
        return ("s", start or 0, stop, step), len(range(start or 0, stop, step))
    raise ShapeError(f"expr[...]: the slice {start}:{stop}:{step} of axis {axis} (dimension "
                     f"{d!r}) has a length that depends on the size of {d!r}; give the tensor an "
                     f"int dimension, or slice with bounds 0 <= start <= stop (x[a:b])")


def normalize(index: Any, shape: tuple) -> tuple[tuple, tuple]:
    """``(spec, result shape)`` of a basic index into an expression of ``shape``.

    Examples:
        >>> normalize((1, slice(None)), (3, "n"))
        ((('i', 1), ('s', None, None, 1)), ('n',))
        >>> normalize((Ellipsis, None, slice(None, None, -1)), (2, 3))
        ((('s', 0, 2, 1), ('n',), ('s', 2, None, -1)), (2, 1, 3))
    """
    items = index if isinstance(index, tuple) else (index,)
    for it in items:
        if not (it is None or it is Ellipsis or isinstance(it, slice)
                or (isinstance(it, (numbers.Integral, np.integer)) and not isinstance(it, bool))):
            raise _fancy(it)
    if sum(it is Ellipsis for it in items) > 1:
        raise IndexcalcError("expr[...]: an index can only have a single ellipsis ('...')")
    consumed = sum(it is not None and it is not Ellipsis for it in items)
    if consumed > len(shape):
        raise ShapeError(f"expr[...]: too many indices: {consumed} for an expression of shape "
                         f"{format_shape(shape)}")
    if Ellipsis not in items:
        items = items + (Ellipsis,)
    at = items.index(Ellipsis)
    items = items[:at] + (slice(None),) * (len(shape) - consumed) + items[at + 1:]
    spec, out, axis = [], [], 0
    for it in items:
        if it is None:
            spec.append(("n",))
            out.append(1)
            continue
        d = shape[axis]
        if isinstance(it, slice):
            item, dim = _slice_item(it, d, axis)
            spec.append(item)
            out.append(dim)
        else:
            k = int(it)
            if isinstance(d, int):
                if not -d <= k < d:
                    raise ShapeError(f"expr[...]: index {k} is out of bounds for axis {axis} "
                                     f"with size {d}")
                k %= d
            spec.append(("i", k))
        axis += 1
    return tuple(spec), tuple(out)


def _is_full(item: tuple, d: Dim) -> bool:
    return item == _FULL_NAMED or (item[0] == "s" and item[1:] == (0, d, 1) and isinstance(d, int))


def _numpy_index(spec: tuple) -> tuple:
    table = {"i": lambda it: it[1], "s": lambda it: slice(*it[1:]), "n": lambda it: None}
    return tuple(table[it[0]](it) for it in spec)


def _full_items(dims: tuple) -> tuple:
    return tuple(("s", 0, d, 1) if isinstance(d, int) else _FULL_NAMED for d in dims)


def _spec_shape(spec: tuple, shape: tuple) -> tuple:
    """The shape ``spec`` gives when applied to ``shape`` (spec already normalized for it)."""
    out, axis = [], 0
    for it in spec:
        if it[0] == "n":
            out.append(1)
            continue
        d = shape[axis]
        axis += 1
        if it[0] == "s":
            if it[1] is None or it[1:] == (0, d, 1):
                out.append(d)
            else:
                _, a, b, s = it
                out.append(len(range(a, b if b is not None else -1, s)) if isinstance(d, int)
                           else len(range(a, b, s)))
    return tuple(out)


# --------------------------------------------------------------------------- the nodes

class Index(Expr):
    """``arg[spec]``: basic indexing (see the module docs for ``spec``)."""

    __slots__ = ("arg", "spec", "shape")
    _fields = ("arg", "spec")

    def __new__(cls, arg: Expr, spec: tuple) -> "Index":
        return _intern(cls, arg=arg, spec=tuple(spec), shape=_spec_shape(spec, arg.shape))

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def __repr__(self) -> str:
        return f"Index({self.arg!r}, [{format_spec(self.spec, self.arg.shape)}])"


class Scatter(Expr):
    """Zeros of ``shape`` with ``arg`` written at ``[spec]`` (the adjoint of :class:`Index`)."""

    __slots__ = ("arg", "spec", "shape")
    _fields = ("arg", "spec", "shape")

    def __new__(cls, arg: Expr, spec: tuple, shape: tuple) -> "Scatter":
        return _intern(cls, arg=arg, spec=tuple(spec), shape=tuple(shape))

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def __repr__(self) -> str:
        where = format_spec(self.spec, self.shape)
        return f"Scatter({self.arg!r}, [{where}], {format_shape(self.shape)})"


def format_spec(spec: tuple, shape: tuple | None = None) -> str:
    """The index as Python writes it, e.g. ``3, 1:4, None, ::-1`` (``:``: a whole axis of ``shape``).

    Examples:
        >>> spec = (("i", 3), ("s", 1, 4, 1), ("n",), ("s", 0, 5, 1), ("s", 4, None, -1))
        >>> format_spec(spec, (9, 9, 5, 5))
        '3, 1:4, None, :, 4::-1'
    """
    dims = iter(shape) if shape is not None else None

    def one(it: tuple) -> str:
        d = next(dims) if dims is not None and it[0] != "n" else None
        if it[0] == "i":
            return str(it[1])
        if it[0] == "n":
            return "None"
        if _is_full(it, d):
            return ":"
        _, a, b, s = it
        text = f"{'' if a is None or (a == 0 and s > 0) else a}:{'' if b is None else b}"
        return text + (f":{s}" if s != 1 else "")
    return ", ".join(one(it) for it in spec)


# --------------------------------------------------------------------------- building

def index(x: Any, idx: Any) -> Expr:
    """``x[idx]`` with NumPy's basic-indexing semantics, simplified.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> xs = ic.Tensor("xs", (4, "n"))
        >>> xs[2].shape, xs[1:3].shape, xs[None, ..., ::-1].shape
        (('n',), (2, 'n'), (1, 4, 'n'))
        >>> xs[-1].evaluate(xs=np.arange(8.0).reshape(4, 2))
        array([6., 7.])
    """
    from .arithmetic import as_expr

    x = as_expr(x, "expr[...]")
    spec, _ = normalize(idx, x.shape)
    return index_spec(x, spec)


def index_spec(x: Expr, spec: tuple) -> Expr:
    """``x[spec]`` for a normalized spec; moves inside sums and products (indexing is linear)."""
    axes = [it for it in spec if it[0] != "n"]
    if len(axes) == len(spec) and all(_is_full(it, d) for it, d in zip(axes, x.shape)):
        return x
    if is_zero(x):
        return zero(_spec_shape(spec, x.shape))
    if isinstance(x, Constant):
        return Constant(np.asarray(x.value)[_numpy_index(spec)])
    if isinstance(x, Sum):
        return add([(c, index_spec(t, spec)) for c, t in x.terms], _spec_shape(spec, x.shape))
    if isinstance(x, Product):
        return _index_product(x, spec)
    if isinstance(x, Scatter) and x.spec == spec:
        return x.arg
    return Index(x, spec)


def _index_product(p: Product, spec: tuple) -> Expr:
    """Index a product by indexing the factors that carry each indexed output label."""
    dims = dict(enumerate(p.dims))
    chosen: dict[int, tuple] = {}   # output label -> (item, new label or None)
    out: list = []
    axis = 0
    for it in spec:
        if it[0] == "n":
            l = fresh()
            dims[l] = 1
            out.append(l)
            continue
        l = p.out[axis]
        axis += 1
        if _is_full(it, p.dims[l]):
            out.append(l)
            continue
        if it[0] == "i":
            chosen[l] = (it, None)
        else:
            new = fresh()
            dims[new] = _spec_shape((it,), (p.dims[l],))[0]
            chosen[l] = (it, new)
            out.append(new)
    # a summed label that no factor uses multiplies by its size: keep it as a ones factor
    used = {l for _, ls in p.factors for l in ls}
    factors = [(full((p.dims[l],)), (l,)) for l in range(len(p.dims))
               if l not in p.out and l not in used]
    for f, ls in p.factors:
        if not any(l in chosen for l in ls):
            factors.append((f, ls))
            continue
        fspec = tuple(chosen[l][0] if l in chosen else _full_items((f.shape[a],))[0]
                      for a, l in enumerate(ls))
        new_ls = tuple(chosen[l][1] if l in chosen else l for l in ls
                       if not (l in chosen and chosen[l][1] is None))
        factors.append((index_spec(f, fspec), new_ls))
    return product(factors, tuple(out), dims, p.coef)


def scatter_spec(x: Expr, spec: tuple, shape: tuple) -> Expr:
    """Zeros of ``shape`` with ``x`` at ``[spec]``."""
    if is_zero(x):
        return zero(shape)
    axes = [it for it in spec if it[0] != "n"]
    if len(axes) == len(spec) and all(_is_full(it, d) for it, d in zip(axes, shape)):
        return x
    return Scatter(x, spec, shape)


# --------------------------------------------------------------------------- rules

def _trail(E: tuple) -> tuple:
    return _full_items(tuple(d for _, d in E))


def _fw_index(node: Index, tan, E) -> Expr:
    return index_spec(tan(node.arg), node.spec + _trail(E))


def _fw_scatter(node: Scatter, tan, E) -> Expr:
    return scatter_spec(tan(node.arg), node.spec + _trail(E),
                        node.shape + tuple(d for _, d in E))


def _check_named(node: Index | Scatter, base: tuple, sizes: dict) -> None:
    """Bounds of named dimensions, known only now that their sizes are bound."""
    axis = 0
    for it in node.spec:
        if it[0] == "n":
            continue
        d = base[axis]
        axis += 1
        if isinstance(d, int):
            continue
        n = dim_size(d, sizes)
        need = {"i": lambda: it[1] + 1 if it[1] >= 0 else -it[1],
                "s": lambda: it[2] or 0}[it[0]]()
        if n < need:
            raise BindingError(f"index [{format_spec(node.spec, base)}]: axis {axis - 1} has "
                               f"dimension {d!r} of size {n}, but the index needs at least {need}")


def _eval_index(n: Index, val, arrays, sizes, plans, dtype):
    _check_named(n, n.arg.shape, sizes)
    return val(n.arg)[_numpy_index(n.spec)]


def _eval_scatter(n: Scatter, val, arrays, sizes, plans, dtype):
    _check_named(n, n.shape, sizes)
    v = val(n.arg)
    out = np.zeros(tuple(dim_size(d, sizes) for d in n.shape), dtype=np.result_type(v, dtype))
    out[_numpy_index(n.spec)] = v
    return out


FORWARD[Index] = _fw_index
FORWARD[Scatter] = _fw_scatter
REVERSE[Index] = lambda node, ct, dep: [(node.arg, scatter_spec(ct, node.spec, node.arg.shape))]
REVERSE[Scatter] = lambda node, ct, dep: [(node.arg, index_spec(ct, node.spec))]
_EVAL[Index] = _eval_index
_EVAL[Scatter] = _eval_scatter


def _render_index(node: Index, sub) -> str:
    from ..rendering.index_notation import _atom

    return f"{_atom(sub(node.arg))}[{format_spec(node.spec, node.arg.shape)}]"


def _render_scatter(node: Scatter, sub) -> str:
    where = format_spec(node.spec, node.shape)
    return f"scatter({sub(node.arg)} at [{where}] of {format_shape(node.shape)})"


def _register_rendering() -> None:
    from ..rendering.index_notation import EXTRA

    EXTRA.update({Index: _render_index, Scatter: _render_scatter})


_register_rendering()
