"""``to_python`` of :class:`~indexcalc.core.nodes.Decomposition` parts.

The first part of a ``(kind, argument)`` writes the decomposition into a variable of its own
(``eigh_0 = _eigh(A)``), the others index it: one decomposition per argument, as evaluation does.
The helpers refuse (``ValueError``) what evaluation refuses: a matrix that is not symmetric for
``eigh``, repeated eigenvalues (singular values) where the gap matrix is needed, a zero singular
value where ``1/s`` is, with the thresholds of :mod:`indexcalc.evaluation.spectral_steps`.
"""

from __future__ import annotations

from typing import Any

from ..core.nodes import Decomposition
from ..evaluation.spectral_steps import ASYMMETRY, DEGENERATE

_TINY = "2.2250738585072014e-308"

#: helper key -> its definition (``{name}`` its name, ``{m}`` the array module)
_HELPERS = {
    "eigh": [
        "def {name}(a):",
        "    sym = {m}.swapaxes(a, -1, -2)",
        f"    if a.size and {{m}}.max({{m}}.abs(a - sym)) > {ASYMMETRY!r} * {{m}}.max({{m}}.abs(a)):",
        "        raise ValueError('eigh: the matrix is not symmetric; pass (A + A.T) / 2')",
        "    return {m}.linalg.eigh((a + sym) / 2)",
    ],
    "svd": [
        "def {name}(a):",
        "    return {m}.linalg.svd(a, full_matrices=False)",
    ],
    "gaps": [
        "def {name}(w, squared):",
        "    v = w * w if squared else w",
        "    d = v[..., None, :] - v[..., :, None]",
        "    eye = {m}.eye(w.shape[-1], dtype=d.dtype)",
        "    if w.shape[-1] > 1:",
        f"        scale = {{m}}.maximum({{m}}.max({{m}}.abs(v), axis=-1), {_TINY})[..., None, None]",
        f"        if {{m}}.any(({{m}}.abs(d) <= {DEGENERATE!r} * scale) & (eye == 0)):",
        "            raise ValueError('repeated eigenvalues (singular values): the derivative of '",
        "                             'the eigenvectors (singular vectors) does not exist here')",
        "    return (1 - eye) / (d + eye)",
    ],
    "inv_s": [
        "def {name}(s):",
        f"    if s.shape[-1] and {{m}}.any(s <= {DEGENERATE!r} * {{m}}.maximum("
        f"{{m}}.max(s, axis=-1, keepdims=True), {_TINY})):",
        "        raise ValueError('svd: a zero singular value: the derivative of the singular '",
        "                         'vectors of a non-square matrix does not exist here')",
        "    return 1 / s",
    ],
}

#: (kind, part) -> (index into the decomposition's tuple, helper applied to it or None, its args)
_PICK = {
    ("eigh", "values"): (0, None, ""), ("eigh", "vectors"): (1, None, ""),
    ("eigh", "gaps"): (0, "gaps", ", False"),
    ("svd", "U"): (0, None, ""), ("svd", "s"): (1, None, ""), ("svd", "Vh"): (2, None, ""),
    ("svd", "gaps"): (1, "gaps", ", True"), ("svd", "inv_s"): (1, "inv_s", ""),
}


def _helper(w: Any, key: str) -> str:
    name = w.helper("spectral_" + key, "_" + key)
    if ("spectral_" + key) not in w.sources:
        w.sources["spectral_" + key] = [line.format(name=name, m=w.m) for line in _HELPERS[key]]
    return name


def emit_decomposition(w: Any, node: Decomposition) -> str:
    """The source of one part; the decomposition itself is written once, before the first."""
    key = (node.kind, id(node.arg))
    var = w.decompositions.get(key)
    if var is None:
        var = w.decompositions[key] = w.take(node.kind)
        w.lines.append(f"{var} = {_helper(w, node.kind)}({w.var[id(node.arg)]})")
    index, helper, args = _PICK[(node.kind, node.part)]
    value = f"{var}[{index}]"
    return value if helper is None else f"{_helper(w, helper)}({value}{args})"
