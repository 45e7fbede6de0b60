"""Worked problem 2: the gradient of an RNN language model's loss by the recurrent weights H.

With row vectors (h_prev @ H, as the classic assignment writes it), one word's log-likelihood is

    h  = σ(h_prev H + e W_e + b1)        hidden state (sigmoid)
    ŷ  = softmax(h U + b2)               next-word distribution
    J  = Σ_v y_v log ŷ_v                 (minus the cross-entropy with the target y)

and ∂J/∂H = h_prevᵀ ((y − ŷ) Uᵀ ∘ h ∘ (1 − h)): an outer product. This script derives it, shows
the chain rule step by step, and checks it. Run it with ``python examples/rnn_language_model.py``.
"""

import numpy as np

import indexcalc as ic

h_prev, e, H, W_e, b1, U, b2, y = ic.tensors(
    "h_prev[nh] e[ne] H[nh,nh] W_e[ne,nh] b1[nh] U[nh,nv] b2[nv] y[nv]")
h = ic.sigmoid(h_prev @ H + e @ W_e + b1).named("h")
y_hat = ic.softmax(h @ U + b2).named("ŷ")
J = ic.sum(y * ic.log_softmax(h @ U + b2))   # = Σ_v y_v log ŷ_v, computed stably

# The chain rule, step by step: each local derivative with its order and shape, how the deltas
# collapse, and every intermediate result in index and matrix form.
print(ic.explain(J, H, names=[y_hat]))
print()

g = ic.grad(J, H)
print("dJ/dH, shape", g.shape)
print("  index form:", g)
print("  matrix form (row vectors):   ", ic.to_matrix(g, vectors="row", names=[y_hat]))
print("  matrix form (column vectors):", ic.to_matrix(g, names=[y_hat]))

rng = np.random.default_rng(0)
nh, ne, nv = 4, 3, 5
y_onehot = np.eye(nv)[2]
values = dict(h_prev=rng.normal(size=nh), e=rng.normal(size=ne), H=rng.normal(size=(nh, nh)),
              W_e=rng.normal(size=(ne, nh)), b1=rng.normal(size=nh), U=rng.normal(size=(nh, nv)),
              b2=rng.normal(size=nv), y=y_onehot)
z = values["h_prev"] @ values["H"] + values["e"] @ values["W_e"] + values["b1"]
hv = 1 / (1 + np.exp(-z))
s = hv @ values["U"] + values["b2"]
yhat = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
expected = np.outer(values["h_prev"], ((y_onehot - yhat) @ values["U"].T) * hv * (1 - hv))
print("dJ/dH == outer(h_prev, ((y - ŷ) U^T) ∘ h ∘ (1 - h)):",
      np.allclose(g.evaluate(**values), expected))
print("matches central finite differences:", ic.check(J, H, **values) < 1e-6)
