"""The matrix-function rule table: one row per function of a square matrix.

A :class:`~indexcalc.core.nodes.MatrixFunction` node names its row; the row says everything a
stage needs to know about the function, so a new function is one row, not a new node type:

* ``kind`` — ``"primary"`` (a primary matrix function ``f(A) = V f(Λ) V⁻¹``: expm, sqrtm, logm),
  whose Fréchet derivative ``L_f(A, E)`` is the top-right block of ``f([[A, E], [0, A]])`` and
  whose adjoint is ``L_f(Aᵀ, ·)``; or ``"cholesky"``, whose derivative
  ``dL = L Φ(L⁻¹ dA L⁻ᵀ)`` the calculus writes with solves and a triangular mask.
* ``evaluators`` — per backend, ``"module:attribute"`` of the library function (imported only
  when a program for that backend is built), and ``extra``: the pip extra that installs a module
  that is not a runtime dependency (SciPy for expm/sqrtm/logm on NumPy).
* ``text`` and ``latex`` — how the renderers name it (``expm``, ``\\exp``; ``expm`` rather than
  ``exp`` so that it never reads as the elementwise exponential), and ``frechet_text`` the
  name of its Fréchet derivative operator (``L_exp``).
* ``domain`` — what the values must satisfy, said in the refusal when they do not.

Examples:
    >>> matrix_function("expm").text, matrix_function("expm").frechet_text
    ('expm', 'L_exp')
    >>> matrix_function("svd")
    Traceback (most recent call last):
    ...
    indexcalc.errors.IndexcalcError: no matrix function 'svd'; known: expm, sqrtm, logm, cholesky
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import IndexcalcError


@dataclass(frozen=True)
class MatrixFunctionRule:
    """One row of the table (see the module docs)."""

    name: str
    kind: str
    text: str
    latex: str
    evaluators: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    domain: str = ""

    @property
    def frechet_text(self) -> str:
        """The Fréchet derivative's name, as the literature writes it: ``L_exp`` for expm."""
        return "L_" + self.name.removesuffix("m")

    @property
    def frechet_latex(self) -> str:
        """Its LaTeX: ``L_{\\exp}``."""
        short = self.frechet_text[2:]
        return rf"L_{{\{short}}}" if short in ("exp", "log") else rf"L_{{\mathrm{{{short}}}}}"


MATRIX_FUNCTIONS: dict[str, MatrixFunctionRule] = {r.name: r for r in (
    MatrixFunctionRule(
        "expm", "primary", "expm", r"\exp",
        evaluators={"numpy": "scipy.linalg:expm", "jax": "jax.scipy.linalg:expm",
                    "torch": "torch.linalg:matrix_exp", "dask": "scipy.linalg:expm"},
        extra={"numpy": "linalg", "dask": "linalg"}),
    MatrixFunctionRule(
        "sqrtm", "primary", "sqrtm", r"\operatorname{sqrtm}",
        evaluators={"numpy": "scipy.linalg:sqrtm", "dask": "scipy.linalg:sqrtm"},
        extra={"numpy": "linalg", "dask": "linalg"},
        domain="a real principal square root: no eigenvalue on the closed negative real axis"),
    MatrixFunctionRule(
        "logm", "primary", "logm", r"\log",
        evaluators={"numpy": "scipy.linalg:logm", "dask": "scipy.linalg:logm"},
        extra={"numpy": "linalg", "dask": "linalg"},
        domain="a real principal logarithm: no eigenvalue on the closed negative real axis"),
    MatrixFunctionRule(
        "cholesky", "cholesky", "cholesky", r"\operatorname{chol}",
        evaluators={"numpy": "numpy.linalg:cholesky", "jax": "jax.numpy.linalg:cholesky",
                    "torch": "torch.linalg:cholesky", "cupy": "cupy.linalg:cholesky",
                    "dask": "numpy.linalg:cholesky"},
        domain="a symmetric positive definite matrix"),
)}


def matrix_function(name: str) -> MatrixFunctionRule:
    """The row of ``name``.

    Raises:
        IndexcalcError: no such row (the message lists the known ones).
    """
    if name not in MATRIX_FUNCTIONS:
        raise IndexcalcError(f"no matrix function {name!r}; known: {', '.join(MATRIX_FUNCTIONS)}")
    return MATRIX_FUNCTIONS[name]
