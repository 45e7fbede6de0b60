"""The expression graph: a closed set of immutable, hash-consed node types.

Grammar (every node has a positional ``shape``)::

    Expr := Tensor(name, shape)                 a variable
          | Constant(value)                     a fixed array
          | Delta(dim, order)                   Kronecker delta δ_{i…i}
          | Product(coef, factors, out, dims)   an einsum: coef · Σ_{labels ∉ out} Π factor[labels]
          | Sum(terms)                          Σ c_k · term_k, all of one shape (no terms: zero)
          | Apply(fn, arg, param)               an elementwise function from the rule table
          | Softmax(arg, axis) | LogSumExp(arg, axes)
          | Max(arg, axes)                      the largest entry over axes (min is −Max(−x))
          | Inverse(arg) | Det(arg) | LogDet(arg)   over the last two axes (leading ones: a stack)
          | Reshape(arg, shape)                 C-order reshape
          | Named(name, arg)                    a subexpression shown (and computed) once
          | Shared(arg)                         computed once, not flattened; prints as arg
          | Derivative(arg, of, wrt, out_ndim)  arg = ∂of/∂wrt; prints, evaluates as arg
          | Index(arg, spec)                    arg[spec]: ints, slices and new axes
          | Scatter(arg, spec, shape)           zeros of ``shape`` with ``arg`` written at [spec]
          | Concat(parts, axis)                 numpy.concatenate
          | TriMask(rows, cols, k, upper)       the constant 0/1 mask of tril (or triu)
          | Decomposition(kind, arg, part)      one part of eigh(arg) or svd(arg) (a stack too)
          | Scan(body, emit, carry, init, seqs, consts, reverse, shown)   a recurrence over time
          | Solve(a, b)                         a⁻¹ b by a solve (a: stack of square matrices)
          | MatrixFunction(fn, arg, direction)  f(arg) of a matrix (a row of the matrix-function
                                                table), or its Fréchet derivative L_f(arg, direction)

``NODE_TYPES`` lists them all; every stage keeps a table with one row per entry (the test
``tests/test_package_node_tables.py`` checks it). A ``spec`` (of ``Index``/``Scatter``) is a basic index
normalized to one item per axis, new axes in place: ``("i", k)`` an integer, ``("s", start, stop,
step)`` a slice as NumPy takes it, ``("n",)`` a new axis of size 1 (see
:func:`indexcalc.frontend.indexing.normalize`).

Nodes are interned: building a node equal to a live one returns that very object, so equality
is identity, hashing is O(1) even for graphs thousands of levels deep, and equal subexpressions
are shared (computed once). Labels inside a ``Product`` are small ints, renumbered canonically
(output first, then factors left to right) so alpha-equivalent products are one node.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import numpy as np

from .dims import Dim, dim_mul, dims_equal, format_shape, merge_pins, pin, total_meets
from ..errors import IndexcalcError, ShapeError
from .dims import parse_shape
from .expr import Expr, _Unary, _brief, _intern, pins_of  # noqa: F401  (Expr, pins_of re-exported)
from .linalg_nodes import (DECOMPOSITION_CALLS, DECOMPOSITION_PARTS, Decomposition,  # noqa: F401
                           MatrixFunction, Solve, min_dim)
from .scan_node import Scan

class Tensor(Expr):
    """A variable: a name and a shape whose dimensions are ints or names.

    A tensor is its name, shape and symmetry together; a name is not reserved process-wide.
    Two scripts (or notebooks, or test modules) in one process may each declare their own ``X``;
    a registry of live names would refuse the second, or make a result depend on what else
    happens to be alive. Two different tensors with one name are refused where they meet in
    one expression and the name would become ambiguous: ``tensors()``, ``diff``/``grad``/…,
    evaluation, ``to_python``, ``to_matrix`` and ``to_kron`` (each walks the graph anyway; a check
    at every ``+`` would cost a merge of name tables per node). ``str`` still prints such an
    expression, both as ``X``, since printing is for looking.

    A value for a symmetric tensor is checked when the tensor is in the expression evaluated
    (or is the variable of a derivative in it).
    ``S.T - S`` of a symmetric ``S`` *is* the zero matrix, and an interned node is one object
    per value, so it keeps no memory of ``S``: evaluating it given a non-symmetric ``S`` returns
    zeros, as ``0 * X`` given any ``X`` does.

    Examples:
        >>> import indexcalc as ic
        >>> X = ic.Tensor("X", "n d")
        >>> X.shape, X.ndim
        (('n', 'd'), 2)
        >>> ic.Tensor("X", ("n", "d")) is X
        True
    """

    __slots__ = ("name", "shape", "symmetric")
    _fields = ("name", "shape", "symmetric")

    def __new__(cls, name: str, shape: Any = (), symmetric: bool = False) -> "Tensor":
        if not isinstance(name, str) or not name.isidentifier():
            raise IndexcalcError(f"a tensor name must be an identifier like 'X' or 'W_hx', got {name!r}")
        name = unicodedata.normalize("NFKC", name)  # as Python reads identifiers: ｘ is x
        dims = parse_shape(shape, where=f"tensor {name!r}")
        symmetric = bool(symmetric)
        if symmetric and (len(dims) != 2 or not dims_equal(dims[0], dims[1])):
            raise ShapeError(f"symmetric tensor {name!r} must be a square matrix, got shape "
                             f"{format_shape(dims)}")
        return _intern(cls, name=name, shape=dims, symmetric=symmetric)

    def __repr__(self) -> str:
        sym = ", symmetric=True" if self.symmetric else ""
        return f"Tensor({self.name!r}, {self.shape!r}{sym})"


class Constant(Expr):
    """A fixed NumPy value (read-only). Plain numbers and arrays are wrapped automatically.

    ``shape`` may name a dimension where the value has a size (``Constant(np.ones((3, 2)),
    shape=("d", 2))``): the constant then fixes ``d = 3`` (a pin, see
    :mod:`indexcalc.core.dim_meeting`), and evaluation checks it.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> ic.Constant(2.0).shape, ic.Constant([[1, 2, 3]]).shape
        ((), (1, 3))
        >>> ic.Constant(np.ones((3, 2)), shape=("d", 2)).shape
        ('d', 2)
    """

    __slots__ = ("value", "name", "shape", "_vkey")
    _fields = ("value", "name", "shape")

    def __new__(cls, value: Any, name: str | None = None, shape: Any = None) -> "Constant":
        if isinstance(value, Expr):
            raise IndexcalcError("Constant() takes a number or an array, not an expression")
        try:
            arr = np.array(value)
        except Exception as e:  # ragged lists and the like
            raise IndexcalcError(f"Constant(): cannot make an array of {value!r}: {e}") from None
        if arr.dtype == bool:
            arr = arr.astype(np.float64)
        if arr.dtype.kind not in "iuf":
            raise IndexcalcError(f"Constant(): values must be real numbers, got dtype {arr.dtype}")
        if arr.dtype.kind in "iu":
            arr = arr.astype(np.float64)
        arr.setflags(write=False)
        if name is not None and not (isinstance(name, str) and name.isidentifier()):
            raise IndexcalcError(f"a constant's name must be an identifier, got {name!r}")
        dims, pins = _constant_shape(arr, shape)
        vkey = (arr.dtype.str, arr.shape, arr.tobytes()) if arr.size <= 4096 else ("id", id(arr))
        return _intern(cls, {"value": arr}, pins or None, _vkey=vkey, name=name, shape=dims)

    def __repr__(self) -> str:
        if self.name:
            return f"Constant({self.name})"
        return f"Constant({self.value.tolist()!r})" if self.value.size <= 6 else f"Constant(<{self.value.shape}>)"


def _constant_shape(arr: np.ndarray, shape: Any) -> tuple[tuple, dict]:
    """A constant's shape (the value's, or names where ``shape`` gives them) and its pins."""
    if shape is None:
        return arr.shape, {}
    dims = parse_shape(shape, where="Constant")
    if len(dims) != arr.ndim:
        raise ShapeError(f"Constant: shape {format_shape(dims)} given for a value of shape "
                         f"{arr.shape}")
    where = f"a constant of shape {format_shape(arr.shape)}"
    pins = merge_pins(*(pin(d, n, f"{where} (axis {axis})")
                        for axis, (d, n) in enumerate(zip(dims, arr.shape))))
    return dims, pins


class Delta(Expr):
    """The Kronecker delta of ``order`` axes over one dimension: 1 where all indices agree."""

    __slots__ = ("dim", "order", "shape")
    _fields = ("dim", "order")

    def __new__(cls, dim: Dim, order: int = 2) -> "Delta":
        return _intern(cls, dim=dim, order=order, shape=(dim,) * order)

    def __repr__(self) -> str:
        return f"Delta({self.dim!r}, {self.order})"


class Product(Expr):
    """An einsum: ``coef · Σ_{labels not in out} Π_k factors[k][labels_k]``.

    ``factors`` is a tuple of ``(expr, labels)``; ``dims[label]`` is each label's dimension. A label
    that is in ``out`` but in no factor broadcasts; a summed label in no factor multiplies by its
    size. Build products with :func:`indexcalc.core.algebra.product`, which also simplifies them.
    """

    __slots__ = ("coef", "factors", "out", "dims", "shape")
    _fields = ("coef", "factors", "out", "dims")

    def __new__(cls, coef: float, factors: tuple, out: tuple, dims: tuple) -> "Product":
        coef, factors, out, dims = _canonical_labels(float(coef), factors, out, dims)
        return _intern(cls, coef=coef, factors=factors, out=out, dims=dims,
                       shape=tuple(dims[l] for l in out))

    def children(self) -> tuple[Expr, ...]:
        return tuple(f for f, _ in self.factors)

    def __repr__(self) -> str:
        fs = ", ".join(f"{type(f).__name__}{ls}" for f, ls in self.factors)
        return f"Product({self.coef}, [{fs}] -> {self.out})"


def _canonical_labels(coef: float, factors: tuple, out: tuple, dims: Any) -> tuple:
    """Renumber labels by first appearance (output, then factors) and check every axis."""
    order: dict[Any, int] = {}
    for l in out:
        order.setdefault(l, len(order))
    for _, ls in factors:
        for l in ls:
            order.setdefault(l, len(order))
    if isinstance(dims, dict):
        lookup = dims
    else:
        lookup = dict(enumerate(dims))
    for l in lookup:
        if l not in order:  # a summed label in no factor (a size multiplier)
            order.setdefault(l, len(order))
    if len(set(out)) != len(out):
        raise IndexcalcError(f"internal: repeated output label in product {out}")
    new_dims = [None] * len(order)
    for l, i in order.items():
        if l not in lookup:
            raise IndexcalcError(f"internal: label {l!r} has no dimension")
        new_dims[i] = lookup[l]
    new_factors = []
    for f, ls in factors:
        if not isinstance(f, Expr) or len(ls) != len(f.shape):
            raise IndexcalcError(f"internal: factor {f!r} given {len(ls)} labels")
        for axis, l in enumerate(ls):
            if not dims_equal(f.shape[axis], lookup[l]):
                raise ShapeError(f"product: axis {axis} of factor {f!r} has dimension "
                                 f"{f.shape[axis]} but its label joins dimension {lookup[l]}")
        new_factors.append((f, tuple(order[l] for l in ls)))
    return coef, tuple(new_factors), tuple(order[l] for l in out), tuple(new_dims)


class Sum(Expr):
    """A linear combination ``Σ c_k term_k`` of expressions of one shape; no terms is zero."""

    __slots__ = ("terms", "shape")
    _fields = ("terms", "shape")

    def __new__(cls, terms: tuple, shape: tuple) -> "Sum":
        for c, t in terms:
            if len(t.shape) != len(shape) or not all(map(dims_equal, t.shape, shape)):
                raise ShapeError(f"sum: term of shape {format_shape(t.shape)} added to shape "
                                 f"{format_shape(shape)}")
        return _intern(cls, terms=tuple((float(c), t) for c, t in terms), shape=tuple(shape))

    def children(self) -> tuple[Expr, ...]:
        return tuple(t for _, t in self.terms)

    @property
    def is_zero(self) -> bool:
        return not self.terms

    def __repr__(self) -> str:
        if not self.terms:
            return f"Zero{format_shape(self.shape)}"
        return "Sum(" + ", ".join(f"{c}*{_brief(t)}" for c, t in self.terms) + ")"


class Apply(_Unary):
    """An elementwise function ``fn`` (a row of the rule table) applied to ``arg``."""

    __slots__ = ("fn", "param")
    _fields = ("fn", "arg", "param")

    def __new__(cls, fn: str, arg: Expr, param: float | None = None) -> "Apply":
        return _intern(cls, fn=fn, arg=arg, param=param, shape=arg.shape)

    def __repr__(self) -> str:
        p = "" if self.param is None else f", {self.param}"
        return f"Apply({self.fn}, {_brief(self.arg)}{p})"


class Softmax(_Unary):
    """``exp(x) / Σ_axis exp(x)`` along one axis."""

    __slots__ = ("axis",)
    _fields = ("arg", "axis")

    def __new__(cls, arg: Expr, axis: int) -> "Softmax":
        return _intern(cls, arg=arg, axis=axis, shape=arg.shape)


class LogSumExp(_Unary):
    """``log Σ_axes exp(x)``; the axes are removed from the shape."""

    __slots__ = ("axes",)
    _fields = ("arg", "axes")

    def __new__(cls, arg: Expr, axes: tuple[int, ...]) -> "LogSumExp":
        shape = tuple(d for i, d in enumerate(arg.shape) if i not in axes)
        return _intern(cls, arg=arg, axes=tuple(sorted(axes)), shape=shape)


class Max(_Unary):
    """The largest entry over ``axes`` (removed from the shape), as ``numpy.max``.

    The one reduction no product, sum or elementwise function can write: ``ic.max``, ``ic.min``
    (``−max(−x)``), ``ic.maximum``/``ic.minimum`` (``max`` over a stacked pair) and ``ic.clip``
    are built on it. Its derivative is JAX's subgradient: the cotangent split equally among the
    entries that attain the maximum.
    """

    __slots__ = ("axes",)
    _fields = ("arg", "axes")

    def __new__(cls, arg: Expr, axes: tuple[int, ...]) -> "Max":
        shape = tuple(d for i, d in enumerate(arg.shape) if i not in axes)
        return _intern(cls, arg=arg, axes=tuple(sorted(axes)), shape=shape)


class Inverse(_Unary):
    """The matrix inverse ``X⁻¹`` (of each matrix of a stack: over the last two axes)."""

    __slots__ = ()
    _fields = ("arg",)

    def __new__(cls, arg: Expr) -> "Inverse":
        return _intern(cls, arg=arg, shape=arg.shape)


class Det(_Unary):
    """The determinant ``det X``: a scalar, or one per matrix of a stack (the leading axes)."""

    __slots__ = ()
    _fields = ("arg",)

    def __new__(cls, arg: Expr) -> "Det":
        return _intern(cls, arg=arg, shape=arg.shape[:-2])


class LogDet(_Unary):
    """``log |det X|``: a scalar, or one per matrix of a stack (the leading axes)."""

    __slots__ = ()
    _fields = ("arg",)

    def __new__(cls, arg: Expr) -> "LogDet":
        return _intern(cls, arg=arg, shape=arg.shape[:-2])


class Reshape(_Unary):
    """A C-order reshape of ``arg`` to ``shape`` (same total size)."""

    __slots__ = ()
    _fields = ("arg", "shape")

    def __new__(cls, arg: Expr, shape: tuple) -> "Reshape":
        return _intern(cls, arg=arg, shape=tuple(shape))

    def _own_pins(self) -> dict | None:
        # a reshape of named dimensions to a concrete size (``X[m,n].reshape(12)``) fixes m*n
        before = dim_mul(*self.arg.shape) if self.arg.shape else 1
        after = dim_mul(*self.shape) if self.shape else 1
        meets = None if dims_equal(before, after) else total_meets(before, after)
        if meets is None:
            return None
        named, size = meets
        return pin(named, size, f"the reshape of {format_shape(self.arg.shape)} to "
                                f"{format_shape(self.shape)}")


class Named(_Unary):
    """``arg`` shown as ``name`` by the renderers and computed once by evaluation."""

    __slots__ = ("name",)
    _fields = ("name", "arg")

    def __new__(cls, name: str, arg: Expr) -> "Named":
        if not isinstance(name, str) or not name.strip():
            raise IndexcalcError(f"a name must be a non-empty string, got {name!r}")
        return _intern(cls, name=name, arg=arg, shape=arg.shape)

    def __repr__(self) -> str:
        return f"Named({self.name!r})"


class Shared(_Unary):
    """``arg`` computed once and kept out of enclosing products; renders as ``arg`` itself.

    Reverse accumulation wraps a cotangent in ``Shared`` when several contributions use it, so
    flattening cannot copy one chain into each of them (that would make an unrolled recurrence
    quadratic in its length).
    """

    __slots__ = ()
    _fields = ("arg",)

    def __new__(cls, arg: Expr) -> "Shared":
        return _intern(cls, arg=arg, shape=arg.shape)


class Derivative(_Unary):
    """``arg``, the derivative of ``of`` by the variable ``wrt``: what ``ic.diff`` and its kin return.

    It evaluates, composes and prints as ``arg`` (enclosing products and sums see through it), and
    it carries what a layout needs and the tensor alone cannot say: the first ``out_ndim`` axes
    belong to ``of`` and the rest to ``wrt``, whose shape binds the dimensions ``arg`` lost
    (``∂(XW)/∂W = X δ`` no longer holds ``W``). Nothing is kept outside the graph.

    Examples:
        >>> import indexcalc as ic
        >>> X, W = ic.tensors("X[n,d] W[d,h]")
        >>> D = ic.diff(X @ W, W)
        >>> D.of is X @ W, D.wrt is W, D.out_ndim
        (True, True, 2)
    """

    __slots__ = ("of", "wrt", "out_ndim")
    _fields = ("arg", "of", "wrt", "out_ndim")

    def __new__(cls, arg: Expr, of: Expr, wrt: Tensor, out_ndim: int) -> "Derivative":
        if isinstance(arg, Derivative):
            arg = arg.arg
        return _intern(cls, arg=arg, of=of, wrt=wrt, out_ndim=int(out_ndim), shape=arg.shape)

    def __repr__(self) -> str:
        return f"Derivative(of={_brief(self.of)}, wrt={self.wrt.name!r}, out_ndim={self.out_ndim})"


def plain(e: Expr) -> Expr:
    """``e`` without a ``Derivative`` wrapper (what products, sums and functions of it see)."""
    return e.arg if isinstance(e, Derivative) else e


# --------------------------------------------------------------------------- structure

_FULL_NAMED = ("s", None, None, 1)  # the whole of a named axis


def _is_full(item: tuple, d: Dim) -> bool:
    """Whether a spec item takes the whole axis of dimension ``d``, in order."""
    return item == _FULL_NAMED or (item[0] == "s" and item[1:] == (0, d, 1) and isinstance(d, int))


def named_bounds(spec: tuple, base: tuple) -> list[tuple[int, str, int]]:
    """``(axis, dimension, size needed)`` for each item of ``spec`` on a named axis of ``base``:
    the bounds that can be checked only once the dimension's size is bound."""
    out, axis = [], 0
    for it in spec:
        if it[0] == "n":
            continue
        d = base[axis]
        axis += 1
        need = (it[1] + 1 if it[1] >= 0 else -it[1]) if it[0] == "i" else (it[2] or 0)
        if not isinstance(d, int) and need > 0:
            out.append((axis - 1, d, need))
    return out


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


