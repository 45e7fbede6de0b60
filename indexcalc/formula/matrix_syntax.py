"""Matrix notation's syntax: text such as ``Xᵀ (X W v − y) vᵀ`` read into a small tree.

The tree's nodes are :class:`Node` tuples ``(kind, args, span)``; :mod:`.matrix_shapes` gives
every node a shape and :mod:`.matrix_reader` builds the expression. Grammar, loosest first::

    sum      := ["−"] product (("+" | "−") product)*
    product  := postfix (("∘" | "⊗" | "⊘" | "*" | "@" | ".*" | "./" | juxtaposition) postfix)*
    postfix  := atom ("ᵀ" | "'" | "⁻¹" | "⁻ᵀ" | "^T" | "^-1" | "^∘p" | "^p")*   (^p: p whole for a
                matrix power; any number for a scalar's power)
    atom     := number | name | name[slice] | I | I_n | I_n[slice] | 1 | 1_n | 0 | 0_n | K_(m,n)
              | f(sum, ...)
             | unvec_(m,n)(sum)
              | 𝟙 | 1_m 1_nᵀ | 0_m 0_nᵀ   (an m × n matrix of ones, of zeros)
              | "(" sum ")" | "[" sum ("," sum)* (";" ...)* "]" | "log|det(" sum ")|"

All product operators bind alike, left to right (``A B ∘ C`` is ``(A B) ∘ C``), as indexcalc
prints them: it parenthesizes a product inside another kind of product.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from typing import Any

from ..errors import ParseError

MAX_LENGTH = 10_000
MAX_DEPTH = 100

#: Characters only matrix notation uses (``ic.parse`` reads a formula holding one as matrix
#: notation); ``^`` is no operator of Python formulas either.
MATRIX_ONLY = frozenset("ᵀ⁻¹∘⊗⊘−^₀₁₂₃₄₅₆₇₈₉·|𝟙⁰²³⁴⁵⁶⁷⁸⁹")

_SUB = "₀₁₂₃₄₅₆₇₈₉"
_FROM_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SUPER = "[ᵀ⁰¹²³⁴⁵⁶⁷⁸⁹]"
_DIM = r"(?:(?!" + _SUPER + r")[^\W_])+"
_DIMS = _DIM + r"(?:[·*]" + _DIM + ")*"
_NUMBER = r"[-−]?\s*(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<sized>[01]_(?:\(\w+(?:[·*]\w+)*\)|""" + _DIMS + r"""))
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<inverse_t>⁻ᵀ)
  | (?P<inverse>⁻¹)
  | (?P<ascii_post>\^\s*(?:T\b|\{\s*T\s*\}|\(\s*-\s*1\s*\)|\{\s*-\s*1\s*\}|-\s*1(?![\d.])))
  | (?P<hpow>\^\s*∘\s*(?:\(\s*""" + _NUMBER + r"""\s*\)|""" + _NUMBER + r"""))
  | (?P<mpow>\^\s*(?:\(\s*\d+\s*\)|\d+)(?![\d.eE]))
  | (?P<npow>\^\s*(?:\(\s*""" + _NUMBER + r"""\s*\)|""" + _NUMBER + r"""))
  | (?P<spow>[⁰¹²³⁴⁵⁶⁷⁸⁹]+)
  | (?P<rpow>\^\s*∘)
  | (?P<rpow_scalar>\^(?=\s*[(\w]))
  | (?P<identity>I_(?:\(\w+(?:[·*]\w+)*\)|""" + _DIMS + r"""))
  | (?P<commutation>K_\(\s*\w+(?:[·*]\w+)*\s*,\s*\w+(?:[·*]\w+)*\s*\))
  | (?P<unvec>unvec(?:_row)?_\(\s*\w+(?:[·*]\w+)*\s*,\s*\w+(?:[·*]\w+)*\s*\)(?=\())
  | (?P<name>(?:(?!""" + _SUPER + r""")[^\W\d])(?:(?!""" + _SUPER + r""")\w|[""" + _SUB + r"""])*(?:'(?=\())?)
  | (?P<op>\.\*|\./|[-−+*@∘⊗⊘ᵀ'(),;:\[\]=|]|\n)
""", re.VERBOSE)


