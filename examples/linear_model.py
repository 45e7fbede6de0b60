"""Worked problem 3: the two-layer linear model l = ½ ‖r‖², r = ŷ − y, ŷ = H v, H = X W.

The asker wants the chain rule through the hidden layer H: ∂ŷ/∂H (third order), ∂H/∂W (fourth
order, X δ — the Kronecker product I ⊗ X as a matrix), and how they combine into the gradient
∂l/∂W = Xᵀ (ŷ − y) vᵀ. H and ŷ are named intermediates, so indexcalc differentiates by them.
Run it with ``python examples/linear_model.py``.
"""

import numpy as np

import indexcalc as ic

X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
H = (X @ W).named("H")
y_hat = (H @ v).named("ŷ")
r = (y_hat - y).named("r")       # the residual
l = (0.5 * ic.sum(r ** 2)).named("l")

# The chain rule through the named intermediates, with the 3rd- and 4th-order locals read out.
print(ic.explain(l, W))
print()

dyH = ic.diff(y_hat, H)        # ∂ŷ/∂H: order 3
dHW = ic.diff(H, W)            # ∂H/∂W: order 4
dlH = ic.grad(l, H)            # ∂l/∂H: the residual times vᵀ
g = ic.grad(l, W)
print("dŷ/dH, shape", dyH.shape, " index form:", dyH, " as a matrix:", ic.to_kron(dyH))
print("dH/dW, shape", dHW.shape, " index form:", dHW)
print("  Kronecker form, column-major vec:", ic.to_kron(dHW))
print("  Kronecker form, row-major vec:   ", ic.to_kron(dHW, vec="row"))
print("dl/dH:", ic.to_matrix(dlH), "  dl/dW:", ic.to_matrix(g),
      "  numerator layout:", ic.to_matrix(g, layout="numerator"))

rng = np.random.default_rng(0)
n, d, h = 5, 3, 4
values = dict(X=rng.normal(size=(n, d)), W=rng.normal(size=(d, h)), v=rng.normal(size=h),
              y=rng.normal(size=n))
Xv, Wv, vv, yv = (values[k] for k in "XWvy")
res = Xv @ Wv @ vv - yv                                 # the residual ŷ − y
print("dŷ/dH == v_h delta_nm:", np.allclose(dyH.evaluate(**values, n=n),
                                            np.einsum("h,nm->nmh", vv, np.eye(n))))
D4 = dHW.evaluate(X=Xv, h=h)            # W does not appear in X δ: give its size h by name
print("dH/dW evaluated, shape", D4.shape, "== X_nd delta_hh':",
      np.allclose(D4, np.einsum("nd,hk->nhdk", Xv, np.eye(h))))
print("as a matrix it is np.kron(I_h, X):",
      np.allclose(ic.vec_jacobian(D4, 2), np.kron(np.eye(h), Xv)))
print("dl/dH == (ŷ - y) vᵀ:", np.allclose(dlH.evaluate(**values), np.outer(res, vv)))
print("the chain: contracting X δ with dl/dH gives Xᵀ dl/dH:",
      np.allclose(np.einsum("nhdk,nh->dk", D4, np.outer(res, vv)), Xv.T @ np.outer(res, vv)))
print("gradient == Xᵀ (X W v - y) vᵀ:", np.allclose(g.evaluate(**values), np.outer(Xv.T @ res, vv)))

# Cost: the planner contracts in the cheap order, whatever order the formula was written in.
# (Naming H asks for H = X W itself; the same gradient of the formula written without names
# never forms it.)
plain = ic.grad(0.5 * ic.sum((X @ W @ v - y) ** 2), W)
print(ic.plan(plain, n=1000, d=200, h=300))