def _concat_dim(dims: list[Dim]) -> Dim:
    if all(isinstance(d, int) for d in dims):
        return sum(dims)
    if all(dims_equal(d, dims[0]) for d in dims):
        return dim_mul(len(dims), dims[0])
    raise ShapeError(f"concatenate: the joined axis has dimensions {', '.join(map(str, dims))}; "
                     "named dimensions can only be joined to equal ones (n and n give 2*n)")


class Index(_Unary):
    """``arg[spec]``: basic indexing (see the module docs for ``spec``)."""

    __slots__ = ("spec",)
    _fields = ("arg", "spec")

    def __new__(cls, arg: Expr, spec: tuple) -> "Index":
        return _intern(cls, arg=arg, spec=tuple(spec), shape=_spec_shape(spec, arg.shape))

    def __repr__(self) -> str:
        return f"Index({_brief(self.arg)}, [{format_spec(self.spec, self.arg.shape)}])"


class Scatter(_Unary):
    """Zeros of ``shape`` with ``arg`` written at ``[spec]`` (the adjoint of :class:`Index`)."""

    __slots__ = ("spec",)
    _fields = ("arg", "spec", "shape")

    def __new__(cls, arg: Expr, spec: tuple, shape: tuple) -> "Scatter":
        return _intern(cls, arg=arg, spec=tuple(spec), shape=tuple(shape))

    def __repr__(self) -> str:
        where = format_spec(self.spec, self.shape)
        return f"Scatter({_brief(self.arg)}, [{where}], {format_shape(self.shape)})"


