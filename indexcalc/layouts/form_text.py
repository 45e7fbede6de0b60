"""Printing matrix forms: plain text (``Xᵀ (X W v − y) vᵀ``) and LaTeX, one table row per node.

Each row returns ``(text, precedence)``; an operand binds looser than its operator needs is
parenthesized. Precedences: atoms (names, ``f(·)``, parentheses) > postfix (``ᵀ``, ``⁻¹``) >
products (juxtaposition, ``∘``, ``⊗``, scalar factors) > sums.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ..core.matrix_functions import matrix_function

from ..core.elementwise import rule
from ..core.nodes import DECOMPOSITION_CALLS
from .forms import (Add, Commutation, Explicit, Form, Identity, Leaf, Nary, Number, Ones,
                          Ref, Scaled, Unary, fold, is_scalar)

ATOM, POST, PROD, SUM = 4, 3, 2, 1


def _num(c: float) -> str:
    return f"{c:g}"


def _wrap(kid: tuple[str, int], need: int, latex: bool = False) -> str:
    text, prec = kid
    if prec >= need:
        return text
    return rf"\left({text}\right)" if latex else f"({text})"


def _dim(d) -> str:
    return str(d).replace("*", "·")


def _sub(d) -> str:
    """A size as a subscript matrix notation reads back: ``3``, ``n``, ``(m·n)``, ``(n_h)``."""
    text = _dim(d)
    return text if re.fullmatch(r"[^\W_]+", text) else f"({text})"


@dataclass(frozen=True)
class Printing:
    """What a printing knows beside the tree: ``names``, the ``where`` definitions' names by
    ``id(ref)``; ``sized``, the ids of the ``I``, ``1``, ``0`` and ``𝟙`` whose size the text
    leaves open, printed with a subscript (:mod:`indexcalc.layouts.form_sizes` finds them);
    ``vectors``, how the text writes a vector (a zero vector's subscript says which way it
    stands); ``marks``, when not ``None``, collects every such atom, each printed (sized or
    not) after a marker ``\x00k\x01`` that tells where it starts."""
    names: dict = field(default_factory=dict)
    sized: frozenset = frozenset()
    vectors: str = "column"
    marks: dict | None = None


def _atom(n: Form, p: Printing, plain: tuple[str, int], sized) -> tuple[str, int]:
    """An atom's text: ``plain``, or ``sized()`` where the text leaves its size open."""
    text = sized() if id(n) in p.sized else plain
    if p.marks is not None:
        k = p.marks.setdefault(id(n), (len(p.marks), n))[0]
        return f"\x00{k}\x01{text[0]}", text[1]
    return text


def _vector_size(shape: tuple):
    """The size of a vector (an axis of size 1 beside none included), or ``None``."""
    present = [d for d in shape if d is not None]
    return present[0] if len(present) == 1 else None


def _column(shape: tuple, p: Printing) -> bool:
    """Whether a vector of ``shape`` is written as the text writes vectors (no ``ᵀ``)."""
    return (shape[1] is None) == (p.vectors == "column")


def _outer(one: str, shape: tuple, p: Printing, latex: bool = False) -> tuple[str, int]:
    """A sized matrix of ones (of zeros), an outer product of two vectors as the text writes
    vectors — ``1_m 1_nᵀ``, with row vectors ``1_mᵀ 1_n`` — so that it reads as a product
    wherever it stands in a chain (``2 s 1_m 1_nᵀ``)."""
    r, c = (f"{{{_dim(d)}}}" for d in shape) if latex else (_sub(d) for d in shape)
    t, join = (r"^{\top}", r" \, ") if latex else ("ᵀ", " ")
    if p.vectors == "column":
        return f"{one}_{r}{join}{one}_{c}{t}", PROD
    return f"{one}_{r}{t}{join}{one}_{c}", PROD


# --------------------------------------------------------------------------- plain text

_CALLS = {"diag": "diag", "diagonal": "diagonal", "tr": "tr", "det": "det", "sum": "sum",
          "softmax": "softmax", "logsumexp": "logsumexp", "max": "max"}


