"""Hessians: a quadratic form and logistic regression.

``ic.hessian(f, x)`` has shape x.shape + x.shape (forward over reverse). For the quadratic form
xᵀAx it is A + Aᵀ; for the logistic-regression loss it is Xᵀ diag(σ'(Xw)) X, the matrix Newton's
method solves with. Run it with ``python examples/hessians.py``.
"""

import numpy as np

import indexcalc as ic

rng = np.random.default_rng(0)

# The quadratic form xᵀAx.
A, x = ic.tensors("A[n,n] x[n]")
f = x @ A @ x
print("f =", f)
print("grad:   ", ic.to_matrix(ic.grad(f, x)))
print("hessian:", ic.to_matrix(ic.hessian(f, x)))
Av = rng.normal(size=(4, 4))
print("hessian == A + A^T:", np.allclose(ic.hessian(f, x).evaluate(A=Av, x=rng.normal(size=4)),
                                          Av + Av.T))

# Logistic regression: the negative log-likelihood of labels y ∈ {0, 1} is
# Σ softplus(Xw) − yᵀXw (softplus(z) = log(1 + eᶻ), computed without overflow).
X, w, y = ic.tensors("X[n,d] w[d] y[n]")
nll = ic.sum(ic.softplus(X @ w)) - y @ (X @ w)
g = ic.grad(nll, w)
Hs = ic.hessian(nll, w)
print("nll grad:   ", ic.to_matrix(g))
print("nll hessian:", ic.to_matrix(Hs), " shape", Hs.shape)

n, d = 6, 3
values = dict(X=rng.normal(size=(n, d)), w=rng.normal(size=d),
              y=rng.integers(0, 2, size=n).astype(float))
p = 1 / (1 + np.exp(-values["X"] @ values["w"]))
print("grad    == X^T (σ(Xw) - y):     ",
      np.allclose(g.evaluate(**values), values["X"].T @ (p - values["y"])))
print("hessian == X^T diag(p(1-p)) X:  ",
      np.allclose(Hs.evaluate(**values), values["X"].T @ np.diag(p * (1 - p)) @ values["X"]))
print("hessian is the derivative of the gradient (finite differences):",
      ic.check(g, w, **values) < 1e-6)

# One Newton step, with the Hessian evaluated by indexcalc.
step = np.linalg.solve(Hs.evaluate(**values), g.evaluate(**values))
after = nll.evaluate(**{**values, "w": values["w"] - step})
print("Newton step lowers the loss:", after < nll.evaluate(**values))
