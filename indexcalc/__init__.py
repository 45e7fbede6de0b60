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

from . import _methods
from .check import check
from .codegen import to_python
from .diff import diff, grad, hessian, jacobian, jvp, vjp
from .einsum_query import einsum_grad, einsum_jacobian
from .errors import BindingError, IndexcalcError, LayoutError, ParseError, ShapeError
from .evaluate import Compiled, compile, evaluate
from .explain import Derivation, explain
from .latex import to_latex
from .memory import memory_limit, set_memory_limit
from .nodes import Constant, Expr, Tensor
from .ops import (abs, cos, delta, det, diag, diagonal, einsum, exp, eye, inv, kron, let, log,
                  log_softmax, logdet, logsumexp, matmul, named, norm, outer, relu, reshape,
                  sigmoid, sin, softmax, softplus, sqrt, square, sum, tanh, trace, transpose)
from .parse import parse
from .plan import Plan, plan
from .simplify import simplify
from .structure import concatenate, stack, tril, triu, unvec, vec, where
from .tensors import tensors
from .matrix_form import MatrixForm
from .to_matrix import to_einsum, to_matrix
from .to_kron import to_kron, vec_jacobian

_methods.attach()

__version__ = "0.1.0"

__all__ = [
    "check", "diff", "grad", "hessian", "jacobian", "jvp", "vjp",
    "einsum_grad", "einsum_jacobian", "parse", "to_python",
    "BindingError", "Compiled", "Constant", "Expr", "IndexcalcError", "LayoutError", "ParseError",
    "Plan", "ShapeError", "Tensor", "abs", "compile", "cos", "delta", "det", "diag", "diagonal",
    "einsum", "evaluate", "exp", "eye", "inv", "kron", "let", "log", "log_softmax", "logdet",
    "logsumexp", "matmul", "memory_limit", "named", "norm", "outer", "plan", "relu", "reshape",
    "sigmoid", "sin", "softmax", "softplus", "sqrt", "square", "sum", "tanh", "tensors", "trace", "transpose",
    "concatenate", "set_memory_limit", "simplify", "stack", "tril", "triu", "unvec", "vec", "where",
    "MatrixForm", "to_einsum", "to_kron", "to_matrix", "vec_jacobian",
    "Derivation", "explain", "to_latex",
]
