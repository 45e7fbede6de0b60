"""Which bound indices of printed index notation declare their size (``i∈[3]``): those the
text leaves open, and no others.

An index that meets only ``δ``, ``1`` or a mask has no size in the text: ``i,j,k,l ↦ A[i,k]
δ[j,l]`` (``A`` of shape 3×4) cannot say how long ``j`` is. The reader of index notation
(:func:`indexcalc.formula.index_reader.read_sizes`) decides what a text fixes, so it is the
oracle, as the matrix reader is for ``I_n`` (:mod:`indexcalc.layouts.form_sizes`): a text whose
plain reading is refused for an unsized index is printed again with every bound index sized,
read, and stripped of the declarations the reading did not need (``i,j∈[5],k,l ↦ A[i,k] δ[j,l]``:
``l`` takes ``j``'s size through ``δ``). Only text with a size-less value (``δ``, ``1[i]``,
``tril(1)``) or a bound index nothing is written at (``Σ_k c``, ``j ↦ s``), and whose printing
could not prove every index sized (a tensor, a where name or ``δ`` with one gives a size), is
read at all: printing what needs no declaration costs nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..core.graph_walk import postorder
from ..core.nodes import Constant, Derivative, Expr, Named, Tensor
from ..errors import IndexcalcError

__all__ = ["dimension_names", "leaf_names", "readable"]

#: What may leave an index without a size: a value printed at indices that gives them none
#: (``δ[``, ``1[``, ``0.5[``, ``tril(1)``).
_SIZELESS = re.compile(r"δ\[|(?<![\w\]'.])\d+(?:\.\d*)?(?:e[-+]?\d+)?\[|\b(?:tril|triu)\(")
_DECLARATION = re.compile(r"∈\[[^\]]*\]")


def leaf_names(expr: Expr) -> dict[str, Expr]:
    """What the printed text names, by name: the tensors, named parts and named constants
    (the ``shapes=`` that reading it back takes), and a derivative's variable and function,
    which the reader of ``∂(XW)/∂W`` has (``δ[h,h']``: ``h`` is ``W``'s dimension)."""
    def kids(n: Expr) -> tuple:
        if isinstance(n, Derivative):
            return (n.arg, n.of, n.wrt)
        return () if isinstance(n, Named) else n.children()

    return {n.name: n for n in postorder([expr], kids)
            if isinstance(n, (Tensor, Named)) or isinstance(n, Constant) and n.name}


def dimension_names(expr: Expr, leaves: dict | None = None) -> frozenset:
    """The dimension names of what the printed text of ``expr`` names (:func:`leaf_names`, or
    ``leaves``): the reader sizes an index named after one by it (``named_dimension``), so the
    printer names no index of another dimension so (``i`` of size 3 beside a tensor of ``i``).

    Examples:
        >>> import indexcalc as ic
        >>> sorted(dimension_names(ic.Tensor("X", ("i", 3)) * 2))
        ['i']
    """
    leaves = leaf_names(expr) if leaves is None else leaves
    return frozenset(d for n in leaves.values() for d in n.shape if isinstance(d, str))


def readable(plain: str, sized: Callable[[], str], read: Callable[[str], set],
             prefix: str | None = None, unused: bool = False, named: bool = False) -> str:
    """``plain`` when it reads back (or nothing would help it: it is refused for another reason);
    else ``sized()`` (every bound index written ``i∈[3]``) with only the declarations
    ``read(text)`` (the spans of those a reading needed) reports. ``prefix`` (``i,j ↦ ``, the
    axes a sized text always leads with) is dropped again where no declaration is left in it
    and ``plain`` did without it. ``unused``: the printing bound a name nothing under its
    binder is written at (``Σ_k c``), which may leave it without a size. ``named``: the printing
    proved every index sized — named after a dimension of the text's tensors, or written at a
    value with a shape, itself or through ``δ`` (``_Context.all_sized``) — so ``plain`` is
    returned unread (a Hessian's ``δ`` costs no reading).

    Examples:
        >>> from indexcalc.formula.index_reader import read_sizes
        >>> readable("δ[i,j]", lambda: "i∈[3],j∈[3] ↦ δ[i,j]",
        ...          lambda text: read_sizes(text)[1], "i,j ↦ ")
        'i∈[3],j ↦ δ[i,j]'
    """
    if named or not unused and not _SIZELESS.search(plain):
        return plain
    try:
        read(plain)
        return plain
    except IndexcalcError as e:
        if not getattr(e, "unsized", False):
            return plain
    except RecursionError:
        return plain
    full = sized()
    try:
        used = read(full)
    except (IndexcalcError, RecursionError):
        return plain
    kept, last = [], 0
    for m in _DECLARATION.finditer(full):
        kept.append(full[last:m.end() if m.span() in used else m.start()])
        last = m.end()
    text = "".join(kept) + full[last:]
    shorter = [text[len(prefix):]] if prefix and text.startswith(prefix) and \
        not plain.startswith(prefix) else []
    for candidate in (*shorter, text):
        try:
            read(candidate)
            return candidate
        except (IndexcalcError, RecursionError):
            continue
    return full

