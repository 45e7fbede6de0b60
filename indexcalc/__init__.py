"""indexcalc: tensor-index (Einstein notation) calculus.

Derivatives of tensor expressions as exact, symbolic einsum products with Kronecker deltas,
contracted with opt_einsum's planner and rendered in the layout you ask for.

Examples:
    >>> import indexcalc as ic, numpy as np
    >>> X, W = ic.tensors("X[n,d] W[d,h]")
    >>> print(X @ W)
    Σ_d X[n,d] W[d,h]
    >>> (X @ W).evaluate(X=np.ones((2, 3)), W=np.ones((3, 4))).shape
    (2, 4)
"""

from __future__ import annotations

from .errors import BindingError, IndexcalcError, LayoutError, ParseError, ShapeError
from .core.nodes import NODE_TYPES, Constant, Expr, Tensor
from .core.rebuild import simplify
from .frontend import operators
from .frontend.arithmetic import ELEMENTWISE_FUNCTIONS as _elementwise
from .frontend.arithmetic import einsum, let, named
from .frontend.axes import (log_softmax, logsumexp, matmul, norm, softmax, sum, tensordot,
                             transpose)
from .frontend.statistics import cumsum, mean, prod, std, var
from .frontend.extrema import clip, max, maximum, min, minimum
from .frontend.linalg import (cholesky, expm, logm, lstsq, matrix_power, pinv, solve,
                              sqrtm)
from .frontend.matrices import (delta, det, diag, diagonal, eye, inv, kron, logdet, outer,
                                reshape, trace)
from .frontend.shaping import concatenate, hstack, stack, tril, triu, unvec, vec, vstack, where
from .frontend.declare import tensors
from .frontend.spectral import eigh, eigvalsh, svd, svdvals
from .frontend.recurrence import scan
from .formula.reader import parse
from .calculus.derivatives import diff, grad, hessian, jacobian, jvp, vjp
from .calculus.einsum_queries import einsum_grad, einsum_jacobian
from .calculus.structure_queries import hessian_diagonal, hvp, jacobian_diagonal
from .evaluation.compiled import Compiled, compile, evaluate
from .evaluation.finite_differences import check
from .evaluation.memory import memory_limit, set_memory_limit
from .evaluation.plan_report import Plan, plan
from .rendering.index_notation import to_index_notation
from .rendering.latex_notation import to_latex
from .rendering.value_repr import repr_html, repr_latex_short, short_repr, text_html
from .layouts.matrix_form import MatrixForm
from .layouts.matrix_layout import to_einsum, to_matrix
from .layouts.kronecker import to_kron
from .layouts.vec_convention import vec_jacobian
from .derivations.chain import Derivation, explain
from .derivations.compare import Comparison, compare
from .codegen.python_source import to_python
from .interop.einsum_function import einsum_function
from .interop.jax_function import to_jax
from .interop.torch_function import to_torch

# Every expression gets the front end's operators, and from the later stages, which the nodes
# cannot import, its value and its printed forms.
operators.attach()
Expr.evaluate = evaluate
Expr.__str__ = to_index_notation
Expr._repr_latex_ = repr_latex_short
Expr._repr_html_ = repr_html
for _node_type in NODE_TYPES:
    if _node_type not in (Tensor, Constant):  # their own reprs are short and say what they are
        _node_type.__repr__ = short_repr
MatrixForm._repr_html_ = lambda self: text_html(str(self))
Derivation._repr_latex_ = lambda self: f"$${self.latex()}$$"
Derivation._repr_html_ = lambda self: text_html(str(self))
Plan._repr_html_ = lambda self: text_html(str(self))
del operators, _node_type
globals().update(_elementwise)  # ic.exp, ic.tanh, …: one per public row of the rule table

__version__ = "0.1.0"

__all__ = [
    "cholesky", "expm", "logm", "lstsq", "matrix_power", "pinv", "solve", "sqrtm",
    "check", "diff", "grad", "hessian", "jacobian", "jvp", "vjp",
    "einsum_grad", "einsum_jacobian", "parse", "to_python",
    "hessian_diagonal", "hvp", "jacobian_diagonal", "einsum_function", "to_jax", "to_torch",
    "BindingError", "Compiled", "Constant", "Expr", "IndexcalcError", "LayoutError", "ParseError",
    "Plan", "ShapeError", "Tensor", "compile", "delta", "det", "diag", "diagonal",
    "einsum", "evaluate", "eye", "inv", "kron", "let", "log_softmax", "logdet",
    "logsumexp", "matmul", "memory_limit", "named", "norm", "outer", "plan", "reshape",
    "softmax", "sum", "tensors", "trace", "transpose",
    "concatenate", "set_memory_limit", "simplify", "stack", "tril", "triu", "unvec", "vec", "where",
    "clip", "cumsum", "hstack", "max", "maximum", "min", "minimum", "prod", "mean", "std", "tensordot", "var", "vstack",
    "MatrixForm", "to_einsum", "to_kron", "to_matrix", "vec_jacobian",
    "Derivation", "explain", "to_latex",
    "eigh", "eigvalsh", "svd", "svdvals",
    "Comparison", "compare",
    "scan",
    *_elementwise,
]
