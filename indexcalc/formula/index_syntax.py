"""Index notation's syntax: the text ``str(expr)`` prints, read into a small tree.

The printer (:mod:`indexcalc.rendering.index_rules`) writes one construct per node type; each
has one reading here. The tree's nodes are :class:`~indexcalc.formula.matrix_syntax.Node`
tuples ``(kind, args, span)``; :mod:`.index_reader` builds the expression. Grammar, loosest
first (juxtaposition is the product; a factor is written *at* its index names)::

    sum     := ["-"] term (("+" | "-") term)*
    term    := factor+ | factor* "Σ_" names term          (Σ binds its names over the rest)
    factor  := atom ("[" names "]" | "[" slice "]" | "⁻¹" | "^" number)*
    atom    := number | name | "δ" | "[" numbers "]" | "(" sum ")" | names "↦" sum
             | f(sum) | softmax_j(sum) | logsumexp_j(sum) | max_j(sum) | det(whole)
             | "log|det(" whole ")|" | reshape(whole, (dims)) | concatenate(whole, …; axis=k)
             | scatter(whole at [slice] of (dims)) | tril(1, k=p) | triu(1, k=p)
             | softmax(whole, axis=k) | eigvalsh(whole) … | expm(whole) … | b^(sum)
    names   := name ("," name)*          (index names: d, d', d'', d_3)

A name that binds an index (after ``Σ_``, before ``↦``, a reduction's, a where line's or a block's)
may declare its size, ``i∈[3]``, ``b'∈[b]``, ``k∈[2*b]``: the printer writes it where nothing else
in the text sizes the index (``i,j∈[5],k,l ↦ X[i,k] δ[j,l]``).

A main formula may be followed by ``where`` and definitions ``z1[i,j] = …``, one a line.
"""

from __future__ import annotations

import re

from .matrix_syntax import MAX_LENGTH, Descent, Node, located

__all__ = ["IndexParser", "binders", "split_definitions", "MAX_LENGTH"]

_IDX = r"[^\W\d]\w*'*"
_NUM = r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_DIM = r"(?:\d+|[^\W\d]\w*)"
#: ``∈[3]``, ``∈[2*b]``: a bound index's declared size.
_SIZE = r"∈\[" + _DIM + r"(?:\*" + _DIM + r")*\]"
#: An index name where it is bound, with its size or without.
_BOUND = _IDX + r"(?:" + _SIZE + r")?"
_BINDER = re.compile(r"(" + _IDX + r")(?:∈\[([^\]]*)\])?")
_TOKEN = re.compile(r"""
    (?P<space>[ \t]+)
  | (?P<sigma>Σ_(?:""" + _BOUND + r""")(?:,""" + _BOUND + r""")*)
  | (?P<subcall>(?:logsumexp|max|softmax|scan)_(?:""" + _BOUND + r""")(?:,""" + _BOUND + r""")*\()
  | (?P<size>""" + _SIZE + r""")
  | (?P<logdet>log\|det\()
  | (?P<const>const\(\d+(?:×\d+)*\))
  | (?P<number>""" + _NUM + r""")
  | (?P<name>""" + _IDX + r""")
  | (?P<op>↦|⁻¹|[-+()\[\],;:=|*^])
""", re.VERBOSE)

#: Calls whose argument is a whole tensor (a name or ``p,q ↦ …``), then indexed.
WHOLE_CALLS = frozenset({"det", "reshape", "concatenate", "scatter", "softmax", "eigvalsh",
                         "eigvecsh", "eiggaps", "svd_U", "svdvals", "svd_Vh", "svdgaps",
                         "svdvals_inv", "expm", "sqrtm", "logm"})
#: What the reader refuses by name, and why (the printer writes no value for these).
REFUSED = {
    "const": "a constant of more than 64 entries prints only its shape (const(9×9)); its values "
             "cannot be read back: give it a name (ic.Constant(value, name='C')) and pass it in "
             "shapes=",
    "scan": "a scan (scan_t(…)) cannot be read back from index notation; build it with ic.scan",
    "frechet": "a Fréchet derivative (L_exp(A, …)) cannot be read back from index notation; build "
               "it with ic.diff of ic.expm/sqrtm/logm",
}