def _text_unary(n: Unary, kids, printing: Printing):
    (kid,) = kids
    if n.op == "T" and isinstance(n.arg, Unary) and n.arg.op == "inv":
        return kid[0][:-len("⁻¹")] + "⁻ᵀ", POST
    if n.op == "T":
        return _wrap(kid, ATOM) + "ᵀ", POST
    if n.op == "inv" and isinstance(n.arg, Unary) and n.arg.op == "T" and kid[0].endswith("ᵀ") \
            and isinstance(n.arg.arg, Leaf):
        return kid[0][:-1] + "⁻ᵀ", POST  # (Sᵀ)⁻¹ = S⁻ᵀ
    if n.op == "inv":
        return _wrap(kid, ATOM) + "⁻¹", POST
    if n.op == "logdet":
        return f"log|det({kid[0]})|", ATOM
    if n.op == "vec":
        return f"vec{'' if n.param == 'col' else '_row'}({kid[0]})", ATOM
    if n.op == "func":
        fn, p = n.param
        if fn == "rpow":  # a constant's power: 2^∘v (2^x of a number)
            return f"{_num(p)}^{'' if is_scalar(n) else '∘'}{_wrap(kid, ATOM)}", POST
        if fn == "power" and is_scalar(n):  # a number's power: det(X)⁻¹, not det(X)^∘-1
            return _wrap(kid, ATOM) + ("⁻¹" if p == -1.0 else f"^{_num(p)}"), POST
        if fn == "power":
            return f"{_wrap(kid, ATOM)}^∘{_num(p)}", POST
        return f"{rule(fn).text}({kid[0]})", ATOM
    if n.op in ("tril", "triu"):
        return f"{n.op}({kid[0]}{f', {n.param}' if n.param else ''})", ATOM
    if n.op == "mfunc":
        return f"{matrix_function(n.param).text}({kid[0]})", ATOM
    if n.op == "unvec":   # unvec_(m,n)(u) where the text leaves its shape open
        head = f"unvec{'' if n.param[0] == 'col' else '_row'}"
        r, c = (_dim(d) for d in n.shape)
        return _atom(n, printing, (f"{head}({kid[0]})", ATOM),
                     lambda: (f"{head}_({r},{c})({kid[0]})", ATOM))
    if n.op == "spectral":  # a part of eigh/svd: eigvecsh(A), svdvals(A), …
        return f"{DECOMPOSITION_CALLS[n.param]}({kid[0]})", ATOM
    if n.op in ("softmax", "logsumexp", "max") and n.param is not None:  # a matrix: the axis it reads
        return f"{n.op}({kid[0]}, axis={n.param})", ATOM
    return f"{_CALLS[n.op]}({kid[0]})", ATOM


_BLOCKS = {"vcat": "; ", "hcat": ", "}


def _spaced(n: Nary) -> bool:
    return any(isinstance(a, (Nary, Scaled)) for a in n.args)


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _powers(n: Nary, parts: list[str], latex: bool) -> list[str]:
    """A run of one matrix in a chain as its power: ``S S S`` is ``S³`` (``S^{3}``)."""
    out: list[str] = []
    i = 0
    while i < len(parts):
        j = i
        while j + 1 < len(parts) and isinstance(n.args[i], Leaf) and n.args[j + 1] is n.args[i]:
            j += 1
        k = j - i + 1
        out.append(parts[i] if k == 1 else
                   parts[i] + ("^{" + str(k) + "}" if latex else str(k).translate(_SUPERSCRIPT)))
        i = j + 1
    return out


def _text_nary(n: Nary, kids, _):
    if n.op.startswith("frechet:"):  # L_exp(A, E)
        return f"{matrix_function(n.op[8:]).frechet_text}({kids[0][0]}, {kids[1][0]})", ATOM
    parts = [_wrap(k, POST) for k in kids]
    if n.op == "matmul":
        return " ".join(_powers(n, parts, False)), PROD
    if n.op == "kron":
        return " ⊗ ".join(parts), PROD
    if n.op in _BLOCKS:  # a block matrix: [a; b] stacks rows, [a, b] columns
        return "[" + _BLOCKS[n.op].join(k[0] for k in kids) + "]", ATOM
    over = _divided(n, parts, ("", "^∘-1"), " ⊘ ")
    return over or (" ∘ " if _spaced(n) else "∘").join(parts), PROD


