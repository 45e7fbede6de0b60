"""Code generation: a standalone NumPy function for a gradient, with its contractions planned.

``ic.to_python`` writes source you can paste into a project that does not depend on indexcalc.
Run it with ``python examples/codegen.py``.
"""

import numpy as np

import indexcalc as ic

X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
g = ic.grad(0.5 * ic.sum((X @ W @ v - y) ** 2), W)

source = ic.to_python(g)
print(source)

namespace = {}
exec(source, namespace)           # the generated function is called f
rng = np.random.default_rng(0)
values = dict(X=rng.normal(size=(5, 3)), W=rng.normal(size=(3, 4)), v=rng.normal(size=4),
              y=rng.normal(size=5))
print("generated f(...) == g.evaluate(...):",
      np.allclose(namespace["f"](**values), g.evaluate(**values)))
