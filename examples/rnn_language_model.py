"""Worked problem 2: the gradient of an RNN language model's loss by the recurrent weights H.

With row vectors (h_prev @ H, as the classic assignment writes it), one word's loss is the
cross-entropy, as the asker writes it — with its minus sign:

    h  = σ(h_prev H + e W_e + b1)        hidden state (sigmoid)
    ŷ  = softmax(h U + b2)               next-word distribution
    J  = −Σ_v y_v log ŷ_v                cross-entropy with the one-hot target y

and ∂J/∂H = h_prevᵀ ((ŷ − y) Uᵀ ∘ h ∘ (1 − h)): an outer product. This script derives it with
all intermediate steps and checks it. Run it with ``python examples/rnn_language_model.py``.
"""

import numpy as np

import indexcalc as ic

h_prev, e, H, W_e, b1, U, b2, y = ic.tensors(
    "h_prev[nh] e[ne] H[nh,nh] W_e[ne,nh] b1[nh] U[nh,nv] b2[nv] y[nv]")
h = ic.sigmoid(h_prev @ H + e @ W_e + b1).named("h")
y_hat = ic.softmax(h @ U + b2).named("ŷ")
J = (-ic.sum(y * ic.log(y_hat))).named("J")   # the asker's literal loss

# The chain rule, step by step, in the asker's notation: row vectors, y one-hot (Σ y = 1).
# Each local derivative with its order and shape, how the deltas collapse, and every
# intermediate result in index and matrix form.
print(ic.explain(J, H, vectors="row", normalized=["y"]))
print()

g = ic.grad(J, H)
print("dJ/dH, shape", g.shape)
print("  row vectors:   ", ic.to_matrix(g, vectors="row", normalized=["y"]))
print("  column vectors:", ic.to_matrix(g, normalized=["y"]))
print("  any y (not one-hot):", ic.to_matrix(g, vectors="row"))

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
expected = np.outer(values["h_prev"], ((yhat - y_onehot) @ values["U"].T) * hv * (1 - hv))
print("dJ/dH == outer(h_prev, ((ŷ - y) U^T) ∘ h ∘ (1 - h)):",
      np.allclose(g.evaluate(**values), expected))
print("the sign: a small step against the gradient lowers J:",
      (lambda J0, J1: J1 < J0)(ic.evaluate(J, **values),
                                ic.evaluate(J, **{**values, "H": values["H"] - 1e-3 * expected})))
print("matches central finite differences:", ic.check(J, H, **values) < 1e-6)
