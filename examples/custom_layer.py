"""A custom layer in PyTorch and in JAX whose backward is indexcalc's VJP, with its gradient check.

``ic.to_torch`` / ``ic.to_jax`` turn an expression into a framework function: the forward runs
indexcalc's planned contractions, the backward the planned ``ic.vjp`` of each input (double
backward through the VJP's own VJP). Each part runs where its library is installed
(``pip install -e '.[torch]'`` / ``'.[jax]'``); the script prints a note for the others.
Run it with ``python examples/custom_layer.py``.
"""

import importlib.util

import numpy as np

import indexcalc as ic

# A gated layer: out = tanh(X W) ⊙ σ(X U), biases broadcast along the rows.
X, W, U, b = ic.tensors("X[n,d] W[d,h] U[d,h] b[h]")
gated = ic.tanh(X @ W + b) * ic.sigmoid(X @ U)

rng = np.random.default_rng(0)
x, w, u, bias = (rng.standard_normal(s) for s in [(4, 3), (3, 5), (3, 5), (5,)])

if importlib.util.find_spec("torch") is None:
    print("torch: not installed, skipped (pip install -e '.[torch]')")
else:
    import torch

    class GatedLayer(torch.nn.Module):
        """The layer's parameters live in torch; its gradient comes from indexcalc."""

        function = staticmethod(ic.to_torch(gated, X, W, U, b))

        def __init__(self, d, h):
            super().__init__()
            self.W = torch.nn.Parameter(torch.randn(d, h, dtype=torch.float64) / d ** 0.5)
            self.U = torch.nn.Parameter(torch.randn(d, h, dtype=torch.float64) / d ** 0.5)
            self.b = torch.nn.Parameter(torch.zeros(h, dtype=torch.float64))

        def forward(self, inputs):
            return self.function(inputs, self.W, self.U, self.b)

    layer = GatedLayer(3, 5)
    loss = layer(torch.tensor(x)).pow(2).sum()
    loss.backward()
    print("torch: grad of W has shape", tuple(layer.W.grad.shape),
          "from", type(loss.grad_fn.next_functions[0][0].next_functions[0][0]).__name__)
    args = tuple(torch.tensor(a, requires_grad=True) for a in (x, w, u, bias))
    print("torch: gradcheck", torch.autograd.gradcheck(GatedLayer.function, args),
          "gradgradcheck", torch.autograd.gradgradcheck(GatedLayer.function, args))

if importlib.util.find_spec("jax") is None:
    print("jax: not installed, skipped (pip install -e '.[jax]')")
else:
    import jax
    import jax.numpy as jnp
    from jax.test_util import check_grads

    jax.config.update("jax_enable_x64", True)  # float64, for the finite-difference check
    layer = ic.to_jax(gated, X, W, U, b)

    @jax.jit
    def loss(params, inputs):
        return jnp.sum(layer(inputs, *params) ** 2)

    params = tuple(jnp.asarray(a) for a in (w, u, bias))
    grads = jax.grad(loss)(params, jnp.asarray(x))
    print("jax: grads of W, U, b have shapes", [tuple(g.shape) for g in grads])
    check_grads(jax.jit(layer), tuple(jnp.asarray(a) for a in (x, w, u, bias)), order=2,
                modes=["rev"])
    print("jax: check_grads(order=2) passed")
