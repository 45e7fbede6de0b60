"""Backends: one compiled expression, evaluated with NumPy, JAX or PyTorch.

``ic.compile(expr, backend=...)`` plans each contraction once per set of sizes (opt_einsum) and
runs it with the backend's einsum. NumPy always works; JAX and PyTorch run where installed
(``pip install -e '.[jax]'`` or ``'.[torch]'``), and this script prints a note for the others.
Run it with ``python examples/backends.py``.
"""

import importlib.util

import numpy as np

import indexcalc as ic

X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
g = ic.grad(0.5 * ic.sum((ic.tanh(X @ W) @ v - y) ** 2), W)

rng = np.random.default_rng(0)
values = dict(X=rng.normal(size=(50, 8)), W=rng.normal(size=(8, 6)), v=rng.normal(size=6),
              y=rng.normal(size=50))
reference = ic.compile(g)(**values)           # backend="numpy"
print("numpy: gradient of shape", reference.shape)

for backend, module in [("jax", "jax"), ("torch", "torch")]:
    if importlib.util.find_spec(module) is None:
        print(f"{backend}: not installed, skipped (pip install -e '.[{backend}]')")
        continue
    # JAX computes in float32 unless jax.config.update("jax_enable_x64", True): compare loosely.
    result = ic.compile(g, backend=backend)(**values)
    print(f"{backend}: {type(result).__module__}.{type(result).__name__},",
          "matches numpy:", np.allclose(np.asarray(result), reference, rtol=1e-5, atol=1e-6))