_INDEX_NOTATION = "Σ↦δ"
#: A where line of index notation, ``z1[i,j] = …`` (a matricized block's shared pieces).
INDEX_DEFINITION = re.compile(r"\s*[^\W\d]\w*\[[^\]]*\]\s*=")
#: Why an explicit block of a printed form is refused.
EXPLICIT = ("index notation (Σ, ↦, δ) is matrix notation only inside an explicit block, "
            "[ … ]_(i,j) or mat_col[i j | k l](…): read an index-notation formula with "
            "notation='index', like Σ_d X[n,d] W[d,h]")


@dataclass(frozen=True)
class Node:
    """A node of the tree: ``kind`` (``name``, ``number``, ``ones``, ``zero``, ``ones_matrix``,
    ``zero_matrix``, ``identity``, ``commutation``, ``slice``, ``T``, ``inv``, ``hpow``, ``mpow``,
    ``npow``, ``matmul``, ``hadamard``, ``hdiv``, ``kron``, ``add``, ``call``, ``block``,
    ``logdet``), its ``args`` and its ``span`` (start, end) in the text; ``halves``, where a
    matrix of ones written ``1 1ᵀ`` has its two vectors (their starts)."""

    kind: str
    args: tuple
    span: tuple[int, int]
    halves: tuple = ()


def _closing(text: str, pos: int, stop: int, pair: str) -> int:
    """The position after the bracket ``pair[1]`` that closes the one at ``pos`` (-1: none)."""
    depth = 0
    for k in range(pos, stop):
        depth += (text[k] == pair[0]) - (text[k] == pair[1])
        if depth == 0:
            return k + 1
    return -1


def explicit_end(text: str, pos: int, stop: int) -> int:
    """Where a printed explicit block starting at ``pos`` ends (-1: none starts there): a
    matricized tensor ``mat_col[i j | k](…)``, or ``[ … ]_(i,j)`` (``[ … ]`` for a number)
    whose inside is index notation, with its ``with ζ1[m] = …`` pieces to the end of the line."""
    if text.startswith(("mat_col[", "mat_row["), pos):
        head = _closing(text, pos + 7, stop, "[]")
        return -1 if head < 0 or text[head:head + 1] != "(" else _closing(text, head, stop, "()")
    if text[pos:pos + 1] != "[":
        return -1
    end = _closing(text, pos, stop, "[]")
    if end < 0:
        return -1
    if text.startswith("_(", end):
        end = _closing(text, end + 1, stop, "()")
    elif not re.search(r"[Σ↦δ]|\w\[(?!None\b)[^\W\d]", text[pos + 1:end - 1]):
        return -1   # a block matrix [A, B; C, D], [S[None, 0, :] A; …] (None: a new axis)
    if end > 0 and text.startswith(" with ", end):
        line = text.find("\n", end, stop)
        end = stop if line < 0 else line
    return end


def tokens(text: str, start: int = 0, stop: int | None = None) -> list[tuple[str, str, int]]:
    """``(kind, text, position)`` for each token of ``text[start:stop]``; spaces dropped."""
    out, pos, stop = [], start, len(text) if stop is None else stop
    while pos < stop:
        end = explicit_end(text, pos, stop)
        if end > 0:   # its inside is index notation: read whole by the index reader
            out.append(("explicit", text[pos:end], pos))
            pos = end
            continue
        m = _TOKEN.match(text, pos, stop)
        if m is None and text[pos] in _INDEX_NOTATION:
            raise located(text, (pos, pos + 1), EXPLICIT)
        if m is None:
            raise located(text, (pos, pos + 1), f"unexpected character {text[pos]!r}")
        kind = m.lastgroup
        if kind != "space":
            out.append((kind, m.group(), pos))
        pos = m.end()
    return out


