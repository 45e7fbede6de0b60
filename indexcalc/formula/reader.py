"""``ic.parse``: a formula in Python syntax, read with :mod:`ast` and a whitelist — never run.

Grammar (anything else is a :class:`~indexcalc.errors.ParseError` pointing at the culprit)::

    formula := number | tensor | formula (+ - * / ** @) formula | -formula | formula.T
             | f(formula, ..., keyword=literal)       f from FUNCTIONS below
             | einsum("ij,jk->ik", formula, ...)
             | tensor[i, j]  |  (formula)[i, j]       index notation
             | formula[0, 1:3, ::-1, None]            NumPy's basic indexing (ints, slices, None)
             | sum(formula, i, ...)                   explicit sum over index letters

Numbers are folded only when that is safe (finite results; ``9**9**9`` is refused, not computed).

**Index notation.** ``X[n,d]`` binds the letters ``n, d`` to the axes of ``X``. A tensor that
``shapes=`` does not declare is declared by its first subscripted use (in reading order), whose
letters become its dimension names. A *product* is a maximal tree of ``*`` and ``/`` (parentheses
do not split it: Python's syntax tree does not keep them; ``/`` multiplies by the reciprocal);
over all its indexed factors a letter written once is free, twice is summed (Einstein), three
times is an error. The free letters, in order of first appearance, are the axes of the result:
``X[n,d] * W[d,h]`` has shape ``(n, h)``. Terms of ``+``/``-`` must have the same free letters
(aligned by letter, so ``A[i,j] + B[j,i]`` adds ``Bᵀ``); elementwise functions and ``** p`` keep
the letters; any other operation reads an indexed value positionally, axes in letter order.
``sum(expr, i)`` sums a free letter; inside it ``i`` is a bound variable that is never summed
implicitly, so ``sum(x[i]*y[i]*z[i], i)`` is a triple dot product.

Examples:
    >>> import indexcalc as ic
    >>> print(ic.parse("X[n,d] * W[d,h]"))
    Σ_d X[n,d] W[d,h]
    >>> shapes = {"X": "n d", "W": "d h", "v": "h", "y": "n"}
    >>> ic.parse("0.5*sum((X@W@v - y)**2)", shapes).shape
    ()
    >>> ic.parse("exp(X.__class__)", shapes={"X": "n"})
    Traceback (most recent call last):
    ...
    indexcalc.errors.ParseError: attribute access is not allowed (only .T) (at column 5)
        exp(X.__class__)
            ^^^^^^^^^^^
"""

from __future__ import annotations

import ast
import contextlib
import math
import operator
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from ..frontend import arithmetic, axes
from ..core.algebra import product
from ..core.dims import dims_equal, format_shape
from ..errors import IndexcalcError, ParseError, ShapeError
from ..core.nodes import Expr, Tensor
from .calls import ELEMENTWISE, FUNCTIONS, Indexed, read_call
from .given import stands_for
from .index_reader import read_index
from .matrix_reader import read_matrix
from .matrix_values import ONLY_MATRIX_CALL
from .notation import (PYTHON_OPERATOR, PYTHON_PRODUCT, SIZED_NUMBER, index_brackets,
                       is_index_notation, matrix_only, maybe_index, printed_block,
                       printed_identity, printed_subscript, python_readable)
from ..core.graph_walk import tensors_of

MAX_LENGTH = 10_000   # characters; longer formulas are refused before parsing
MAX_DEPTH = 100       # nesting of operations (a chain of one operator counts once)

_GROUP = {ast.Add: "+", ast.Sub: "+", ast.Mult: "*", ast.Div: "*", ast.MatMult: "@"}
_PYOP = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
         ast.Div: operator.truediv, ast.Pow: operator.pow, ast.MatMult: operator.matmul}