def _reciprocal(f) -> bool:
    """Whether a form is ``b^∘-1`` of a matrix or vector (a number's is ``b⁻¹``)."""
    return isinstance(f, Unary) and f.op == "func" and f.param == ("power", -1.0) \
        and not is_scalar(f)


def _divided(n: Nary, parts: list[str], marks: tuple[str, str], over: str) -> str | None:
    """A Hadamard product with reciprocal factors as the textbook divides: ``y ⊘ p``, not
    ``y∘p^∘-1`` (``⊘`` binds as ``∘``, left to right: ``a ⊘ b ⊘ c`` is ``a ⊘ (b∘c)``)."""
    start, end = marks  # how a reciprocal's text wraps its argument's
    below = [_reciprocal(a) and p.startswith(start) and p.endswith(end)
             for a, p in zip(n.args, parts)]
    if not any(below) or all(below):
        return None
    above = [p for p, b in zip(parts, below) if not b]
    head = (" ∘ " if _spaced(n) else "∘").join(above)
    return head + "".join(over + p[len(start):-len(end)] for p, b in zip(parts, below) if b)


def _juxtaposed(f: Form) -> bool:
    """A product, whose juxtaposition a coefficient continues: ``2 A B``, ``2 1_n 1_nᵀ`` (a
    sized 𝟙), not ``2 (1_n 1_nᵀ)``."""
    return isinstance(f, Nary) and f.op == "matmul" or isinstance(f, Ones)


def _signed_terms(n: Add, kids, need: int, latex: bool) -> str:
    out = []
    for i, ((c, _), kid) in enumerate(zip(n.terms, kids)):
        mag = abs(c)
        chain = isinstance(n.terms[i][1], Scaled) or _juxtaposed(n.terms[i][1])
        body = _wrap(kid, SUM + 1 if mag == 1.0 or chain else need, latex)
        if mag != 1.0:
            body = f"{_num(mag)} {body}"
        minus = "-" if latex else "−"
        out.append((minus if c < 0 else "") + body if i == 0 else f" {minus if c < 0 else '+'} {body}")
    return "".join(out)


def _text_scaled(n: Scaled, kids, _, latex: bool = False):
    parts = [] if n.coef in (1.0, -1.0) else [_num(abs(n.coef))]
    parts += [_wrap(k, POST, latex) for k in kids[:len(n.scalars)]]  # det(X)⁻¹ X⁻ᵀ, no parentheses
    if n.body is not None:
        parts.append(_wrap(kids[-1], PROD if _juxtaposed(n.body) else POST, latex))
    text = (r" \, " if latex else " ").join(parts)
    return ("-" if n.coef < 0 else "") + text, PROD


#: A matrix of ones (``1 1ᵀ``): the blackboard-bold one, ``\mathbb{1}`` in LaTeX. (The Matrix
#: Cookbook has no symbol for it; its ``J`` is the single-entry matrix, so ``J`` would mislead.)
ONES_MATRIX = "𝟙"


def _text_ones(n: Ones, kids, p: Printing):
    if n.shape[0] is not None and n.shape[1] is not None:
        return _atom(n, p, (ONES_MATRIX, ATOM), lambda: _outer("1", n.shape, p))
    size = _vector_size(n.shape)
    plain = ("1ᵀ", POST) if n.marked else ("1", ATOM)
    return plain if size is None else _atom(n, p, plain, lambda: (
        f"1_{_sub(size)}ᵀ" if n.marked else f"1_{_sub(size)}", POST if n.marked else ATOM))


def _text_zero(n: Add, p: Printing):
    """A zero (a sum of no terms): ``0``; where its size is open ``0_n``, ``0_nᵀ``, ``0_m 0_nᵀ``."""
    r, c = n.shape
    if r is not None and c is not None:
        return _atom(n, p, ("0", ATOM), lambda: _outer("0", n.shape, p))
    size = _vector_size(n.shape)
    if size is None:
        return "0", ATOM   # a scalar zero: no subscript sizes it
    return _atom(n, p, ("0", ATOM), lambda: (f"0_{_sub(size)}", ATOM) if _column(n.shape, p)
                 else (f"0_{_sub(size)}ᵀ", POST))


