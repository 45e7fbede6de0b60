"""The records of ``ic.explain`` (``Shown``, ``LocalDerivative``, ``Step``) and ``Derivation``, the
value it returns, printed as plain text or LaTeX."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.dims import format_shape
from ..core.nodes import Expr


@dataclass(frozen=True)
class Shown:
    """One formula, as plain text and as LaTeX."""

    text: str
    latex: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class LocalDerivative:
    """``∂of/∂by``: one node's derivative by one of its inputs, other inputs held fixed."""

    of: str
    by: str
    order: int
    shape: tuple
    tensor: Expr
    index: Shown
    reading: str | None = None  # above order 2: what contracting it gives (it is never built)


@dataclass(frozen=True)
class Step:
    """One application of the chain rule: the derivative ``target`` (``∂f/∂node`` in reverse
    accumulation, ``∂node/∂x`` forward) from the local derivatives and the earlier steps."""

    node: str
    target: str
    order: int
    shape: tuple
    locals: tuple[LocalDerivative, ...]
    chain: Shown
    summed: tuple[str, ...]
    collapses: tuple[Shown, ...]
    result: Expr
    index: Shown
    matrix: Shown | None
    matrix_label: str = ""
    notes: tuple = ()
    kron_reading: str | None = None
    through_time: bool = False  # the chain line is a recurrence run backwards (BPTT)


def _text(words: str) -> str:
    """Plain words inside LaTeX math: ``\\text{…}``, with TeX's special characters escaped."""
    for a, b in (("\\", r"\backslash "), ("{", r"\{"), ("}", r"\}"), ("_", r"\_"),
                 ("#", r"\#"), ("%", r"\%"), ("&", r"\&"), ("$", r"\$"), ("^", r"\^{}")):
        words = words.replace(a, b)
    return r"\text{" + words + "}"


def _same_body(s) -> bool:
    """The chain of ``s`` is its one local derivative (nothing to contract): not repeated."""
    return len(s.locals) == 1 and \
        s.chain.text.split(" = ", 1)[-1] == s.locals[0].index.text.split(" = ", 1)[-1]


def _order(order: int, shape: tuple) -> str:
    return f"order {order}, shape {format_shape(shape)}"


