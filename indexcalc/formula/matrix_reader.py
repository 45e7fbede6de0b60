"""``ic.parse(..., notation="matrix")``: textbook matrix notation read into an expression.

Reads what ``ic.to_matrix`` and ``ic.to_kron`` print — ``Xᵀ (X W v − y) vᵀ``, ``⊗``, ``∘``,
``diag(·)``, ``diagonal(·)``, ``tr(·)``, ``det``, ``log|det(·)|``, ``⁻¹``, ``⁻ᵀ``, ``^∘p``, ``I``,
``I_n``, ``1``, ``1_n``, ``0``, ``0_n``, ``𝟙``, ``1_m 1_nᵀ``, ``0_m 0_nᵀ``, ``K_(m,n)``,
``vec(·)``/``vec_row(·)``, ``unvec(·)`` (``unvec_(m,n)(·)``: of m × n), ``sum(·)``, ``softmax``, ``logsumexp``, elementwise
functions by name (``σ``, ``σ'``, ``tanh``…), ``1.5^(x)`` of a number, matrix functions and their
Fréchet derivatives (``expm(A)``, ``L_exp(A, E)``), parts of decompositions (``eigvecsh(S)``,
``svdvals(A)``), block matrices ``[A, B; C, D]``, slices ``X[0, :]`` and ``where`` clauses
(``z1 = …``, one a line) — and common
ASCII: ``X^T``, ``X'``, ``X^-1``, ``inv(X)``, ``kron(A, B)``, ``A .* B``, ``A ./ B``, ``A * B`` and
``A @ B`` (matrix products), ``trace(X)``, ``x^T y``.

A declared vector is a column (``vectors="row"``: a row); ``xᵀ`` is the other one. The sizes of
``I``, ``1`` and ``0`` are inferred from what they meet (:mod:`.matrix_shapes`); a ``1`` or ``0``
that meets only numbers is the number. Shapes are solved first (:mod:`.matrix_shapes`), then the
expression is built (:mod:`.matrix_values`). Where the text does not fix a size (``(1ᵀ ⊗ I) vec(A)`` for
``A`` of m × n reads as ``1_nᵀ ⊗ I_m`` or ``1_mᵀ ⊗ I_n``) it is refused, asking for a
subscript; a reading is never guessed. The expression's axes are the value's (a column or a row
vector is 1-D, a scalar 0-D).

Examples:
    >>> import indexcalc as ic
    >>> shapes = {"X": "n d", "W": "d h", "v": "h", "y": "n"}
    >>> ic.parse("Xᵀ (X W v − y) vᵀ", shapes).shape
    ('d', 'h')
    >>> print(ic.parse("x^T A x", {"x": "n", "A": "n n"}))
    Σ_n,n' x[n] A[n,n'] x[n']
    >>> ic.parse("(1_nᵀ ⊗ I) vec(A)", {"A": "m n"}).shape
    ('m',)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.dims import check_dim, dim_factors, dim_mul
from ..core.nodes import Expr, Tensor
from ..errors import IndexcalcError, ParseError, ShapeError
from ..frontend import arithmetic, matrices
from ..frontend.indexing import index
from .given import is_oriented
from .matrix_shapes import Solver, Var, show_shape
from .index_reader import IndexReading, explicit_block
from .index_syntax import split_definitions
from .matrix_syntax import MAX_LENGTH, Node, Parser, is_index_line, located, split_where
from .matrix_values import (DECOMPOSITION_PARTS, ELEMENTWISE, MATRIX_CALLS, SAME_SHAPE,
                            SQUARE_TO_SCALAR, ValueBuilder)


def read_matrix(text: str, shapes: Mapping[str, Any] | None = None, vectors: str = "column",
                expect: tuple | None = None,
                oriented: Mapping[str, tuple] | None = None) -> tuple[Expr, tuple]:
    """The expression matrix notation ``text`` describes, and its ``(rows, cols)`` shape.

    Args:
        text: the formula; a ``where`` clause's definitions follow it, one a line.
        shapes: each name's shape (a string or tuple of dimensions), an ``ic.Tensor``, any
            expression the name stands for (a named subexpression ``h``), or an expression with
            its orientation, ``(expr, (rows, cols))``, as ``MatrixForm.names()`` gives them.
        vectors: ``"column"`` or ``"row"``: how a declared vector reads.
        expect: the ``(rows, cols)`` the value must have (``None`` for an absent axis), which
            also fixes the sizes of ``I``, ``1`` and ``0`` nothing else fixes.
        oriented: names with their orientation, ``{"h": (expr, (n, None))}`` (a printed
            form's leaves: :meth:`MatrixForm.names <indexcalc.layouts.matrix_form.MatrixForm>`).

    Returns:
        The expression and its shape as written (``(n, None)`` a column vector).

    Raises:
        ParseError: text outside the notation, located with a caret.
        ShapeError: operands that do not conform, with the shapes that clash.
    """
    reading, parts = _reading(text, shapes, vectors, oriented)
    return reading.read(parts, expect)


def atom_sizes(text: str, oriented: Mapping[str, tuple], vectors: str = "column",
               expect: tuple | None = None) -> dict[int, tuple | None]:
    """The shape the reading infers for each ``I``, ``1``, ``0``, ``𝟙`` and ``unvec(·)`` of
    ``text``, by the offset where it starts; ``None`` where the text leaves its size open. Arguments as for
    :func:`read_matrix`, whose errors it raises. The printer asks it which atoms need a
    subscript (:mod:`indexcalc.layouts.form_sizes`), so the two never disagree.

    Examples:
        >>> import indexcalc as ic
        >>> A = ic.Tensor("A", "m n")
        >>> atom_sizes("(1ᵀ ⊗ I) vec(A)", {"A": (A, ("m", "n"))})
        {1: None, 6: None}
        >>> atom_sizes("(1_nᵀ ⊗ I) vec(A)", {"A": (A, ("m", "n"))})
        {1: ('n', None), 8: ('m', 'm')}
    """
    lead = len(text) - len(text.lstrip("\n ")) if isinstance(text, str) else 0
    reading, parts = _reading(text, {}, vectors, oriented)
    order, _ = reading.solve(parts, expect)
    out: dict[int, tuple | None] = {}
    for n in order:
        if n.kind == "call" and n.args[0] in ("unvec", "unvec_row"):   # its shape, as an atom's
            shape = reading.solver.shape(reading.shape(n))
            out[lead + n.span[0]] = None if any(isinstance(d, Var) for d in shape) else shape
        elif n.kind in _ATOMS or n.kind == "name" and id(n) not in reading.leaves \
                and id(n) not in reading.refs:   # I: a name that stands for no value
            shape = reading.solver.shape(reading.shape(n))
            if n.halves:   # 1 1ᵀ: a column of the rows' size, a row of the columns'
                for at, d in zip(n.halves, shape):
                    out[lead + at] = None if isinstance(d, Var) else (d, None)
            else:
                out[lead + n.span[0]] = None if any(isinstance(d, Var) for d in shape) else shape
    return out


#: The nodes whose size the text may leave open (with ``I``, a name that is no leaf).
_ATOMS = ("ones", "zero", "ones_matrix", "zero_matrix")


def _reading(text: str, shapes: Mapping[str, Any] | None, vectors: str,
             oriented: Mapping[str, tuple] | None) -> tuple["_Reading", list]:
    """The reading of ``text`` and its parts: the ``where`` definitions, then the formula."""
    if not isinstance(text, str):
        raise ParseError(f"parse: expected a formula string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"parse: the formula is {len(text)} characters long; the limit is "
                         f"{MAX_LENGTH}")
    if vectors not in ("column", "row"):
        raise ParseError(f"parse: vectors must be 'column' or 'row', got {vectors!r:.40}")
    text = text.strip("\n ")
    names = {str(k): _entry(str(k), v, vectors) for k, v in (shapes or {}).items()}
    names.update({str(k): (e, tuple(s)) for k, (e, s) in (oriented or {}).items()})
    main, defs = split_where(text)
    parts = []
    for name, _, start in defs:
        if name in names:  # a definition would silently stand in for the declared tensor
            raise located(text, (text.rfind("\n", 0, start) + 1, start - 1),
                          f"the where clause defines {name!r}, which is a declared tensor; "
                          "name the definition differently (z1, z2, …)")
        stop = text.find("\n", start)
        parts.append((name, start, None if stop < 0 else stop))
    reading = _Reading(text, names, vectors)
    reading.index_defs = [d for d in split_definitions(text)[1]
                          if is_index_line(text[text.rfind("\n", 0, d[2]) + 1:d[3]])]
    reading.matrix_defs = parts
    return reading, [*parts, (None, 0, len(main))]


class _Definition:
    """A ``where`` definition's formula, read with the formula that uses it."""

    def __init__(self, root: Node):
        self.root = root


def _orientation(e: Expr, vectors: str, name: str) -> tuple:
    if e.ndim > 2:
        raise ShapeError(_too_many_axes(name, e))
    if e.ndim == 2:
        return tuple(e.shape)
    if e.ndim == 1:
        return (e.shape[0], None) if vectors == "column" else (None, e.shape[0])
    return (None, None)


_SUBSCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def _entry(name: str, spec: Any, vectors: str) -> tuple[Expr, tuple]:
    if is_oriented(spec) and len(spec[1]) == 2:
        return spec[0], tuple(spec[1])   # (expression, (rows, cols)): MatrixForm.names()
    if is_oriented(spec):   # a name of an explicit block only (its own shape, () of a scalar)
        expr = spec[0]
    elif isinstance(spec, Expr):
        if isinstance(spec, Tensor) and spec.name != name:
            raise ParseError(f"shapes[{name!r}] is a tensor named {spec.name!r}")
        expr = spec
    else:
        expr = Tensor(name.translate(_SUBSCRIPT_DIGITS), spec)   # e₁ is the tensor e1
    # three axes are refused where matrix notation meets the name: an explicit block's index
    # notation (z1 = [Σ_k T[i,k,j]]_(i,j)) or a slice (T[:, 1, :]) reads it
    return expr, None if expr.ndim > 2 else _orientation(expr, vectors, name)


def _too_many_axes(name: str, e: Expr) -> str:
    return (f"{name} has {e.ndim} axes {e.shape}; matrix notation writes scalars, vectors and "
            "matrices (use index notation, X[i,j,k])")


def _children(n: Node) -> tuple:
    if n.kind == "add":
        return tuple(t for _, t in n.args)
    if n.kind == "call":
        return n.args[1]
    if n.kind == "block":
        return tuple(x for row in n.args for x in row)
    if n.kind in ("T", "inv", "hpow", "mpow", "npow", "logdet", "rpow"):
        return (n.args[0],)
    if n.kind in ("matmul", "hadamard", "hdiv", "kron"):
        return n.args
    return ()


def _postorder(root: Node) -> list[Node]:
    out, stack = [], [(root, False)]
    while stack:
        n, done = stack.pop()
        if done:
            out.append(n)
            continue
        stack.append((n, True))
        stack.extend((c, False) for c in reversed(_children(n)))
    return out


class _Reading(ValueBuilder):
    def __init__(self, text: str, names: dict, vectors: str):
        self.text, self.names, self.vectors = text, names, vectors
        self.solver = Solver(self.fail)
        self.shapes: dict[int, tuple] = {}
        self.leaves: dict[int, Expr] = {}
        self.refs: dict[int, Node] = {}   # a use of a where definition: its formula's root
        self.unknowns: list[tuple[Var, Node]] = []
        self.index_defs: list = []    # where lines of index notation (a block's pieces)
        self.matrix_defs: list = []   # the other where lines, (name, start, stop)

    def fail(self, node: Node, message: str, cls: type = ShapeError) -> IndexcalcError:
        return located(self.text, node.span, message, cls)

    def read(self, parts: list, expect: tuple | None) -> tuple[Expr, tuple]:
        """The last of ``parts`` ``(name, start, stop)``; the ones before it are the ``where``
        definitions, solved together with it (a definition's shape is fixed by its uses too)."""
        order, root = self.solve(parts, expect)
        for n in order:
            if any(isinstance(d, Var) for d in self.solver.shape(self.shape(n))):
                written = self.text[n.span[0]:n.span[1]]
                like = {"1": "1_n", "0": "0_n", "𝟙": "1_m 1_nᵀ"}.get(written[:1], "I_n")
                raise self.fail(n, f"the size of {written} cannot be inferred from what it "
                                   f"meets; write it with a subscript, like {like}")
        for n, _ in self.solver.waiting:
            raise self.fail(n, "the shapes here cannot be inferred")
        built: dict[int, Any] = {}
        for n in order:
            if id(n) in self.refs:
                built[id(n)] = built[id(self.refs[id(n)])]
                continue
            try:
                built[id(n)] = self.build(n, [built[id(c)] for c in _children(n)])
            except IndexcalcError as e:
                if getattr(e, "position", None) is not None:
                    raise
                raise self.fail(n, str(e).splitlines()[0], type(e)) from None
        value = arithmetic.as_expr(built[id(root)])
        return value, self.solver.shape(self.shapes[id(root)])

    def solve(self, parts: list, expect: tuple | None) -> tuple[list[Node], Node]:
        """Every node's shape, solved as far as the text (and ``expect``) fix it: the nodes in
        reading order, and the formula's root."""
        order: list[Node] = []
        for name, start, stop in parts:
            root = Parser(self.text, start, stop).formula()
            nodes = _postorder(root)
            for n in nodes:
                self.shapes[id(n)] = self.infer(n)
            order += nodes
            if name is not None:
                self.names[name] = _Definition(root)
        if expect is not None:
            self.solver.unify_shapes(self.shapes[id(root)], tuple(expect), root,
                                     "the value's expected shape")
        self.solver.settle()
        self.solver.split_krons()
        self.solver.fall_back()
        return order, root

    # ------------------------------------------------------------------ shapes

    def var(self, n: Node, what: str, may_vanish: bool) -> Var:
        v = Var(what, may_vanish)
        self.unknowns.append((v, n))
        return v

    def square(self, n: Node, x: tuple, what: str) -> tuple:
        """``x`` unified with a square matrix's shape (whose side never vanishes)."""
        d = Var("matrix", False)
        self.solver.unify_shapes(x, (d, d), n, what)
        return x

    def shape(self, n: Node) -> tuple:
        return self.shapes[id(n)]

    def infer(self, n: Node) -> tuple:
        s, k = self.solver, n.kind
        kids = [self.shape(c) for c in _children(n)]
        if k == "number":
            return (None, None)
        if k == "ones":   # a vector written as vectors are (1ᵀ is the other way)
            size = self._dim(n, n.args[0]) if n.args else self.var(n, "vector of ones", True)
            return self._vector(size)
        if k == "zero":
            if n.args:
                return self._vector(self._dim(n, n.args[0]))
            return (self.var(n, "zero", True), self.var(n, "zero", True))
        if k in ("ones_matrix", "zero_matrix"):   # 1 1ᵀ, 0_m 0_nᵀ, in either vector convention
            what = "vector of ones" if k == "ones_matrix" else "zero"
            return tuple(self.var(n, what, True) if t is None else self._dim(n, t)
                         for t in n.args or (None, None))
        if k == "identity" and n.args[1] not in self.names:
            d = self._dim(n, n.args[0])
            return (d, d)
        if k in ("identity", "name", "slice"):
            return self._leaf(n)
        if k == "explicit":   # index notation inside: read by the index reader, a leaf here
            expr, shape = explicit_block(self.text, n.span[0], n.args[0], self._index_reading())
            self.leaves[id(n)] = expr
            return shape if len(shape) == 2 else self._vector(shape[0])
        if k == "commutation":
            m, q = (self._dim(n, t) for t in n.args)
            return (dim_mul(m, q), dim_mul(m, q))
        if k == "T":
            if n.args[0].kind == "ones":   # 1ᵀ is a vector, never the number 1
                self.solver.unify_shapes(kids[0], self._vector(Var("vector of ones", False)),
                                         n, "1ᵀ")
            return (kids[0][1], kids[0][0])
        if k in ("inv", "mpow") and kids[0] == (None, None):
            return kids[0]   # det(X)⁻¹, s²: a number's power
        if k in ("inv", "mpow"):
            return self.square(n, kids[0], "a square matrix is needed")
        if k == "rpow" and n.args[2]:   # b^x without ∘: a number's power, x a number
            self.solver.unify_shapes(kids[0], (None, None), n, "b^x takes a number x (b^∘X for "
                                     "each entry of X)")
        if k in ("hpow", "rpow"):
            return kids[0]
        if k == "npow":  # s^-0.5: a number's power only (X^∘p is a matrix's elementwise power)
            self.solver.unify_shapes(kids[0], (None, None), n, "x^p with p not a whole number ≥ 1 "
                                     "(a scalar's power; X^∘p for an elementwise power)")
            return (None, None)
        if k == "logdet":
            self.square(n, kids[0], "a square matrix is needed")
            return (None, None)
        if k == "add":
            for t in kids[1:]:
                s.unify_shapes(kids[0], t, n, "the terms of a sum")
            return kids[0]
        out = (self.var(n, "value", True), self.var(n, "value", True))
        if k == "matmul":
            s.product(n, kids[0], kids[1], out)
        elif k in ("hadamard", "hdiv"):
            s.elementwise(n, kids[0], kids[1], out)
        elif k == "kron":
            for side in (d for c in kids for d in c):   # 1 ⊗ I: the 1 is a vector, no number
                side = s.find(side)
                if isinstance(side, Var):
                    side.may_vanish = False
            kinds = {self._pure(c) for c in n.args}
            s.kron(n, kids[0], kids[1], out, split=len(kinds) == 1 and None not in kinds)
        elif k == "block":
            return self._block_shape(n)
        else:
            return self._call_shape(n, kids, out)
        return out

    def _index_reading(self) -> IndexReading:
        """A reader of the blocks' index notation: the names given, the index where lines, and
        the other where lines as index notation too, read only if a block uses one (a number's
        ``z1 = tanh(s) s``, which reads as either; a matrix's refuses there, never misreads)."""
        given = {k: v[0] for k, v in self.names.items() if isinstance(v, tuple)}
        reading = IndexReading(self.text, given)
        for d in self.index_defs:
            reading.define(*d)
        for name, start, stop in self.matrix_defs:
            reading.define(name, (), start, len(self.text) if stop is None else stop)
        return reading

    def _pure(self, n: Node) -> str | None:
        """``"I"`` for an identity (or a Kronecker product of them), ``"1"`` for ones: a
        Kronecker product of two of one kind has one value however its sides split."""
        if n.kind == "name" and n.args[0] == "I" and "I" not in self.names:
            return "I"
        if n.kind in ("ones", "ones_matrix") and not n.args:
            return "1"
        if n.kind == "T":
            return self._pure(n.args[0])
        if n.kind == "kron":
            kinds = {self._pure(c) for c in n.args}
            return kinds.pop() if len(kinds) == 1 else None
        return None

    def _dim(self, n: Node, text: str) -> Any:
        try:
            return check_dim(text, "a subscript")   # "3" → 3 (ASCII digits: not '³')
        except IndexcalcError as e:
            raise self.fail(n, str(e), ParseError) from None

    def _leaf(self, n: Node) -> tuple:
        name = n.args[1] if n.kind in ("slice", "identity") else n.args[0]
        if name not in self.names and name.translate(_SUBSCRIPT_DIGITS) in self.names:
            name = name.translate(_SUBSCRIPT_DIGITS)   # e₁ written, e1 declared
        if isinstance(self.names.get(name), _Definition):
            self.refs[id(n)] = self.names[name].root
            return self.shape(self.names[name].root)
        if name in self.names:
            expr, shape = self.names[name]
            if shape is None:
                raise self.fail(n, _too_many_axes(name, expr), ShapeError)
        elif n.kind == "slice" and n.args[0] in self.names:
            try:
                expr = self.names[n.args[0]][0][n.args[2]]
            except IndexcalcError as e:
                raise self.fail(n, str(e).splitlines()[0], type(e)) from None
            shape = _orientation(expr, self.vectors, name)
        elif n.kind == "slice" and n.args[0].startswith("I_"):   # I_3[0, :]: rows of I_3
            d = self._dim(n, n.args[0][2:].strip("()").replace("·", "*"))
            try:
                expr = index(matrices.eye(d), n.args[2])
            except IndexcalcError as e:
                raise self.fail(n, str(e).splitlines()[0], type(e)) from None
            shape = _orientation(expr, self.vectors, name)
        elif name == "I":
            d = self.var(n, "identity", False)
            return (d, d)
        elif any(d[0] == name for d in self.index_defs):
            raise self.fail(n, f"a where clause defines names for matrix notation as {name} = …; "
                               f"{name}[…] = … is index notation, which only an explicit block "
                               "reads", ParseError)
        else:
            base = n.args[0]
            raise self.fail(n, f"unknown name {base!r}: give its shape, like "
                               f"shapes={{{base!r}: 'n d'}}", ParseError)
        self.leaves[id(n)] = expr
        return shape

    def _block_shape(self, n: Node) -> tuple:
        out = (self.var(n, "block", True), self.var(n, "block", True))

        for row in n.args:   # the blocks of a row are as high as each other
            for x in row[1:]:
                self.solver.unify(self.shape(row[0])[0], self.shape(x)[0], n, "the blocks of a row")
        if len({len(row) for row in n.args}) == 1:   # and a block column's are as wide
            for row in n.args[1:]:
                for x, y in zip(n.args[0], row):
                    self.solver.unify(self.shape(x)[1], self.shape(y)[1], n,
                                      "the blocks of a column")
        # one row of blocks is as high as the whole ([I, 2 I]), one column as wide ([0; I])
        if len(n.args) == 1:
            self.solver.unify(out[0], self.shape(n.args[0][0])[0], n, "a block matrix")
        if all(len(row) == 1 for row in n.args):
            self.solver.unify(out[1], self.shape(n.args[0][0])[1], n, "a block matrix")

        def rule() -> bool:
            rows = [[self.solver.shape(self.shape(x)) for x in row] for row in n.args]
            self._remainder(n, out[0], [row[0][0] for row in rows])
            self._remainder(n, out[1], [s[1] for s in rows[0]])
            rows = [[self.solver.shape(self.shape(x)) for x in row] for row in n.args]
            if any(isinstance(d, Var) for row in rows for s in row for d in s):
                return False
            heights = [row[0][0] for row in rows]
            widths = [s[1] for s in rows[0]]
            for row in rows[1:]:
                if len(row) != len(widths) or any(
                        not (s[1] == w or {s[1], w} <= {None, 1}) for s, w in zip(row, widths)):
                    raise self.fail(n, "the block rows do not have the same column widths")
            self.solver.unify_shapes(out, (_joined(heights, len(rows)),
                                           _joined(widths, len(widths))), n, "a block matrix")
            return True
        self.solver.wait(n, rule)
        return out

    def _remainder(self, n: Node, total: Any, parts: list) -> None:
        """One unknown block size of a known total: the total less the others' (``[A; 0]``)."""
        total = self.solver.find(total)
        unknown = [p for p in parts if isinstance(p, Var)]
        if isinstance(total, Var) or total is None or len(unknown) != 1 or len(parts) < 2:
            return
        coef, names = dim_factors(total)
        for p in parts:
            if p is not unknown[0]:
                c, ns = dim_factors(1 if p is None else p)
                if ns != names:
                    return
                coef -= c
        if coef <= 0:
            raise self.fail(n, f"the blocks are larger than the whole ({total})")
        self.solver.unify(unknown[0], dim_mul(coef, *names), n, "a block")

    def _call_shape(self, n: Node, kids: list, out: tuple) -> tuple:
        s, (name, args, keywords) = self.solver, n.args
        count = {"kron": 2, **{k: len(f.params) for k, f in MATRIX_CALLS.items()}}.get(name, 1)
        if len(args) not in (count if isinstance(count, tuple) else (count,)):
            raise self.fail(n, f"{name}() takes {count} argument(s), got {len(args)}", ParseError)
        allowed = {"softmax": {"axis"}, "logsumexp": {"axis"}, "max": {"axis"},
                   "tril": {"k"}, "triu": {"k"}, "unvec": {"rows", "cols"},
                   "unvec_row": {"rows", "cols"}}.get(name, set())
        for key, _ in keywords:
            if key not in allowed:
                raise self.fail(n, f"{name}() has no keyword {key!r}", ParseError)
        x = kids[0]
        if name == "diag":
            d = Var("diagonal matrix", False)
            out = (d, d)
            s.diag(n, x, out)
        elif name == "diagonal":
            self.square(n, x, "diagonal needs a square matrix")
            return self._vector(x[0])
        elif name in SQUARE_TO_SCALAR:
            self.square(n, x, f"{name} needs a square matrix")
            return (None, None)
        elif name in ("sum", "logsumexp", "max") and not keywords:
            return (None, None)
        elif name in ("logsumexp", "max"):
            axis = dict(keywords)["axis"]
            if axis not in (0, 1, -1, -2):
                raise self.fail(n, f"{name}: axis={axis} of a matrix", ParseError)
            return self._vector(x[1] if axis in (0, -2) else x[0])
        elif name in ("vec", "vec_row"):
            s.kron(n, (x[0], None), (x[1], None), out, split=False)
            s.unify(out[1], None, n, "vec")
        elif name == "transpose":
            return (x[1], x[0])
        elif name in ("unvec", "unvec_row"):   # its shape is stated (unvec_(m,n)(u)) or what it
            stated = dict(keywords)                # meets: rows × cols = |u|
            out = tuple(self._dim(n, str(stated[k])) if k in stated else Var("matrix", False)
                        for k in ("rows", "cols"))
            s.unify(x[1], None, n, f"{name} takes a column")
            s.kron(n, (out[0], None), (out[1], None), (x[0], None), split=False)
        elif name == "kron":
            s.kron(n, x, kids[1], out, split=False)
        elif name in MATRIX_CALLS:   # expm(A), L_exp(A, E): square, all of one shape
            for y in kids:
                self.square(n, y, f"{name} needs a square matrix")
                s.unify_shapes(x, y, n, f"the arguments of {name}")
            return x
        elif name in DECOMPOSITION_PARTS:
            self._part_shape(n, x, out)
        elif name in SAME_SHAPE or name in ELEMENTWISE:
            if name == "inv":
                self.square(n, x, "inv needs a square matrix")
            if name in ("tril", "triu"):
                s.unify_shapes(x, (Var("matrix", False), Var("matrix", False)), n,
                               f"{name} needs a matrix")
            return x
        else:
            known = ", ".join(sorted({"diag", "diagonal", "sum", "logsumexp", "max", "vec",
                                      "vec_row", "unvec", "unvec_row", "transpose", "kron",
                                      *SQUARE_TO_SCALAR, *MATRIX_CALLS, *DECOMPOSITION_PARTS,
                                      *SAME_SHAPE, *ELEMENTWISE}))
            raise self.fail(n, f"unknown function {name!r} in matrix notation; known: {known}",
                            ParseError)
        return out

    def _part_shape(self, n: Node, x: tuple, out: tuple) -> None:
        """A decomposition's part has the shape the library gives it for a matrix of ``x``'s
        shape (``svdvals``: min(m, n) values), once that is known."""
        name = n.args[0]

        def rule() -> bool:
            shape = self.solver.shape(x)
            if any(isinstance(d, Var) for d in shape):
                return False
            try:
                part = DECOMPOSITION_PARTS[name].call(Tensor("A", tuple(d for d in shape
                                                                       if d is not None)))
            except IndexcalcError as e:
                raise self.fail(n, f"{name}: {str(e).splitlines()[0]}") from None
            self.solver.unify_shapes(out, _orientation(part, self.vectors, name), n, name)
            return True
        self.solver.wait(n, rule)

    def _vector(self, d: Any) -> tuple:
        return (d, None) if self.vectors == "column" else (None, d)

def _joined(dims: list, count: int) -> Any:
    """The dimension of blocks joined along an axis (``None`` an absent axis, 1 joined)."""
    if count == 1:
        return dims[0]
    ints = [1 if d is None else d for d in dims]
    if all(isinstance(d, int) for d in ints):
        return sum(ints)
    if all(d == ints[0] for d in ints):
        return dim_mul(len(ints), ints[0])
    raise ShapeError(f"blocks of sizes {', '.join(map(str, ints))} cannot be joined (named "
                     "dimensions join only equal ones)")


__all__ = ["read_matrix", "show_shape"]
