"""Which ``I``, ``1``, ``0`` and ``𝟙`` of a printed form carry a subscript: as few as make its
text fix every size (``vec(tril(1_a 1_aᵀ, 1))``, ``I_p ⊗ A``, ``(1_nᵀ ⊗ I) vec(A)``, ``(y ⊗ I_a ⊗
I_a) K_(a,a)``), and none where the text fixes them (``Bᵀ ⊗ A``; in ``(e ⊗ I) diag(1 − h∘h)``
the product's size fixes ``I``'s).

The reader of matrix notation decides what a text fixes, so it is the oracle
(:func:`indexcalc.formula.matrix_reader.atom_sizes`): the form is printed with each such atom
marked where it starts, the text is read as ``ic.parse(str(form), form.names())`` reads it —
the text alone: the form's own shape is not given, since a reader of the text does not have it
(``I ⊗ A`` is ``I_p ⊗ A`` only for the form's shape) — and an atom is open where the reading
leaves its size open, or infers another. The first open atom in reading order is subscripted and
the text read again (its size may fix the others': ``[0_2 0_3ᵀ; I]``, not ``[0_2 0_3ᵀ; I_3]``),
at most ``ROUNDS`` times, then every atom still open is; a form whose text fixes its sizes is
printed and read once. A text the reader refuses for another reason (index notation, one name
for two values, more than ``MAX_LENGTH`` characters) keeps its atoms bare: no subscript would
make it read.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..core.dims import dim_mul, dims_equal
from ..errors import IndexcalcError
from ..formula.matrix_reader import atom_sizes
from .forms import Form, Identity

_MARK = re.compile("\x00(\\d+)\x01")
#: Readings that subscript one atom each; a constant, so printing stays linear in the form.
ROUNDS = 6


def open_atoms(text_of: Callable[[dict, frozenset], str], names: Callable[[], dict],
               vectors: str) -> frozenset[int]:
    """The ids of the atoms to print with a subscript. ``text_of(marks, sized)`` is the form's
    text with each atom marked (``Printing.marks``), those of ``sized`` subscripted; ``names()``
    its leaves as ``MatrixForm.names`` gives them; ``vectors`` how it writes a vector.

    Examples:
        >>> import indexcalc as ic
        >>> S, A, Z = ic.tensors("S[a,a] A[m,n] Z[n,p]")
        >>> print(ic.to_kron(ic.diff(ic.tril(S, 1), S)))
        diag(vec(tril(1_a 1_aᵀ, 1)))
        >>> print(ic.to_kron(ic.diff(A @ Z, Z)))
        I_p ⊗ A
    """
    sized: frozenset = frozenset()
    found: list = []   # the atoms the last reading left open
    for round_ in range(ROUNDS + 1):
        marks: dict = {}
        text, starts = _unmarked(text_of(marks, sized))
        if not starts:
            return sized
        atoms = dict(marks.values())
        try:
            sizes = atom_sizes(text, names(), vectors)
        except IndexcalcError:   # a subscript made it worse: the last text that read
            return sized | set(found) if round_ else _all_or_none(text_of, names, vectors, atoms)
        # where the reading found no atom of its own, or another size, the text does not fix it
        found = [id(atoms[k]) for at, k in starts
                 if id(atoms[k]) not in sized
                 and (sizes.get(at) is None or not _fits(atoms[k], sizes[at]))]
        if not found:
            return sized
        sized |= {found[0]} if round_ < ROUNDS else set(found)
    return sized


def _all_or_none(text_of: Callable, names: Callable, vectors: str, atoms: dict) -> frozenset:
    """Every atom subscripted where the bare text does not read at all (``xᵀ 1ᵀ 1``: a row
    convention's ``1ᵀ`` is a column, never the number, so ``1_1ᵀ`` says it is one long), if
    that reads; else none (no subscript would make it read)."""
    every = frozenset(id(a) for a in atoms.values())
    try:
        atom_sizes(_unmarked(text_of({}, every))[0], names(), vectors)
    except IndexcalcError:
        return frozenset()
    return every


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