#: Why an ``∈`` did not read as a declared size (``i∈[3.5]``, ``i∈[``, ``i∈[-1]``).
_BAD_SIZE = ("; a size is declared right after the name that binds the index, as a whole number, "
             "a dimension's name or their product: i∈[3], i∈[n], i∈[2*n]")


def tokens(text: str, start: int, stop: int) -> list[tuple[str, str, int]]:
    """``(kind, text, position)`` for each token of ``text[start:stop]``; spaces dropped."""
    out, pos = [], start
    while pos < stop:
        m = _TOKEN.match(text, pos, stop)
        if m is None:
            why = _BAD_SIZE if text[pos] == "∈" else ""
            raise located(text, (pos, pos + 1), f"unexpected character {text[pos]!r} in index "
                                                f"notation{why}")
        if m.lastgroup != "space":
            out.append((m.lastgroup, m.group(), pos))
        pos = m.end()
    return out


def binders(text: str, pos: int) -> tuple[tuple, tuple]:
    """The names of a binder list ``i∈[3],j`` starting at ``pos`` of the whole text, and for
    each its declared size: ``(size text, span of "∈[…]")``, or ``None``.

    Examples:
        >>> binders("i∈[3],j", 10)
        (('i', 'j'), (('3', (11, 15)), None))
    """
    names, sizes = [], []
    for m in _BINDER.finditer(text):
        names.append(m.group(1))
        sizes.append(None if m.group(2) is None else (m.group(2), (pos + m.end(1), pos + m.end())))
    return tuple(names), tuple(sizes)


def _is_index(name: str) -> bool:
    """``None``, ``True``, ``False`` are Python's constants in a subscript, never index names
    (``x[True]`` is NumPy's x[None]; as an index named True it read as x itself)."""
    return name not in ("None", "True", "False")


