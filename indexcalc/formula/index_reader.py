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
``b``) when that names a dimension of a given tensor, or from where it is bound, ``i∈[3]``
(``i,j∈[3] ↦ δ[i,j]``; a declared size that disagrees with what the index meets is refused);
otherwise it is refused, never guessed.

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

from ..core.algebra import full, product
from ..core.dims import check_dim, dim_mul, dims_equal
from ..core.nodes import Expr
from ..errors import IndexcalcError, ParseError, ShapeError
from .given import stands_for
from .index_syntax import MAX_LENGTH, IndexParser, binders, split_definitions
from .index_values import READ, Ix, Pending, Whole, matricized
from .matrix_syntax import Node, _slice_value, located

__all__ = ["IndexReading", "block_sizes", "explicit_block", "first_seen", "named_dimension",
           "read_index", "read_sizes"]

#: Index notation prints long (a Hessian's terms): its limit is larger than Python's.
LIMIT = 10 * MAX_LENGTH


def _base(name: str) -> str:
    """The dimension an index name is printed from: ``d'`` → ``d``, ``d_3`` → ``d``."""
    name = name.rstrip("'")
    head, _, k = name.rpartition("_")
    return head if head and k.isdigit() else name


def named_dimension(name: str, dimnames) -> str | None:
    """The dimension among ``dimnames`` an index name stands for (the reader sizes an index
    nothing else sizes by it; the printer names no index of another dimension so), or None.

    Examples:
        >>> [named_dimension(n, {"d", "h", "h_1"}) for n in ("d_3", "h_1'", "i")]
        ['d', 'h_1', None]
    """
    bare = name.rstrip("'")
    if bare in dimnames:   # h_1': a dimension named h_1, not h's third name
        return bare
    base = _base(name)
    return base if base in dimnames else None


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
        #: symbol → (dimension, span of its ``∈[…]``): sizes the text declares where bound
        self.declared: dict[tuple, tuple] = {}
        #: the spans of the declarations a reading needed (nothing else sized their index)
        self.used: set[tuple] = set()
        #: symbols a printed constant ([1,2,3][a]) sized, and the named dimensions such a
        #: symbol turned out to have (xn[a] + [1,2,3][a]: the constant meets a, as it did in
        #: the expression printed, core.dim_meeting); a reading restarts on each one found
        self.soft: set[tuple] = set()
        self.named_as: dict[tuple, str] = {}

    def fail(self, node: Node, message: str, cls: type = ParseError) -> IndexcalcError:
        return located(self.text, node.span, message, cls)

    # ------------------------------------------------------------------ entry

    def define(self, name: str, letters: tuple, start: int, stop: int, sizes: tuple = ()) -> None:
        """A ``where`` definition ``name[letters] = text[start:stop]``, read when first used;
        ``sizes`` its letters' declared sizes (:func:`~.index_syntax.binders`)."""
        if name in self.names:
            raise located(self.text, (start, stop), f"the where clause defines {name!r}, which is "
                          "a given tensor; name the definition differently (z1, z2, …)")
        self.distinct((start, stop), letters)
        self.defs[name] = (letters, start, stop)
        self.declare([("def", name, x) for x in letters], sizes)

    def declare(self, symbols, sizes) -> None:
        """Sizes the text declares (``i∈[3]``) for ``symbols``: used when nothing else sizes one."""
        for s, d in zip(symbols, sizes):
            if d is not None:
                text, span = d
                try:
                    size = dim_mul(check_dim(text, "a size"))   # 3, n, 2*b
                except IndexcalcError as e:   # i∈[³]: pointed at, as every other culprit
                    raise located(self.text, span, str(e), ShapeError) from None
                self.declared[s] = (size, span)

    def distinct(self, span: tuple, names: tuple) -> None:
        """Names bound together are distinct: ``i,i ↦ …`` (or ``z1[i∈[3],i]``) says nothing
        sensible; it was read as a diagonal of a size the declarations disagree on."""
        twice = next((x for k, x in enumerate(names) if x in names[:k]), None)
        if twice is not None:
            raise located(self.text, span, f"index {twice} is bound twice here: give each index "
                                           f"it binds its own name, like {twice},{twice}'")

    def parse(self, start: int, stop: int) -> Node:
        parser = IndexParser(self.text, start, stop)
        root = parser.formula()
        for node, name, size, span in parser.declared:
            self.declare([(id(node), name)], [(size, span)])
        return root

    def read(self, start: int, stop: int, free: tuple | None = None, sizes: tuple = ()) -> Expr:
        """The formula ``text[start:stop]``; its axes are ``free`` (index names, with their
        declared ``sizes``) when given."""
        root = self.parse(start, stop)
        self.distinct((start, stop), free or ())
        scope = {} if free is None else {n: ("free", n) for n in free}
        self.declare([("free", n) for n in free or ()], sizes)
        while True:
            self.progress = False
            try:
                v = self.value(root, scope, free is None)
                if isinstance(v, Whole) and free is None:   # i,j ↦ …: the axes as written
                    v = v.expr
                else:
                    v = self._result(root, v, free)
                self._check_declared(root)
                return v
            except Pending as p:
                # what the text declares before what a name suggests: Σ_i∈[3] s is 3 s where a
                # tensor has a dimension i; i,j∈[5] ↦ δ[l,j]-like chains size others first
                if not self.progress and not self.by_declaration(p.symbol) and \
                        not self._by_name(p.symbol):
                    error = self.fail(p.node, f"index {p.symbol[-1]} has no size in the text: it "
                                              "meets no value that has one (a tensor, a where "
                                              "name); index a tensor with it, or declare its size "
                                              "where it is bound, like i∈[3]")
                    error.unsized = True   # the printer declares sizes on this (index_sizes)
                    raise error from None

    def _result(self, root: Node, v, free: tuple | None) -> Expr:
        """The value over its free indices: in order of first appearance (as Python's
        notation), or ``free`` (a block's, ``[…]_(i,j)``)."""
        if isinstance(v, Whole) and root.kind == "mapping" and \
                sorted(root.args[0]) == sorted(free):   # mat_col[j | i](i,j ↦ …)
            v = Ix(v.expr, tuple(("free", x) for x in root.args[0]))
            self.learn(root, v.letters, v.expr.shape)
        v = self._ix(root, v)
        if free is None:
            return self._at(root, v, tuple(dict.fromkeys(v.letters)))
        out = tuple(("free", n) for n in free)
        for s in v.letters:
            if s not in out:
                raise self.fail(root, f"index {s[-1]} is not among the block's indices "
                                      f"({','.join(free)})")
        return self._at(root, v, out)

    def by_declaration(self, symbol: tuple, own: bool = False) -> bool:
        """An index no value (and no name) sizes takes the size declared where it is bound;
        when it has none, the first declaration not yet taken is (``i,j∈[3] ↦ δ[i,j]``: ``j``'s,
        which ``δ`` gives ``i``), unless ``own``."""
        if symbol not in self.declared or symbol in self.dims:
            symbol = None if own else next((s for s in self.declared if s not in self.dims), None)
            if symbol is None:
                return False
        self.dims[symbol], span = self.declared[symbol]
        self.used.add(span)
        self.progress = True
        return True

    def _check_declared(self, root: Node) -> None:
        for s, (d, span) in self.declared.items():
            if s in self.soft and isinstance(self.dims.get(s), int) and isinstance(d, str):
                self.restart(root, s, d)   # b∈[b] at a constant's axis: it meets b, as printed
            if s in self.dims and not dims_equal(self.dims[s], d):
                raise located(self.text, span, f"index {s[-1]} is declared of size {d} but is of "
                                               f"dimension {self.dims[s]} where it is used",
                              ShapeError)

    def _by_name(self, symbol: tuple) -> bool:
        """An index no value sizes takes the dimension it is named after (``b'``: ``b``)."""
        base = named_dimension(symbol[-1], self.dimnames)
        if base is not None and symbol not in self.dims:
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
            elif s in self.soft and isinstance(known, int) and isinstance(d, str):
                self.restart(node, s, d)
            elif not dims_equal(known, d):
                raise self.fail(node, f"index {s[-1]} is of dimension {known} elsewhere but {d} "
                                      "here", ShapeError)

    def restart(self, node: Node, s: tuple, d: str) -> None:
        """Read again from the start, with the constants at ``s`` of the named dimension ``d``
        (what was built from ``s``'s int size, a δ sized by it included, is stale)."""
        self.named_as[s] = d
        self.dims, self.soft, self.used, self.built = {}, set(), set(), {}
        self.memo = {k: v for k, v in self.memo.items() if isinstance(k, tuple)}   # parse trees
        self.progress = True
        raise Pending(node, s)

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
            raise Pending(node, s)
        return self.dims[s]

    def symbol(self, node: Node, name: str, scope: dict, free: bool) -> tuple:
        if name in scope:
            return scope[name]
        if not free:
            raise self.fail(node, f"index {name} is not bound here (bound: "
                                  f"{', '.join(scope) or 'none'})")
        return ("free", name)

    def _ix(self, node: Node, v: Any) -> Ix:
        if isinstance(v, float):
            return Ix(full((), v), ())
        if isinstance(v, Whole):
            if v.expr.ndim:
                raise self.fail(node, f"a value of shape {v.expr.shape} is used without index "
                                      "names; write it with them, like X[i,j]")
            return Ix(v.expr, ())
        return v

    def _whole(self, node: Node, v: Any) -> Expr:
        if isinstance(v, Whole):
            return v.expr
        v = self._ix(node, v)
        if v.letters:
            raise self.fail(node, "expected a whole tensor here: a name, or p,q ↦ … with its own "
                                  "index names")
        return v.expr

    def _at(self, node: Node, v: Ix, out: tuple, coef: float = 1.0) -> Expr:
        """``v`` as a tensor over ``out`` (summing none; broadcasting names ``v`` lacks)."""
        dims = {s: self.dim(node, s) for s in (*v.letters, *out)}
        if v.letters == out and coef == 1.0:
            return v.expr
        return product([(v.expr, v.letters)], out, dims, coef)

    def _closed(self, node: Node, v: Ix) -> Ix:
        """``v`` with repeated letters (``X[i,i]``) read as the diagonal."""
        if len(set(v.letters)) == len(v.letters):
            return v
        out = tuple(dict.fromkeys(v.letters))
        return Ix(self._at(node, v, out), out)

    # ------------------------------------------------------------------ values

    def value(self, node: Node, scope: dict, free: bool) -> Any:
        """A float, an ``Ix`` or a ``Whole`` for ``node``, built once."""
        done = self.memo.get(id(node))
        if done is not None:
            return done
        try:
            v = READ[node.kind](self, node, scope, free)
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
            except Pending as p:
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
            root = self.memo.get(("root", name)) or self.parse(start, stop)
            self.memo[("root", name)] = root
            scope = {n: ("def", name, n) for n in letters}
            v = self._ix(root, self.value(root, scope, False))
            out = tuple(scope[n] for n in letters)
            self.built[name] = self._at(root, v, out)
        finally:
            self.building.discard(name)
        return self.built[name]


