"""Printing matrix forms: plain text (``Xᵀ (X W v − y) vᵀ``) and LaTeX, one table row per node.

Each row returns ``(text, precedence)``; an operand binds looser than its operator needs is
parenthesized. Precedences: atoms (names, ``f(·)``, parentheses) > postfix (``ᵀ``, ``⁻¹``) >
products (juxtaposition, ``∘``, ``⊗``, scalar factors) > sums.
"""

from __future__ import annotations

from ..core.matrix_functions import matrix_function

import unicodedata

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


# --------------------------------------------------------------------------- plain text

_CALLS = {"diag": "diag", "diagonal": "diagonal", "tr": "tr", "det": "det", "sum": "sum",
          "softmax": "softmax", "logsumexp": "logsumexp", "max": "max"}


def _text_unary(n: Unary, kids, _):
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
    if n.op == "unvec":
        return f"unvec{'' if n.param[0] == 'col' else '_row'}({kid[0]})", ATOM
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


def _signed_terms(n: Add, kids, need: int, latex: bool) -> str:
    out = []
    for i, ((c, _), kid) in enumerate(zip(n.terms, kids)):
        mag = abs(c)
        chain = isinstance(n.terms[i][1], Scaled) or isinstance(n.terms[i][1], Nary) \
            and n.terms[i][1].op == "matmul"
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
        matmul = isinstance(n.body, Nary) and n.body.op == "matmul"
        parts.append(_wrap(kids[-1], PROD if matmul else POST, latex))
    text = (r" \, " if latex else " ").join(parts)
    return ("-" if n.coef < 0 else "") + text, PROD


#: A matrix of ones (``1 1ᵀ``): the blackboard-bold one, ``\mathbb{1}`` in LaTeX. (The Matrix
#: Cookbook has no symbol for it; its ``J`` is the single-entry matrix, so ``J`` would mislead.)
ONES_MATRIX = "𝟙"


def _text_ones(n: Ones, kids, _):
    if n.shape[0] is not None and n.shape[1] is not None:
        return ONES_MATRIX, ATOM
    return ("1ᵀ", POST) if n.marked else ("1", ATOM)


TEXT = {
    Leaf: lambda n, kids, _: (n.name, ATOM),
    Ref: lambda n, kids, names: ((names or {}).get(id(n), "z"), ATOM),
    Number: lambda n, kids, _: (_num(n.value), ATOM if n.value >= 0 else PROD),
    Identity: lambda n, kids, _: (f"I_{_dim(n.dim)}" if n.subscripted else "I", ATOM),
    Ones: _text_ones,
    Commutation: lambda n, kids, _: (f"K_({_dim(n.m)},{_dim(n.n)})", ATOM),
    Unary: _text_unary,
    Nary: _text_nary,
    Add: lambda n, kids, _: (_signed_terms(n, kids, POST, False), SUM) if n.terms else ("0", ATOM),
    Scaled: _text_scaled,
    Explicit: lambda n, kids, _: (n.text, ATOM),
}


def to_text(form: Form, names: dict | None = None) -> str:
    """``form`` as text; ``names`` maps ``id(ref)`` to the name a ``where`` definition has."""
    return fold(form, TEXT, names)[0]


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


def _latex_unary(n: Unary, kids, _):
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


LATEX = {
    Leaf: lambda n, kids, _: (latex_name(n.name), ATOM),
    Ref: lambda n, kids, names: (latex_name((names or {}).get(id(n), "z")), ATOM),
    Number: lambda n, kids, _: (_num(n.value), ATOM if n.value >= 0 else PROD),
    Identity: lambda n, kids, _: (rf"I_{{{_dim(n.dim)}}}", ATOM),
    Ones: lambda n, kids, _: ((r"\mathbb{1}", ATOM) if None not in n.shape else
                              (r"\mathbf{1}^{\top}", POST) if n.marked else (r"\mathbf{1}", ATOM)),
    Commutation: lambda n, kids, _: (rf"K_{{{_dim(n.m)},{_dim(n.n)}}}", ATOM),
    Unary: _latex_unary,
    Nary: _latex_nary,
    Add: lambda n, kids, _: (_signed_terms(n, kids, POST, True), SUM) if n.terms else ("0", ATOM),
    Scaled: lambda n, kids, _: _text_scaled(n, kids, _, latex=True),
    Explicit: _latex_explicit,
}


def to_latex(form: Form, names: dict | None = None) -> str:
    """``form`` in LaTeX; ``names`` as for :func:`to_text`."""
    return fold(form, LATEX, names)[0]