class IndexParser(Descent):
    """A recursive-descent reader of one formula of index notation (depth-limited)."""

    def __init__(self, text: str, start: int = 0, stop: int | None = None):
        super().__init__(text, tokens(text, start, len(text) if stop is None else stop))
        self.stops: list[frozenset] = [frozenset()]   # names that end a term (scatter's at/of)
        #: ``(binding node, index name, size text, span)`` of each ``i∈[3]`` read
        self.declared: list[tuple] = []

    def _declare(self, node: Node, names: tuple, sizes: tuple) -> Node:
        self.declared += [(node, x, *d) for x, d in zip(names, sizes) if d is not None]
        return node

    def adjacent(self, node: Node) -> bool:
        t = self.peek()
        return t is not None and t[2] == node.span[1]

    # ------------------------------------------------------------------ grammar

    def sum(self) -> Node:
        self._enter()
        start = self.peek()
        terms, sign = [], 1.0
        if self.at("-", "+"):
            sign = -1.0 if self.peek()[1] == "-" else 1.0
            self.i += 1
        terms.append((sign, self.term()))
        while self.at("-", "+"):
            sign = 1.0 if self.peek()[1] == "+" else -1.0
            self.i += 1
            terms.append((sign, self.term()))
        self.depth -= 1
        if len(terms) == 1 and sign == 1.0:
            return terms[0][1]
        return Node("sum", tuple(terms), (start[2], terms[-1][1].span[1]))

    def _starts_factor(self) -> bool:
        t = self.peek()
        if t is None:
            return False
        if t[0] == "name":
            return t[1] not in self.stops[-1]
        if self._negative_constant():
            return True
        return t[0] in ("number", "subcall", "logdet", "const", "sigma") or \
            t[0] == "op" and t[1] in ("(", "[")

    def _negative_constant(self) -> bool:
        """``-0.5``, ``-0.5[i]``: a negative number, a factor (``2 -0.5``, ``s + -0.5``); the
        minus of a sum has spaces around it, `` - ``."""
        t, num = self.peek(), self.peek(1)
        return t is not None and t[1] == "-" and num is not None and num[0] == "number" and \
            num[2] == t[2] + 1

    def term(self) -> Node:
        self._enter()
        start = self.peek()
        factors = []
        while True:
            t = self.peek()
            if t is not None and t[0] == "sigma":
                self.i += 1
                names, sizes = binders(t[1][2:], t[2] + 2)
                rest = self.term()
                factors.append(self._declare(Node("sigma", (names, rest), (t[2], rest.span[1])),
                                             names, sizes))
                break
            if not factors or self._starts_factor():
                factors.append(self.factor())
                continue
            break
        self.depth -= 1
        if len(factors) == 1:
            return factors[0]
        return Node("product", tuple(factors), (start[2], factors[-1].span[1]))

    def factor(self) -> Node:
        node, depth = self.atom(), self.depth
        while (t := self.peek()) is not None and t[2] == node.span[1] and t[0] == "op" and \
                t[1] in ("[", "⁻¹", "^"):
            self._enter()   # each postfix nests its operand: A⁻¹⁻¹… is as deep as it is long
            if t[1] == "[":
                node = self._bracket(node)
            elif t[1] == "⁻¹":
                self.i += 1
                node = Node("inv", (node,), (node.span[0], t[2] + len(t[1])))
            else:
                node = self._power(node, t)
        self.depth = depth
        return node

    def _power(self, node: Node, t: tuple) -> Node:
        self.i += 1
        if node.kind == "number" and self.at("("):   # b^(x): a number to an elementwise power
            self._enter()
            self.i += 1
            exponent = self.sum()
            end = self.take(")", "to close b^(")
            self.depth -= 1
            return Node("rpow", (node.args[0], exponent), (node.span[0], end[2] + 1))
        negative = self.at("-")
        self.i += negative
        p = self.peek()
        if p is None or p[0] != "number":
            raise self.error(p, "expected a number after ^")
        self.i += 1
        value = -self.number(p) if negative else self.number(p)
        return Node("power", (node, value), (node.span[0], p[2] + len(p[1])))

    def _bracket(self, node: Node) -> Node:
        """``x[i,j]`` (index names) or ``x[0, 1::-1, None]`` (a slice of the whole tensor)."""
        open_ = self.take("[", "")
        j = self.i
        while j < len(self.toks) and self.toks[j][1] not in ("]", "["):
            j += 1
        if j == len(self.toks) or self.toks[j][1] != "]":
            raise self.error(open_, "this bracket is not closed")
        inside = self.toks[self.i:j]
        end = self.toks[j][2] + 1
        self.i = j + 1
        names = [t[1] for t in inside[::2]]
        if inside and all(t[0] == "name" and _is_index(t[1]) for t in inside[::2]) and \
                all(t[1] == "," for t in inside[1::2]) and len(inside) % 2 == 1:
            return Node("indexed", (node, tuple(names)), (node.span[0], end))
        return Node("slice", (node, self.text[open_[2]:end]), (node.span[0], end))

    def atom(self) -> Node:
        t = self.peek()
        if t is None:
            raise self.error(t, "expected a value")
        kind, text, pos = t
        span = (pos, pos + len(text))
        if kind == "name" and self._mapping_ahead():
            return self.mapping()
        if self._negative_constant():
            self.i += 2
            num = self.toks[self.i - 1]
            return Node("number", (-self.number(num),), (pos, num[2] + len(num[1])))
        self.i += 1
        if kind == "number":
            return Node("number", (self.number(t),), span)
        if kind == "const":
            raise located(self.text, span, REFUSED["const"])
        if kind == "subcall":
            return self._subcall(text[:-1], span)
        if kind == "logdet":
            self._enter()
            arg = self.sum()
            self.take(")", "to close log|det(")
            end = self.take("|", "to close log|det(")
            self.depth -= 1
            return Node("logdet", (arg,), (pos, end[2] + 1))
        if kind == "name":
            if self.at("(") and self.peek()[2] == span[1]:
                return self._call(text, span)
            return Node("name", (text,), span)
        if kind == "op" and text == "(" and self._size_ahead():
            return self._size(pos)
        if kind == "op" and text == "(":
            self._enter()
            inner = self.sum()
            end = self.take(")", "to close the parenthesis")
            self.depth -= 1
            return Node("group", (inner,), (pos, end[2] + 1))
        if kind == "op" and text == "[":
            return self._array(pos)
        raise self.error(t, f"unexpected {text!r}: expected a value")

    def _size_ahead(self) -> bool:
        """``(a*b)``: the size of a product dimension, as a factor."""
        j, parts = self.i, 0
        while j + 1 < len(self.toks) and self.toks[j][0] in ("name", "number"):
            parts += 1
            if self.toks[j + 1][1] == ")":
                return parts > 1
            if self.toks[j + 1][1] != "*":
                return False
            j += 2
        return False

    def _size(self, pos: int) -> Node:
        parts = []
        while not self.at(")"):
            parts.append(self.peek()[1])
            self.i += 2 if self.peek(1)[1] == "*" else 1
        end = self.take(")", "")
        return Node("size", (tuple(parts),), (pos, end[2] + 1))

    def _mapping_ahead(self) -> bool:
        j = self.i
        while True:
            t = self.toks[j] if j < len(self.toks) else None
            if t is None or t[0] != "name":
                return False
            nxt = self.toks[j + 1] if j + 1 < len(self.toks) else None
            if nxt is not None and nxt[0] == "size" and nxt[2] == t[2] + len(t[1]):
                j, t = j + 1, nxt   # i∈[3]: a declared size, part of the name's binding
                nxt = self.toks[j + 1] if j + 1 < len(self.toks) else None
            if nxt is not None and nxt[1] == "↦":
                return True
            after = self.toks[j + 2] if j + 2 < len(self.toks) else None
            # ``p,q ↦``: the names of a mapping are joined without spaces (``f(B, m,p ↦ …)``)
            if nxt is None or nxt[1] != "," or after is None or \
                    nxt[2] != t[2] + len(t[1]) or after[2] != nxt[2] + 1:
                return False
            j += 2

    def mapping(self) -> Node:
        start = self.peek()[2]
        names, sizes = [], []
        while not self.at("↦"):
            names.append(self.peek()[1])
            self.i += 1
            d = self.peek()
            sizes.append(None if d[0] != "size" else (d[1][2:-1], (d[2], d[2] + len(d[1]))))
            self.i += d[0] == "size"
            if self.at(","):
                self.i += 1
        self.i += 1
        self._enter()
        body = self.sum()
        self.depth -= 1
        node = Node("mapping", (tuple(names), body), (start, body.span[1]))
        return self._declare(node, tuple(names), tuple(sizes))

    def _array(self, pos: int) -> Node:
        """``[1,2]`` / ``[[1,2],[3,4]]``: a small constant, as Python writes the list."""
        depth, j = 0, self.i - 1
        while j < len(self.toks):
            depth += {"[": 1, "]": -1}.get(self.toks[j][1], 0)
            if depth == 0:
                break
            j += 1
        if j == len(self.toks):
            raise located(self.text, (pos, pos + 1), "this bracket is not closed")
        end = self.toks[j][2] + 1
        self.i = j + 1
        inside = self.text[pos:end]
        if not re.fullmatch(r"[\[\]\d.,eE+\-\s]*", inside):
            raise located(self.text, (pos, end), "a bracket opening a value is a list of numbers, "
                                                 "like [1.5,-2] (a constant)")
        return Node("array", (inside,), (pos, end))

    def _subcall(self, head: str, span: tuple) -> Node:
        fn, _, subs = head.partition("_")
        if fn == "scan":
            raise located(self.text, span, REFUSED["scan"])
        names, sizes = binders(subs, span[0] + len(fn) + 1)
        self._enter()
        arg = self.sum()
        end = self.take(")", f"to close {fn}_…(")
        self.depth -= 1
        return self._declare(Node("reduce", (fn, names, arg), (span[0], end[2] + 1)), names, sizes)

    def _call(self, name: str, span: tuple) -> Node:
        self.i += 1
        self._enter()
        if name.startswith("L_"):
            raise located(self.text, span, REFUSED["frechet"])
        args: list = []
        keywords: dict = {}
        extra: dict = {}
        if name == "scatter":
            self.stops.append(frozenset({"at", "of"}))
            args.append(self.sum())
            self.stops.pop()
            self._keyword("at")
            extra["spec"] = self._raw_bracket()
            self._keyword("of")
            extra["shape"] = self._dims()
        elif name == "reshape":
            args.append(self.sum())
            self.take(",", "before reshape's shape")
            extra["shape"] = self._dims()
        else:
            while not self.at(")"):
                t, nxt = self.peek(), self.peek(1)
                if t is not None and t[0] == "name" and nxt is not None and nxt[1] == "=":
                    self.i += 2
                    keywords[t[1]] = self._int()
                else:
                    args.append(self.sum())
                if self.at(",", ";"):
                    self.i += 1
                elif not self.at(")"):
                    raise self.error(self.peek(), f"expected ',' or ')' in {name}(")
        end = self.take(")", f"to close {name}(")
        self.depth -= 1
        return Node("call", (name, tuple(args), tuple(sorted(keywords.items())),
                             tuple(sorted(extra.items()))), (span[0], end[2] + 1))

    def _keyword(self, word: str) -> None:
        t = self.peek()
        if t is None or t[1] != word:
            raise self.error(t, f"expected {word!r} in scatter(x at [slice] of (shape))")
        self.i += 1

    def _int(self) -> int:
        negative = self.at("-")
        self.i += negative
        t = self.peek()
        if t is None or t[0] != "number" or not t[1].isdigit():
            raise self.error(t, "expected a whole number")
        self.i += 1
        return -int(t[1]) if negative else int(t[1])

    def _raw_bracket(self) -> tuple[str, tuple]:
        open_ = self.take("[", "")
        j = self.i
        while j < len(self.toks) and self.toks[j][1] != "]":
            j += 1
        if j == len(self.toks):
            raise self.error(open_, "this bracket is not closed")
        end = self.toks[j][2] + 1
        self.i = j + 1
        return self.text[open_[2]:end], (open_[2], end)

    def _dims(self) -> tuple:
        """``(3, 4)``, ``(a,)``, ``(2*a,b)``: a shape, its dimensions as text."""
        self.take("(", "to open a shape")
        dims: list[str] = []
        while not self.at(")"):
            t = self.peek()
            parts = []
            while t is not None and t[0] in ("name", "number"):
                parts.append(t[1])
                self.i += 1
                if not self.at("*"):
                    break
                self.i += 1
                t = self.peek()
            if not parts:
                raise self.error(t, "expected a dimension (a whole number or a name)")
            dims.append("*".join(parts))
            if self.at(","):
                self.i += 1
            elif not self.at(")"):
                raise self.error(self.peek(), "expected ',' or ')' in a shape")
        self.take(")", "to close a shape")
        return tuple(dims)