_DESCRIBE = {ast.Lambda: "a lambda", ast.ListComp: "a comprehension", ast.SetComp:
             "a comprehension", ast.DictComp: "a comprehension", ast.GeneratorExp:
             "a comprehension", ast.JoinedStr: "an f-string", ast.FormattedValue: "an f-string",
             ast.Starred: "a starred argument", ast.Slice: "a slice", ast.Compare:
             "a comparison", ast.BoolOp: "a boolean operator", ast.IfExp: "a conditional",
             ast.NamedExpr: "an assignment", ast.Await: "await", ast.Yield: "yield", ast.List:
             "a list", ast.Dict: "a dict", ast.Set: "a set", ast.Tuple: "a tuple"}


def parse(formula: str, shapes: Mapping[str, Any] | None = None, notation: str = "auto",
          vectors: str = "column") -> Expr:
    """The expression a formula describes, read without evaluating anything.

    Args:
        formula: Python syntax (see the module docstring for the grammar and index notation),
            or textbook matrix notation (``Xᵀ (X W v − y) vᵀ``, ``X^T``, ``inv(X)``; see
            :mod:`indexcalc.formula.matrix_reader`).
        shapes: ``{"X": "n d", ...}``: each tensor's shape (a string, a tuple of dimensions, or
            an ``ic.Tensor`` of that name, e.g. a symmetric one), or an expression the name
            stands for (a named subexpression). Python notation declares the tensors it omits
            by their first subscripted use, ``X[n,d]``.
        notation: ``"python"``, ``"matrix"``, ``"index"`` or ``"auto"``: the index notation
            ``str(expr)`` prints (``Σ_d X[n,d] W[d,h]``; see
            :mod:`indexcalc.formula.index_reader`) when the formula holds ``Σ``, ``↦`` or ``δ``,
            a ``where`` line ``z1[i,j] = …``, or index names in brackets that Python cannot read
            (``x[i] y[i]``, and Python's refusals); matrix notation when it
            holds a character only that uses (``ᵀ ⁻ ¹ ∘ ⊗ ⊘ − ^ | ·``, subscript digits) or
            starts with ``[``; Python otherwise, except that text Python cannot read (``X W``,
            ``A .* B``) is tried as matrix notation (when that fails too, Python's error is
            reported). In matrix notation ``*`` is the matrix product; in Python, the
            elementwise one.
        vectors: in matrix notation, ``"column"`` (a declared vector is a column) or ``"row"``.

    Returns:
        The expression; an indexed result has its free letters as axes, in first-seen order.

    Raises:
        ParseError: bad syntax or anything outside the grammar, with a caret under the culprit.
        ShapeError: dimensions that disagree (also located in the formula).

    Examples:
        >>> import indexcalc as ic
        >>> ic.parse("A[i,j] * x[j]").shape
        ('i',)
        >>> print(ic.parse("sum(x[i] * y[i] * z[i], i)"))
        Σ_i x[i] y[i] z[i]
        >>> ic.parse("X^T X", {"X": "n d"}).shape
        ('d', 'd')
        >>> X, W = ic.tensors("X[n,d] W[d,h]")
        >>> ic.parse(str(X.T @ X @ W), {"X": X, "W": W}).shape   # index notation reads back
        ('d', 'h')
    """
    return read_oriented(formula, shapes, notation, vectors)[0]


def read_oriented(formula: Any, shapes: Mapping[str, Any] | None = None, notation: str = "auto",
                  vectors: str = "column") -> tuple[Expr, tuple]:
    """:func:`parse`, and the value's orientation ``(rows, cols)`` as written (``None`` an
    absent axis; a Python formula's vector is a column, or a row with ``vectors="row"``)."""
    if not isinstance(notation, str) or notation not in ("auto", "python", "matrix", "index"):
        raise ParseError(f"parse: notation must be 'auto', 'python', 'matrix' or 'index', got "
                         f"{notation!r:.40}")
    if not isinstance(vectors, str) or vectors not in ("column", "row"):
        raise ParseError(f"parse: vectors must be 'column' or 'row', got {vectors!r:.40}")
    _checked_shapes(shapes)
    if notation == "index" or notation == "auto" and is_index_notation(formula):
        try:
            return _oriented(read_index(formula, shapes), vectors)
        except IndexcalcError:   # a tensor declared δ or Σ reads as Python's, as before
            if notation == "index" or not {str(k) for k in shapes or {}} & {"Σ", "δ"} \
                    or not python_readable(formula):   # undeclared: index notation's δ
                raise
            with contextlib.suppress(IndexcalcError):
                return _oriented(_Reader(formula, shapes).read(), vectors)
            raise
    if notation == "matrix" or notation == "auto" and matrix_only(formula) and \
            not index_brackets(formula):   # index names in brackets: never matrix notation
        return read_matrix(formula, shapes, vectors)
    if notation == "python":
        return _oriented(_Reader(formula, shapes).read(), vectors)
    return _auto(formula, shapes, vectors)