def _text_identity(n: Identity, kids, p: Printing):
    if n.subscripted:   # a tensor of the form is named I
        return f"I_{_sub(n.dim)}", ATOM
    return _atom(n, p, ("I", ATOM), lambda: (f"I_{_sub(n.dim)}", ATOM))


TEXT = {
    Leaf: lambda n, kids, _: (n.name, ATOM),
    Ref: lambda n, kids, p: (p.names.get(id(n), "z"), ATOM),
    Number: lambda n, kids, _: (_num(n.value), ATOM if n.value >= 0 else PROD),
    Identity: _text_identity,
    Ones: _text_ones,
    Commutation: lambda n, kids, _: (f"K_({_dim(n.m)},{_dim(n.n)})", ATOM),
    Unary: _text_unary,
    Nary: _text_nary,
    Add: lambda n, kids, p: (_signed_terms(n, kids, POST, False), SUM) if n.terms else
    _text_zero(n, p),
    Scaled: _text_scaled,
    Explicit: lambda n, kids, _: (n.text, ATOM),
}


def to_text(form: Form, names: dict | None = None, printing: Printing | None = None) -> str:
    """``form`` as text; ``names`` maps ``id(ref)`` to the name a ``where`` definition has
    (``printing``: those and the rest a printing knows)."""
    return fold(form, TEXT, printing or Printing(names or {}))[0]


# --------------------------------------------------------------------------- LaTeX

def latex_name(name: str) -> str:
    """A variable name as LaTeX: ``ŷ`` → ``\\hat{y}``, ``x_prev`` → ``x_{\\mathrm{prev}}``."""
    if name.endswith("]") and "[" in name:  # an indexed leaf, x[1:3]: the base, then the index
        base, _, index = name.partition("[")
        return f"{latex_name(base)}[{index}"
    base, _, sub = name.partition("_")
    decomposed = unicodedata.normalize("NFD", base)
    if len(decomposed) == 2 and decomposed[1] == "\u0302":
        base = rf"\hat{{{decomposed[0]}}}"
    elif len(base) > 1 and base.isascii():
        base = rf"\mathrm{{{base}}}"
    if not sub:
        return base
    sub = sub if len(sub) == 1 or not sub.isalpha() else rf"\mathrm{{{sub}}}"
    return f"{base}_{{{sub}}}"


_LATEX_CALLS = {"diag": r"\operatorname{diag}", "diagonal": r"\operatorname{diagonal}",
                "tr": r"\operatorname{tr}", "det": r"\det", "sum": r"\operatorname{sum}",
                "softmax": r"\operatorname{softmax}", "logsumexp": r"\operatorname{logsumexp}",
                "max": r"\operatorname{max}"}


def _latex_unary(n: Unary, kids, printing: Printing):
    (kid,) = kids
    if n.op == "T" and isinstance(n.arg, Unary) and n.arg.op == "inv":
        return kid[0][:-len("^{-1}")] + r"^{-\top}", POST
    if n.op == "T":
        return "{" + _wrap(kid, ATOM, True) + r"}^{\top}", POST
    if n.op == "inv":
        return "{" + _wrap(kid, ATOM, True) + "}^{-1}", POST
    if n.op == "logdet":
        return rf"\log\left|\det\left({kid[0]}\right)\right|", ATOM
    if n.op == "vec":
        sub = "" if n.param == "col" else r"_{\mathrm{row}}"
        return rf"\operatorname{{vec}}{sub}\left({kid[0]}\right)", ATOM
    if n.op == "func":
        fn, p = n.param
        if fn == "rpow":
            circ = "" if is_scalar(n) else r"\circ "
            return _num(p) + "^{" + circ + kid[0] + "}", POST
        if fn == "power" and is_scalar(n):
            return "{" + _wrap(kid, ATOM, True) + "}^{" + _num(p) + "}", POST
        if fn == "power":
            return "{" + _wrap(kid, ATOM, True) + rf"}}^{{\circ {_num(p)}}}", POST
        before, after = rule(fn).latex_call
        return before + kid[0] + after, ATOM
    if n.op == "spectral":
        return rf"\operatorname{{{DECOMPOSITION_CALLS[n.param]}}}\left({kid[0]}\right)", ATOM
    if n.op in ("softmax", "logsumexp", "max") and n.param is not None:
        return rf"{_LATEX_CALLS[n.op]}_{{{n.param}}}\left({kid[0]}\right)", ATOM
    if n.op == "mfunc":
        return rf"{matrix_function(n.param).latex}\left({kid[0]}\right)", ATOM
    if n.op in ("tril", "triu"):
        k = f", {n.param}" if n.param else ""
        return rf"\operatorname{{{n.op}}}\left({kid[0]}{k}\right)", ATOM
    if n.op == "unvec":
        sub = "" if n.param[0] == "col" else r"_{\mathrm{row}}"
        if id(n) in printing.sized:   # as the text: unvec_{m,n}(u) where its shape is open
            sub = "_{" + ",".join(_dim(d) for d in n.shape) + ("}" if not sub else r",\mathrm{row}}")
        return rf"\operatorname{{unvec}}{sub}\left({kid[0]}\right)", ATOM
    return rf"{_LATEX_CALLS[n.op]}\left({kid[0]}\right)", ATOM