def located(text: str, span: tuple[int, int], message: str, cls: type = ParseError) -> Any:
    """``cls`` with ``message`` and a caret under ``span`` of ``text`` (its line)."""
    start = text.rfind("\n", 0, span[0]) + 1
    stop = text.find("\n", span[0])
    stop = len(text) if stop < 0 else stop
    line = text[start:stop]
    col = span[0] - start
    width = max(1, min(span[1], stop) - span[0])
    row = text.count("\n", 0, span[0]) + 1
    where = f"line {row}, column {col + 1}" if "\n" in text else f"column {col + 1}"
    err = cls(f"{message} (at {where})\n    {line}\n    {' ' * col}{'^' * width}")
    err.position = (row, col)
    return err


_PRODUCT_OPS = {"∘": "hadamard", ".*": "hadamard", "⊗": "kron", "⊘": "hdiv", "./": "hdiv",
                "*": "matmul", "@": "matmul"}
_STARTS_ATOM = {"number", "name", "identity", "commutation", "unvec", "sized", "explicit"}


class Descent:
    """What a recursive-descent reader of one formula needs around its grammar: the tokens
    (``(kind, text, position)``), a cursor, the nesting depth (limited) and errors located with
    a caret. The matrix and index notation readers share it."""

    def __init__(self, text: str, toks: list):
        self.text = text
        self.toks = toks
        self.i = 0
        self.depth = 0

    def peek(self, k: int = 0) -> tuple[str, str, int] | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def at(self, *texts: str) -> bool:
        t = self.peek()
        return t is not None and t[0] == "op" and t[1] in texts

    def take(self, text: str, what: str) -> tuple:
        t = self.peek()
        if t is None or t[1] != text:
            raise self.error(t, f"expected {text!r} {what}")
        self.i += 1
        return t

    def error(self, tok: tuple | None, message: str) -> ParseError:
        if tok is None:
            end = len(self.text.rstrip())
            return located(self.text, (end, end + 1), message + ", found the end of the formula")
        return located(self.text, (tok[2], tok[2] + len(tok[1])), message)

    def number(self, tok: tuple, text: str | None = None) -> float:
        """The number token ``tok`` spells (or ``text``, its digits); an overflow (``1e999``) is
        refused, as Python's notation refuses it, not read as inf."""
        value = float(tok[1] if text is None else text)
        if not math.isfinite(value):
            raise self.error(tok, f"the number {(text or tok[1]).strip():.40} is not finite")
        return value

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(self.peek(), f"the formula is nested more than {MAX_DEPTH} levels "
                                          "deep")

    def formula(self) -> Node:
        node = self.sum()
        t = self.peek()
        if t is not None:
            raise self.error(t, f"unexpected {t[1]!r}")
        return node