def _auto(formula: Any, shapes: Any, vectors: str) -> tuple[Expr, tuple]:
    """The readings left to ``notation="auto"``: for text Python does not read, index notation
    (``2 -0.5`` is a product there), then matrix notation (``X W``); then Python, and after
    Python's refusal index notation for text that may be printed index notation (index names in
    brackets, a printed function like ``σ``: ``softplus(x[::-1][a])``), matrix notation for
    a call only it reads or a printed slice, and no Python operator (a printed ``tr(C)``,
    ``softplus(x[::-1])``; beside ``*``, another product there, it is never tried). When none
    reads it, Python's error says why, with index notation's where it was tried."""
    maybe = maybe_index(formula)
    errors = []
    if not python_readable(formula):
        readers = [lambda: _oriented(read_index(formula, shapes), vectors)]
        if not index_brackets(formula):   # index names in brackets: never matrix notation
            readers.append(lambda: read_matrix(formula, shapes, vectors))
        for read in readers:
            try:
                return read()
            except IndexcalcError as e:
                errors.append(e)
    try:
        return _oriented(_Reader(formula, shapes).read(), vectors)
    except IndexcalcError as e:
        if not PYTHON_PRODUCT.search(str(formula)) and (
                not maybe and ONLY_MATRIX_CALL.search(str(formula))
                or (printed_subscript(formula) or SIZED_NUMBER.search(str(formula))
                    or printed_identity(formula, shapes) or printed_block(formula))
                and not index_brackets(formula)):
            with contextlib.suppress(IndexcalcError):
                return read_matrix(formula, shapes, vectors)
        if not maybe:
            raise
        error = e
    if not errors:
        try:   # an entry (B[0, 1]) is a scalar; X[0], a row, is matrix notation's (below)
            if (expr := read_index(formula, shapes)).ndim == 0 or maybe_index(formula, False):
                return _oriented(expr, vectors)
        except IndexcalcError as e:
            errors.append(e)
    if python_readable(formula) and not index_brackets(formula) and \
            not PYTHON_PRODUCT.search(formula):   # a printed σ(B), s + σ(sum(y)): a matrix form's
        with contextlib.suppress(IndexcalcError):
            return read_matrix(formula, shapes, vectors)
    if not errors or PYTHON_OPERATOR.search(formula):   # Python's formula: its error alone
        raise error
    raise _with_index_reason(error, errors[0]) from None


def _with_index_reason(error: IndexcalcError, index: IndexcalcError) -> IndexcalcError:
    out = type(error)(f"{error}\n(as index notation: {str(index).splitlines()[0]})")
    out.position = getattr(error, "position", None)
    return out


def _oriented(expr: Expr, vectors: str) -> tuple[Expr, tuple]:
    shape = expr.shape
    if len(shape) == 1:
        return expr, ((shape[0], None) if vectors == "column" else (None, shape[0]))
    return expr, (tuple(shape) if len(shape) == 2 else (None, None) if not shape else shape)


def formula_and_variable(f: Any, x: Any,
                         shapes: Mapping[str, Any] | None = None) -> tuple[Any, Any]:
    """``diff``/``grad`` arguments given as strings: parse ``f``; find ``x`` among its tensors."""
    _checked_shapes(shapes)
    if isinstance(f, str):
        f = parse(f, shapes)
    if isinstance(x, str):
        found = {t.name: t for t in tensors_of(f)} if isinstance(f, Expr) else {}
        name = x.strip()
        if name in found:
            x = found[name]
        elif shapes and name in shapes:
            x = stands_for(name, shapes[name])
        else:
            have = ", ".join(sorted(found)) or "none"
            raise ParseError(f"the variable {x!r} is not a tensor of the function (its tensors: "
                             f"{have}); declare its shape to get an exact zero")
    return f, x