class Concat(Expr):
    """``numpy.concatenate(parts, axis)``."""

    __slots__ = ("parts", "axis", "shape")
    _fields = ("parts", "axis")

    def __new__(cls, parts: tuple, axis: int) -> "Concat":
        shape = list(parts[0].shape)
        shape[axis] = _concat_dim([p.shape[axis] for p in parts])
        return _intern(cls, parts=tuple(parts), axis=axis, shape=tuple(shape))

    def children(self) -> tuple[Expr, ...]:
        return self.parts

    def __repr__(self) -> str:
        return f"Concat([{', '.join(map(_brief, self.parts))}], axis={self.axis})"


class TriMask(Expr):
    """The 0/1 mask of ``tril`` (``upper=False``: ``j ≤ i + k``) or ``triu`` (``j ≥ i + k``)."""

    __slots__ = ("rows", "cols", "k", "upper", "shape")
    _fields = ("rows", "cols", "k", "upper")

    def __new__(cls, rows: Dim, cols: Dim, k: int, upper: bool) -> "TriMask":
        return _intern(cls, rows=rows, cols=cols, k=int(k), upper=bool(upper), shape=(rows, cols))

    def __repr__(self) -> str:
        return f"TriMask({self.rows!r}, {self.cols!r}, k={self.k}, upper={self.upper})"


#: kind -> its parts, each ``part -> shape of one matrix's part from (m, n, k)`` (``k = min(m, n)``).
#: ``gaps`` and ``inv_s`` are what the derivatives need (and refuse where they do not exist):
#: eigh's ``gaps[i,j] = 1/(λ_j − λ_i)``, svd's ``gaps[i,j] = 1/(s_j² − s_i²)`` (0 on the
#: diagonal) and ``inv_s = 1/s``.
NODE_TYPES = (Tensor, Constant, Delta, Product, Sum, Apply, Softmax, LogSumExp, Inverse, Det,
              LogDet, Reshape, Named, Shared, Derivative, Index, Scatter, Concat, TriMask, Max,
              Decomposition, Scan, Solve, MatrixFunction)


def zero(shape: tuple) -> Sum:
    """The exact zero of a shape (a sum of no terms)."""
    return Sum((), tuple(shape))


def is_zero(e: Expr) -> bool:
    """Whether ``e`` is an exact zero (a sum of no terms), a derivative that is one included."""
    e = plain(e)
    return isinstance(e, Sum) and not e.terms
