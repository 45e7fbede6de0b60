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

from .frontend import operators as _methods
from .evaluation.finite_differences import check
from .codegen.python_source import to_python
from .calculus.derivatives import diff, grad, hessian, jacobian, jvp, vjp
from .calculus.einsum_queries import einsum_grad, einsum_jacobian
from .errors import BindingError, IndexcalcError, LayoutError, ParseError, ShapeError
from .evaluation.compiled import Compiled, compile, evaluate
from .derivations.chain import Derivation, explain
from .rendering.latex_notation import to_latex
from .evaluation.memory import memory_limit, set_memory_limit
from .core.nodes import Constant, Expr, Tensor
from .frontend.arithmetic import ELEMENTWISE_FUNCTIONS as _elementwise
from .frontend.arithmetic import (delta, det, diag, diagonal, einsum, eye, inv, kron, let,
                  log_softmax, logdet, logsumexp, matmul, named, norm, outer, reshape, softmax, sum,
                  trace, transpose)
from .formula.reader import parse
from .evaluation.plan_report import Plan, plan
from .core.rebuild import simplify
from .frontend.shaping import concatenate, stack, tril, triu, unvec, vec, where
from .frontend.declare import tensors
from .layouts.forms import MatrixForm
from .layouts.matrix_layout import to_einsum, to_matrix
from .layouts.kronecker import to_kron, vec_jacobian

_methods.attach()
globals().update(_elementwise)  # ic.exp, ic.tanh, …: one per public row of the rule table

__version__ = "0.1.0"

__all__ = [
    "check", "diff", "grad", "hessian", "jacobian", "jvp", "vjp",
    "einsum_grad", "einsum_jacobian", "parse", "to_python",
    "BindingError", "Compiled", "Constant", "Expr", "IndexcalcError", "LayoutError", "ParseError",
    "Plan", "ShapeError", "Tensor", "compile", "delta", "det", "diag", "diagonal",
    "einsum", "evaluate", "eye", "inv", "kron", "let", "log_softmax", "logdet",
    "logsumexp", "matmul", "memory_limit", "named", "norm", "outer", "plan", "reshape",
    "softmax", "sum", "tensors", "trace", "transpose",
    "concatenate", "set_memory_limit", "simplify", "stack", "tril", "triu", "unvec", "vec", "where",
    "MatrixForm", "to_einsum", "to_kron", "to_matrix", "vec_jacobian",
    "Derivation", "explain", "to_latex",
    *_elementwise,
]