def _checked_shapes(shapes: Any) -> None:
    if shapes is not None and not isinstance(shapes, Mapping):
        raise ParseError(f"parse: shapes must be a dict like {{'X': 'n d'}}, got {shapes!r:.60}")


class _Reader:
    def __init__(self, formula: Any, shapes: Mapping[str, Any] | None):
        if not isinstance(formula, str):
            raise ParseError(f"parse: expected a formula string, got {type(formula).__name__}")
        _checked_shapes(shapes)
        self.formula = formula.strip()
        self.tensors = {str(k): stands_for(str(k), v) for k, v in (shapes or {}).items()}
        self.bound: list[frozenset] = []   # letters of the enclosing sum(expr, i, ...) calls

    def read(self) -> Expr:
        if len(self.formula) > MAX_LENGTH:
            raise ParseError(f"parse: the formula is {len(self.formula)} characters long; the "
                             f"limit is {MAX_LENGTH}")
        try:
            tree = ast.parse(self.formula, mode="eval")
        except SyntaxError as e:
            raise self._syntax_error(e) from None
        except (RecursionError, MemoryError, ValueError, OverflowError) as e:
            raise ParseError(f"parse: the formula is too long or too deeply nested to read "
                             f"({type(e).__name__})") from None
        self._check_depth(tree.body)
        self._declare_inline(tree.body)
        return arithmetic.as_expr(self.positional(self.value(tree.body), tree.body))

    def error(self, node: ast.AST, message: str, cls: type = ParseError) -> IndexcalcError:
        """``cls`` with the formula and a caret under ``node`` appended to ``message``."""
        lines = self.formula.splitlines() or [""]
        row = min(max(getattr(node, "lineno", 1), 1), len(lines))
        line = lines[row - 1]
        raw = line.encode()
        col = len(raw[:getattr(node, "col_offset", 0)].decode(errors="ignore"))
        end = getattr(node, "end_col_offset", None)
        if end is not None and getattr(node, "end_lineno", row) == row:
            end = len(raw[:end].decode(errors="ignore"))
        else:
            end = len(line)
        where = f"line {row}, column {col + 1}" if len(lines) > 1 else f"column {col + 1}"
        start = max(0, col - 30) if len(line) > 80 else 0   # a window around a long line's culprit
        stop = min(len(line), max(end, col + 1) + 30, start + 80) if len(line) > 80 else len(line)
        shown = ("..." if start else "") + line[start:stop] + ("..." if stop < len(line) else "")
        pad = col - start + (3 if start else 0)
        width = max(min(end, stop) - col, 1)
        err = cls(f"{message} (at {where})\n    {shown}\n    {' ' * pad}{'^' * width}")
        err.position = (row, col)
        return err

    def _syntax_error(self, e: SyntaxError) -> ParseError:
        lines = self.formula.splitlines() or [""]
        row = min(max(e.lineno or 1, 1), len(lines))
        col = len(lines[row - 1][:max((e.offset or 1) - 1, 0)].encode())
        where = ast.Constant(None, lineno=row, col_offset=col, end_lineno=row,
                             end_col_offset=col + 1)
        return self.error(where, f"invalid syntax: {e.msg}")

    def _check_depth(self, root: ast.AST) -> None:
        stack = [(root, 1, None)]
        while stack:
            node, depth, parent_group = stack.pop()
            group = _GROUP.get(type(node.op)) if isinstance(node, ast.BinOp) else None
            depth += 0 if group is not None and group == parent_group else 1
            if depth > MAX_DEPTH:
                raise self.error(node, f"the formula is nested more than {MAX_DEPTH} levels deep")
            stack.extend((c, depth, group) for c in ast.iter_child_nodes(node))

    def _declare_inline(self, root: ast.AST) -> None:
        uses = [n for n in ast.walk(root) if isinstance(n, ast.Subscript)
                and isinstance(n.value, ast.Name) and n.value.id not in self.tensors]
        for node in sorted(uses, key=lambda n: (n.lineno, n.col_offset)):
            if node.value.id not in self.tensors and node.value.id not in FUNCTIONS:
                letters = self.letters(node)
                try:
                    self.tensors[node.value.id] = Tensor(node.value.id, letters)
                except IndexcalcError as e:
                    raise self.error(node, str(e), type(e)) from None

    def value(self, node: ast.AST) -> Any:
        """A float, an ``Expr`` or an ``Indexed`` for ``node``; errors located at ``node``."""
        handler = _VISIT.get(type(node))
        if handler is None:
            what = _DESCRIBE.get(type(node), f"'{type(node).__name__}' syntax")
            raise self.error(node, f"{what} is not allowed in a formula")
        try:
            return handler(self, node)
        except IndexcalcError as e:
            if getattr(e, "position", None) is not None:
                raise
            raise self.error(node, str(e), type(e)) from None

    def close(self, v: Any, node: ast.AST) -> Any:
        """An ``Indexed`` with its repeated letters summed (a product of one factor)."""
        if isinstance(v, Indexed) and len(set(v.letters)) != len(v.letters):
            return self.einstein([(v.expr, v.letters, node)], 1.0, node)
        return v

    def positional(self, v: Any, node: ast.AST) -> Any:
        v = self.close(v, node)
        return v.expr if isinstance(v, Indexed) else v

    def einstein(self, items: list, coef: float, node: ast.AST) -> Indexed:
        """The product of indexed factors ``(expr, letters, node)``: letters twice are summed."""
        bound = frozenset().union(*self.bound)
        count: Counter = Counter()
        dims: dict[str, Any] = {}
        for expr, letters, where in items:
            for axis, letter in enumerate(letters):
                d = expr.shape[axis]
                if letter in dims and not dims_equal(dims[letter], d):
                    raise self.error(where, f"index {letter!r} has dimension {d} here but "
                                            f"{dims[letter]} earlier in the product", ShapeError)
                dims.setdefault(letter, d)
                count[letter] += 1
                if count[letter] == 3 and letter not in bound:
                    raise self.error(where, f"index {letter!r} appears three times in one "
                                            f"product; write sum(..., {letter}) to sum it "
                                            "explicitly")
        out = tuple(l for l in count if count[l] == 1 or l in bound)
        return Indexed(product([(e, ls) for e, ls, _ in items], out, dims, coef), out)

    def letters(self, node: ast.Subscript) -> tuple[str, ...]:
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for e in elts:
            if not isinstance(e, ast.Name):
                what = _DESCRIBE.get(type(e), "an integer index" if isinstance(e, ast.Constant)
                                     else f"'{type(e).__name__}'")
                raise self.error(e, f"{what} in a subscript: index notation takes letters, "
                                    "like X[n,d]")
        return tuple(e.id for e in elts)

    def number(self, node: ast.AST, op: Callable, a: float, b: float) -> float:
        try:
            r = op(a, b)
        except OverflowError:
            raise self.error(node, "the number is too large to compute") from None
        except ZeroDivisionError:
            raise self.error(node, "division by zero") from None
        if not isinstance(r, float) or not math.isfinite(r):
            raise self.error(node, f"the number is not a finite real ({r!r:.40})")
        return r


