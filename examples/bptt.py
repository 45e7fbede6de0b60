"""Worked problem 4: backpropagation through time, x_t = W σ(x_{t−1}) + W_in u_t + b.

The asker quotes a paper that writes the step Jacobian ∂x_t/∂x_{t−1} as Wᵀ diag(σ'(x_{t−1})).
That is neither layout of this derivative: the numerator layout (rows follow x_t) is
W diag(σ'(x_{t−1})), the denominator layout (rows follow x_{t−1}) its transpose
diag(σ'(x_{t−1})) Wᵀ. The paper's Wᵀ diag(σ') is the denominator form of a *different*
recurrence, h_t = σ(W h_{t−1}). This script derives both and shows it with numbers.
Run it with ``python examples/bptt.py``.
"""

import numpy as np

import indexcalc as ic

W, W_in, b, u1, u2, x0 = ic.tensors("W[n,n] W_in[n,m] b[n] u1[m] u2[m] x0[n]")
x1 = (W @ ic.sigmoid(x0) + W_in @ u1 + b).named("x1")
x2 = W @ ic.sigmoid(x1) + W_in @ u2 + b

print(ic.explain(x1, x0, layout="numerator"))
print()

step = ic.diff(x1, x0)
print("dx1/dx0, shape", step.shape)
print("  index form:        ", step)
print("  numerator layout:  ", ic.to_matrix(step, layout="numerator"))
print("  denominator layout:", ic.to_matrix(step, layout="denominator"))

rng = np.random.default_rng(0)
n, m = 4, 3
values = dict(W=rng.normal(size=(n, n)), W_in=rng.normal(size=(n, m)), b=rng.normal(size=n),
              u1=rng.normal(size=m), u2=rng.normal(size=m), x0=rng.normal(size=n))
sig = lambda z: 1 / (1 + np.exp(-z))                      # noqa: E731
x0v, Wv = values["x0"], values["W"]
dsig0 = sig(x0v) * (1 - sig(x0v))
num = ic.to_matrix(step, layout="numerator").evaluate(**values)
den = ic.to_matrix(step, layout="denominator").evaluate(**values)
print("numerator   == W @ diag(sigma'(x0)):  ", np.allclose(num, Wv @ np.diag(dsig0)))
print("denominator == diag(sigma'(x0)) @ W.T:", np.allclose(den, np.diag(dsig0) @ Wv.T))

# The paper's formula, Wᵀ diag(σ'(x0)), against both layouts of this derivative: neither.
paper = Wv.T @ np.diag(dsig0)
print("paper's W.T @ diag(sigma'(x0)) - numerator:   max |difference| =",
      f"{np.abs(paper - num).max():.3f}")
print("paper's W.T @ diag(sigma'(x0)) - denominator: max |difference| =",
      f"{np.abs(paper - den).max():.3f}")
# ic.compare (issue 15, item 3) says the same of the formula as text; see docs/problems/bptt.md.

# It is the denominator form of h1 = σ(W h0): ∂h1/∂h0 = diag(σ'(W h0)) W (numerator),
# Wᵀ diag(σ'(W h0)) (denominator) — with σ' at the pre-activation W h0, not at h0.
h0 = ic.Tensor("h0", "n")
h1 = ic.sigmoid(W @ h0)
other = ic.diff(h1, h0)
print("for h1 = sigmoid(W h0): numerator  ", ic.to_matrix(other, layout="numerator"))
print("                        denominator", ic.to_matrix(other, layout="denominator"))
h0v = rng.normal(size=n)
dsig_pre = sig(Wv @ h0v) * (1 - sig(Wv @ h0v))
print("its denominator form == W.T @ diag(sigma'(W h0)):",
      np.allclose(ic.to_matrix(other, layout="denominator").evaluate(W=Wv, h0=h0v),
                  Wv.T @ np.diag(dsig_pre)))

# Through two steps: the chain rule multiplies the step Jacobians, in the layout's order.
x1v = Wv @ sig(x0v) + values["W_in"] @ values["u1"] + values["b"]
dsig1 = sig(x1v) * (1 - sig(x1v))
through = ic.diff(x2, x0).evaluate(**values)              # shape (n, n): x2's axis first
print("dx2/dx0 == (W diag(s'(x1))) (W diag(s'(x0))):",
      np.allclose(through, Wv @ np.diag(dsig1) @ Wv @ np.diag(dsig0)))
print("its transpose == (diag(s'(x0)) W.T) (diag(s'(x1)) W.T):",
      np.allclose(through.T, np.diag(dsig0) @ Wv.T @ np.diag(dsig1) @ Wv.T))
print("matches central finite differences:", ic.check(x2, x0, **values) < 1e-6)

# The whole recurrence as one call: ic.scan traces the step once; the gradient is a reverse scan
# (backpropagation through time) whose step is the VJP of this one, printed as the recurrence.
us, c = ic.tensors("us[T,m] c[n]")
X = ic.scan(lambda x, u: W @ ic.sigmoid(x) + W_in @ u + b, x0, us)  # X[t] = x_t, x_{-1} = x0
loss = c @ X[-1]
print()
print("X =", X)
g = ic.grad(loss, W)
print("dL/dW, denominator layout:", ic.to_matrix(g, layout="denominator"))
print("dL/dW, numerator layout:  ", ic.to_matrix(g, layout="numerator"))
print(ic.explain(loss, W).notes[0])

T = 6
seq = dict(values, us=rng.normal(size=(T, m)), c=rng.normal(size=n))
xs_np = [seq["x0"]]
for t in range(T):                                           # the forward pass, kept
    xs_np.append(Wv @ sig(xs_np[-1]) + seq["W_in"] @ seq["us"][t] + seq["b"])
dW, gx = np.zeros((n, n)), seq["c"]                         # backward through time, by hand
for t in range(T, 0, -1):
    dW += np.outer(gx, sig(xs_np[t - 1]))
    gx = sig(xs_np[t - 1]) * (1 - sig(xs_np[t - 1])) * (Wv.T @ gx)
print("equals the hand-written BPTT loop:", np.allclose(g.evaluate(**seq), dW))
print("matches central finite differences:", ic.check(loss, W, **seq) < 1e-6)