def given_names(shapes: Mapping[str, Any] | None) -> dict[str, Expr]:
    """``shapes=`` as the expressions its names stand for (a shape declares a tensor; an
    ``(expr, (rows, cols))`` of ``MatrixForm.names()`` is ``expr``: :func:`.given.stands_for`)."""
    return {str(k): stands_for(str(k), v) for k, v in (shapes or {}).items()}


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
    return read_sizes(text, shapes)[0]


def read_sizes(text: str, shapes: Mapping[str, Any] | None = None) -> tuple[Expr, set]:
    """:func:`read_index`, and the spans of the size declarations (``∈[3]``) the reading needed:
    the printer keeps those and drops the others.

    Examples:
        >>> import indexcalc as ic
        >>> X = ic.Tensor("X", (3, 4))
        >>> text = "i∈[3],j∈[4],k∈[3],l∈[3] ↦ X[i,j] δ[k,l]"
        >>> expr, used = read_sizes(text, {"X": X})
        >>> expr.shape, [text[a:b] for a, b in sorted(used)]
        ((3, 4, 3, 3), ['∈[3]'])
    """
    if not isinstance(text, str):
        raise ParseError(f"parse: expected a formula string, got {type(text).__name__}")
    if len(text) > LIMIT:
        raise ParseError(f"parse: the formula is {len(text)} characters long; the limit is {LIMIT}")
    text = text.strip("\n ")
    (start, stop), defs = split_definitions(text)
    reading = IndexReading(text, given_names(shapes))
    for d in defs:
        reading.define(*d)
    try:
        return reading.read(start, stop), reading.used
    except RecursionError:   # where lines are read when first used: a chain of them nests
        raise ParseError("the formula nests too deeply to read (where definitions that use one "
                         "another, z1 in z2 in …): give fewer levels") from None