def _constant(r: _Reader, node: ast.Constant) -> float:
    v = node.value
    written = ast.get_source_segment(r.formula, node) or ""
    if SIZED_NUMBER.fullmatch(written):   # Python's 13 is matrix notation's vector 1_3
        raise r.error(node, f"{written} is a vector of {'ones' if written[0] == '1' else 'zeros'} "
                            f"of size {written[2:]} in matrix notation; write {v} for the number")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise r.error(node, f"{type(v).__name__} literal {v!r:.30} is not allowed here (strings "
                            "go only in einsum's subscripts and keyword values)")
    try:
        f = float(v)
    except OverflowError:
        raise r.error(node, "the number is too large") from None
    if not math.isfinite(f):
        raise r.error(node, "the number is not finite")
    return f


def _name(r: _Reader, node: ast.Name) -> Expr:
    if node.id in r.tensors:
        return r.tensors[node.id]
    if node.id in FUNCTIONS or node.id in ELEMENTWISE or node.id == "sum":
        raise r.error(node, f"{node.id!r} is a function; call it, like {node.id}(X)")
    raise r.error(node, f"unknown tensor {node.id!r}: declare it with shapes={{{node.id!r}: "
                        f"'n d'}} or inline on first use, like {node.id}[n,d]")


def _unary(r: _Reader, node: ast.UnaryOp) -> Any:
    if not isinstance(node.op, (ast.USub, ast.UAdd)):
        raise r.error(node, f"operator {type(node.op).__name__} is not allowed")
    v = r.close(r.value(node.operand), node.operand)
    if isinstance(node.op, ast.UAdd):
        return v
    if isinstance(v, Indexed):
        return Indexed(arithmetic.neg(v.expr), v.letters)
    return -v


