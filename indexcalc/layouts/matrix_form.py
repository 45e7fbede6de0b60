"""``MatrixForm``: what ``ic.to_matrix`` and ``ic.to_kron`` return — a form that prints itself
(text and LaTeX, with a ``where`` clause for shared pieces) and evaluates to the matrix it prints."""

from __future__ import annotations

from typing import Any

import numpy as np

from .form_sizes import open_atoms
from .form_text import Printing, latex_name, to_latex, to_text
from .form_values import evaluate_form
from ..errors import LayoutError
from .forms import Explicit, Form, Leaf, _def_names, definitions
from ..core.graph_walk import postorder
from ..core.nodes import Constant, Expr, Named, Tensor


class MatrixForm:
    """A derivative or expression written as matrix algebra, in a stated layout.

    ``str()`` and :meth:`latex` print it; :meth:`evaluate` computes exactly what is printed, from
    the form's own tree (products, transposes, ``⊗``, ``diag``, ``∘``, traces, inverses; a named
    subexpression such as ``h`` from its definition). A large subexpression used several times
    (a cotangent shared by the steps of a recurrence) is printed once, in a ``where`` clause
    after the result, as ``z1 = …``, and by its name elsewhere; each definition is evaluated once.

    Attributes:
        layout: ``"numerator"`` or ``"denominator"``.
        notes: what a reader must know (an assumption such as ``Σ y = 1``, a term that did not
            factorize).

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> A, x = ic.tensors("A[m,n] x[n]")
        >>> f = ic.to_matrix(A.T @ (A @ x))
        >>> print(f)
        Aᵀ A x
        >>> f.evaluate(A=np.eye(2, 3), x=np.ones(3)).shape
        (3, 1)
    """

    def __init__(self, root: Form, tensors: tuple, layout: str, notes: tuple = (),
                 ndim: int = 2, reserved: frozenset = frozenset(), source: Any = None,
                 vectors: str = "column"):
        self.root = root
        self.source = source  # the expression written: evaluation binds its dimensions
        self.tensors = tensors
        self.layout = layout
        self.vectors = vectors  # how the text writes a vector: a column (1), or a row
        self.notes = tuple(notes)
        self.ndim = ndim
        self.definitions = tuple(definitions([root]))
        self._names = _def_names(self.definitions, root, tensors, reserved)
        self._sized: frozenset | None = None

    def _printing(self) -> Printing:
        """How the form prints: its definitions' names, a subscript where a size is open."""
        if self._sized is None:   # found once, on the first printing (one reading of the text)
            self._sized = open_atoms(
                lambda marks, sized: self._text(Printing(self._names, sized, self.vectors, marks)),
                self.names, self.vectors)
        return Printing(self._names, self._sized, self.vectors)

    def _text(self, printing: Printing) -> str:
        main = to_text(self.root, printing=printing)
        if not self.definitions:
            return main
        return main + "\nwhere\n" + "\n".join(
            f"  {self._names[id(r)]} = {to_text(r.definition, printing=printing)}"
            for r in self.definitions)

    def __str__(self) -> str:
        return self._text(self._printing())

    def __repr__(self) -> str:
        return f"MatrixForm({self})"

    @property
    def definition_names(self) -> tuple[str, ...]:
        """The names of the ``where`` definitions, in the order they are listed."""
        return tuple(self._names[id(r)] for r in self.definitions)

    def names(self) -> dict:
        """What each name the form prints stands for, with the orientation it is printed in:
        ``{name: (expression, (rows, cols))}``, ``None`` for an absent axis (``(n, None)`` a
        column). With it as ``shapes``, ``ic.parse`` reads the printed form back. Raises
        ``LayoutError`` when the form prints two different values under one name.

        Examples:
            >>> import indexcalc as ic
            >>> A, x = ic.tensors("A[m,n] x[n]")
            >>> f = ic.to_matrix(A.T @ (A @ x))
            >>> sorted(f.names().items(), key=str)[1][1][1]
            ('n', None)
            >>> ic.parse(str(f), f.names()).shape
            ('n',)
        """
        out, clashes = self._leaves()
        if clashes:
            name, (a, a_shape), (b, b_shape) = clashes[0]
            raise LayoutError(f"the form prints two different values as {name} ({a} of "
                              f"{a_shape}, {b} of {b_shape}): its text cannot be read back")
        return out

    def _leaves(self) -> tuple[dict, list]:
        """:meth:`names`, and each name printed for two different values (``name, first,
        other``)."""
        out: dict = {}
        clashes: list = []
        stack = [self.root, *(r.definition for r in self.definitions)]
        seen: set = set()
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            if isinstance(n, Leaf):
                if n.name in out and (_oriented(out[n.name][1]) != _oriented(n.shape)
                                      or str(out[n.name][0]) != str(n.source)):
                    clashes.append((n.name, out[n.name], (n.source, n.shape)))
                out[n.name] = (n.source, n.shape)
            if isinstance(n, Explicit):   # its index notation names tensors of any order
                for name, e in _printed_names(n.expr).items():
                    out.setdefault(name, (e, tuple(e.shape)))
            stack.extend(n.children())
        return out, clashes

    def latex(self) -> str:
        """The form in LaTeX (``X^\\top``, ``\\circ``, ``\\otimes``, ``\\operatorname{diag}``)."""
        printing = self._printing()
        main = to_latex(self.root, printing=printing)
        if not self.definitions:
            return main
        rows = [main, r"\text{where}"] + [
            rf"\quad {latex_name(self._names[id(r)])} = "
            rf"{to_latex(r.definition, printing=printing)}" for r in self.definitions]
        return r"\begin{aligned}" + r" \\ ".join("&" + r for r in rows) + r"\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"${self.latex()}$"

    def evaluate(self, /, **values: Any) -> np.ndarray:
        """The matrix the form prints: a 2-D array (a vector as n × 1 or 1 × n); a scalar is 0-d."""
        return evaluate_form(self.root, self.tensors, values, self.definitions, self.source)


def _printed_names(expr: Expr) -> dict:
    """The names index notation prints in ``expr``: tensors, named constants, and named
    subexpressions (written by name, not entered)."""
    kids = lambda n: () if isinstance(n, Named) else n.children()   # noqa: E731
    return {n.name: n for n in postorder([expr], kids)
            if isinstance(n, (Tensor, Named)) or isinstance(n, Constant) and n.name}


def _oriented(shape: tuple) -> tuple:
    """A scalar's shape is ``()`` where a leaf is a number and ``(None, None)`` where it is a
    1 × 1 factor: one orientation."""
    return (None, None) if shape == () else tuple(shape)


def identities_clash(form: MatrixForm) -> bool:
    """Whether ``form`` prints identities (or rows of them, ``I[0, :]``) of two sizes under one
    name: the renderers then print it again with every identity sized (``I_3[0, :]``)."""
    return any(name == "I" or name.startswith("I[") for name, _, _ in form._leaves()[1])