def split_definitions(text: str) -> tuple[tuple[int, int], list[tuple]]:
    """The main formula's span and the ``where`` clause's definitions ``(name, index names,
    start, stop, declared sizes)`` (the span of each definition's formula; the sizes as
    :func:`binders` gives them), from ``z1[i,j] = …`` lines."""
    main, sep, rest = text.partition("\nwhere\n")
    defs: list = []
    offset = len(main) + len(sep)
    for line in rest.split("\n") if sep else []:
        if line == "where":   # a matrix form's clause after its blocks' own
            offset += len(line) + 1
            continue
        m = re.match(r"\s*([^\W\d]\w*)(?:\[(" + _BOUND + r"(?:," + _BOUND + r")*)\])?\s*=", line)
        if m is None:
            raise located(text, (offset, offset + max(len(line), 1)),
                          "a where clause defines names, one a line: z1[i,j] = ...")
        name = m.group(1)
        if any(name == d[0] for d in defs):
            raise located(text, (offset + m.start(1), offset + m.end(1)),
                          f"{name} is defined twice in the where clause")
        names, sizes = binders(m.group(2), offset + m.start(2)) if m.group(2) else ((), ())
        defs.append((name, names, offset + m.end(), offset + len(line), sizes))
        offset += len(line) + 1
    return (0, len(main)), defs