def _binop(r: _Reader, node: ast.BinOp) -> Any:
    group = _GROUP.get(type(node.op))
    if group is None and not isinstance(node.op, ast.Pow):
        raise r.error(node, f"operator {type(node.op).__name__} is not allowed")
    if isinstance(node.op, ast.Pow):
        return _power(r, node)
    # a chain of one operator group: leaves read (recursively, depth-checked), inner nodes
    # combined iteratively, so a long chain never nests Python calls
    leaves, inner, stack = {}, [], [(node, False)]
    while stack:
        n, inverted = stack.pop()
        if isinstance(n, ast.BinOp) and _GROUP.get(type(n.op)) == group:
            inner.append(n)
            stack.append((n.right, inverted != isinstance(n.op, ast.Div)))
            stack.append((n.left, inverted))
        else:
            leaves[id(n)] = (n, r.value(n), inverted)
    if group == "*" and any(isinstance(v, Indexed) for _, v, _ in leaves.values()):
        return _einstein_chain(r, node, list(leaves.values()))
    vals = {k: v for k, (_, v, _) in leaves.items()}
    for n in reversed(inner):   # children before parents
        vals[id(n)] = _combine(r, n, vals.pop(id(n.left)), vals.pop(id(n.right)))
    return vals[id(node)]


def _combine(r: _Reader, node: ast.BinOp, a: Any, b: Any) -> Any:
    op = _PYOP[type(node.op)]
    if isinstance(a, float) and isinstance(b, float):
        if isinstance(node.op, ast.MatMult):
            raise r.error(node, "@ needs tensors, not numbers")
        return r.number(node, op, a, b)
    if isinstance(a, Indexed) or isinstance(b, Indexed):
        a, b = r.close(a, node.left), r.close(b, node.right)
        if isinstance(node.op, ast.MatMult):
            return op(r.positional(a, node.left), r.positional(b, node.right))
        return _indexed_add(r, node, a, b, op)
    try:
        return op(a, b)
    except IndexcalcError as e:
        raise r.error(node, str(e), type(e)) from None


def _is_scalar(v: Any) -> bool:
    return isinstance(v, float) or isinstance(v, Expr) and v.ndim == 0


def _indexed_add(r: _Reader, node: ast.BinOp, a: Any, b: Any, op: Callable) -> Indexed:
    for v, side in ((a, node.left), (b, node.right)):
        if not isinstance(v, Indexed) and not _is_scalar(v):
            raise r.error(side, f"a positional tensor of shape {format_shape(v.shape)} is mixed "
                                "with index notation; index it, like X[n,d]")
    if isinstance(a, Indexed) and isinstance(b, Indexed):
        if set(a.letters) != set(b.letters):
            raise r.error(node.right, f"this term has free indices ({','.join(b.letters)}) but "
                                      f"the terms before it ({','.join(a.letters)})", ShapeError)
        return Indexed(op(a.expr, axes.transpose(b.expr, [b.letters.index(l) for l in a.letters])),
                       a.letters)
    if isinstance(a, Indexed):
        return Indexed(op(a.expr, b), a.letters)
    return Indexed(op(a, b.expr), b.letters)


