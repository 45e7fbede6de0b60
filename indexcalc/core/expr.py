"""The base of the expression graph: ``Expr``, interning (one object per value, thread-safe),
the dimension pins each node carries in its ``_pins`` field, and pickling of deep graphs as one
flat list.

The node types themselves are declared in :mod:`indexcalc.core.nodes`.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from .dims import Dim, format_shape, merge_pins
from ..errors import IndexcalcError, ShapeError

_TABLE: "weakref.WeakValueDictionary[tuple, Expr]" = weakref.WeakValueDictionary()
#: Look-up and insertion are one step under this lock: two threads building the same node at
#: once must get one object (two "equal" nodes would silently break equality-is-identity).
_TABLE_LOCK = threading.Lock()

def pins_of(node: "Expr") -> dict:
    """The dimensions ``node`` fixed by meeting concrete ones: ``{dim: (size, where)}``.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X = ic.Tensor("X", "n d")
        >>> pins_of(X @ np.ones((3, 2)))
        {'d': (3, 'a constant of shape (3, 2) (axis 0)')}
    """
    return node._pins or {}


def _keyof(value: Any) -> Any:
    """A hashable key in which child expressions stand by identity (they are interned)."""
    if isinstance(value, Expr):
        return ("@", id(value))
    if isinstance(value, tuple):
        return tuple(_keyof(v) for v in value)
    return value


def _intern(cls: type, _extra: dict | None = None, _pins: dict | None = None, **fields: Any) -> Any:
    """The live node of ``cls`` with ``fields``, made (with the unkeyed ``_extra`` attributes and
    the pins ``_pins``) if none is."""
    key = (cls,) + tuple(_keyof(v) for v in fields.values())
    with _TABLE_LOCK:
        node = _TABLE.get(key)
        if node is None:
            node = object.__new__(cls)
            for name, value in fields.items():
                object.__setattr__(node, name, value)
            for name, value in (_extra or {}).items():
                object.__setattr__(node, name, value)
            # the pins of the node's subgraph (``dim -> (size, where)``, see
            # :mod:`indexcalc.core.dim_meeting`): its own and its children's, merged here, so a
            # conflict is found at construction and a deep graph costs one look-up per child.
            # A field of the node (never a table keyed by nodes), fixed when it is made, like
            # its other fields: an equal node built later is this one, with these pins.
            own = merge_pins(node._own_pins(), _pins) if _pins else node._own_pins()
            kids = [c._pins for c in node.children() if c._pins]
            pins = merge_pins(own, *kids) if own or kids else None
            object.__setattr__(node, "_pins", pins or None)
            _TABLE[key] = node
    return node


class Expr:
    """Base of all expression nodes: immutable, interned, with NumPy-like operators.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X, W = ic.tensors("X[n,d] W[d,h]")
        >>> Y = (2 * X @ W).T
        >>> isinstance(Y, ic.Expr), Y.shape, Y.ndim
        (True, ('h', 'n'), 2)
        >>> X @ W is X @ W                      # interned: equal expressions are one object
        True
        >>> Y.evaluate(X=np.ones((2, 3)), W=np.ones((3, 4))).shape
        (4, 2)
    """

    __slots__ = ("__weakref__", "_pins")
    __array_ufunc__ = None  # replaced by the front end's protocol (frontend/numpy_protocol.py)
    shape: tuple[Dim, ...]

    def __new__(cls, *args: Any, **kwargs: Any) -> "Expr":
        # every concrete node type has its own __new__; a bare Expr would be a node of no kind
        raise IndexcalcError("ic.Expr is the base class of expressions; build one with "
                             "ic.Tensor, ic.Constant or an operation")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __copy__(self) -> "Expr":
        return self

    def __deepcopy__(self, memo: dict) -> "Expr":
        return self

    def __reduce__(self):
        # the whole graph as one flat list, children first: pickling never recurses (graphs are
        # thousands of levels deep), and loading rebuilds it through the interning constructors
        return (_from_flat, (_flat_graph(self),))

    _fields: tuple[str, ...] = ()

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def children(self) -> tuple["Expr", ...]:
        return ()

    def _own_pins(self) -> dict | None:
        """The dimensions this node itself fixes (a reshape of ``m*n`` to 12 fixes ``m*n``)."""
        return None

    def __bool__(self) -> bool:
        raise IndexcalcError("an expression has no truth value; compare evaluated arrays instead")

    def __len__(self) -> int:
        if not self.shape:
            raise ShapeError("len() of a 0-d expression")
        if not isinstance(self.shape[0], int):
            raise ShapeError(f"len(): the first dimension {self.shape[0]!r} is a name, bound only "
                             "at evaluation; use expr.shape[0]")
        return self.shape[0]

    def __iter__(self) -> Iterator:
        raise IndexcalcError("expressions are not iterable; index them with expr[i] instead")

    # Operators, rendering and evaluation live in their own modules; they are attached to Expr
    # in ``indexcalc/__init__.py`` (see ``_methods.py``).


def _brief(e: "Expr") -> str:
    """A child as its parent's repr shows it: a tensor or constant in full, another node by its
    kind and shape (never the child's own repr: a deep graph would recurse past Python's limit)."""
    if not e.children():  # a leaf's repr is short: the tensor, constant or delta in full
        return repr(e)
    return f"{type(e).__name__}{format_shape(e.shape)}"


def _rebuild(cls: type, fields: dict) -> Expr:
    return cls(**fields)


class _Ref:
    """In a pickled graph, the node at position ``i`` of the flat list (see ``Expr.__reduce__``)."""

    __slots__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = i

    def __reduce__(self):
        return (_Ref, (self.i,))


def _sub_exprs(value: Any) -> Iterator["Expr"]:
    """The expressions inside a field's value (a node, or tuples holding nodes)."""
    if isinstance(value, Expr):
        yield value
    elif isinstance(value, tuple):
        for v in value:
            yield from _sub_exprs(v)


def _with_refs(value: Any, index: dict) -> Any:
    if isinstance(value, Expr):
        return _Ref(index[id(value)])
    if isinstance(value, tuple):
        return tuple(_with_refs(v, index) for v in value)
    if isinstance(value, np.ndarray):
        return np.array(value)  # a writable copy (a Constant's value is read-only)
    return value


def _flat_graph(root: "Expr") -> list:
    """``[(type, fields with nodes as _Ref), ...]``: every node below ``root`` once, children
    (every node held in a field, ``Derivative.of`` included) before parents, ``root`` last."""
    index: dict[int, int] = {}
    flat: list = []
    stack: list = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in index:
            continue
        fields = {k: getattr(node, k) for k in node._fields}
        if expanded:
            index[id(node)] = len(flat)
            flat.append((type(node), {k: _with_refs(v, index) for k, v in fields.items()}))
            continue
        stack.append((node, True))
        for child in _sub_exprs(tuple(fields.values())):
            if id(child) not in index:
                stack.append((child, False))
    return flat


def _from_flat(flat: list) -> "Expr":
    built: list = []

    def resolve(value: Any) -> Any:
        if isinstance(value, _Ref):
            return built[value.i]
        if isinstance(value, tuple):
            return tuple(resolve(v) for v in value)
        return value

    for cls, fields in flat:
        built.append(cls(**{k: resolve(v) for k, v in fields.items()}))
    return built[-1]


class _Unary(Expr):
    """A node of one child, ``arg``."""

    __slots__ = ("arg", "shape")

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)
