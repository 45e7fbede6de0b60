"""``ic.to_jax``: an expression as a ``jax.custom_vjp`` function with indexcalc's backward.

The primal is the expression's planned evaluation on the jax backend (plain ``jax.numpy`` calls,
so it traces under ``jax.jit``); the backward is the planned ``ic.vjp`` of each input, itself such
a function, so a second derivative differentiates the symbolic VJP again. jax is imported when a
function is made, not with indexcalc.
"""

from __future__ import annotations

from typing import Any, Callable

from ..core.nodes import Expr
from ..evaluation.backends import namespace
from .exported import Exported


def to_jax(f: Any, *inputs: Any) -> Callable:
    """``f`` as a ``jax.custom_vjp`` function whose VJP is indexcalc's own.

    Args:
        f: the expression.
        *inputs: its tensors (``ic.Tensor``), in the order the function takes them; none: every
            tensor of ``f``, sorted by name.

    Returns:
        ``fn(*arrays) -> jax.Array``, jit-compatible; ``jax.grad``, ``jax.vjp`` and their
        compositions use ``ic.vjp(f, x, cotangent)`` for each input ``x``, and that VJP's VJP
        for a second derivative (reverse over reverse: JAX applies no forward mode, so no
        ``jax.jvp``, ``jacfwd`` or ``jax.hessian``, to a ``custom_vjp`` function; take
        ``jax.jacrev(jax.jacrev(fn))``, or ``ic.hvp`` / ``ic.hessian`` exported themselves).
        ``fn.expr`` and ``fn.inputs`` are attached. JAX computes in float32 unless
        ``jax.config.update("jax_enable_x64", True)``.

    Raises:
        IndexcalcError: jax is not installed (the message says what to install), an input is
            no ``ic.Tensor``, or a tensor of ``f`` is not among the inputs.

    Examples:
        >>> import indexcalc as ic, jax, jax.numpy as jnp
        >>> A, x = ic.tensors("A[m,n] x[n]")
        >>> f = ic.to_jax(ic.sum(ic.exp(A @ x)), A, x)
        >>> g = jax.jit(jax.grad(f, argnums=1))(jnp.ones((2, 3)), jnp.zeros(3))
        >>> [round(float(v), 4) for v in g]
        [2.0, 2.0, 2.0]
    """
    return _make(Exported(f, inputs, "jax", "to_jax"))


def _make(exported: Exported) -> Callable:
    namespace("jax")  # refuses, naming the extra, when jax is missing
    import jax

    def vjp_function(expr: Expr, inputs: tuple) -> Callable:
        return _make(Exported(expr, inputs, "jax", "to_jax"))

    def primal(*arrays):
        return exported.forward(**exported.values(arrays))

    fn = jax.custom_vjp(primal)

    def forward(*arrays):
        return primal(*arrays), arrays

    def backward(arrays, cotangent):
        return tuple(jax.numpy.broadcast_to(  # a VJP the inputs only broadcast (Σ x: ones)
            exported.vjp(i, vjp_function)(*arrays, cotangent).astype(a.dtype), a.shape)
            for i, a in enumerate(arrays))

    fn.defvjp(forward, backward)

    def call(*arrays: Any) -> Any:
        return fn(*arrays)

    call.expr, call.inputs = exported.expr, exported.inputs
    return call