#: A piece of an explicit block, ``with ζ1[m,p] = …; ζ2 = …`` (named ζ: ``; axis=1`` is no piece).
_LET = re.compile(r"(?: with |; )(ζ\d+)(?:\[((?:[^\[\]]|\[[^\]]*\])*)\])?\s*=\s*")


def explicit_block(text: str, start: int, block: str, reading: IndexReading) -> tuple[Expr, tuple]:
    """The value of a matrix form's explicit block at ``text[start:]`` and its ``(rows, cols)``
    (a vector's ``(n,)``: its side is the convention's):
    ``mat_col[i j | k l](T)`` (``T`` matricized, :func:`matricized`; ``mat_row``: the last index
    fastest), or ``[T]_(i,j)`` (the matrix, or vector, whose ``[i,j]`` entry is ``T``), with its
    ``with ζ1[m] = …; …`` pieces. An absent axis is ``None``."""
    if block.startswith("mat_"):
        head = block.index("](")
        names, sizes = binders(block[8:head], start + 8)   # i∈[3] j | k l
        bar = block.find("|", 0, head)   # none: every index is a row's (as partition read it)
        r = len(binders(block[8:bar], 0)[0]) if bar >= 0 else len(names)
        c = len(names) - r
        t = reading.read(start + head + 2, start + len(block) - 1, names, sizes)
        return matricized(t, r, block[4:7]), (dim_mul(*t.shape[:r]) if r else None,
                                               dim_mul(*t.shape[r:]) if c else None)
    depth, close = 0, 0
    for k, ch in enumerate(block):
        depth += (ch == "[") - (ch == "]")
        if depth == 0:
            close = k
            break
    names: tuple = ()
    sizes: tuple = ()
    rest = close + 1
    if block.startswith("_(", rest):
        end = block.index(")", rest)
        names, sizes = binders(block[rest + 2:end], start + rest + 2)
        rest = end + 1
    lets = list(_LET.finditer(block, rest))
    for m, nxt in zip(lets, lets[1:] + [None]):
        letters, declared = binders(m.group(2), start + m.start(2)) if m.group(2) else ((), ())
        reading.define(m.group(1), letters, start + m.end(), start + (nxt.start() if nxt else
                                                                      len(block)), declared)
    t = reading.read(start + 1, start + close, names, sizes)
    return t, tuple(t.shape) if t.ndim else (None, None)   # a vector's side: the reader's


def block_sizes(block: str, shapes: Mapping[str, Any] | None = None) -> set:
    """The spans of the size declarations (``∈[3]``) reading the explicit ``block`` alone needs
    (:func:`explicit_block`; the printer keeps those)."""
    reading = IndexReading(block, given_names(shapes))
    explicit_block(block, 0, block, reading)
    return reading.used
