"""Einsum-string queries: the gradient or the full Jacobian of an einsum, as an einsum string.

Useful when you write einsum by hand (NumPy, PyTorch, JAX all take the same strings) and want
the backward pass without a framework. Run it with ``python examples/einsum_queries.py``.
"""

import numpy as np

import indexcalc as ic

# The gradient (VJP) by an operand: the other operands in order, then the output's cotangent.
for subscripts, wrt in [("ij,jk->ik", 0), ("ij,jk->ik", 1), ("bij,bjk->bik", 0),
                        ("ij,j->i", 1), ("ij->", 0), ("ii->", 0), ("...ij,...jk->...ik", 1)]:
    g = ic.einsum_grad(subscripts, wrt)
    print(f"grad of {subscripts!r:24} by operand {wrt}: {g!r:28} extras {g.extras}")

# Using one: the gradient of C = A @ B by A is G @ Bᵀ.
rng = np.random.default_rng(0)
A, B, G = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
g = ic.einsum_grad("ij,jk->ik", 0)
print("np.einsum(g, B, G) == G @ B.T:", np.allclose(np.einsum(g, B, G), G @ B.T))

# A trace needs an identity matrix: .operands() builds the whole argument list.
t = ic.einsum_grad("ii->", 0)
M = rng.normal(size=(3, 3))
print("grad of trace:", np.einsum(t, *t.operands(M, cotangent=np.array(2.0))).tolist())

# The full derivative tensor D[out..., operand...] (the jax.jacobian convention).
for subscripts, wrt in [("ij,jk->ik", 0), ("ij->", 0), ("ii->i", 0)]:
    print(f"jacobian of {subscripts!r:12} by operand {wrt}:", ic.einsum_jacobian(subscripts, wrt))
s, spec = ic.einsum_jacobian("ij,jk->ik", 0)
D = np.einsum(s, B, np.eye(2))          # spec ('op1', 'delta'): operand 1 and an identity
print("shape", D.shape, "== C.shape + A.shape; D[i,k,a,j] = delta_ia B[j,k]:",
      np.allclose(D, np.einsum("ia,jk->ikaj", np.eye(2), B)))