class Parser(Descent):
    """A recursive-descent reader of one formula of matrix notation (depth-limited)."""

    def __init__(self, text: str, start: int = 0, stop: int | None = None):
        super().__init__(text, tokens(text, start, stop))

    # ------------------------------------------------------------------ grammar

    def sum(self) -> Node:
        self._enter()
        start = self.peek()
        terms = []
        sign = 1.0
        if self.at("-", "−", "+"):
            sign = -1.0 if self.peek()[1] != "+" else 1.0
            self.i += 1
        terms.append((sign, self.product()))
        while self.at("-", "−", "+"):
            sign = 1.0 if self.peek()[1] == "+" else -1.0
            self.i += 1
            terms.append((sign, self.product()))
        self.depth -= 1
        if len(terms) == 1 and terms[0][0] == 1.0:
            return terms[0][1]
        return Node("add", tuple(terms), (start[2] if start else 0, terms[-1][1].span[1]))

    def _juxtaposed(self) -> bool:
        t = self.peek()
        return t is not None and (t[0] in _STARTS_ATOM or t[0] == "op" and t[1] in ("(", "["))

    def product(self) -> Node:
        node = self.postfix()
        while True:
            t = self.peek()
            if t is not None and t[0] == "op" and t[1] in _PRODUCT_OPS:
                self.i += 1
                kind = _PRODUCT_OPS[t[1]]
            elif self._juxtaposed():
                kind = "matmul"
            else:
                return node
            right = self.postfix()
            if kind == "matmul" and node.kind in ("ones", "zero") and right.kind == "T" \
                    and right.args[0].kind == node.kind:   # 1 1ᵀ, 0_m 0_nᵀ: a matrix of ones
                node = _outer(node, right.args[0], (node.span[0], right.span[1]))
                continue
            node = Node(kind, (node, right), (node.span[0], right.span[1]))

    def postfix(self) -> Node:
        node = self.atom()
        while (t := self.peek()) is not None:
            span = (node.span[0], t[2] + len(t[1]))
            if t[0] == "op" and t[1] in ("ᵀ", "'") or t[0] == "ascii_post" and "T" in t[1]:
                node = Node("T", (node,), span)
            elif t[0] in ("inverse", "ascii_post"):
                node = Node("inv", (node,), span)
            elif t[0] == "inverse_t":
                node = Node("T", (Node("inv", (node,), span),), span)
            elif t[0] == "hpow":
                p = self.number(t, re.sub(r"[\s^∘()]", "", t[1]).replace("−", "-"))
                node = Node("hpow", (node, p), span)
            elif t[0] == "mpow":
                node = Node("mpow", (node, int(re.sub(r"[\s^()]", "", t[1]))), span)
            elif t[0] == "npow":   # s^-0.5: a number's power (what indexcalc prints for a scalar)
                p = self.number(t, re.sub(r"[\s^()]", "", t[1]).replace("−", "-"))
                node = Node("npow", (node, p), span)
            elif t[0] == "spow":   # S⁵: what indexcalc prints for a run of one matrix
                node = Node("mpow", (node, int(t[1].translate(_FROM_SUPER))), span)
            elif t[1] == "[" and t[2] == _end(self.toks[self.i - 1]):   # X[0][1], (A B)[0]
                raise self.error(t, "a subscript follows a name only (X[0, 1], not X[0][1] or "
                                    "(A B)[0]); a block matrix that multiplies takes a space "
                                    "before it")
            elif t[0] in ("rpow", "rpow_scalar"):   # 2^∘v: a number's power of each entry of
                self.i += 1                          # v; 1.5^(x), of a number x, as printed
                exponent = self.atom()
                if node.kind != "number":
                    raise self.error(t, "b^∘x takes a number b (x^∘p for a power of x)")
                node = Node("rpow", (exponent, node.args[0], t[0] == "rpow_scalar"),
                            (node.span[0], exponent.span[1]))
                continue
            else:
                return node
            self.i += 1
        return node

    def atom(self) -> Node:
        t = self.peek()
        if t is None:
            raise self.error(t, "expected a value")
        kind, text, pos = t
        span = (pos, pos + len(text))
        self.i += 1
        if kind == "number" and text == "𝟙":   # a matrix of ones, as indexcalc prints 1 1ᵀ
            return Node("ones_matrix", (), span)
        if kind == "number":
            if text == "1":
                return Node("ones", (), span)
            if text == "0":
                return Node("zero", (), span)
            return Node("number", (self.number(t),), span)
        if kind == "sized":   # 1_n, 0_n: a vector of a stated size
            return Node("ones" if text[0] == "1" else "zero",
                        (text[2:].strip("()").replace("·", "*"),), span)
        if kind == "identity":
            nxt = self.peek()
            if nxt is not None and nxt[2] == span[1] and self.at("["):   # I_3[0, :]: its rows
                return self._slice(text, span)
            return Node("identity", (text[2:].strip("()").replace("·", "*"), text), span)
        if kind == "commutation":
            m, n = text[3:-1].replace("·", "*").split(",")
            return Node("commutation", (m.strip(), n.strip()), span)
        if kind == "name":
            return self._named(text, span)
        if kind == "unvec":   # unvec_(m,n)(u): the m × n matrix whose vec is u, its shape stated
            name, _, dims = text.partition("_(")
            rows, cols = (d.strip().replace("·", "*") for d in dims[:-1].split(","))
            call = self._call(name, span)
            if call.args[2]:
                raise located(self.text, call.span, f"{text} states its shape: no keywords")
            return Node("call", (name, call.args[1], (("cols", cols), ("rows", rows))), call.span)
        if kind == "explicit":
            return Node("explicit", (text,), span)
        if kind == "op" and text == "(":
            self._enter()
            inner = self.sum()
            end = self.take(")", "to close the parenthesis")
            self.depth -= 1
            return Node(inner.kind, inner.args, (pos, end[2] + 1)) if inner.kind == "add" \
                else inner
        if kind == "op" and text == "[":
            return self._block(pos)
        if kind == "op" and text in ("-", "−", "+"):   # a signed operand: a + -0.5, A (−B)
            self._enter()
            operand = self.postfix()
            self.depth -= 1
            return Node("add", ((-1.0 if text != "+" else 1.0, operand),),
                        (pos, operand.span[1]))
        self.i -= 1
        raise self.error(t, f"unexpected {text!r}: expected a value")

    def _named(self, name: str, span: tuple[int, int]) -> Node:
        if name in ("mat_col", "mat_row") or name[0] in _INDEX_NOTATION:
            raise located(self.text, span, EXPLICIT)
        if name == "log" and self.at("|"):  # log|det(X)|
            self.i += 1
            det = self.peek()
            if det is None or det[1] != "det":
                raise self.error(det, "expected det( after log|")
            self.i += 1
            self.take("(", "after log|det")
            arg = self.sum()
            self.take(")", "to close log|det(")
            end = self.take("|", "to close log|det(")
            return Node("logdet", (arg,), (span[0], end[2] + 1))
        nxt = self.peek()
        adjacent = nxt is not None and nxt[2] == span[1]  # f(x), X[0, :]; but s (x ⊗ y)
        if adjacent and self.at("("):
            return self._call(name, span)
        if adjacent and self.at("["):
            return self._slice(name, span)
        return Node("name", (name,), span)

    def _call(self, name: str, span: tuple[int, int]) -> Node:
        self.i += 1
        self._enter()
        args, keywords = [], {}
        while not self.at(")"):
            t, nxt = self.peek(), self.peek(1)
            if t is not None and t[0] == "name" and nxt is not None and nxt[1] == "=":
                self.i += 2
                negative = self.at("-", "−")
                self.i += negative
                value = self.peek()
                if value is None or value[0] != "number" or not value[1].isdigit():
                    raise self.error(value, f"{t[1]}= takes a whole number")
                self.i += 1
                keywords[t[1]] = -int(value[1]) if negative else int(value[1])
            elif keywords:
                raise self.error(t, "a positional argument after a keyword argument")
            else:
                args.append(self.sum())
            if not self.at(")"):
                self.take(",", f"between the arguments of {name}()")
        end = self.take(")", f"to close {name}(")
        self.depth -= 1
        if name in ("tril", "triu") and len(args) == 2 and "k" not in keywords:
            keywords["k"] = _whole(self, args.pop())   # tril(X, 1): the diagonal's offset
        return Node("call", (name, tuple(args), tuple(sorted(keywords.items()))),
                    (span[0], end[2] + 1))

    def _slice(self, name: str, span: tuple[int, int]) -> Node:
        start = self.peek()[2]
        depth, j = 0, self.i
        while j < len(self.toks):
            if self.toks[j][1] == "[":
                depth += 1
            elif self.toks[j][1] == "]":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j == len(self.toks):
            raise self.error(None, f"expected ']' to close {name}[")
        end = self.toks[j][2] + 1
        self.i = j + 1
        inside = self.text[start:end]
        try:
            index = _slice_value(ast.parse("_" + inside, mode="eval").body.slice)
        except (SyntaxError, ValueError):
            raise located(self.text, (start, end), f"{name}{inside}: a subscript takes "
                                                   "integers, slices (1:3, ::-1) and None "
                                                   "(index letters are Python notation)") from None
        return Node("slice", (name, self.text[span[0]:end], index), (span[0], end))

    def _block(self, pos: int) -> Node:
        self._enter()
        rows, row = [], [self.sum()]
        while not self.at("]"):
            t = self.peek()
            if t is None or t[1] not in (",", ";"):
                raise self.error(t, "expected ',', ';' or ']' in a block matrix")
            self.i += 1
            if t[1] == ";":
                rows.append(tuple(row))
                row = []
            row.append(self.sum())
        rows.append(tuple(row))
        end = self.take("]", "to close the block matrix")
        self.depth -= 1
        return Node("block", tuple(rows), (pos, end[2] + 1))


