"""Which ``I``, ``1``, ``0`` and ``𝟙`` of a printed form carry a subscript: those whose size its
text leaves open (``vec(tril(1_a 1_aᵀ, 1))``, ``(y ⊗ I_a ⊗ I_a) K_(a,a)``), and no others
(``I ⊗ A``, ``[0; I]`` stay bare: the product's, the block's size fixes theirs).

The reader of matrix notation decides what a text fixes, so it is the oracle
(:func:`indexcalc.formula.matrix_reader.atom_sizes`): the form is printed once with each such
atom marked where it starts, the text is read as the round trip reads it (the names
``MatrixForm.names()`` reports, the form's own shape expected), and an atom is subscripted where
the reading leaves its size open, or infers another. One printing and one reading, whatever the
number of atoms; a text the reader refuses for another reason (index notation, one name for two
values, more than ``MAX_LENGTH`` characters) keeps its atoms bare: no subscript would make it read.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..core.dims import dim_mul, dims_equal
from ..errors import IndexcalcError
from ..formula.matrix_reader import atom_sizes
from .forms import Form, Identity

_MARK = re.compile("\x00(\\d+)\x01")


def open_atoms(text_of: Callable[[dict], str], names: Callable[[], dict], vectors: str,
               shape: tuple) -> frozenset[int]:
    """The ids of the atoms to print with a subscript. ``text_of(marks)`` is the form's text
    with each atom marked (``Printing.marks``); ``names()`` its leaves as ``MatrixForm.names``
    gives them; ``vectors`` how it writes a vector; ``shape`` its value's ``(rows, cols)``.

    Examples:
        >>> import indexcalc as ic
        >>> S, A, Z = ic.tensors("S[a,a] A[m,n] Z[n,p]")
        >>> print(ic.to_kron(ic.diff(ic.tril(S, 1), S)))
        diag(vec(tril(1_a 1_aᵀ, 1)))
        >>> print(ic.to_kron(ic.diff(A @ Z, Z)))
        I ⊗ A
    """
    marks: dict = {}
    text, starts = _unmarked(text_of(marks))
    if not starts:
        return frozenset()
    try:
        sizes = atom_sizes(text, names(), vectors, shape)
    except IndexcalcError:
        return frozenset()
    atoms = dict(marks.values())
    # where the reading found no atom of its own, or another size, the text does not fix it
    return frozenset(id(atoms[k]) for at, k in starts
                     if sizes.get(at) is None or not _fits(atoms[k], sizes[at]))


def _unmarked(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """The text without its markers, and ``(offset, atom number)`` for each marker."""
    parts, starts, last, removed = [], [], 0, 0
    for m in _MARK.finditer(marked):
        parts.append(marked[last:m.start()])
        starts.append((m.start() - removed, int(m.group(1))))
        removed += m.end() - m.start()
        last = m.end()
    parts.append(marked[last:])
    return "".join(parts), starts


def _size(shape: tuple):
    return dim_mul(*(d for d in shape if d is not None)) if shape != (None, None) else 1


def _fits(atom: Form, got: tuple) -> bool:
    """Whether the reading gave ``atom`` its own size: a vector's whichever way it was read
    (``1ᵀ`` is read as ``1``, then transposed), an axis of size 1 as good as none."""
    want = (atom.dim, atom.dim) if isinstance(atom, Identity) else atom.shape
    if None in want or None in got:
        return dims_equal(_size(want), _size(got))
    return all(dims_equal(w, g) for w, g in zip(want, got))
