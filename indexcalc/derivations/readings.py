"""The matrix lines of ``ic.explain``, each labelled with what it is, and the plain readings.

* :func:`matrix_line`: a derivative of order ≤ 2 as ``to_matrix`` writes it, above order 2 as the
  Kronecker Jacobian ``to_kron`` writes, labelled with its layout, its ``vec`` order and its size
  (``∂vec(h)/∂vec(W_hx), row-major vec = vec(W_hxᵀ), nh × (ni·nh)``).
* :func:`kron_reading`: what a ``⊗`` in such a form means (block ``(i, j)`` of ``A ⊗ B`` is
  ``A_ij B``).
* :func:`devec_line`: how a scalar loss ``L`` of ``f`` gets ``∂L/∂x`` back from ``∂f/∂x``
  without building it: the contraction with ``g = ∂L/∂f``, as a matrix of ``x``'s shape.
"""

from __future__ import annotations

import re

from ..core.algebra import fresh, product
from ..core.dims import format_shape
from ..core.nodes import Expr, Tensor
from ..errors import LayoutError
from ..layouts.kronecker import to_kron
from ..layouts.matrix_layout import to_matrix
from ..core.graph_walk import tensors_of
from .records import Shown

#: How each ``vec`` order stacks a matrix ``X``, in words.
VEC_WORDS = {"col": "column-major vec (columns stacked)",
             "row": "row-major vec = vec(Xᵀ) (rows stacked)"}


def _size(dim) -> str:
    return "1" if dim is None else str(dim).replace("*", "·")


def form_of(e: Expr, out_ndim: int, options: dict, names: list):
    """The ``MatrixForm`` of ``e`` (``to_kron`` above order 2), or ``None`` with the reason."""
    try:
        if e.ndim <= 2:
            present = {t.name for t in tensors_of(e)}  # a step without y assumes nothing of it
            return to_matrix(e, options["layout"], options["vectors"], out_ndim=out_ndim, names=names,
                             normalized=[n for n in options["normalized"] if n in present]), None
        return to_kron(e, options["layout"], options["vec"], out_ndim=out_ndim, names=names), None
    except LayoutError as err:
        return None, str(err)


def label(top: str, bottom: str, e: Expr, out_ndim: int, form, options: dict, d: str) -> str:
    """What a matrix line is: ``dJ/dH, denominator layout, row vectors, nh × nh``."""
    shape = "" if form is None else f", {_size(form.root.shape[0])} × {_size(form.root.shape[1])}"
    if e.ndim <= 2:
        return f"{d}{top}/{d}{bottom}, {options['layout']} layout, {options['vectors']} vectors{shape}"
    rows = f"rows follow vec({top})" if options["layout"] == "numerator" else f"rows follow vec({bottom})"
    words = VEC_WORDS[options["vec"]].replace("X", bottom)
    return f"{d}vec({top})/{d}vec({bottom}), {options['layout']} layout ({rows}), {words}{shape}"


def matrix_line(top: str, bottom: str, e: Expr, out_ndim: int, options: dict, names: list,
                d: str = "∂"):
    """``(label, Shown, form)`` for ``e``: its matrix form, labelled; the form is ``None`` where
    there is none (the text says why)."""
    form, why = form_of(e, out_ndim, options, names)
    head = label(top, bottom, e, out_ndim, form, options, d)
    if form is None:
        return head, Shown(f"(none: {why})", r"\text{(none)}"), None
    return head, Shown(str(form), form.latex()), form


#: An identity as a form prints it: ``I``, or sized where its text leaves the size open (``I_n``,
#: ``I_(m·n)``).
_I = r"I(?:_(?:\([^)]*\)|[^\W_ᵀ]+))?(?![\w(])"


def kron_reading(text: str, short: bool = False) -> str | None:
    """The sentence that reads a Kronecker form (block ``(i, j)`` of ``A ⊗ B`` is ``A_ij·B``),
    with the form's own vectors where it has them; ``None`` where it has no ``⊗``; ``short``:
    only the sentences about the form's own factors."""
    if "⊗" not in text:
        return None
    said = []
    for a, i in dict.fromkeys(re.findall(r"([^\Wᵀ]+)ᵀ ⊗ (" + _I + ")", text)):
        said.append(f"{a}ᵀ ⊗ {i} is the row of blocks {a}_1·{i}, {a}_2·{i}, …")
    for a, i in dict.fromkeys(re.findall(r"(?<![\w)])([^\Wᵀ]+) ⊗ (" + _I + ")", text)):
        said.append(f"{a} ⊗ {i} is the column of blocks {a}_1·{i}, {a}_2·{i}, …")
    for i, a in dict.fromkeys(re.findall(r"\b(" + _I + r") ⊗ ([^\Wᵀ]+ᵀ?)", text)):
        said.append(f"{i} ⊗ {a} is block-diagonal, {a} on the diagonal")
    if short:
        return "; ".join(said) or None
    return "; ".join(["A ⊗ B is the block matrix whose block (i, j) is A_ij·B"] + said)


def d_vec(top: str, bottom: str, options: dict) -> str:
    """``∂vec(H)/∂vec(W) (denominator layout, column-major vec)``."""
    vec = "column-major" if options["vec"] == "col" else "row-major"
    return f"∂vec({top})/∂vec({bottom}) ({options['layout']} layout, {vec} vec)"


def contraction_reading(other: str, contracted: Shown, shape: tuple) -> str:
    """``contracting it with dJ/dz1 gives h_prevᵀ dJ/dz1, of shape (nh, nh)``."""
    return f"contracting it with {other} gives {contracted.text}, of shape {format_shape(shape)}"


def devec_line(f_name: str, x_name: str, derivative: Expr, f_ndim: int, taken: set,
               options: dict) -> Shown | None:
    """Back from ``∂f/∂x`` (a non-scalar ``f``) to ``∂L/∂x`` for a scalar loss ``L`` of ``f``:
    ``∂L/∂x = Σ g ∂f/∂x`` with ``g = ∂L/∂f``, written as a matrix of ``x``'s shape. The
    Jacobian is never built: this is its contraction (the row ``gᵀ J`` de-vec'd)."""
    if f_ndim == 0 or derivative.ndim - f_ndim > 2:
        return None
    name = next(n for n in ("g", "g_L", "g_loss") if n not in taken)
    g = Tensor(name, derivative.shape[:f_ndim])
    F = tuple(fresh() for _ in range(f_ndim))
    X = tuple(fresh() for _ in range(derivative.ndim - f_ndim))
    dims = dict(zip(F + X, derivative.shape))
    back = product([(g, F), (derivative, F + X)], X, dims)
    opts = dict(options, layout="denominator")
    try:
        form = to_matrix(back, "denominator", options["vectors"], out_ndim=0,
                         normalized=opts["normalized"])
    except LayoutError:
        return None
    how = {"col": "reshaping the row gᵀ·J column-major (Fortran order)",
           "row": "reshaping the row gᵀ·J row-major (C order)"}[options["vec"]]
    text = (f"de-vec: for a scalar L of {f_name}, with {name} = ∂L/∂{f_name}, "
            f"∂L/∂{x_name} = {form} ({x_name}'s shape; the same numbers as {how} "
            f"to {format_shape(back.shape)} — J itself is never built)")
    latex = (rf"\text{{de-vec: }} \partial L/\partial {x_name} = {form.latex()}")
    return Shown(text, latex)