@dataclass(frozen=True)
class Derivation:
    """The chain rule applied step by step (see :func:`indexcalc.derivations.chain`).

    Attributes:
        f, x: the display names of the function and the variable.
        direction: ``"reverse"`` (steps from ``f`` inward) or ``"forward"`` (from ``x`` outward).
        layout, vectors, vec: the conventions of the matrix and Kronecker forms.
        definitions: ``(name, Shown)`` for each intermediate, from ``x`` outward.
        steps: the :class:`indexcalc.derivations.chain.Step` records, in the order of accumulation.
        result: the derivative (an expression of shape ``f.shape + x.shape``).
        index: the result in index notation, intermediates by name; ``full``: without them.
        matrix: the result in matrix form for the layout (``Shown``: text and LaTeX), or ``None``
            where no layout module is installed; ``matrix_form``: the ``MatrixForm`` itself;
            ``matrix_label``: what it is (``dJ/dH, denominator layout, row vectors, nh × nh``).
        notes: the assumptions the forms make (``assumes Σ y = 1``) and how a recurrence among
            the intermediates is differentiated (through time).
        devec: for a non-scalar ``f`` and a derivative above order 2, how a scalar loss of ``f``
            gets its gradient by ``x`` back (the contraction, never the Jacobian).

    Examples:
        >>> import indexcalc as ic
        >>> A, x = ic.tensors("A[m,n] x[n]")
        >>> d = ic.explain(ic.sum(ic.tanh(A @ x)), x)
        >>> d.direction, len(d.steps), d.steps[-1].order
        ('reverse', 3, 1)
        >>> d.result is ic.diff(ic.sum(ic.tanh(A @ x)), x)
        True
    """

    f: str
    x: str
    direction: str
    layout: str
    vectors: str
    definitions: tuple
    steps: tuple
    result: Expr
    index: object
    full: str
    matrix: object | None
    matrix_form: object | None = None
    vec: str = "col"
    matrix_label: str = ""
    notes: tuple = ()
    devec: Shown | None = None

    def __repr__(self) -> str:
        result = " ".join(self.index.text.split())
        if len(result) > 60:
            result = result[:60].rstrip() + " …"
        return (f"<Derivation d{self.f}/d{self.x}: {len(self.steps)} step(s), {result}; "
                f"str() for the steps>")

    def __str__(self) -> str:
        way = (f"in reverse, from {self.f} inward to {self.x}" if self.direction == "reverse"
               else f"forward, from {self.x} outward to {self.f}")
        lines = [f"d{self.f}/d{self.x} by the chain rule, accumulated {way}.",
                 "(∂ marks a local, partial derivative: one node by one input, the other inputs "
                 "held fixed; d a total one, through every path.)", ""]
        if self.definitions:
            lines.append(f"Intermediates (from {self.x} outward):")
            lines += [f"  {shown.text}" for _, shown in self.definitions]
            lines.append("")
        noted: set = set()  # a note is printed once, at the first step it applies to
        for k, s in enumerate(self.steps, 1):
            lines.append(f"Step {k}. {s.target}  ({_order(s.order, s.shape)})")
            lines.append("  local derivatives:")
            for d in s.locals:
                lines.append(f"    {d.index.text}   ({_order(d.order, d.shape)})")
                if d.reading:
                    lines.append(f"      reading: {d.reading}")
            if not _same_body(s):
                over = ("backpropagation through time" if s.through_time else
                        f"summing over {', '.join(s.summed)}" if s.summed
                        else "no index summed: an elementwise product")
                lines.append(f"  chain rule ({over}):")
                lines.append(f"    {s.chain.text}")
            if s.collapses:
                lines.append("  deltas (a delta meeting a summed index renames it and drops out; "
                             "one between free indices stays, as a diagonal):")
                lines += [f"    {c.text}" for c in s.collapses]
            lines.append(f"  result: {s.index.text}")
            if s.matrix is not None:
                lines.append(f"  matrix form ({s.matrix_label}): {s.matrix.text}")
            if s.kron_reading:
                lines.append(f"  reading: {s.kron_reading}")
            lines += [f"  note: {n}" for n in s.notes if n not in noted]
            noted.update(s.notes)
            lines.append("")
        lines.append("Result:")
        lines.append(f"  {self.index.text}")
        if self.full != self.index.text.split(" = ", 1)[-1]:
            lines.append(f"  in full: {self.full}")
        if self.devec is not None:
            lines.append(f"  {self.devec.text}")
        lines += [f"  note: {n}" for n in self.notes]
        if self.matrix is not None:
            lines.append(f"  matrix form ({self.matrix_label}): {self.matrix.text}")
        return "\n".join(lines)

    def latex(self) -> str:
        """The derivation as a LaTeX ``aligned`` block (math mode, without ``$``)."""
        rows = []
        if self.definitions:
            rows.append(r"\text{Intermediates:}")
            rows += [r"\quad " + shown.latex for _, shown in self.definitions]
        for k, s in enumerate(self.steps, 1):
            rows.append(rf"\text{{Step {k}, order {s.order}:}}")
            for d in s.locals:
                rows.append(r"\quad " + d.index.latex)
                if d.reading:
                    rows.append(r"\quad\quad " + _text("reading: " + d.reading))
            if not _same_body(s):
                rows.append(r"\quad " + s.chain.latex)
            rows += [r"\quad " + c.latex for c in s.collapses]
            rows.append(r"\quad " + s.index.latex)
            if s.matrix is not None:
                rows.append(r"\quad " + _text(s.matrix_label) + r":\ " + s.matrix.latex)
            if s.kron_reading:
                rows.append(r"\quad " + _text("reading: " + s.kron_reading))
            rows += [r"\quad " + _text("note: " + n) for n in s.notes]
        rows.append(r"\text{Result:}")
        rows.append(r"\quad " + self.index.latex)
        if self.devec is not None:
            rows.append(r"\quad " + self.devec.latex)
        rows += [r"\quad " + _text("note: " + n) for n in self.notes]
        if self.matrix is not None:
            rows.append(r"\quad " + _text(self.matrix_label) + r":\ " + self.matrix.latex)
        return r"\begin{aligned}" + r" \\ ".join("&" + r for r in rows) + r"\end{aligned}"

    def _repr_latex_(self) -> str:
        return "$" + self.latex() + "$"