def _latex_nary(n: Nary, kids, _):
    if n.op.startswith("frechet:"):  # L_{exp}(A, E)
        head = matrix_function(n.op[8:]).frechet_latex
        return rf"{head}\left({kids[0][0]}, {kids[1][0]}\right)", ATOM
    if n.op in _BLOCKS:
        return r"\left[" + _BLOCKS[n.op].join(k[0] for k in kids) + r"\right]", ATOM
    parts = [_wrap(k, POST, True) for k in kids]
    if n.op == "matmul":
        parts = _powers(n, parts, True)
    sep = {"matmul": r" \, ", "kron": r" \otimes ", "hadamard": r" \circ "}[n.op]
    over = _divided(n, parts, ("{", r"}^{\circ -1}"), r" \oslash ") if n.op == "hadamard" else None
    return over or sep.join(parts), PROD


def _latex_explicit(n: Explicit, kids, _):
    body = n.text.replace("\\", r"\backslash ").replace("{", r"\{").replace("}", r"\}")
    return rf"\text{{{body}}}", ATOM


def _latex_ones(n: Ones, kids, p: Printing):
    """As the text: ``\\mathbf{1}_{n}`` (``\\mathbb{1}`` a matrix) where its size is open."""
    if None not in n.shape:
        return _outer(r"\mathbf{1}", n.shape, p, True) if id(n) in p.sized else (r"\mathbb{1}",
                                                                                 ATOM)
    sub = f"_{{{_dim(_vector_size(n.shape))}}}" if id(n) in p.sized else ""
    return (rf"\mathbf{{1}}{sub}^{{\top}}", POST) if n.marked else (rf"\mathbf{{1}}{sub}", ATOM)


def _latex_zero(n: Add, p: Printing):
    r, c = n.shape
    if id(n) not in p.sized:
        return "0", ATOM
    if r is not None and c is not None:
        return _outer("0", n.shape, p, True)
    sub = f"0_{{{_dim(_vector_size(n.shape))}}}"
    return (sub, ATOM) if _column(n.shape, p) else (sub + r"^{\top}", POST)


LATEX = {
    Leaf: lambda n, kids, _: (latex_name(n.name), ATOM),
    Ref: lambda n, kids, p: (latex_name(p.names.get(id(n), "z")), ATOM),
    Number: lambda n, kids, _: (_num(n.value), ATOM if n.value >= 0 else PROD),
    Identity: lambda n, kids, _: (rf"I_{{{_dim(n.dim)}}}", ATOM),
    Ones: _latex_ones,
    Commutation: lambda n, kids, _: (rf"K_{{{_dim(n.m)},{_dim(n.n)}}}", ATOM),
    Unary: _latex_unary,
    Nary: _latex_nary,
    Add: lambda n, kids, p: (_signed_terms(n, kids, POST, True), SUM) if n.terms else
    _latex_zero(n, p),
    Scaled: lambda n, kids, _: _text_scaled(n, kids, _, latex=True),
    Explicit: _latex_explicit,
}


def to_latex(form: Form, names: dict | None = None, printing: Printing | None = None) -> str:
    """``form`` in LaTeX; ``names`` and ``printing`` as for :func:`to_text`."""
    return fold(form, LATEX, printing or Printing(names or {}))[0]
