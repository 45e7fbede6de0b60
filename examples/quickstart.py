"""indexcalc in a minute: build a tensor expression, evaluate it, differentiate it, see its plan.

Run it with ``python examples/quickstart.py``.
"""

import numpy as np

import indexcalc as ic

# A one-hidden-layer network's loss, written as you would in NumPy. Dimensions are names
# (bound to sizes when you evaluate); a dimension mismatch is an ic.ShapeError right here.
X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
h = ic.tanh(X @ W).named("h")         # named: printed as h, computed once
loss = 0.5 * ic.sum((h @ v - y) ** 2)

print("loss =", loss)                 # index (Einstein) notation

rng = np.random.default_rng(0)
values = dict(X=rng.normal(size=(100, 20)), W=rng.normal(size=(20, 30)),
              v=rng.normal(size=30), y=rng.normal(size=100))
value = loss.evaluate(**values)
expected = 0.5 * np.sum((np.tanh(values["X"] @ values["W"]) @ values["v"] - values["y"]) ** 2)
print(f"value = {value:.6f} (NumPy: {expected:.6f})")
assert np.isclose(value, expected)

# The gradient is an exact expression of the shape of W; to_matrix writes it as matrix algebra.
g = ic.grad(loss, W)
print("dloss/dW has shape", g.shape)
print("dloss/dW =", ic.to_matrix(g))
print("matches central finite differences:", ic.check(loss, W, **values) < 1e-6)

# Every contraction is planned by opt_einsum; the plan says what evaluation will cost.
print(ic.plan(X @ W @ v, n=1000, d=200, h=300))