def _end(tok: tuple[str, str, int]) -> int:
    """Where a token ends: a ``[`` there is a subscript to NumPy's reader, not a factor."""
    return tok[2] + len(tok[1])


def _outer(left: Node, right: Node, span: tuple) -> Node:
    """``1_m 1_nᵀ`` (``0_m 0_nᵀ``), in either vector convention: the m × n matrix of ones (of
    zeros), its sizes those written (``None`` for one left open)."""
    sizes = (left.args[:1] or (None,)) + (right.args[:1] or (None,))
    return Node(left.kind + "_matrix", () if sizes == (None, None) else sizes, span,
                (left.span[0], right.span[0]))


def _whole(p: Parser, node: Node) -> int:
    """A whole number written as a formula (``1``, ``−2``)."""
    if node.kind in ("ones", "zero") and not node.args:
        return 1 if node.kind == "ones" else 0
    if node.kind == "number" and float(node.args[0]).is_integer():
        return int(node.args[0])
    if node.kind == "add" and len(node.args) == 1:
        return int(node.args[0][0]) * _whole(p, node.args[0][1])
    raise located(p.text, node.span, "expected a whole number")


def _slice_value(node: ast.AST) -> Any:
    """An index (int, slice, None or a tuple of them) from Python's subscript syntax."""
    if isinstance(node, ast.Tuple):
        return tuple(_slice_value(e) for e in node.elts)
    if isinstance(node, ast.Slice):
        return slice(*(None if p is None else _int(p) for p in (node.lower, node.upper, node.step)))
    if isinstance(node, ast.Constant) and node.value is None:
        return None
    return _int(node)


