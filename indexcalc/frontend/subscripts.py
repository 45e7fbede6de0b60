"""Einsum subscript strings, parsed exactly as ``numpy.einsum`` reads them.

Pure string work, no NumPy: :func:`split_subscripts` checks the syntax and splits a string into
its terms, :func:`parse_subscripts` resolves the terms against the operands' numbers of axes and
gives every axis a label. Letters label themselves; the axes an ellipsis covers get the labels
``'.0'``, ``'.1'``, ... numbered right-aligned, the way NumPy broadcasts them.

Every error is a :class:`~indexcalc.errors.ParseError` that quotes the whole subscripts string
and names the culprit.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Sequence

from indexcalc.errors import ParseError

ELLIPSIS = "..."
ARROW = "->"
LETTERS = frozenset(string.ascii_letters)


def _fail(subscripts: str, problem: str) -> ParseError:
    return ParseError(f"einsum {subscripts!r}: {problem}")


def _term_name(position: int | None) -> str:
    return "the output term" if position is None else f"term {position}"


def _check_term(subscripts: str, term: str, position: int | None) -> str:
    """Validate one term and return it without spaces (``position`` None is the output)."""
    where = _term_name(position)
    if term.count(ELLIPSIS) > 1:
        raise _fail(subscripts, f"{where} {term.strip()!r} has more than one '...'")
    for char in term.replace(ELLIPSIS, "", 1):
        if char == ".":
            raise _fail(subscripts, f"{where} {term.strip()!r} has a '.' that is not part of '...'")
        if char in "->":
            raise _fail(subscripts, f"{where} {term.strip()!r} has a stray {char!r} (write '->' once)")
        if char not in LETTERS and not char.isspace():
            problem = f"{where} {term.strip()!r} has {char!r}; subscripts are letters a-z, A-Z"
            raise _fail(subscripts, problem)
    return "".join(term.split())


def _check_output(subscripts: str, inputs: list[str], output: str) -> None:
    seen_in_inputs = set("".join(inputs))
    counts = Counter(output.replace(ELLIPSIS, ""))
    for letter, count in counts.items():
        if count > 1:
            raise _fail(subscripts, f"output letter {letter!r} appears {count} times in the output")
        if letter not in seen_in_inputs:
            raise _fail(subscripts, f"output letter {letter!r} appears in no input")


def split_subscripts(subscripts: str) -> tuple[list[str], str | None]:
    """Split an einsum string into its input terms and its explicit output term.

    Checks everything that does not depend on the operands: only letters, at most one ``'->'``,
    at most one whole ``'...'`` per term, output letters unique and present in some input.
    Spaces are ignored (but not inside ``'...'``).

    Args:
        subscripts: an einsum string such as ``"ij,jk->ik"``.

    Returns:
        The input terms (letters and possibly ``'...'``, without spaces) and the output term, or
        ``None`` in implicit mode (no ``'->'``).

    Raises:
        ParseError: on bad syntax; the message quotes ``subscripts`` and names the culprit.

    Examples:
        >>> split_subscripts("ij, jk -> ik")
        (['ij', 'jk'], 'ik')
        >>> split_subscripts("...ii")
        (['...ii'], None)
        >>> split_subscripts("ij,jk->il")
        Traceback (most recent call last):
        ...
        indexcalc.errors.ParseError: einsum 'ij,jk->il': output letter 'l' appears in no input
    """
    if not isinstance(subscripts, str):
        raise ParseError(f"einsum subscripts must be a string, got {type(subscripts).__name__}")
    inputs_text, arrow, output_text = subscripts.partition(ARROW)
    if ARROW in output_text:
        raise _fail(subscripts, "has more than one '->'")
    inputs = [_check_term(subscripts, term, k) for k, term in enumerate(inputs_text.split(","))]
    if not arrow:
        return inputs, None
    if "," in output_text:
        raise _fail(subscripts, "the output term after '->' has a ','; there is one output")
    output = _check_term(subscripts, output_text, None)
    _check_output(subscripts, inputs, output)
    return inputs, output


def implicit_output(inputs: Sequence[str]) -> str:
    """The output term NumPy uses in implicit mode (no ``'->'``).

    ``'...'`` if any input has one, then the letters that appear exactly once over all inputs,
    sorted by code point (uppercase before lowercase).

    Examples:
        >>> implicit_output(["ba"])
        'ab'
        >>> implicit_output(["...ij", "jkB"])
        '...Bik'
        >>> implicit_output(["ii"])
        ''
    """
    counts = Counter("".join(inputs).replace(ELLIPSIS, ""))
    once = "".join(sorted(letter for letter, count in counts.items() if count == 1))
    has_ellipsis = any(ELLIPSIS in term for term in inputs)
    return (ELLIPSIS if has_ellipsis else "") + once


def _ellipsis_count(subscripts: str, term: str, position: int, ndim: int) -> int:
    """How many axes the term's ellipsis covers (0 without one); checks the letter count."""
    letters = len(term.replace(ELLIPSIS, ""))
    problem = f"term {position} {term!r} has {letters} letters but operand {position} has {ndim} axes"
    if ELLIPSIS in term:
        if letters > ndim:
            raise _fail(subscripts, problem)
        return ndim - letters
    if letters != ndim:
        raise _fail(subscripts, f"{problem} (and no '...' to cover the rest)")
    return 0


