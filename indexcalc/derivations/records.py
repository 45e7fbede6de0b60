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


def _order(order: int, shape: tuple) -> str:
    return f"order {order}, shape {format_shape(shape)}"


@dataclass(frozen=True)
class Derivation:
    """The chain rule applied step by step (see :func:`indexcalc.derivations.chain`).

    Attributes:
        f, x: the display names of the function and the variable.
        direction: ``"reverse"`` (steps from ``f`` inward) or ``"forward"`` (from ``x`` outward).
        layout, vectors: the conventions of the matrix forms.
        definitions: ``(name, Shown)`` for each intermediate, from ``x`` outward.
        steps: the :class:`indexcalc.derivations.chain.Step` records, in the order of accumulation.
        result: the derivative (an expression of shape ``f.shape + x.shape``).
        index: the result in index notation, intermediates by name; ``full``: without them.
        matrix: the result in matrix form for the layout (``Shown``: text and LaTeX), or ``None``
            where no layout module is installed; ``matrix_form``: the ``MatrixForm`` itself.
        notes: remarks on how some intermediates are differentiated (a recurrence: through time).

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
    notes: tuple = ()

    def __repr__(self) -> str:
        result = " ".join(self.index.text.split())
        if len(result) > 60:
            result = result[:60].rstrip() + " …"
        return (f"<Derivation ∂{self.f}/∂{self.x}: {len(self.steps)} step(s), {result}; "
                f"str() for the steps>")

    def _conventions(self) -> str:
        return f"{self.layout} layout, {self.vectors} vectors"

    def __str__(self) -> str:
        way = (f"in reverse, from {self.f} inward to {self.x}" if self.direction == "reverse"
               else f"forward, from {self.x} outward to {self.f}")
        lines = [f"∂{self.f}/∂{self.x} by the chain rule, accumulated {way}.", ""]
        if self.definitions:
            lines.append(f"Intermediates (from {self.x} outward):")
            lines += [f"  {shown.text}" for _, shown in self.definitions]
            lines.append("")
        for k, s in enumerate(self.steps, 1):
            lines.append(f"Step {k}. {s.target}  ({_order(s.order, s.shape)})")
            lines.append("  local derivatives:")
            lines += [f"    {d.index.text}   ({_order(d.order, d.shape)})" for d in s.locals]
            if not (len(s.locals) == 1 and s.chain.text == s.locals[0].index.text):
                over = ", ".join(s.summed) if s.summed else "nothing"
                lines.append(f"  chain rule (summing over {over}):")
                lines.append(f"    {s.chain.text}")
            if s.collapses:
                lines.append("  deltas (a delta meeting a summed index renames it and vanishes):")
                lines += [f"    {c.text}" for c in s.collapses]
            lines.append(f"  result: {s.index.text}")
            if s.matrix is not None:
                lines.append(f"  matrix form ({self._conventions()}): {s.matrix.text}")
            lines.append("")
        lines += [f"Note: {n}" for n in self.notes] + ([""] if self.notes else [])
        lines.append("Result:")
        lines.append(f"  {self.index.text}")
        if self.full != self.index.text.split(" = ", 1)[-1]:
            lines.append(f"  in full: {self.full}")
        if self.matrix is not None:
            lines.append(f"  matrix form ({self._conventions()}): {self.matrix.text}")
        return "\n".join(lines)

    def latex(self) -> str:
        """The derivation as a LaTeX ``aligned`` block (math mode, without ``$``)."""
        rows = []
        if self.definitions:
            rows.append(r"\text{Intermediates:}")
            rows += [r"\quad " + shown.latex for _, shown in self.definitions]
        for k, s in enumerate(self.steps, 1):
            rows.append(rf"\text{{Step {k}, order {s.order}:}}")
            rows += [r"\quad " + d.index.latex for d in s.locals]
            if not (len(s.locals) == 1 and s.chain.text == s.locals[0].index.text):
                rows.append(r"\quad " + s.chain.latex)
            rows += [r"\quad " + c.latex for c in s.collapses]
            rows.append(r"\quad " + s.index.latex)
            if s.matrix is not None:
                rows.append(r"\quad " + s.matrix.latex)
        rows += [r"\text{Note: " + n.replace("\\", "").replace("{", r"\{").replace("}", r"\}")
                 .replace("_", r"\_") + "}" for n in self.notes]
        rows.append(r"\text{Result:}")
        rows.append(r"\quad " + self.index.latex)
        if self.matrix is not None:
            rows.append(r"\quad " + self.matrix.latex)
        return r"\begin{aligned}" + r" \\ ".join("&" + r for r in rows) + r"\end{aligned}"

    def _repr_latex_(self) -> str:
        return "$" + self.latex() + "$"