def _int(node: ast.AST) -> int:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_int(node.operand)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    raise ValueError("not an integer")


def is_index_line(line: str) -> bool:
    """Whether a where line is index notation (an explicit block's shared piece): ``z1[i,j] =
    …``, or ``z1 = Σ_i …`` (a number), not a matrix definition (``z1 = [Σ_k …]_(i,j)``)."""
    if INDEX_DEFINITION.match(line):
        return True
    _, eq, body = line.partition("=")
    body = body.strip()
    return bool(eq) and not body.startswith(("[", "mat_col[", "mat_row[")) and \
        bool(re.search(r"[Σ↦δ]|\w\[(?!None\b)[^\W\d]", body))


def split_where(text: str) -> tuple[str, list[tuple[str, str, int]]]:
    """The main formula and the ``where`` clause's definitions ``(name, formula, offset)``."""
    main, sep, rest = text.partition("\nwhere\n")
    defs = []
    offset = len(main) + len(sep)
    for line in rest.split("\n") if sep else []:
        if is_index_line(line) or line == "where":   # an explicit block's own line
            offset += len(line) + 1
            continue
        name, eq, body = line.partition("=")
        if not eq or not name.strip().isidentifier():
            raise located(text, (offset, offset + max(len(line), 1)),
                          "a where clause defines names, one a line: z1 = ...")
        if any(name.strip() == seen for seen, _, _ in defs):
            raise located(text, (offset, offset + len(name)),
                          f"{name.strip()} is defined twice in the where clause")
        defs.append((name.strip(), body, offset + len(name) + 1))
        offset += len(line) + 1
    return main, defs
