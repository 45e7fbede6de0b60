"""Worked problem 1: one step of a recurrent network, h = tanh(W_hxᵀ e + W_hhᵀ h0).

The asker wants ∂h/∂W_hx as a matrix, with vec and Kronecker products, and then the gradient of
a loss by W_hx. h has one axis and W_hx two, so ∂h/∂W_hx is a third-order tensor,
(1 − h_a²) e_b δ_ac. indexcalc derives it step by step, writes it as ∂vec(h)/∂vec(W_hx) in the
layout and vec order asked for, and says how to get ∂L/∂W_hx back without building it.
Run it with ``python examples/rnn_step.py``.
"""

import numpy as np

import indexcalc as ic

e, W_hx, W_hh, h0 = ic.tensors("e[ni] W_hx[ni,nh] W_hh[nh,nh] h0[nh]")
h = ic.tanh(W_hx.T @ e + W_hh.T @ h0).named("h")   # named: the derivative reuses h

# The chain rule step by step, as the asker writes it: numerator layout, column-major vec.
print(ic.explain(h, W_hx, layout="numerator", vec="col"))
print()

J = ic.diff(h, W_hx)
print("the other convention, denominator layout with row-major vec:",
      ic.to_kron(J, layout="denominator", vec="row"))

# Values, with distinct sizes (ni = 3, nh = 4) so that a transposed axis could not hide.
rng = np.random.default_rng(0)
ni, nh = 3, 4
values = dict(e=rng.normal(size=ni), W_hx=rng.normal(size=(ni, nh)),
              W_hh=rng.normal(size=(nh, nh)), h0=rng.normal(size=nh))
ev = values["e"]
hv = np.tanh(values["W_hx"].T @ ev + values["W_hh"].T @ values["h0"])
D = J.evaluate(**values)
print("D[a,b,c] == (1 - h_a^2) e_b delta_ac:",
      np.allclose(D, np.einsum("a,b,ac->abc", 1 - hv**2, ev, np.eye(nh))))

# ∂vec(h)/∂vec(W_hx) (numerator, column-major vec: vec stacks the columns of W_hx) is
# diag(1 − h∘h) (I ⊗ eᵀ), an nh × (ni·nh) matrix: block c of I ⊗ eᵀ is the row eᵀ in row c.
M = D.reshape(nh, ni * nh, order="F")
print("diag(1 - h∘h) (I ⊗ eᵀ) is the Jacobian:",
      np.allclose(M, np.diag(1 - hv**2) @ np.kron(np.eye(nh), ev[None, :])))
# The asker's (eᵀ ⊗ I) diag(1 − h∘h) does not conform: eᵀ ⊗ I is nh × (ni·nh), diag(·) nh × nh.
# Its factors the other way round, diag(1 − h∘h) (eᵀ ⊗ I), are the Jacobian with row-major vec.
print("(eᵀ ⊗ I) has shape", np.kron(ev[None, :], np.eye(nh)).shape, "and diag(1 - h∘h)",
      np.diag(1 - hv**2).shape, "- their product is undefined")
print("diag(1 - h∘h) (eᵀ ⊗ I) is the Jacobian with row-major vec:",
      np.allclose(D.reshape(nh, ni * nh), np.diag(1 - hv**2) @ np.kron(ev[None, :], np.eye(nh))),
      "- indexcalc:", ic.to_kron(J, layout="numerator", vec="row"))

# The de-vec: for a scalar loss L of h with g = ∂L/∂h, ∂L/∂W_hx = e (g∘(1 − h∘h))ᵀ — the row
# gᵀ M reshaped (column-major) to W_hx's shape. The third-order tensor is never needed.
g = rng.normal(size=nh)
print("e (g∘(1 - h∘h))ᵀ == reshape(gᵀ M):",
      np.allclose(np.outer(ev, g * (1 - hv**2)), (g @ M).reshape(ni, nh, order="F")))
print("matches central finite differences:", ic.check(h, W_hx, **values) < 1e-6)
