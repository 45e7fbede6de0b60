"""Which notation ``ic.parse(..., notation="auto")`` reads a text in: the predicates on the
text alone (a character only one notation uses, index names in brackets, a printed slice) that
:mod:`indexcalc.formula.reader` combines with the readers' own refusals.

Examples:
    >>> is_matrix_notation("Xᵀ X"), is_index_notation("Σ_d X[n,d] W[d,h]")
    (True, True)
    >>> printed_subscript("softplus(x[::-1])"), printed_subscript("X[n,d] * W[d,h]")
    (True, False)
"""

from __future__ import annotations

import ast
import re
from typing import Any

from .calls import ELEMENTWISE, FUNCTIONS
from .matrix_syntax import MATRIX_ONLY
from .matrix_values import ELEMENTWISE as MATRIX_ELEMENTWISE


def printed_subscript(formula: Any) -> bool:
    """A subscript Python's notation refuses (it takes letters) and a printed form writes: a
    slice or a position (``x[::-1]``, ``A[1:3, :3:2]``, ``I[0, :]``), read as matrix notation."""
    if not isinstance(formula, str):
        return False
    try:
        tree = ast.parse(formula.strip(), mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError, OverflowError):
        return False
    return any(not isinstance(e, ast.Name) for n in ast.walk(tree) if isinstance(n, ast.Subscript)
               for e in (n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]))


def printed_block(formula: Any) -> bool:
    """A list, which Python's notation refuses, where a printed form writes a block matrix
    (``sum([h, h])``), or a bracket after a space (``sum(x) [s, s]``, a block factor; a subscript
    to Python): read as matrix notation, as a text starting with one is."""
    if isinstance(formula, str) and re.search(r"[\w)\]]\s+\[", formula):
        return True
    try:
        tree = ast.parse(formula.strip(), mode="eval") if isinstance(formula, str) else None
    except (SyntaxError, RecursionError, MemoryError, ValueError, OverflowError):
        return False
    return tree is not None and any(isinstance(n, ast.List) for n in ast.walk(tree))


def maybe_index(formula: Any, entries: bool = True) -> bool:
    """Text that may be printed index notation: index names in brackets, a function only the
    printer names (``σ``, ``step``), juxtaposed parentheses (``(s + 1) (s + 1)``, a call in
    Python), or (``entries``) an entry ``B[0, 1]``."""
    entry = r"|\w\[\s*-?\d+(?:\s*,\s*-?\d+)*\s*\]" if entries else ""
    return isinstance(formula, str) and bool(
        index_brackets(formula) or _PRINTED_CALL.search(formula)
        or re.search(r"\)\s+\(" + entry, formula))


def index_brackets(formula: Any) -> bool:
    """Index names in brackets (``x[i]``, never in matrix notation) outside a matrix form's
    explicit blocks."""
    return isinstance(formula, str) and bool(_INDEX_BRACKET.search(formula)) and \
        not _has_blocks(formula)


def is_index_notation(formula: Any) -> bool:
    """Whether ``ic.parse`` (``notation="auto"``) reads ``formula`` as the index notation
    ``str(expr)`` prints, whatever else: ``Σ``, ``↦``, ``δ`` or a ``where`` line ``z1[i,j] = …``,
    or index names in brackets in text Python cannot read (``x[i] y[i]``); no matrix form's block.

    Examples:
        >>> is_index_notation("Σ_d X[n,d] W[d,h]"), is_index_notation("X[n,d] * W[d,h]")
        (True, False)
        >>> is_index_notation("S[a,a'] (1 - S[a,a'])^2"), is_index_notation("tanh(x[i])")
        (True, False)
        >>> is_index_notation("X z1\\nwhere\\n  z1 = [Σ_k T[i,j,k] v[k]]_(i,j)")
        False
    """
    if not isinstance(formula, str) or _has_blocks(formula):
        return False
    _, sep, defs = formula.partition("\nwhere\n")
    if any(ch in formula for ch in "Σ↦δ") or sep and re.match(r"\s*\w+\[[^\]]*\]\s*=", defs):
        return True
    return index_brackets(formula) and not (python_readable(formula)   # X[n,d] v[d]
                                             or PYTHON_OPERATOR.search(formula))