def _einstein_chain(r: _Reader, node: ast.BinOp, leaves: list) -> Indexed:
    coef, items = 1.0, []
    for n, v, inverted in leaves:
        if isinstance(v, float):
            coef = r.number(n, operator.truediv if inverted else operator.mul, coef, v)
            continue
        if not isinstance(v, Indexed) and not _is_scalar(v):
            raise r.error(n, f"a positional tensor of shape {format_shape(v.shape)} in a product "
                             "of indexed factors; index it, like X[n,d]")
        expr, letters = (v.expr, v.letters) if isinstance(v, Indexed) else (v, ())
        if inverted:
            if len(set(letters)) != len(letters):
                v = r.close(v, n)
                expr, letters = v.expr, v.letters
            expr = arithmetic.power(expr, -1.0)
        items.append((expr, letters, n))
    return r.einstein(items, coef, node)


def _power(r: _Reader, node: ast.BinOp) -> Any:
    a = r.close(r.value(node.left), node.left)
    b = r.positional(r.value(node.right), node.right)
    if isinstance(a, float) and isinstance(b, float):
        return r.number(node, operator.pow, a, b)
    if isinstance(a, Indexed):
        if not isinstance(b, float):
            raise r.error(node.right, "the exponent of an indexed value must be a number")
        return Indexed(arithmetic.power(a.expr, b), a.letters)
    return _combine(r, node, a, b)


def _attribute(r: _Reader, node: ast.Attribute) -> Expr:
    if node.attr != "T":
        raise r.error(node, "attribute access is not allowed (only .T)")
    v = r.positional(r.value(node.value), node.value)
    if isinstance(v, float):
        raise r.error(node, ".T needs a tensor")
    return axes.transpose(v)


def _subscript(r: _Reader, node: ast.Subscript) -> Any:
    index = _basic_index(node.slice)
    if index is not _LETTERS:   # x[::-1], X[0][1], x[:, None]: NumPy's basic indexing, as the
        v = r.positional(r.value(node.value), node.value)   # text means to a NumPy reader
        if isinstance(v, float):
            raise r.error(node, "a number has no entries to index", ShapeError)
        return v[index]
    letters = r.letters(node)
    v = r.positional(r.value(node.value), node.value)
    if isinstance(v, float) or len(letters) != v.ndim:
        shape = "a number" if isinstance(v, float) else f"shape {format_shape(v.shape)}"
        raise r.error(node, f"{len(letters)} index letters for a value of {shape}", ShapeError)
    return Indexed(v, letters)


_LETTERS = object()   # a subscript of index letters (or of anything but a basic index)


def _basic_index(node: ast.AST) -> Any:
    """The NumPy basic index (ints, slices, ``None``) a subscript writes, or ``_LETTERS`` for
    any other subscript (index notation's letters; refused where malformed, ``...`` too)."""
    if isinstance(node, ast.Tuple):
        parts = [_basic_index(e) for e in node.elts]
        return _LETTERS if not parts or _LETTERS in parts else tuple(parts)
    if isinstance(node, ast.Slice):
        parts = [None if p is None else _whole(p) for p in (node.lower, node.upper, node.step)]
        return _LETTERS if _LETTERS in parts else slice(*parts)
    if isinstance(node, ast.Constant) and node.value is None:
        return None
    return _whole(node)


def _whole(node: ast.AST) -> Any:
    """A whole number as written, ``3`` or ``-1``; ``_LETTERS`` for anything else."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        sign, node = -1, node.operand
    ok = isinstance(node, ast.Constant) and type(node.value) is int
    return sign * node.value if ok else _LETTERS


_VISIT: dict[type, Callable] = {
    ast.Constant: _constant, ast.Name: _name, ast.UnaryOp: _unary, ast.BinOp: _binop,
    ast.Attribute: _attribute, ast.Subscript: _subscript, ast.Call: read_call,
}
