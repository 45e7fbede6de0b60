"""``ic.to_torch``: an expression as a ``torch.autograd.Function`` with indexcalc's backward.

The forward is the expression's planned evaluation on the torch backend; the backward, for each
input that requires a gradient, is the planned ``ic.vjp`` of that input, itself such a function,
so ``create_graph=True`` differentiates the symbolic VJP again (never torch's autograd through
the forward's contractions). torch is imported when a function is made, not with indexcalc.
"""

from __future__ import annotations

from typing import Any, Callable

from ..core.nodes import Expr
from ..evaluation.backends import namespace
from .exported import Exported


def to_torch(f: Any, *inputs: Any) -> Callable:
    """``f`` as a function of torch tensors whose gradient is indexcalc's own VJP.

    Args:
        f: the expression.
        *inputs: its tensors (``ic.Tensor``), in the order the function takes them; none: every
            tensor of ``f``, sorted by name.

    Returns:
        ``fn(*tensors) -> torch.Tensor``, backed by a ``torch.autograd.Function``: the forward
        evaluates ``f`` along its planned contractions, the backward evaluates
        ``ic.vjp(f, x, grad_output)`` for each input ``x`` that requires a gradient, and
        double backward (``create_graph=True``) goes through the VJP's own VJP. ``fn.expr``,
        ``fn.inputs`` and ``fn.function`` (the ``autograd.Function`` class) are attached.

    Raises:
        IndexcalcError: torch is not installed (the message says what to install), an input is
            no ``ic.Tensor``, or a tensor of ``f`` is not among the inputs.

    Examples:
        >>> import indexcalc as ic, torch
        >>> X, W = ic.tensors("X[n,d] W[d,h]")
        >>> layer = ic.to_torch(ic.tanh(X @ W), X, W)
        >>> x = torch.ones(2, 3, dtype=torch.float64)
        >>> w = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
        >>> layer(x, w).sum().backward()
        >>> w.grad
        tensor([[2., 2., 2., 2.],
                [2., 2., 2., 2.],
                [2., 2., 2., 2.]], dtype=torch.float64)
    """
    return _make(Exported(f, inputs, "torch", "to_torch"))


def _make(exported: Exported) -> Callable:
    namespace("torch")  # refuses, naming the extra, when torch is missing
    import torch

    def vjp_function(expr: Expr, inputs: tuple) -> Callable:
        return _make(Exported(expr, inputs, "torch", "to_torch"))

    class IndexcalcFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *arrays):
            ctx.save_for_backward(*arrays)
            out = exported.forward(**exported.values(arrays))
            if _storage(out) in {_storage(a) for a in arrays}:
                out = out.clone()  # f is an input or a view of one (G broadcast): a new tensor
            return out

        @staticmethod
        def backward(ctx, grad_output):
            arrays = ctx.saved_tensors
            grads = []
            for i, a in enumerate(arrays):
                if not ctx.needs_input_grad[i] or exported.vjp_is_zero(i):  # None: zero
                    grads.append(None)
                    continue
                g = exported.vjp(i, vjp_function)(*arrays, grad_output)
                if g.dtype != a.dtype:
                    g = g.to(dtype=a.dtype)
                if g.shape != a.shape:  # a VJP the inputs only broadcast (Σ x: ones)
                    g = g.expand(a.shape)
                grads.append(g)
            return tuple(grads)

    def fn(*arrays: Any) -> Any:
        arrays = tuple(a if isinstance(a, torch.Tensor) else torch.as_tensor(a) for a in arrays)
        return IndexcalcFunction.apply(*arrays)

    fn.expr, fn.inputs, fn.function = exported.expr, exported.inputs, IndexcalcFunction
    return fn


def _storage(t: Any) -> int:
    return t.untyped_storage().data_ptr()