_INDEX_BRACKET = re.compile(r"\[(?!(?:None|True|False)\b)[^\W\d]\w*'*"
                            r"(?:,(?!(?:None|True|False)\b)[^\W\d]\w*'*)*\]")
#: Calls only the printer writes (``σ'(x)``, ``step(x)``): Python's notation has no such function.
_PRINTED_CALL = re.compile(r"(?<![\w'])(?:" + "|".join(
    re.escape(n) for n in sorted(set(MATRIX_ELEMENTWISE) - set(ELEMENTWISE) - set(FUNCTIONS),
                                 key=len, reverse=True)) + r")\(")
PYTHON_OPERATOR = re.compile(r"[*/@]|\bsum\(|\beinsum\(|\.T\b")
#: Python's operators that mean another thing in matrix notation (``*`` is the elementwise
#: product in Python's, the matrix product in matrix notation's; ``sum(·)`` is the same sum): text
#: Python refuses is never read as matrix notation where it holds one.
PYTHON_PRODUCT = re.compile(r"[*/@]|\beinsum\(|\.T\b")
#: A vector of ones or zeros sized by a number as printed, ``1_3`` (a number, 13, to Python's
#: syntax); ``1_000``, digit grouping, is no printed size.
SIZED_NUMBER = re.compile(r"(?<![\w.])[01]_(?:0|[1-9]\d*)(?![\w.])")
#: An identity as printed, ``I``, ``I_3``, ``I_n``, ``I_(m·n)``: an unknown name to Python's notation.
PRINTED_IDENTITY = re.compile(r"(?<![\w.])I(?:_(?:\(\w+(?:[·*]\w+)*\)|\w+))?(?![\w(])")


def printed_identity(formula: Any, shapes: Any) -> bool:
    """Whether ``formula`` writes an identity (``I_3``, what ``str`` prints for ``diff(x, x)``;
    ``I + S``) that ``shapes`` does not declare as a tensor of that name."""
    return isinstance(formula, str) and any(
        m.group(0) not in {str(k) for k in shapes or {}}
        for m in PRINTED_IDENTITY.finditer(formula))


#: What a matrix form's explicit blocks start with (their insides are index notation).
_MATRIX_BLOCKS = ("]_(", "mat_col[", "mat_row[")


def _has_blocks(formula: str) -> bool:
    """Whether ``formula`` holds a matrix form's explicit block (index notation inside)."""
    return any(m in formula for m in _MATRIX_BLOCKS) or _scalar_block(formula)


def _scalar_block(formula: str) -> bool:
    """A ``where`` line of a matrix form defining a number by an explicit block, ``z1 = [Σ_i
    …]`` (no ``_(i,j)`` after it, a piece ``with ζ1 = …`` at most): a bracket that closes at
    the line's end, where index notation's constant ``[1,2][i]`` is indexed."""
    for line in formula.partition("\nwhere\n")[2].splitlines():
        body = line.partition(" = ")[2]
        if not re.match(r"\s*\w+ = \[", line):
            continue
        depth = 0
        for k, ch in enumerate(body):
            depth += (ch == "[") - (ch == "]")
            if depth == 0:
                if not body[k + 1:].strip() or body.startswith(" with ", k + 1):
                    return True
                break
    return False


def matrix_only(formula: Any) -> bool:
    """A character only matrix notation uses, a ``where`` clause, or a block matrix."""
    return isinstance(formula, str) and (
        any(ch in MATRIX_ONLY for ch in formula) or "\nwhere\n" in formula
        or formula.lstrip().startswith("["))   # a block matrix; Python's list is no formula


def python_readable(formula: Any) -> bool:
    """False only for a syntax error (too deep a formula is Python's to refuse)."""
    if not isinstance(formula, str):
        return True
    try:
        return ast.parse(formula.strip(), mode="eval") is not None
    except SyntaxError:
        return False
    except (RecursionError, MemoryError, ValueError, OverflowError):
        return True


def is_matrix_notation(formula: Any) -> bool:
    """Whether ``ic.parse`` (``notation="auto"``) reads ``formula`` as matrix notation: a
    character only it uses, or text that is no Python expression.

    Examples:
        >>> is_matrix_notation("X.T @ X"), is_matrix_notation("Xᵀ X"), is_matrix_notation("X W")
        (False, True, True)
    """
    return matrix_only(formula) or not python_readable(formula)
