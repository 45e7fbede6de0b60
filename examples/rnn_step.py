"""Worked problem 1: one step of a recurrent network, h = tanh(W_hxᵀ e + W_hhᵀ h0).

h has one axis and W_hx two, so ∂h/∂W_hx is a third-order tensor of shape h.shape + W_hx.shape.
indexcalc keeps it as that tensor, (1 − h_a²) e_b δ_ac, and writes it as a matrix with ⊗ and
diag when you ask for a layout. Run it with ``python examples/rnn_step.py``.
"""

import numpy as np

import indexcalc as ic

e, W_hx, W_hh, h0 = ic.tensors("e[ni] W_hx[ni,nh] W_hh[nh,nh] h0[nh]")
h = ic.tanh(W_hx.T @ e + W_hh.T @ h0).named("h")   # named: the derivative reuses h

J = ic.diff(h, W_hx)
print("shape of dh/dW_hx:", J.shape)
print("index form:       ", J)

# The same tensor as a Jacobian matrix ∂vec(h)/∂vec(W_hx), in the two conventions texts use.
print("numerator layout, column-major vec:", ic.to_kron(J, layout="numerator", vec="col"))
print("denominator layout, row-major vec: ", ic.to_kron(J, layout="denominator", vec="row"))

# Values, with distinct sizes (ni = 3, nh = 4) so that a transposed axis could not hide.
rng = np.random.default_rng(0)
values = dict(e=rng.normal(size=3), W_hx=rng.normal(size=(3, 4)), W_hh=rng.normal(size=(4, 4)),
              h0=rng.normal(size=4))
D = J.evaluate(**values)
hv = np.tanh(values["W_hx"].T @ values["e"] + values["W_hh"].T @ values["h0"])
print("evaluated shape:", D.shape)
print("D[a,b,c] == (1 - h_a^2) e_b delta_ac:",
      np.allclose(D, np.einsum("a,b,ac->abc", 1 - hv**2, values["e"], np.eye(4))))

# The 12 × 4 matrix (e ⊗ I) diag(1 − h∘h) is that tensor, reshaped with row-major vec.
K = ic.vec_jacobian(D, 1, layout="denominator", vec="row")
kron_form = np.kron(values["e"][:, None], np.eye(4)) @ np.diag(1 - hv**2)
print("(e ⊗ I) diag(1 - h∘h) has shape", K.shape, "and matches:", np.allclose(K, kron_form))
print("matches central finite differences:", ic.check(h, W_hx, **values) < 1e-6)
