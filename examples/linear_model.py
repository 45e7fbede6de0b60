"""Worked problem 3: the two-layer linear model l = ½ ‖X W v − y‖².

The gradient ∂l/∂W is the matrix Xᵀ(XWv − y)vᵀ; the derivative of the inner product XW by W is
a fourth-order tensor X_nd δ_hh', the Kronecker product I ⊗ X as a matrix. Run it with
``python examples/linear_model.py``.
"""

import numpy as np

import indexcalc as ic

X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
l = 0.5 * ic.sum((X @ W @ v - y) ** 2)

g = ic.grad(l, W)
print("dl/dW, shape", g.shape)
print("  index form: ", g)
print("  matrix form:", ic.to_matrix(g))                       # denominator layout: shape of W
print("  numerator layout:", ic.to_matrix(g, layout="numerator"))

D = ic.diff(X @ W, W)
print("d(XW)/dW, shape", D.shape, "(order", str(D.ndim) + ")")
print("  index form:  ", D)
print("  Kronecker form, column-major vec:", ic.to_kron(D))
print("  Kronecker form, row-major vec:   ", ic.to_kron(D, vec="row"))

rng = np.random.default_rng(0)
n, d, h = 5, 3, 4
values = dict(X=rng.normal(size=(n, d)), W=rng.normal(size=(d, h)), v=rng.normal(size=h),
              y=rng.normal(size=n))
Xv, Wv, vv, yv = (values[k] for k in "XWvy")
print("gradient == X.T @ (X @ W @ v - y) outer v:",
      np.allclose(g.evaluate(**values), np.outer(Xv.T @ (Xv @ Wv @ vv - yv), vv)))
print("matrix form evaluates to the same matrix: ",
      np.allclose(ic.to_matrix(g).evaluate(**values), g.evaluate(**values)))
D4 = D.evaluate(X=Xv, h=h)            # W does not appear in X δ: give its size h by name
print("d(XW)/dW evaluated, shape", D4.shape, "== X_nd delta_hh':",
      np.allclose(D4, np.einsum("nd,hk->nhdk", Xv, np.eye(h))))
print("as a matrix it is np.kron(I_h, X):",
      np.allclose(ic.vec_jacobian(D4, 2), np.kron(np.eye(h), Xv)))

# Cost: the planner contracts in the cheap order, whatever order the formula was written in.
print(ic.plan(g, n=1000, d=200, h=300))