def _labels(term: str, covered: int, broadcast: int) -> tuple[str, ...]:
    """Labels of a term's axes; its ellipsis covers the last ``covered`` of ``broadcast`` axes."""
    before, _, after = term.partition(ELLIPSIS)
    dots = tuple(f".{k}" for k in range(broadcast - covered, broadcast))
    return (*before, *dots, *after)


def _check_ndims(subscripts: str, inputs: list[str], ndims: Sequence[int]) -> list[int]:
    if len(inputs) != len(ndims):
        raise _fail(subscripts, f"{len(inputs)} input terms but {len(ndims)} operands")
    checked = []
    for position, ndim in enumerate(ndims):
        if isinstance(ndim, bool) or not isinstance(ndim, int) or ndim < 0:
            raise _fail(subscripts, f"operand {position} has an invalid number of axes {ndim!r}")
        checked.append(ndim)
    return checked


def parse_subscripts(subscripts: str, ndims: Sequence[int]) -> tuple[list[tuple[str, ...]], tuple[str, ...]]:
    """Label every axis of every operand and of the output, as ``numpy.einsum`` would.

    Args:
        subscripts: an einsum string, explicit (``"ij,jk->ik"``) or implicit (``"ij,jk"``).
        ndims: the number of axes of each operand.

    Returns:
        One tuple of labels per operand (one per axis, in axis order) and the output labels.
        Letters label themselves; ellipsis axes get ``'.0'``, ``'.1'``, ... numbered
        right-aligned across operands (NumPy broadcasting), the output's ellipsis taking them all.

    Raises:
        ParseError: bad syntax, a term count that differs from ``len(ndims)``, a term whose
            letters do not fit its operand's axes, or ellipsis axes summed away by an explicit
            output without ``'...'`` (NumPy refuses that too).

    Examples:
        >>> parse_subscripts("ij,jk->ik", [2, 2])
        ([('i', 'j'), ('j', 'k')], ('i', 'k'))
        >>> parse_subscripts("...i,...->...", [3, 1])
        ([('.0', '.1', 'i'), ('.1',)], ('.0', '.1'))
        >>> parse_subscripts("Bi,ia", [2, 2])
        ([('B', 'i'), ('i', 'a')], ('B', 'a'))
        >>> parse_subscripts("ij,jk", [2, 3])
        Traceback (most recent call last):
        ...
        indexcalc.errors.ParseError: einsum 'ij,jk': term 1 'jk' has 2 letters but operand 1 has 3 axes...
    """
    inputs, output = split_subscripts(subscripts)
    ndims = _check_ndims(subscripts, inputs, ndims)
    covered = [_ellipsis_count(subscripts, term, k, n) for k, (term, n) in enumerate(zip(inputs, ndims))]
    broadcast = max(covered, default=0)
    if output is None:
        output = implicit_output(inputs)
    elif ELLIPSIS not in output and broadcast:
        problem = f"'...' covers {broadcast} axes of the inputs but the output has no '...' to keep them"
        raise _fail(subscripts, problem)
    labels = [_labels(term, count, broadcast) for term, count in zip(inputs, covered)]
    return labels, _labels(output, broadcast, broadcast)
